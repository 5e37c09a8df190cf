"""One settings object, read from CHATPAPER_* environment variables and passed in explicitly.

This module is the only reader of the environment for ChatPaper's own variables and the providers'
(OPENAI_BASE_URL, the key variables). API keys are deliberately *not* settings: `environment_key` reads
one when a provider asks (Provider.resolve_key: the key given with the request, then the provider's
variables) and returns it without keeping it, so a key is never cached, logged or serialised with the
settings.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "chatpaper"


def environment_key(variables: Iterable[str]) -> tuple[str, str] | None:
    """(name, value stripped) of the first of these variables that is set and not blank; None if none is."""
    for variable in variables:
        value = os.environ.get(variable, "").strip()
        if value:
            return variable, value
    return None


def cache_dir_from_environment() -> Path:
    """The cache folder as CHATPAPER_CACHE_DIR (or its default) names it, without validating other settings
    (storage's sentences say whether a folder is the cache, even when another variable is wrong)."""
    return Path(os.environ.get("CHATPAPER_CACHE_DIR") or _default_cache_dir())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHATPAPER_", extra="forbid", populate_by_name=True)

    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Metadata, PDFs and digests")
    # PDF limits: uploads and downloads beyond these are refused before parsing.
    max_pdf_bytes: int = 50 * 1024 * 1024
    max_pages: int = 300
    figure_dpi: int = 150
    # What one paper's figures may cost (a 3 KB PDF can ask for a 1 GB pixmap per crop). Defaults leave
    # every real paper alone: a full A3 page at 150 dpi is 4.4 megapixels, A0 is 8.0 million pt².
    max_figure_pixels: int = Field(8_000_000, gt=0, description="Pixels per figure PNG; larger crops get a lower dpi")
    max_page_area: float = Field(10_000_000.0, gt=0, description="pt²; figures on larger pages get no PNG")
    figure_time_budget_seconds: float = Field(60.0, ge=0, description="Figure rendering per paper; then captions only")
    # A caption printed inside its figure's image is read by OCR (PyMuPDF's Tesseract) when Tesseract's
    # language data is installed; TESSDATA_PREFIX is Tesseract's own variable, ours wins.
    ocr: bool = Field(True, description="Read captions printed inside figure images by OCR, when language data is installed")
    tessdata: Path | None = Field(None, validation_alias=AliasChoices("CHATPAPER_TESSDATA", "TESSDATA_PREFIX"),
                                  description="Tesseract's language data folder; default: the usual system places")
    # The app parses in worker processes (PyMuPDF is safe per process, not per thread): a slow paper holds
    # one worker, never the others. A normal paper peaks near 300 MB of address space, 100 MB resident.
    parse_workers: int = Field(2, ge=1, description="Papers parsed at once by the app")
    parse_timeout_seconds: float = Field(120.0, gt=0, description="A parse over this is stopped")
    parse_memory_mb: int = Field(1536, ge=0, description="Address space per parse worker; 0 = no limit")

    # arXiv: be polite (their API terms ask for >= 3 s between calls) and never hang.
    arxiv_delay_seconds: float = 3.0
    arxiv_retries: int = 3
    http_timeout_seconds: float = 30.0

    # LLM
    provider: str = Field("auto", description="auto, gemini, openai, local or offline")
    model: str | None = Field(None, description="Model name; each provider has a documented default")
    lang: str = Field("zh", description="Default output language")
    # OPENAI_BASE_URL is the OpenAI SDK's own variable; ours wins when both are set.
    openai_base_url: str | None = Field(
        None, validation_alias=AliasChoices("CHATPAPER_OPENAI_BASE_URL", "OPENAI_BASE_URL"))
    local_model_path: Path | None = None
    context_window: int | None = Field(
        None, gt=0, description="Context window in tokens of an OpenAI-compatible server's model (they vary)"
    )
    model_profile: Literal["auto", "small", "standard"] = Field(
        "auto", description="small: one field group per call, short instructions (small local models); "
                            "auto picks small for a small context window or replies that fail the guards twice")
    llm_timeout_seconds: float = 120.0
    llm_retries: int = 3
    requests_per_minute: float | None = Field(None, description="Provider rate limit for batches")

    # Ask the paper: a question and a conversation stay small enough for any model's context and any session.
    ask_max_question_chars: int = Field(500, gt=0, description="Longest question accepted")
    ask_max_turns: int = Field(20, gt=0, description="Questions per conversation (app session or CLI call)")

    # App
    # Requests mostly wait on the LLM; parsing is serialised by a lock anyway. Measured with
    # benchmarks/bench_app.py, 8 users: header p50 3.4 s at 2, 2.0 s at 4, for +14 MiB.
    max_concurrency: int = 4
    max_queue: int = 32

    # Endpoints a visitor types into the app (the Advanced "base URL" box). By default only public
    # https hosts, checked on the resolved address at connect time; a self-hosted Space that talks
    # to its own vLLM on a private network sets this to true.
    allow_private_endpoints: bool = False
    # A server that accepts the connection and never answers must not hold a worker for minutes.
    visitor_connect_timeout_seconds: float = Field(5.0, gt=0)
    visitor_read_timeout_seconds: float = Field(60.0, gt=0)
    # Requests to visitors' endpoints run beside max_concurrency, never in its place: hanging
    # endpoints can hold at most this many workers; more are refused at once with a sentence.
    max_visitor_endpoints: int = Field(2, ge=0)

    # Disk: the cache (parsed papers, figures, digests, posts) is pruned oldest first beyond these.
    cache_max_bytes: int = Field(2 * 1024**3, gt=0, description="Total size of the cache folder")
    cache_max_age_days: float = Field(30.0, gt=0, description="Older cached papers and posts are deleted")
    # Copies handed to one visitor's session (figures, downloads, posts) are deleted after this.
    served_max_age_hours: float = Field(6.0, gt=0)


def load_settings(overrides: dict) -> Settings:
    """Settings from CHATPAPER_* and `overrides`; a variable they refuse is one ChatPaperError sentence."""
    from chatpaper.errors import ChatPaperError  # noqa: PLC0415 - errors stays importable without pydantic

    try:
        return Settings(**overrides)
    except ValidationError as exc:  # a CHATPAPER_* variable the Settings refuse
        problem = exc.errors()[0]
        variable = "CHATPAPER_" + str(problem["loc"][0]).upper() if problem["loc"] else "a CHATPAPER_* variable"
        raise ChatPaperError(f"{variable} is not valid ({problem['msg']}); fix or unset it.") from exc
