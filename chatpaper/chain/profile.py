"""Know the model's size: a small-model profile for small context windows or replies that fail the guards.

`standard` asks each stage's fields in one call with the full instruction. `small` asks one field
group per call (two or three single points, or one list), with one short line per field, fewer list
items, points without quotes (no optional fields), and an output limit derived from the fields asked
(about 370 tokens for three points), so a reply that runs on is cut early: the fields it completed
stand, and the rest go into the stage's one field retry with the guards' faults. `auto` (the
default) picks `small` when the model's context window is small, or when this model's replies have
failed the guards twice in enough earlier stages of this process; the choice and its reason go into
the digest's provenance.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from chatpaper.chain.prompts import language_name, template_lang
from chatpaper.models import PageNo, Point

Profile = Literal["small", "standard"]
ProfileSetting = Literal["auto", "small", "standard"]

# Below this window a model is a laptop's (Ollama, llama.cpp defaults are 2k-8k); the 1.5B ran at 8k.
SMALL_WINDOW = 16_000
# Stages whose replies failed the guards on the first try and again after a retry, before auto turns small.
SMALL_AFTER_FAILED_STAGES = 2

# Bump when a small-profile template, group or bound changes: part of the cache key of small-profile results.
SMALL_PROMPT_VERSION = "small-3"

# Fields asked together in the small profile, in the stage model's order of reading. Two or three single
# points, or one list, per call: each reply stays a few hundred tokens, which a small model closes.
SMALL_GROUPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "metadata": (("title_translation", "keywords"),),
    "summary": (("one_line", "background", "past_methods"), ("proposed_method", "performance"),
                ("key_takeaways",)),
    "methods": (("steps",),),
    "conclusion": (("significance", "innovation"), ("performance", "workload")),
}
# Fewer list items for a small model: (fewest, most); the guards check these counts in the small profile,
# and the most is also the schema's maxItems, so a constrained server cannot run on listing.
SMALL_LIST_LIMITS = {"key_takeaways": (3, 5), "keywords": (3, 6), "steps": (2, 6)}
# A cited page or two is what a one-sentence point rests on; the schema's maxItems for its pages.
SMALL_MAX_PAGES = 3

# Output bounds, derived from the fields asked (a group of three points: about 370 tokens). One long
# sentence as papers print them, about 50 English words or 80 Chinese characters, is 70-100 tokens with
# the Qwen and Llama tokenizers, plus its pages and the JSON around it. (90 per point cut replies that
# copied a long sentence from the paper.)
SMALL_POINT_TOKENS = 120
# A translated title.
SMALL_STRING_TOKENS = 60
# A keyword with its quotes and comma.
SMALL_KEYWORD_TOKENS = 12
# The braces, and a key name with its quotes, per field.
SMALL_REPLY_TOKENS, SMALL_KEY_TOKENS = 8, 6


# A small profile's point: a sentence and its pages. No quotes: optional fields are not asked of a small
# model (its quotes rarely match the page, and they double a reply's length). Keys it adds unasked are
# ignored: the sentence and its pages stand. (No docstring: it would be the schema's description, in the prompt.)
class BriefPoint(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str
    pages: list[PageNo] = Field(default_factory=list, max_length=SMALL_MAX_PAGES)


def _small_annotation(model: type[BaseModel], name: str) -> tuple[Any, Any]:
    annotation = model.model_fields[name].annotation
    if annotation is Point:
        return BriefPoint, Field(...)
    if annotation == list[Point]:
        return list[BriefPoint], Field(..., max_length=SMALL_LIST_LIMITS.get(name, (0, None))[1])
    if annotation == list[str]:
        return list[str], Field(..., max_length=SMALL_LIST_LIMITS.get(name, (0, None))[1])
    return annotation, Field(...)


@functools.lru_cache(maxsize=64)
def small_model(model: type[BaseModel], fields: tuple[str, ...]) -> type[BaseModel]:
    """The schema a small-profile call asks for: `fields` of the stage model, points without quotes,
    lists no longer than the small profile's most. Named like a field retry's, so logs read the stage."""
    definitions: dict[str, Any] = {name: _small_annotation(model, name) for name in fields}
    return create_model(f"{model.__name__}Fields", __config__=ConfigDict(extra="forbid"), **definitions)


def small_output_tokens(model: type[BaseModel], fields: tuple[str, ...] | list[str]) -> int:
    """The output limit of a small-profile call for `fields`: what one-sentence points need, and no more,
    so a reply that runs on is cut early instead of filling the window."""
    total = SMALL_REPLY_TOKENS
    for name in fields:
        annotation = model.model_fields[name].annotation
        most = SMALL_LIST_LIMITS.get(name, (1, 1))[1]
        if annotation is Point:
            total += SMALL_KEY_TOKENS + SMALL_POINT_TOKENS
        elif annotation == list[Point]:
            total += SMALL_KEY_TOKENS + most * SMALL_POINT_TOKENS
        elif annotation == list[str]:
            total += SMALL_KEY_TOKENS + most * SMALL_KEYWORD_TOKENS
        else:
            total += SMALL_KEY_TOKENS + SMALL_STRING_TOKENS
    return total


_SMALL_POINT = {"en": '{"text": one sentence, "pages": [page numbers]}', "zh": '{"text": 一句话, "pages": [页码]}'}


def small_shape(model: type[BaseModel], fields: tuple[str, ...] | list[str], lang: str) -> str:
    """'{"background": point, ...}; point = {"text": ..., "pages": [...]}': what a small-profile call replies."""
    zh = template_lang(lang) == "zh"

    def kind(name: str) -> str:
        annotation = model.model_fields[name].annotation
        one = "point" if annotation in (Point, list[Point]) else ("字符串" if zh else "string")
        return f"[{one}, ...]" if str(annotation).startswith("list") else one

    shape = "{" + ", ".join(f'"{name}": {kind(name)}' for name in fields) + "}"
    if any(model.model_fields[name].annotation in (Point, list[Point]) for name in fields):
        shape += f"; point = {_SMALL_POINT['zh' if zh else 'en']}"
    return shape


# One short line per field: (English, Chinese).
_FIELD_LINES: dict[tuple[str, str], tuple[str, str]] = {
    ("metadata", "title_translation"): ("the title in $language_name; keep method names as they are",
                                        "标题的中文翻译，方法名保持原文"),
    ("metadata", "keywords"): ("3 to 6 keywords in the paper's own terms", "3 到 6 个论文原文中的关键词"),
    ("summary", "one_line"): ("what the paper does and achieves", "论文做了什么、取得了什么结果"),
    ("summary", "background"): ("the problem the paper studies", "论文研究的问题"),
    ("summary", "past_methods"): ("earlier methods and what is wrong with them", "以往的方法及其不足"),
    ("summary", "proposed_method"): ("the method this paper proposes", "本文提出的方法"),
    ("summary", "performance"): ("datasets and results, numbers as in the paper", "数据集和结果，数字与原文一致"),
    ("summary", "key_takeaways"): ("3 to 5 points, each a different finding", "3 到 5 个要点，每个是不同的发现"),
    ("methods", "steps"): ("the method's steps in the paper's order, 2 to 6 points", "方法的步骤，按论文顺序，2 到 6 个要点"),
    ("conclusion", "significance"): ("why this work matters", "这项工作的意义"),
    ("conclusion", "innovation"): ("what is new in it", "它的创新点"),
    ("conclusion", "performance"): ("how well it works, numbers as in the paper", "它的效果，数字与原文一致"),
    ("conclusion", "workload"): ("the experiments, data and compute it took", "实验、数据和计算的工作量"),
}


def small_instruction(stage: str, fields: tuple[str, ...] | list[str], lang: str, shape: str) -> str:
    """The small profile's instruction for some of a stage's fields: one line each, then the JSON shape."""
    zh = template_lang(lang) == "zh"
    lines = "\n".join(f"- {name}{'：' if zh else ': '}{_FIELD_LINES[(stage, name)][1 if zh else 0]}" for name in fields)
    lines = lines.replace("$language_name", language_name(lang))
    if zh:
        return f"任务（阶段：{stage}）。根据上面的论文，用简体中文，每项一句话：\n{lines}\n各项内容互不重复。只回复 JSON：{shape}"
    return (f"TASK (stage: {stage}). From the paper above, in {language_name(lang)}, one sentence each:\n{lines}\n"
            f"No field repeats another. Reply with JSON only: {shape}")


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
