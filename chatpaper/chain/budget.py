"""The context budget: which parts of the paper each stage sees, sized to the model's real window.

When everything a stage needs fits, all four stages get one identical document (the shared prefix
that provider-side prompt caches reuse). When it does not, each stage gets its own sections: the
whole method section with its subsections for Methods, introduction and experiments for Summary,
conclusion and discussion for Conclusion. Token counts are estimates (no tokenizer dependency).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import get_args, get_origin

from pydantic import BaseModel

from chatpaper.chain.guards import LIST_LIMITS
from chatpaper.chain.prompts import STAGES, render_document, stage_instruction, system_prompt
from chatpaper.models import (
    OUTSIDE_BODY_ROLES,
    ConclusionStage,
    MetadataStage,
    MethodsStage,
    Paper,
    Point,
    Section,
    SectionRole,
    SummaryStage,
)
from chatpaper.scripts import CJK_LETTER

STAGE_MODELS: dict[str, type[BaseModel]] = {
    "metadata": MetadataStage,
    "summary": SummaryStage,
    "methods": MethodsStage,
    "conclusion": ConclusionStage,
}

# --------------------------------------------------------------------------- what a reply may take

# A stage's prose (texts, pages, JSON) without quotes: the limits the chain had before quotes.
PROSE_OUTPUT_TOKENS = {"metadata": 512, "summary": 2048, "methods": 2048, "conclusion": 1024}
# The prompts ask for one or two quotes per point.
QUOTES_PER_POINT = 2
# One quote of at most ~40 words (of technical prose, up to ~300 characters: 86 tokens by count_tokens,
# which errs high; a 60-character Chinese quote is 60) with its {"page": N, "quote": ...} wrapper (~9).
QUOTE_TOKENS = 95


def stage_points(model: type[BaseModel]) -> int:
    """The most points a stage's reply holds: one per Point field, a list's maximum per list of them."""
    count = 0
    for name, info in model.model_fields.items():
        if info.annotation is Point:
            count += 1
        elif get_origin(info.annotation) is list and get_args(info.annotation) == (Point,):
            count += LIST_LIMITS.get(name, (0, 1))[1]
    return count


def stage_output_tokens(stage: str) -> int:
    """The output-token allowance of a stage's reply: its prose plus the quotes of its points."""
    return PROSE_OUTPUT_TOKENS[stage] + stage_points(STAGE_MODELS[stage]) * QUOTES_PER_POINT * QUOTE_TOKENS


STAGE_OUTPUT_TOKENS: dict[str, int] = {stage: stage_output_tokens(stage) for stage in STAGES}
# Room kept for the reply (the largest stage's, quotes included) and for the estimate's error.
OUTPUT_RESERVE = max(STAGE_OUTPUT_TOKENS.values())
# A field retry's allowance never drops below one point's prose and quotes.
MIN_FIELD_OUTPUT_TOKENS = 256 + QUOTES_PER_POINT * QUOTE_TOKENS
SAFETY = 0.9
MIN_DOCUMENT_TOKENS = 1000

_CJK = CJK_LETTER
# Not sent: back matter (the parser already leaves most of it out of Paper.sections) and appendices.
SKIP_ROLES: frozenset[SectionRole] = frozenset((*OUTSIDE_BODY_ROLES, "appendix"))
_SKIP_TITLES = re.compile(r"^(references|bibliography|acknowledge?ments?|appendix|supplementary)", re.I)
TRUNCATED = "(The rest of this section was cut to fit the model's context window.)"

# The roles each stage needs, in order of importance (Summary also needs the abstract, always sent).
# The parser files "Results" and "Evaluation" under experiments.
STAGE_ROLES: dict[str, tuple[SectionRole, ...]] = {
    "metadata": ("introduction",),
    "summary": ("introduction", "experiments"),
    "methods": ("method",),
    "conclusion": ("conclusion", "discussion", "limitations", "experiments"),
}


# Latin-script characters per token for the estimate: BPE tokenizers give ~4 on English prose, so 3.5 errs high.
CHARS_PER_TOKEN = 3.5


def count_tokens(text: str) -> int:
    """Rough token count, on the high side: one per CJK character, one per CHARS_PER_TOKEN other characters."""
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / CHARS_PER_TOKEN)


@dataclass
class StageInput:
    document: str
    tokens: int = 0  # system + document + instruction, estimated


@dataclass
class BudgetPlan:
    context_window: int
    document_budget: int
    shared: bool
    output_tokens: int = OUTPUT_RESERVE  # the most any reply may use in this window
    stages: dict[str, StageInput] = field(default_factory=dict)
    method_chars: int = 0
    method_chars_sent: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def method_share(self) -> float | None:
        """Share of the method section(s) text that reached the Methods stage (None: no method section)."""
        return self.method_chars_sent / self.method_chars if self.method_chars else None

    def tokens(self) -> dict[str, int]:
        return {stage: s.tokens for stage, s in self.stages.items()}


# --------------------------------------------------------------------------- page markers


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _section_heading(s: Section) -> str:
    hashes = "#" * min(s.level + 1, 4)
    number = f"{s.number} " if s.number else ""
    return f"{hashes} {number}{s.title} [p. {s.page}]"


def _section_block(s: Section, max_tokens: int | None = None) -> tuple[str, int]:
    """Heading + text with a [p. N] marker wherever the text moves to another page; returns (block, text chars kept)."""
    lines = [_section_heading(s)]
    page, kept, used = s.page, 0, count_tokens(lines[0])
    for part in s.paragraphs:
        original = paragraph = part.text
        if part.page != page:
            page = part.page
            paragraph = f"[p. {page}] {paragraph}"
        cost = count_tokens(paragraph) + 1
        if max_tokens is not None and used + cost > max_tokens:
            room = max(0, int((max_tokens - used) * CHARS_PER_TOKEN) - 40)
            cut = paragraph[:room].rsplit(". ", 1)[0] if room > 200 else ""
            if cut:
                lines.append(cut + ".")
                kept += len(cut)
            lines.append(TRUNCATED)
            return "\n".join(lines), kept
        lines.append(paragraph)
        kept += len(original) + 1
        used += cost
    return "\n".join(lines), len(s.text)


# --------------------------------------------------------------------------- sections per stage


def _body_sections(paper: Paper) -> list[Section]:
    """Sections worth sending: the body, without references, acknowledgements and appendices."""
    out, skipping_level = [], None
    for s in paper.sections:
        if skipping_level is not None and s.level > skipping_level:
            continue
        skipping_level = None
        if s.role in SKIP_ROLES or _SKIP_TITLES.match(s.title.strip()):
            skipping_level = s.level
            continue
        out.append(s)
    return out


def method_sections(paper: Paper) -> list[Section]:
    """Every level-1 method section with all its subsections, plus stray method subsections."""
    out: list[Section] = []
    for s in paper.sections:
        if s.role == "method" and s.level == 1 and s not in out:
            out.extend(x for x in paper.section_tree(s) if x not in out)
    for s in paper.sections:
        if s.role == "method" and s not in out:
            out.append(s)
    return _in_paper_order(paper, out)


def _in_paper_order(paper: Paper, sections: list[Section]) -> list[Section]:
    position = {id(s): i for i, s in enumerate(paper.sections)}
    return sorted(sections, key=lambda s: position.get(id(s), 0))


def stage_sections(paper: Paper, stage: str) -> list[Section]:
    """The sections (with subsections) a stage needs, in paper order."""
    if stage == "methods":
        return method_sections(paper)
    chosen: list[Section] = []
    for role in STAGE_ROLES[stage]:
        for s in paper.sections:
            if s.role == role and s not in chosen:
                chosen.extend(x for x in (paper.section_tree(s) if s.level == 1 else [s]) if x not in chosen)
    return _in_paper_order(paper, chosen)


# --------------------------------------------------------------------------- documents


def _front(paper: Paper) -> str:
    """The abstract, and the English title and abstract a paper in another language prints beside its own
    (the paper's, for a digest in English to use as printed)."""
    parts = [f"Abstract [p. {paper.abstract_page}]: {_norm(paper.abstract)}"] if paper.abstract else []
    if paper.title_en and _norm(paper.title_en) != _norm(paper.title):
        parts.append(f"English title (printed in the paper): {_norm(paper.title_en)}")
    if paper.abstract_en:
        parts.append(f"English abstract [p. {paper.abstract_en_page or paper.abstract_page}]: {_norm(paper.abstract_en)}")
    return "\n\n".join(parts)


def _document(paper: Paper, title: str, authors: list[str], blocks: list[str]) -> str:
    body = "\n\n".join(b for b in [_front(paper), *blocks] if b)
    return render_document(title=title, authors=authors, pages=paper.pages, body=body)


def _pages_document(paper: Paper, title: str, authors: list[str], budget: int) -> str:
    """No sections were found: send the pages themselves, in order, up to the budget."""
    blocks, used = [], 0
    for i, text in enumerate(paper.page_texts, start=1):
        block = f"[p. {i}]\n{text.strip()}"
        cost = count_tokens(block)
        if used + cost > budget:
            room = max(0, int((budget - used) * CHARS_PER_TOKEN))
            if room > 200:
                blocks.append(block[:room] + "\n" + TRUNCATED)
            break
        blocks.append(block)
        used += cost
    return _document(paper, title, authors, blocks)


def _fit(paper: Paper, sections: list[Section], budget: int,
         priority: list[Section] | None = None) -> tuple[list[str], dict[int, int]]:
    """Blocks of `sections` in paper order within `budget`; sections in `priority` are filled first."""
    first = {id(s) for s in priority or []}
    order = list(priority or []) + [s for s in sections if id(s) not in first]
    kept: dict[int, tuple[str, int]] = {}
    used = 0
    for s in order:
        block, chars = _section_block(s)
        cost = count_tokens(block) + 1
        if used + cost > budget:
            if budget - used > 200:
                block, chars = _section_block(s, max_tokens=budget - used)
                kept[id(s)] = (block, chars)
            break
        kept[id(s)] = (block, chars)
        used += cost
    position = {id(s): i for i, s in enumerate(paper.sections)}
    blocks = [kept[id(s)][0] for s in sorted(order, key=lambda s: position.get(id(s), 0)) if id(s) in kept]
    return blocks, {k: v[1] for k, v in kept.items()}


def plan_budget(paper: Paper, *, context_window: int, lang: str, title: str | None = None,
                authors: list[str] | None = None, output_reserve: int = OUTPUT_RESERVE) -> BudgetPlan:
    """Decide what each stage is sent; see the module docstring."""
    title = title or paper.title
    authors = paper.authors if authors is None else authors
    overhead = count_tokens(system_prompt(lang)) + max(count_tokens(stage_instruction(s, lang)) for s in STAGES)
    overhead += count_tokens(_document(paper, title, authors, []))
    output_reserve = min(output_reserve, context_window // 4)  # small local models: a shorter reply, more paper
    budget = max(MIN_DOCUMENT_TOKENS, int((context_window - output_reserve) * SAFETY) - overhead)
    plan = BudgetPlan(context_window=context_window, document_budget=budget, shared=True,
                      output_tokens=output_reserve)
    methods = method_sections(paper)
    plan.method_chars = sum(len(s.text) for s in methods)
    body = _body_sections(paper)

    if not paper.sections:
        document = _pages_document(paper, title, authors, budget)
        plan.stages = {stage: StageInput(document) for stage in STAGES}
        plan.warnings.append("No sections were found in the PDF, so every stage was sent the pages in order.")
    else:
        needed_ids = {id(s) for st in STAGES for s in stage_sections(paper, st)}
        needed = [s for s in paper.sections if id(s) in needed_ids]
        needed_methods_first = methods + [s for s in needed if s not in methods]
        blocks, kept = _fit(paper, body or paper.sections, budget, priority=needed_methods_first)
        complete = all(kept.get(id(s), -1) == len(s.text) for s in needed)
        if complete:
            document = _document(paper, title, authors, blocks)
            plan.stages = {stage: StageInput(document) for stage in STAGES}
            plan.method_chars_sent = sum(kept.get(id(s), 0) for s in methods)
        else:  # one window cannot hold it all: each stage gets its own sections
            plan.shared = False
            for stage in STAGES:
                own = stage_sections(paper, stage) or body[:3]
                stage_blocks, stage_kept = _fit(paper, own, budget)
                plan.stages[stage] = StageInput(_document(paper, title, authors, stage_blocks))
                if stage == "methods":
                    plan.method_chars_sent = sum(stage_kept.get(id(s), 0) for s in methods)
            plan.warnings.append(
                f"The paper does not fit the model's {context_window:,}-token window in one piece, "
                "so each stage was sent only the sections it needs."
            )
        if not methods:
            plan.warnings.append("No method section was recognised; the Methods stage worked from the whole text.")
    for name, entry in plan.stages.items():
        entry.tokens = count_tokens(system_prompt(lang)) + count_tokens(entry.document) + count_tokens(
            stage_instruction(name, lang))
    share = plan.method_share
    if share is not None and share < 0.999:
        plan.warnings.append(f"Only {share:.0%} of the method section fitted the model's context window.")
    return plan
