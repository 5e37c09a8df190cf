"""The staged prompt chain: Paper -> Digest (header, figures, metadata, summary, methods, conclusion).

    for event, digest in iter_digest(paper, provider=provider, lang="zh", settings=settings):
        ...  # "header" at once, then each stage as it finishes, then "done"
"""
from chatpaper.chain.budget import BudgetPlan, count_tokens, plan_budget
from chatpaper.chain.cache import CacheKey, DigestCache
from chatpaper.chain.figures import choose_figures
from chatpaper.chain.pipeline import STAGE_MODELS, build_header, header_from_metadata, iter_digest, summarize
from chatpaper.chain.prompts import PROMPT_VERSION, STAGES
from chatpaper.chain.runner import LLMRunner, QuotingRunner, StageRunner, as_runner, is_extractive

__all__ = [
    "PROMPT_VERSION",
    "STAGES",
    "STAGE_MODELS",
    "BudgetPlan",
    "CacheKey",
    "DigestCache",
    "LLMRunner",
    "QuotingRunner",
    "StageRunner",
    "as_runner",
    "build_header",
    "choose_figures",
    "count_tokens",
    "header_from_metadata",
    "is_extractive",
    "iter_digest",
    "plan_budget",
    "summarize",
]
