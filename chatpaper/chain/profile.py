"""Know the model's size: a small-model profile for small context windows or replies that fail the guards.

`standard` asks each stage's fields in one call with the full instruction. `small` asks one field
group per call (two or three fields), with one short line per field, fewer list items, and nothing a
small model tends to fill with filler (no "judgement" or "motivation" asides). `auto` (the default)
picks `small` when the model's context window is small, or when this model's replies have failed
the guards twice in enough earlier stages of this process; the choice and its reason go into the
digest's provenance.
"""
from __future__ import annotations

import threading
from typing import Literal

from chatpaper.chain.prompts import language_name, point_format, template_lang

Profile = Literal["small", "standard"]
ProfileSetting = Literal["auto", "small", "standard"]

# Below this window a model is a laptop's (Ollama, llama.cpp defaults are 2k-8k); the 1.5B ran at 8k.
SMALL_WINDOW = 16_000
# Stages whose replies failed the guards on the first try and again after a retry, before auto turns small.
SMALL_AFTER_FAILED_STAGES = 2

# Fields asked together in the small profile, in the stage model's order of reading.
SMALL_GROUPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "metadata": (("title_translation", "keywords"),),
    "summary": (("one_line", "background", "past_methods"), ("proposed_method", "performance", "key_takeaways")),
    "methods": (("steps",),),
    "conclusion": (("significance", "innovation"), ("performance", "workload")),
}
# Fewer list items for a small model: (fewest, most); the guards check these counts in the small profile.
SMALL_LIST_LIMITS = {"key_takeaways": (3, 5), "keywords": (3, 6), "steps": (2, 8)}

# One short line per field: (English, Chinese).
_FIELD_LINES: dict[tuple[str, str], tuple[str, str]] = {
    ("metadata", "title_translation"): ("the title in $language_name; keep method names as they are",
                                        "标题的中文翻译，方法名保持原文"),
    ("metadata", "keywords"): ("3 to 6 keywords in the paper's own terms", "3 到 6 个论文原文中的关键词"),
    ("summary", "one_line"): ("one sentence: what the paper does and achieves", "一句话：论文做了什么、取得了什么结果"),
    ("summary", "background"): ("the problem the paper studies", "论文研究的问题（背景）"),
    ("summary", "past_methods"): ("earlier methods and what is wrong with them", "以往的方法及其不足"),
    ("summary", "proposed_method"): ("the method this paper proposes", "本文提出的方法"),
    ("summary", "performance"): ("tasks, datasets and results, numbers exactly as in the paper",
                                 "任务、数据集和结果，数字与原文一致"),
    ("summary", "key_takeaways"): ("3 to 5 points, each a different finding", "3 到 5 个要点，每个是不同的发现"),
    ("methods", "steps"): ("the method's steps in the paper's order, 2 to 8 points", "方法的步骤，按论文顺序，2 到 8 个要点"),
    ("conclusion", "significance"): ("why this work matters", "这项工作的意义"),
    ("conclusion", "innovation"): ("what is new in it", "它的创新点"),
    ("conclusion", "performance"): ("how well it works, numbers exactly as in the paper", "它的效果，数字与原文一致"),
    ("conclusion", "workload"): ("the experiments, data and compute it took", "实验、数据和计算的工作量"),
}


def small_instruction(stage: str, fields: tuple[str, ...] | list[str], lang: str, shape: str) -> str:
    """The small profile's instruction for some of a stage's fields: one line each, then the JSON shape."""
    zh = template_lang(lang) == "zh"
    lines = "\n".join(f"- {name}{'：' if zh else ': '}{_FIELD_LINES[(stage, name)][1 if zh else 0]}" for name in fields)
    lines = lines.replace("$language_name", language_name(lang))
    if zh:
        return (f"任务（阶段：{stage}）。用简体中文，根据上面的论文给出：\n{lines}\n每个字段写不同的内容，不要重复。"
                f"{point_format(lang)}。只回复 JSON：{shape}")
    return (f"TASK (stage: {stage}). In {language_name(lang)}, from the paper above, give:\n{lines}\n"
            f"Each field says something the others do not. {point_format(lang)}. Reply with JSON: {shape}")


class GuardHistory:
    """How many stages each model's replies failed the guards twice in (this process): auto's second signal."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failed: dict[str, int] = {}

    def record_failed_twice(self, model_key: str) -> None:
        with self._lock:
            self._failed[model_key] = self._failed.get(model_key, 0) + 1

    def failed_stages(self, model_key: str) -> int:
        with self._lock:
            return self._failed.get(model_key, 0)

    def clear(self) -> None:
        with self._lock:
            self._failed.clear()


GUARD_HISTORY = GuardHistory()


def choose_profile(setting: ProfileSetting, *, context_window: int, model_key: str,
                   history: GuardHistory = GUARD_HISTORY) -> tuple[Profile, str]:
    """(profile, why): the setting when explicit; else by the context window, then by the guard history."""
    if setting != "auto":
        return setting, f"CHATPAPER_MODEL_PROFILE={setting}"
    if context_window < SMALL_WINDOW:
        return "small", f"auto: the context window ({context_window} tokens) is below {SMALL_WINDOW}"
    failed = history.failed_stages(model_key)
    if failed >= SMALL_AFTER_FAILED_STAGES:
        return "small", f"auto: this model's replies failed the guards twice in {failed} earlier stages"
    return "standard", "auto"
