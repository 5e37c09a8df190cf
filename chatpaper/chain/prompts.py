"""The prompts of the chain: named templates, one per stage and language, versioned.

Every prompt is `paper document` + `stage instruction`: the paper comes FIRST and is byte-identical
across the four stages (and so is the system message), so llama.cpp's prefix cache and Gemini's
implicit caching reuse it; the stage instruction comes LAST. `PROMPT_VERSION` is part of every
cache key: bump it whenever a template's wording changes.
"""
from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Literal, get_args

# Bump when a template or a stage schema changes (tests/test_chain_prompt_version.py pins both): part of
# the cache key, so stages written under older prompts are asked again. evidence-3: a point's evidence
# holds one or two quotes in the schema (minItems/maxItems), which constrained decoders enforce.
# evidence-4: the paper document carries the English title and abstract a Chinese paper prints (budget._front).
PROMPT_VERSION = "2026.12-evidence-4"

StageName = Literal["metadata", "summary", "methods", "conclusion"]
STAGES: tuple[StageName, ...] = get_args(StageName)

# Languages with their own hand-written templates; any other code uses English plus a language line.
TEMPLATE_LANGS = ("zh", "en")

LANGUAGE_NAMES = {
    "zh": "Simplified Chinese", "zh-tw": "Traditional Chinese", "en": "English", "ja": "Japanese",
    "ko": "Korean", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "ru": "Russian", "uk": "Ukrainian", "ar": "Arabic", "fa": "Persian",
    "he": "Hebrew", "hi": "Hindi", "th": "Thai", "vi": "Vietnamese", "tr": "Turkish",
    "nl": "Dutch", "pl": "Polish", "sv": "Swedish", "el": "Greek", "id": "Indonesian",
}


def base_lang(lang: str) -> str:
    """'zh-CN' -> 'zh'; 'zh-TW' keeps its own name for the language line."""
    return (lang or "en").strip().lower().replace("_", "-").split("-")[0] or "en"


def language_name(lang: str) -> str:
    code = (lang or "en").strip().lower().replace("_", "-")
    return LANGUAGE_NAMES.get(code) or LANGUAGE_NAMES.get(base_lang(code)) or code


@dataclass(frozen=True)
class Template:
    """A named prompt template; `fields` are exactly the variables its text uses."""

    name: str
    text: str
    fields: frozenset[str]

    def render(self, **values: str) -> str:
        missing = self.fields - values.keys()
        extra = values.keys() - self.fields
        if missing or extra:
            raise ValueError(f"template {self.name}: missing {sorted(missing)}, unexpected {sorted(extra)}")
        return string.Template(self.text).substitute(values)


def _template(name: str, text: str) -> Template:
    fields = frozenset(
        m.group("named") or m.group("braced")
        for m in string.Template.pattern.finditer(text)
        if m.group("named") or m.group("braced")
    )
    return Template(name=name, text=text, fields=fields)


# --------------------------------------------------------------------------- system (shared by all stages)

SYSTEM = _template(
    "system",
    "You write faithful, structured digests of research papers for readers who want to know "
    "exactly what a paper does. Use only what the paper below states; never invent methods, "
    "datasets, authors or results. Keep every number exactly as the paper writes it. Keep titles, "
    "names of people, methods, models and datasets, and technical terms in their original form. "
    "The paper marks its pages as [p. N]: give, for every point, the pages it rests on. "
    "Write all prose in $language_name (language code $lang). Reply with one JSON object only, "
    "no Markdown fences, no text before or after it.",
)

# --------------------------------------------------------------------------- the paper document (the shared prefix)

DOCUMENT = _template(
    "document",
    "<paper>\nTitle: $title\nAuthors: $authors\nPages: 1-$pages\n\n$body\n</paper>\n\n",
)

# --------------------------------------------------------------------------- stage instructions

_POINT_EN = ('a point is {"text": string, "pages": [page numbers it rests on], "evidence": [{"page": page number, '
             '"quote": one sentence or clause copied verbatim from that page, in the paper\'s language, at most 40 '
             'words}]} with one or two quotes')
_POINT_ZH = ('每个要点的格式为 {"text": 字符串, "pages": [该要点所依据的页码], "evidence": [{"page": 页码, '
             '"quote": 从该页逐字照抄的一句话或一个分句，保持论文原文的语言，不超过 40 个词}]}，每个要点给出一到两条引文')

INSTRUCTIONS: dict[tuple[str, str], Template] = {
    ("metadata", "en"): _template(
        "metadata.en",
        "TASK (stage: metadata). Give the paper's title in $language_name and 3 to 6 keywords.\n"
        "- title_translation: the title above rendered in $language_name; keep names of methods and "
        "models (the part before a colon, acronyms) unchanged; if the title is already in $language_name, "
        "repeat it exactly.\n"
        "- keywords: 3 to 6 technical keywords, in the paper's own terms.\n"
        'Reply with JSON: {"title_translation": string, "keywords": [string, ...]}',
    ),
    ("metadata", "zh"): _template(
        "metadata.zh",
        "任务（阶段：metadata）。给出论文标题的中文翻译和 3 到 6 个关键词。\n"
        "- title_translation：把上面的标题忠实地译成简体中文；方法和模型的名称（冒号前的部分、缩写）保持原文不译。\n"
        "- keywords：3 到 6 个技术关键词，使用论文原文中的术语（可保留英文）。\n"
        '只回复 JSON：{"title_translation": 字符串, "keywords": [字符串, ...]}',
    ),
    ("summary", "en"): _template(
        "summary.en",
        "TASK (stage: summary). Summarise the paper in $language_name, drawing on its abstract, "
        "introduction and experiments. $point_format.\n"
        "- one_line: one sentence saying what the paper does and what it achieves.\n"
        "- key_takeaways: 5 to 8 points, each a distinct finding or contribution.\n"
        "- background: (1) the research background.\n"
        "- past_methods: (2) past methods and their problems, and why this paper's approach is motivated.\n"
        "- proposed_method: (3) the method the paper proposes.\n"
        "- performance: (4) the task, datasets and the performance achieved, with numbers exactly as the "
        "paper states them, and whether they support the paper's goals.\n"
        'Reply with JSON: {"one_line": point, "key_takeaways": [point, ...], "background": point, '
        '"past_methods": point, "proposed_method": point, "performance": point}',
    ),
    ("summary", "zh"): _template(
        "summary.zh",
        "任务（阶段：summary）。用简体中文总结这篇论文，依据其摘要、引言和实验部分。$point_format。\n"
        "- one_line：一句话说明论文做了什么、取得了什么结果。\n"
        "- key_takeaways：5 到 8 个要点，每个是一条不同的发现或贡献。\n"
        "- background：(1) 研究背景。\n"
        "- past_methods：(2) 过去的方法及其问题，以及本文方法的动机。\n"
        "- proposed_method：(3) 本文提出的研究方法。\n"
        "- performance：(4) 任务、数据集与取得的性能，数字必须与论文原文完全一致，并说明这些结果是否支撑其目标。\n"
        '只回复 JSON：{"one_line": 要点, "key_takeaways": [要点, ...], "background": 要点, '
        '"past_methods": 要点, "proposed_method": 要点, "performance": 要点}',
    ),
    ("methods", "en"): _template(
        "methods.en",
        "TASK (stage: methods). Describe the paper's method in $language_name as detailed steps "
        "(1)...(n), in the order the method section presents them, drawn only from the method "
        "section(s) and their subsections. Describe only what the paper actually does: no technique "
        "the paper does not use. $point_format.\n"
        'Reply with JSON: {"steps": [point, ...]} with 3 to 10 steps.',
    ),
    ("methods", "zh"): _template(
        "methods.zh",
        "任务（阶段：methods）。用简体中文把论文的方法写成详细的步骤 (1)...(n)，按方法章节的顺序，"
        "只依据方法章节及其小节。只写论文真正做了的事，不要加入论文没有使用的技术。$point_format。\n"
        '只回复 JSON：{"steps": [要点, ...]}，3 到 10 步。',
    ),
    ("conclusion", "en"): _template(
        "conclusion.en",
        "TASK (stage: conclusion). Assess the paper in $language_name, drawing on its conclusion, "
        "discussion and results. $point_format.\n"
        "- significance: (1) the significance of this work.\n"
        "- innovation: (2a) its innovation point, with a short judgement of its strength and weakness.\n"
        "- performance: (2b) its performance, with a short judgement; numbers exactly as the paper states them.\n"
        "- workload: (2c) its workload (experiments, data, compute), with a short judgement.\n"
        'Reply with JSON: {"significance": point, "innovation": point, "performance": point, '
        '"workload": point}',
    ),
    ("conclusion", "zh"): _template(
        "conclusion.zh",
        "任务（阶段：conclusion）。用简体中文评价这篇论文，依据其结论、讨论和实验结果。$point_format。\n"
        "- significance：(1) 这项工作的意义。\n"
        "- innovation：(2) 创新点，并简短评价其优缺点。\n"
        "- performance：性能，并简短评价；数字必须与论文原文完全一致。\n"
        "- workload：工作量（实验、数据、计算），并简短评价。\n"
        '只回复 JSON：{"significance": 要点, "innovation": 要点, "performance": 要点, "workload": 要点}',
    ),
}

# Appended for languages without their own template.
LANGUAGE_LINE = _template(
    "language_line",
    "\nWrite every text field in $language_name (language code $lang); keep names and technical terms "
    "in the original.",
)

# --------------------------------------------------------------------------- corrective retry

CORRECTION = _template(
    "correction",
    "Your reply has these problems:\n$problems\nReply again with the corrected JSON object only, "
    "for the same task, in $language_name.",
)

# A retry for some fields only: the model's own reply above is the context, the accepted fields stay fixed,
# and the paper prefix before it is unchanged, so a server's prefix cache serves the retry.
FIELD_CORRECTION = _template(
    "field_correction",
    "Your reply is accepted except for the fields $fields. Their problems:\n$problems\nKeep every other "
    "field exactly as it is. Rewrite only $fields from the paper, in $language_name, each saying something "
    "no other field says. Reply with one JSON object with only these fields: $shape",
)


def template_lang(lang: str) -> str:
    """Which hand-written template serves `lang`: its own, else English (plus a language line)."""
    code = (lang or "en").strip().lower().replace("_", "-")
    if code in ("zh-tw", "zh-hk", "zh-hant"):  # the zh templates ask for Simplified Chinese
        return "en"
    return base_lang(code) if base_lang(code) in TEMPLATE_LANGS else "en"


def instruction_template(stage: str, lang: str) -> Template:
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; expected one of {STAGES}")
    return INSTRUCTIONS[(stage, template_lang(lang))]


def system_prompt(lang: str) -> str:
    return SYSTEM.render(language_name=language_name(lang), lang=lang)


def stage_instruction(stage: str, lang: str) -> str:
    """The stage's instruction in `lang`: its own template, or English with a language line."""
    own = template_lang(lang)
    template = instruction_template(stage, lang)
    values = {"language_name": language_name(lang), "point_format": _POINT_ZH if own == "zh" else _POINT_EN}
    text = template.render(**{k: v for k, v in values.items() if k in template.fields})
    if own != base_lang(lang):
        text += LANGUAGE_LINE.render(language_name=language_name(lang), lang=lang)
    return text


def point_format(lang: str) -> str:
    """How a point is written, in the language of `lang`'s template."""
    return _POINT_ZH if template_lang(lang) == "zh" else _POINT_EN


def render_document(*, title: str, authors: list[str], pages: int, body: str) -> str:
    return DOCUMENT.render(title=title, authors=", ".join(authors) or "(not printed in the paper)",
                           pages=str(pages), body=body)


def build_prompt(document: str, stage: str, lang: str) -> str:
    """Paper first (the shared prefix), instruction last."""
    return document + stage_instruction(stage, lang)


def correction_message(problems: list[str], lang: str) -> str:
    return CORRECTION.render(problems="\n".join(f"- {p}" for p in problems), language_name=language_name(lang))


def field_correction_message(fields: list[str], problems: list[str], lang: str, shape: str) -> str:
    """Ask again for `fields` only; `shape` is the JSON they make, e.g. {"background": point}."""
    return FIELD_CORRECTION.render(fields=", ".join(fields), problems="\n".join(f"- {p}" for p in problems),
                                   language_name=language_name(lang), shape=shape)
