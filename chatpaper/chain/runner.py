"""Who writes a stage: one small protocol, and the two kinds of runner behind it.

The chain asks a `StageRunner` for three things: what the run needs before its stages (`prepare`: a
prompt budget and model profile, or a note for the reader), the cache key of each stage's result, and
the stage itself (`run_stage`). `LLMRunner` wraps a `Provider` (prompts, guards, corrective retries);
`QuotingRunner` is the base of runners that build each stage from the paper's own sentences
(chatpaper.extractive). The chain adapts whatever it is given once, at its entry (`as_runner`), so no
other module asks a provider what kind it is.
"""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from pydantic import BaseModel

from chatpaper.chain import guards
from chatpaper.chain.budget import STAGE_MODELS, BudgetPlan, plan_budget
from chatpaper.chain.cache import CacheKey, paper_cache_key
from chatpaper.chain.llm_stage import model_key, run_llm_stage, run_small_stage
from chatpaper.chain.profile import SMALL_PROMPT_VERSION, Profile, choose_profile
from chatpaper.chain.prompts import PROMPT_VERSION, base_lang, language_name
from chatpaper.chain.stage import StageContext, StageOutcome, finish_stage
from chatpaper.errors import ChatPaperError
from chatpaper.llm.base import Provider
from chatpaper.models import Header, Paper, StageRecord
from chatpaper.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class StagePlan:
    """What a runner settles before the stages run."""

    budget: BudgetPlan | None = None  # the prompt budget; None for a runner that sends no prompt
    profile: Profile | None = None  # None: the provenance keeps its default
    profile_reason: str | None = None
    warnings: list[str] = field(default_factory=list)


class StageRunner(Protocol):
    """Writes the digest's stages; `chatpaper.chain.iter_digest` takes one (or a bare Provider)."""

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str | None: ...

    @property
    def extractive(self) -> bool:
        """No LLM writes the results: the provenance and every label say so."""
        ...

    def prepare(self, paper: Paper, header: Header, lang: str, settings: Settings) -> StagePlan: ...

    def cache_key(self, paper: Paper, lang: str, stage: str, profile: Profile) -> CacheKey: ...

    def run_stage(self, context: StageContext, stage: str) -> StageOutcome:
        """One stage's result and record; a failure is recorded on the record, not raised."""
        ...


def as_runner(writer: Provider | StageRunner) -> StageRunner:
    """A Provider is run through prompts (LLMRunner); a StageRunner runs itself."""
    return LLMRunner(writer) if isinstance(writer, Provider) else writer


def is_extractive(writer: Provider | StageRunner) -> bool:
    """No LLM would write this one's digest (the app's and the post's notices say so)."""
    return as_runner(writer).extractive


class LLMRunner:
    """The prompt path: a budget sized to the provider's context window, then each stage asked of the model."""

    extractive = False

    def __init__(self, provider: Provider):
        self.provider = provider
        self.name = provider.name
        self.model = provider.model

    def prepare(self, paper: Paper, header: Header, lang: str, settings: Settings) -> StagePlan:
        window = self.provider.context_window
        budget = plan_budget(paper, context_window=window, lang=lang, title=header.title, authors=header.authors)
        profile, reason = choose_profile(settings.model_profile, context_window=window,
                                         model_key=model_key(self.provider))
        return StagePlan(budget, profile, reason, list(budget.warnings))

    def cache_key(self, paper: Paper, lang: str, stage: str, profile: Profile) -> CacheKey:
        version = PROMPT_VERSION + ("+" + SMALL_PROMPT_VERSION if profile == "small" else "")  # other prompts
        return CacheKey(paper_cache_key(paper), self.provider.cache_identity(), self.model or "", lang, version, stage)

    def run_stage(self, context: StageContext, stage: str) -> StageOutcome:
        run = run_small_stage if context.profile == "small" else run_llm_stage
        return run(self.provider, context, stage)

    def __repr__(self) -> str:
        return f"<LLMRunner {self.provider!r}>"


class QuotingRunner(ABC):
    """Base of runners whose every point is a sentence of the paper: no prompt, no budget, no retry.

    Subclasses set `name` and `version` and implement `build_stage`; the results still go through the
    page guard, the quote check, the cache and the provenance like an LLM's."""

    name: ClassVar[str]
    model: str | None = None
    extractive: ClassVar[bool] = True
    version: ClassVar[str] = ""  # of the runner's rules: part of every cache key, so a rule change misses

    @abstractmethod
    def build_stage(self, paper: Paper, stage: str) -> BaseModel:
        """One stage's result, quoted from `paper`; raise ChatPaperError with a user sentence on failure."""

    def prepare(self, paper: Paper, header: Header, lang: str, settings: Settings) -> StagePlan:
        note = quoting_language_note(paper, lang, self.name)
        return StagePlan(warnings=[note] if note else [])

    def cache_key(self, paper: Paper, lang: str, stage: str, profile: Profile) -> CacheKey:
        version = f"{PROMPT_VERSION}+{self.version}"
        return CacheKey(paper_cache_key(paper), self.name, self.model or "", lang, version, stage)

    def run_stage(self, context: StageContext, stage: str) -> StageOutcome:
        model = STAGE_MODELS[stage]
        record = StageRecord(name=stage)
        try:
            raw = self.build_stage(context.paper, stage)
            result = raw if isinstance(raw, model) else model.model_validate(raw.model_dump())
        except ChatPaperError as exc:
            record.status, record.error = "failed", str(exc)
            return StageOutcome(None, record)
        except Exception as exc:  # recorded on the digest, not raised
            log.exception("runner %s failed in stage %s", self.name, stage)
            record.status = "failed"
            record.error = f"The {self.name} provider could not build the {stage} stage ({type(exc).__name__})."
            return StageOutcome(None, record)
        issues = guards.find_placeholders(result)
        return StageOutcome(finish_stage(context, result, record, issues, quoted=True), record)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} version={self.version!r}>"


def quoting_language_note(paper: Paper, lang: str, name: str) -> str | None:
    """A quoting runner quotes the paper: say so when the paper is not in the requested language."""
    # the reader saw its script: a Chinese paper quoted in Chinese needs no note
    if base_lang(paper.language) != "en" and base_lang(lang) == base_lang(paper.language):
        return None
    # The first pages with text: a repaired PDF may have lost its first pages.
    sample = " ".join([paper.abstract, *[t for t in paper.page_texts if t.strip()][:2]])[:20_000]
    share = guards.script_share(sample, lang)
    if share is None or share >= 0.5:
        return None
    if lang.lower().startswith("zh"):  # the reader asked for Chinese: tell them in Chinese
        return (f"{name} 提供方直接引用论文原文，不会译成中文（quotes the paper in its own language）；"
                "如需中文摘要，请选择大语言模型提供方（例如配置 Gemini 密钥）。")
    return (f"The {name} provider quotes the paper in its own language, not in {language_name(lang)}; "
            "choose an LLM provider (for example with a Gemini key) for a translated digest.")
