"""What every stage runner shares: the context a stage runs in, its outcome, and the checks that keep a result.

A runner (chatpaper.chain.runner) writes a stage its own way; every result then goes through
`finish_stage`, so an LLM's reply and a quoted sentence are held to the same page, quote and
repetition checks, and whatever is still wrong is a warning on the stage's record.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel

from chatpaper.chain import guards
from chatpaper.chain.budget import BudgetPlan
from chatpaper.chain.distinct import mark_repeats
from chatpaper.chain.profile import SMALL_LIST_LIMITS, Profile
from chatpaper.chain.prompts import base_lang
from chatpaper.evidence.verify import PageIndex, relocated_points, verify_points
from chatpaper.models import Header, MetadataStage, Paper, StageRecord
from chatpaper.settings import Settings

# Metadata is a title and keywords: names stay in the original, so its language bar is lower.
METADATA_MIN_SHARE = 0.2


def clean(text: str | None) -> str:
    """Whitespace runs as one space, ends trimmed (titles and names as printed on one line)."""
    return re.sub(r"\s+", " ", text or "").strip()


def printed_title(paper: Paper, lang: str) -> str | None:
    """The title a CJK paper prints in `lang`, if any: its English title for English, its own for its language.

    Such a title is the paper's, not a translation, so no model's version of it is used.
    """
    if base_lang(paper.language) == "en":
        return None
    wanted = base_lang(lang)
    if wanted == "en":
        return clean(paper.title_en) or None
    return clean(paper.title) or None if wanted == base_lang(paper.language) else None


def with_printed_title(paper: Paper, stage: str, result: BaseModel, lang: str) -> BaseModel:
    """The metadata stage's title_translation replaced by the printed title in `lang` (see printed_title)."""
    title = printed_title(paper, lang) if isinstance(result, MetadataStage) else None
    if title is None or getattr(result, "title_translation", None) == title:
        return result
    return result.model_copy(update={"title_translation": title})


@dataclass
class StageOutcome:
    result: BaseModel | None
    record: StageRecord


@dataclass
class StageContext:
    """One digest's run, as every stage sees it (the runner brings its own provider or rules)."""

    paper: Paper
    header: Header
    lang: str
    settings: Settings
    plan: BudgetPlan | None
    numbers: guards.PaperNumbers
    evidence: PageIndex
    profile: Profile = "standard"


def hard_issues(run: StageContext, stage: str, result: BaseModel) -> list[guards.Issue]:
    """The faults worth a corrective retry."""
    result = with_printed_title(run.paper, stage, result, run.lang)  # the model's title is not used
    issues = guards.find_placeholders(result)
    issues += guards.check_content(result, run.header.title,
                                   limits=SMALL_LIST_LIMITS if run.profile == "small" else None)
    min_share = METADATA_MIN_SHARE if stage == "metadata" else None
    issues += guards.check_language(result, run.lang, min_share=min_share, quoted_from=run.numbers.compact)
    issues += guards.check_pages(result, run.paper.pages)
    issues += guards.check_header(result, run.header, run.lang)
    issues += guards.check_quotes(result, run.evidence)
    return issues


def finish_stage(run: StageContext, result: BaseModel, record: StageRecord, issues: list[guards.Issue],
                 *, quoted: bool = False, raw_reply: str | None = None) -> BaseModel:
    """Keep the result: drop pages outside the paper, mark copies, record every remaining fault as a warning.

    `quoted`: the result is the paper's own sentences (a QuotingRunner), so no retry was made, each point
    is its own quote and there are no numbers of the model's to check."""
    for issue in issues:
        if issue.kind == "pages":
            continue  # fixed below by dropping the pages
        kept_after_retry = issue.retry and not quoted
        text = issue.warning or issue.message
        record.warnings.append(f"Kept after a corrective retry: {text}" if kept_after_retry else text)
    result, trimmed = guards.trim_lists(result)
    record.warnings.extend(trimmed)
    result, dropped = guards.drop_bad_pages(result, run.paper.pages)
    if dropped:
        record.warnings.append(f"Dropped page numbers outside 1-{run.paper.pages}: {', '.join(map(str, dropped))}.")
    # Every quote checked against the paper's own text; offline points are the paper's text and quote themselves.
    # An unverified point is kept and marked in every output (its status), not repeated as a warning.
    result, record.points, record.points_verified = verify_points(result, run.evidence, own_quotes=quoted)
    record.points_relocated = len(relocated_points(result))
    soft = guards.check_evidence(result)
    if not quoted:
        soft += guards.check_numbers(result, run.numbers)
    record.warnings.extend(i.message for i in soft)
    result, marked = mark_repeats(result, run.lang, run.header.title)
    if marked:
        record.not_distinct = marked
        record.raw_reply = raw_reply
        record.warnings.append(f"Not distinct in the model's reply, shown once at their first place: {', '.join(marked)}.")
    return result
