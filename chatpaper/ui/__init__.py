"""The Gradio app: a thin layer over the library (after smolagents' gradio_ui).

`create_app()` builds the Blocks without launching; `launch()` sets the queue limits, the upload
size limit and the folders Gradio may serve. Handlers only translate between widgets and library
calls (`iter_read` -> `iter_digest` -> `write_digest`); the formatting helpers are pure functions
at module level, tested without a browser.

Safety: an API key typed into the page is passed to `get_provider(api_key=...)` for that one
request and nowhere else. Paper and model text is escaped before it reaches `gr.Markdown`.
"""
from __future__ import annotations

import html
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatpaper import fields
from chatpaper.chain.distinct import not_distinct_notice
from chatpaper.chain.prompts import STAGES
from chatpaper.errors import ChatPaperError, InvalidSourceError, ProviderError, StorageError
from chatpaper.models import (
    ConclusionStage,
    Digest,
    DigestFigure,
    Header,
    Paper,
    StageRecord,
    SummaryStage,
)
from chatpaper.paper_cache import folder_name, runs_dir
from chatpaper.pruning import PRUNE_GRACE_SECONDS, prune_cache
from chatpaper.reading import DownloadProgress, MetadataReady, PaperReady, ReadEvent, TextReady, iter_read
from chatpaper.render import markdown as md
from chatpaper.settings import Settings, load_settings
from chatpaper.sources.local import limit_text, read_pdf_file
from chatpaper.storage import ensure_dir, probe_writable, storage_error, zip_files
from chatpaper.ui import evidence as ui_evidence

if TYPE_CHECKING:  # gradio is heavy: `import chatpaper.ui` stays cheap until create_app()
    import gradio as gr

log = logging.getLogger(__name__)

LANGUAGES: list[tuple[str, str]] = [
    ("中文 (Chinese)", "zh"),
    ("English", "en"),
    ("日本語 (Japanese)", "ja"),
    ("한국어 (Korean)", "ko"),
    ("Français", "fr"),
    ("Deutsch", "de"),
    ("Español", "es"),
    ("Português", "pt"),
    ("Italiano", "it"),
    ("Русский", "ru"),
]
STANDARD_PROVIDERS = ["auto", "gemini", "openai", "local", "offline"]
# The five papers of the seed post (../shared/seed/sample-digest-post.md): they need network.
SEED_ARXIV_IDS = ["2405.15619", "2405.15234", "2405.15232", "2405.15217", "2405.14854"]
EXAMPLE_PDF = Path(__file__).resolve().parents[2] / "examples" / "chatpaper-example.pdf"
STAGE_TITLES = {"metadata": "Title and keywords", "summary": "Summary", "methods": "Methods",
                "conclusion": "Conclusion"}
ARXIV_BOX_MAX_LINES = 2  # an ID or a link fits; anything longer scrolls inside the box


def on_a_space() -> bool:
    """Hugging Face sets SPACE_ID in a Space: keys there are secrets, not environment variables one exports."""
    return bool(os.environ.get("SPACE_ID"))


def offline_notice(*, ran: bool, result: str = "digest") -> str:
    """Offline mode, worded for the moment (before any run, or under its result) and the place (Space or local)."""
    what = (f"No model wrote this {result}: it is extractive, sentences picked from the paper." if ran else
            "Without an API key, digests are extractive: sentences picked from the paper, not written by a model.")
    if on_a_space():
        how = ("For written summaries, add the Space secret `GEMINI_API_KEY` (Settings → Variables and secrets), "
               "or paste a key in the API key box.")
    else:
        how = ("For written summaries, start the app with `GEMINI_API_KEY` set in the environment "
               "(or `OPENAI_API_KEY`, or `CHATPAPER_OPENAI_BASE_URL` for a local server), "
               "or paste a key in the API key box.")
    return f"**Offline mode.** {what} {how}"


# The gallery is a column of figures at the column's full width, each with its whole caption under it
# (Gradio's grid crops every thumbnail to a square, captions to one line, and scrolls inside 55vh);
# a clicked figure opens over the whole window, not inside the column. The examples table wraps its cells,
# and the file name inside a cell (Gradio cuts it with an ellipsis), so it fits a phone's width (400 px).
CSS = """
#cp-status:empty { display: none; }
#cp-examples table { table-layout: fixed; width: 100%; }
#cp-examples th, #cp-examples td, #cp-examples td * { white-space: normal; overflow-wrap: anywhere;
  text-overflow: clip; overflow: visible; }
#cp-gallery .grid-wrap { max-height: none; min-height: 0; overflow-y: visible; padding-top: var(--size-10); }
#cp-gallery .grid-container { grid-template-rows: none; grid-auto-rows: auto; }
#cp-gallery .thumbnail-lg { aspect-ratio: auto; height: auto; display: flex; flex-direction: column;
  background: white; }
#cp-gallery .thumbnail-lg > img { height: auto; max-height: 75vh; object-fit: contain; }
#cp-gallery .thumbnail-lg .caption-label { position: static; max-width: none; white-space: normal;
  text-overflow: clip; opacity: 1; border: 0; border-top: 1px solid var(--border-color-primary); border-radius: 0;
  background: var(--background-fill-secondary); color: var(--body-text-color); }
#cp-gallery .preview { position: fixed; inset: 0; z-index: 1000; }
#cp-gallery .preview .media-button { flex: 1 1 auto; height: auto; min-height: 0; padding: var(--size-4); }
#cp-gallery .preview .caption { flex: none; white-space: normal; overflow: visible; max-width: 90%; }
#cp-gallery .preview .thumbnails { position: static; flex: none; justify-content: center; }
"""

ProgressFn = Callable[[float, str], None]


# --------------------------------------------------------------------------- formatting (pure)


# The digest's sections come from the one renderer (render/markdown.py), in the digest's language and
# with the page marks of the downloaded .md; the app adds only its own status lines.
format_stage = md.page_stage
escape_md = md.escape_md  # ui.ask and the status lines escape with it too


def format_header(header: Header, lang: str = "en") -> str:
    return md.page_header(header, lang)


def format_summary(stage: SummaryStage, lang: str = "en") -> str:
    return md.page_summary(stage, lang)


def format_conclusion(stage: ConclusionStage, lang: str = "en") -> str:
    return md.page_conclusion(stage, lang)


def failed_stages(digest: Digest) -> list[StageRecord]:
    return [r for r in digest.provenance.stages if r.status == "failed"]


def failure_sentence(records: list[StageRecord]) -> str:
    """Which sections failed, then the provider's own sentence on what to do (plain text)."""
    names = ", ".join(STAGE_TITLES.get(r.name, r.name).lower() for r in records)
    first = next((r.error for r in records if r.error), None)
    advice = first or "try again later or pick another provider."
    return f"The {names} section{'s' if len(records) > 1 else ''} could not be written: {advice}"


def all_figures(chosen: list[DigestFigure], paper: Paper | None) -> list[DigestFigure]:
    """The digest's chosen figures first, then the paper's others in its order: the gallery shows every one."""
    from chatpaper.chain.figures import as_digest_figure  # noqa: PLC0415

    shown = {f.image for f in chosen}
    rest = [as_digest_figure(f, "other") for f in (paper.figures if paper else []) if f.image not in shown]
    return list(chosen) + rest


def gallery_items(digest: Digest | list[DigestFigure], run_dir: Path, lang: str = "en") -> list[tuple[str, str]]:
    """(image path, caption) for each of the digest's figures whose PNG exists, in the digest's order; the
    captions are the downloaded .md's (render.markdown.figure_caption), in the digest's language (else LANG)."""
    items = []
    lang = digest.lang if isinstance(digest, Digest) else lang
    for fig in digest.figures if isinstance(digest, Digest) else digest:
        if not fig.image:
            continue
        path = (run_dir / fig.image).resolve()
        if path.is_file() and path.is_relative_to(run_dir.resolve()):
            items.append((str(path), md.figure_caption(fig, lang)))
    return items


def escape_toast(message: str) -> str:
    """A message for gr.Warning, which renders HTML: every character shows as itself."""
    return html.escape(message, quote=True)


def served_gallery(digest: Digest | list[DigestFigure], run_dir: Path, lang: str = "en") -> list[tuple[str, str]]:
    """gallery_items with each PNG replaced by its served copy (see serve_copy)."""
    return [(serve_copy(path), caption) for path, caption in gallery_items(digest, run_dir, lang)]


def redact(text: str, secret: str | None) -> str:
    """Belt and braces: a key never reaches the page, even if a library echoes it in a message."""
    if secret and len(secret) >= 6:
        return text.replace(secret, "••••")
    return text


class VisitorSlots:
    """A few slots for requests to endpoints visitors typed, taken without waiting.

    A hanging endpoint holds its request's worker until the read timeout; the app runs
    `max_visitor_endpoints` such requests beside its `max_concurrency` others (see create_app), so
    requests that need no model, or the operator's model, never queue behind them.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_use = 0

    def take(self, settings: Settings) -> VisitorSlots:
        with self._lock:
            if self.in_use >= settings.max_visitor_endpoints:
                raise ProviderError("The app is already waiting on as many visitors' own endpoints as it allows; "
                                    "try again in a minute or use the default provider.")
            self.in_use += 1
        return self

    def release(self) -> None:
        with self._lock:
            self.in_use = max(0, self.in_use - 1)


VISITOR_SLOTS = VisitorSlots()

# The cache is walked at most this often (after a request), so pruning costs requests nearly nothing.
PRUNE_INTERVAL_SECONDS = 60.0


class CachePruner:
    """Keeps the cache within cache_max_bytes / cache_max_age_days (chatpaper.pruning), after requests.

    Folders in use by a running request are held and never pruned; pruning runs in one thread at a
    time and at most once per PRUNE_INTERVAL_SECONDS.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: Counter[Path] = Counter()
        self._last = float("-inf")

    def hold(self, path: Path) -> None:
        with self._lock:
            self._held[path] += 1

    def release(self, path: Path) -> None:
        with self._lock:
            self._held[path] -= 1
            if self._held[path] <= 0:
                del self._held[path]

    def maybe_prune(self, settings: Settings, *, force: bool = False) -> None:
        with self._lock:
            if not force and time.monotonic() - self._last < PRUNE_INTERVAL_SECONDS:
                return
            self._last = time.monotonic()
            keep = list(self._held)
        try:
            prune_cache(settings.cache_dir, max_bytes=settings.cache_max_bytes,
                        max_age_days=settings.cache_max_age_days, keep=keep,
                        grace_seconds=0.0 if force else PRUNE_GRACE_SECONDS)
        except OSError as exc:  # pruning is housekeeping: a request never fails because of it
            log.warning("cache not pruned (%s)", exc.strerror or exc)


PRUNER = CachePruner()


def startup_notice(settings: Settings) -> str:
    """Shown before the first click: offline mode is visible, not a surprise (and said only when a run would be)."""
    from chatpaper.llm.registry import chosen_provider  # noqa: PLC0415

    try:
        offline = chosen_provider(settings.provider, settings=settings) == "offline"
    except ProviderError:  # a provider name nobody registered: the first run says so, in its own sentence
        offline = False
    return offline_notice(ran=False) if offline else ""


# --------------------------------------------------------------------------- files


def request_dir(settings: Settings) -> Path:
    """A folder of one request's own outputs (runs/requests/<uuid>): two requests never share a path."""
    return ensure_dir(runs_dir(settings) / "requests" / uuid.uuid4().hex)


def serve_copy(path: str | Path) -> str:
    """A copy of PATH in Gradio's file cache, the only folder the app serves from (uploads live there too).

    The copy's folder is a hash of its bytes keyed with the server's secret seed: a visitor can fetch
    only what a response handed them, never guess another's; Gradio deletes the copies after
    `served_max_age_hours` (delete_cache in create_app).
    """
    from gradio import processing_utils, utils  # noqa: PLC0415

    return processing_utils.save_file_to_cache(path, cache_dir=utils.get_upload_folder())


def check_upload(path: str | Path, settings: Settings) -> bytes:
    """The library's one PDF check (size, type, signature), the same as the CLI's, before the parser sees a byte."""
    return read_pdf_file(path, settings)


def zip_figures(run_dir: Path) -> Path | None:
    """figures.zip of the paper's figure PNGs, written atomically so concurrent requests never see half."""
    pngs = sorted((run_dir / "figures").glob("*.png"))
    if not pngs:
        return None
    target = run_dir / "figures.zip"
    if target.is_file() and target.stat().st_mtime >= max(p.stat().st_mtime for p in pngs):
        return target  # a repeat: the figures have not changed since they were zipped
    return zip_files(target, [(png, f"figures/{png.name}") for png in pngs], compress=False)


def write_downloads(digest: Digest, paper: Paper, run_dir: Path, out_dir: Path | None = None) -> list[Path]:
    """digest-<lang>-<provider>.md/.json in OUT_DIR (the request's own folder; default RUN_DIR), and
    the paper's figures.zip."""
    from chatpaper.render import write_digest  # noqa: PLC0415

    out_dir = out_dir or run_dir
    variant = folder_name(f"{digest.lang}-{digest.provenance.provider}-{digest.provenance.model or 'default'}")
    scratch = ensure_dir(out_dir / f".write-{uuid.uuid4().hex}")
    try:
        if (run_dir / "figures").is_dir():
            # The renderer links only figures it can see; the links stay valid after the move below.
            # Without symlinks (e.g. Windows without rights) figures become captions in the .md.
            with suppress(OSError):
                (scratch / "figures").symlink_to(run_dir / "figures", target_is_directory=True)

        out = []
        for path in write_digest(digest, scratch):
            if path.is_file():
                target = out_dir / f"{path.stem}-{variant}{path.suffix}"
                try:
                    os.replace(path, target)
                except OSError as exc:
                    raise storage_error(exc, out_dir) from exc
                out.append(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if zipped := zip_figures(run_dir):
        out.append(zipped)
    return out


# --------------------------------------------------------------------------- the summarize handler


@dataclass
class View:
    """Everything the Paper tab shows; one instance per streamed update."""

    status: str = ""
    header: str = ""
    sections: dict[str, str] = field(default_factory=lambda: dict.fromkeys(STAGES, ""))
    gallery: list[tuple[str, str]] = field(default_factory=list)
    downloads: list[str] = field(default_factory=list)
    error: str | None = None  # the plain sentence behind a ⚠️ status, for a toast
    final: bool = False  # the last update of a request: always sent in full (it is the API's result)
    evidence: ui_evidence.EvidenceSource | None = None  # the finished digest's points, for the evidence panel

    def as_outputs(self) -> tuple:
        return (self.status, self.header, *(self.sections[s] for s in STAGES), self.gallery, self.downloads,
                self.evidence)


def resolve_source(arxiv_text: str | None, upload: str | Path | None, settings: Settings
                   ) -> tuple[str | bytes, str | None]:
    """-> (source for the library's iter_read, upload filename). Bad input fails here, fast."""
    if upload:
        return check_upload(upload, settings), Path(upload).name
    text = (arxiv_text or "").strip()
    if not text:
        raise InvalidSourceError("Paste an arXiv ID or link (e.g. 2405.15619), or upload a PDF.")
    from chatpaper.sources.ids import parse_arxiv_id  # noqa: PLC0415

    parse_arxiv_id(text)
    return text, None


def source_note(arxiv_text: str | None, upload: str | Path | None) -> str:
    """Both an arXiv ID and an upload were given: say which one is read (the upload)."""
    if upload and (arxiv_text or "").strip():
        return (f"The uploaded PDF ({escape_md(Path(upload).name)}) is read; the arXiv box is ignored "
                "(clear the upload to read the arXiv paper).")
    return ""


def download_text(done: int, total: int | None) -> str:
    """ "Downloading the PDF, 1.2 of 3.4 MB" (or "1.2 MB so far" when the server gives no size)."""
    if total:
        return f"Downloading the PDF, {done / 1e6:.1f} of {total / 1e6:.1f} MB"
    return f"Downloading the PDF, {done / 1e6:.1f} MB so far"


def read_update(event: ReadEvent, lang: str) -> tuple[str | None, str]:
    """One event of the library's streamed read -> (the header to show, or None to keep it; the progress text)."""
    from chatpaper.chain import build_header, header_from_metadata  # noqa: PLC0415

    if isinstance(event, MetadataReady):  # arXiv's facts show while the PDF downloads and parses
        return format_header(header_from_metadata(event.metadata), lang), "Downloading the PDF"
    if isinstance(event, DownloadProgress):
        return None, download_text(event.done, event.total)
    if isinstance(event, TextReady):  # the header now; the figures follow when their PNGs are written
        return format_header(build_header(event.paper), lang), "Rendering the figures"
    return None, "Reading the paper"


def run_summary(
    arxiv_text: str | None,
    upload: str | Path | None,
    lang: str | None,
    provider_name: str | None,
    model: str | None,
    base_url: str | None,
    api_key: str | None,
    *,
    settings: Settings,
    progress: ProgressFn | None = None,
    arxiv=None,
) -> Iterator[View]:
    """Source -> Paper -> streamed Digest, as a series of Views. Errors become a status sentence."""
    progress = progress or (lambda fraction, desc: None)
    api_key = api_key.strip() or None if isinstance(api_key, str) else None
    view = View(status="⏳ Reading the paper…")
    started = time.perf_counter()
    slot: VisitorSlots | None = None
    held: Path | None = None
    try:
        # Every typed field is checked before it is used (one sentence each, never the value back).
        choice = fields.ModelChoice.checked(provider_name, model, base_url, api_key)
        arxiv_text, lang = fields.arxiv_text(arxiv_text), fields.language(lang)
        lang = lang or settings.lang
        source, filename = resolve_source(arxiv_text, upload, settings)
        first = "Looking up arXiv" if isinstance(source, str) else "Reading the paper"
        note = source_note(arxiv_text, upload)  # shown first and again with the result
        view = replace(view, status="\n\n".join(filter(None, [f"⏳ {first}…", note])))
        progress(0.0, first)
        yield view
        from chatpaper.chain import (  # noqa: PLC0415
            build_header,
            choose_figures,
            is_extractive,
            iter_digest,
        )

        if isinstance(source, str):
            from chatpaper.sources.arxiv import ArxivSource  # noqa: PLC0415

            arxiv = arxiv or ArxivSource(settings)  # the evidence panel crops from arXiv's cached PDF too

        def hold(folder: Path) -> None:  # pruning keeps away from the paper's folder until the request ends
            nonlocal held
            PRUNER.hold(folder)
            held = folder

        from chatpaper.pdf.pool import shared_pool  # noqa: PLC0415

        ready: PaperReady | None = None
        for step in iter_read(source, settings=settings, arxiv=arxiv, filename=filename, pool=shared_pool(settings),
                              on_folder=hold):
            if isinstance(step, PaperReady):
                ready = step
                continue
            header, text = read_update(step, lang)
            view = replace(view, header=header or view.header, status=f"⏳ {text}…")
            progress(0.0, text)
            yield view
        assert ready is not None  # iter_read ends with the paper, or raises
        paper, run_dir = ready.paper, ready.folder
        # The digest shows the same figures (choose_figures); they go out now, before a provider is built.
        view = replace(view, header=format_header(build_header(paper), lang),
                       gallery=served_gallery(all_figures(choose_figures(paper), paper), run_dir, lang),
                       status="⏳ Starting the model…")
        yield view
        # After the paper: building a provider may load a local model, and the header should not wait.
        if choice.own_endpoint(settings):
            slot = VISITOR_SLOTS.take(settings)  # a visitor's own endpoint: one of a few slots, or a sentence now
        provider = choice.build(settings)
        notice = offline_notice(ran=True) if is_extractive(provider) else ""
        done = 0
        # cache=None: the chain's digest cache under settings.cache_dir answers repeats at once.
        for event, digest in iter_digest(paper, provider=provider, lang=lang, settings=settings, cache=None):
            if event == "header":
                view = replace(view, header=format_header(digest.header, lang),
                               gallery=served_gallery(all_figures(digest.figures, paper), run_dir, lang),
                               sections={s: format_stage(digest, s) for s in STAGES})
            else:
                view = replace(view, sections={s: format_stage(digest, s) for s in STAGES})
            if event == "done":
                out_dir = request_dir(settings)
                try:  # the request's files are copied into Gradio's cache; the originals go at once
                    view.downloads = [serve_copy(p) for p in write_downloads(digest, paper, run_dir, out_dir)]
                finally:
                    shutil.rmtree(out_dir, ignore_errors=True)
                view.evidence = ui_evidence.evidence_source(
                    digest, paper, run_dir, ui_evidence.keep_pdf(run_dir, paper, source, arxiv))
                failures = failed_stages(digest)
                seconds = time.perf_counter() - started
                if failures:
                    view.error = redact(failure_sentence(failures), api_key)
                view.status = "\n\n".join(filter(None, [
                    f"⚠️ {escape_md(view.error)}" if failures else f"✅ Done in {seconds:.1f} s.",
                    escape_md(not_distinct_notice(digest) or ""), note, notice]))
                view.final = True
                progress(1.0, "Done")
            else:
                done += event in STAGES
                label = "Header and figures" if event == "header" else STAGE_TITLES.get(event, event)
                view.status = "\n\n".join(filter(None, [f"⏳ {label} ready; writing the rest…", notice]))
                progress(done / len(STAGES), f"{label} ready")
            yield view
    except ChatPaperError as exc:
        # Partial output stays on the page; only the status changes.
        message = redact(str(exc), api_key)
        yield replace(view, status=f"⚠️ {escape_md(message)}", error=message, final=True)
    except Exception:
        log.exception("unexpected error in the summarize handler")  # the traceback goes to the log only
        message = "Something unexpected went wrong; please try again, or pick another provider."
        yield replace(view, status=f"⚠️ {message}", error=message, final=True)
    finally:
        if slot is not None:
            slot.release()
        if held is not None:
            PRUNER.release(held)
        PRUNER.maybe_prune(settings)


# --------------------------------------------------------------------------- the app


def provider_choices() -> list[str]:
    """The five standard providers first, then any others registered (tests register a fake one)."""
    try:
        from chatpaper.llm.registry import available_providers  # noqa: PLC0415

        extra = [p for p in available_providers() if p not in STANDARD_PROVIDERS]
    except ImportError:
        extra = []
    return STANDARD_PROVIDERS + extra


def usable_settings(settings: Settings) -> tuple[Settings, str | None]:
    """The settings the app runs with, and a notice if they had to change: a cache folder that cannot be
    written is swapped for a temporary one, so the app still starts (and says what that costs)."""
    try:
        probe_writable(runs_dir(settings))
        return settings, None
    except StorageError as exc:
        fallback = Path(tempfile.mkdtemp(prefix="chatpaper-cache-"))
        log.warning("%s The app uses %s instead until it restarts.", exc, fallback)
        said = f"The cache folder {settings.cache_dir} is not writable; set CHATPAPER_CACHE_DIR to a writable folder."
        note = (f"⚠️ {escape_md(said)} Until then this app keeps its cache in a temporary folder, so parsed "
                "papers, digests and downloads are lost when it restarts.")
        settings = settings.model_copy(update={"cache_dir": fallback})
        ensure_dir(runs_dir(settings))
        return settings, note


def create_app(settings: Settings | None = None) -> gr.Blocks:
    """Build the Blocks (not launched). `launch(app)` serves it with the queue and file limits.

    Without `settings`, they are read from CHATPAPER_* (a bad variable is one ChatPaperError sentence).
    """
    import gradio as gr  # noqa: PLC0415

    settings, cache_note = usable_settings(settings or load_settings({}))
    PRUNER.maybe_prune(settings)  # at start: a cache left over a limit lowered since shrinks now

    def summarize(arxiv_text, upload, lang, provider_name, model, base_url, api_key,
                  progress=gr.Progress()):  # noqa: B008 - Gradio injects the tracker through this default
        sent: tuple | None = None
        for view in run_summary(arxiv_text, upload, lang, provider_name, model, base_url, api_key,
                                settings=settings, progress=lambda f, d: progress(f, desc=d)):
            if view.error:
                gr.Warning(escape_toast(view.error))
            outputs = view.as_outputs()
            # Unchanged outputs are skipped mid-stream: Gradio would re-copy every figure on each update.
            yield outputs if view.final or sent is None else tuple(
                gr.skip() if new == old else new for new, old in zip(outputs, sent, strict=True))
            sent = outputs

    markdown: dict[str, Any] = dict(sanitize_html=True, latex_delimiters=[])
    # delete_cache: Gradio's copies of figures, downloads and posts handed to visitors (serve_copy)
    # are deleted once older than served_max_age_hours; at most an hour late.
    served_age = int(settings.served_max_age_hours * 3600)
    with gr.Blocks(title="ChatPaper", analytics_enabled=False,
                   delete_cache=(min(3600, served_age), served_age)) as app:
        gr.Markdown("# ChatPaper\nA faithful, structured digest of a research paper, beside its own figures.")
        with gr.Tab("Paper"):
            with gr.Row():
                with gr.Column(scale=3):
                    # max_lines: a long paste scrolls inside the box instead of pushing Summarize off screen.
                    arxiv_box = gr.Textbox(label="arXiv ID or link", placeholder="2405.15619 or https://arxiv.org/abs/2405.15619",
                                           lines=1, max_lines=ARXIV_BOX_MAX_LINES, elem_id="cp-arxiv")
                    upload = gr.File(label=f"…or upload a PDF (up to {limit_text(settings.max_pdf_bytes)})",
                                     file_types=[".pdf"], type="filepath", elem_id="cp-upload")
                with gr.Column(scale=2):
                    lang = gr.Dropdown(LANGUAGES, value=settings.lang, label="Output language",
                                       allow_custom_value=True, elem_id="cp-lang")
                    provider = gr.Dropdown(provider_choices(), value=settings.provider, label="Provider",
                                           elem_id="cp-provider")
                    model = gr.Textbox(label="Model", value=settings.model or "",
                                       placeholder="the provider's default", elem_id="cp-model")
                    api_key = gr.Textbox(label="API key (used for this request only, never stored)",
                                         type="password", elem_id="cp-key")
                    with gr.Accordion("Advanced", open=False):
                        # Empty by default: the operator's own endpoint (if any) is used but never shown.
                        base_url = gr.Textbox(label="Your OpenAI-compatible endpoint (public https only)",
                                              placeholder="https://api.openai.com/v1", elem_id="cp-base-url",
                                              max_length=fields.BASE_URL_MAX)
            button = gr.Button("Summarize", variant="primary", elem_id="cp-go")
            status = gr.Markdown("\n\n".join(filter(None, [cache_note, startup_notice(settings)])),
                                 elem_id="cp-status", **markdown)
            with gr.Row(equal_height=False):
                with gr.Column(scale=1):
                    header = gr.Markdown(elem_id="cp-header", **markdown)
                    sections = [gr.Markdown(elem_id=f"cp-{name}", **markdown) for name in STAGES]
                    downloads = gr.File(label="Downloads: digest Markdown, JSON and figures", file_count="multiple",
                                        interactive=False, elem_id="cp-downloads")
                    evidence = ui_evidence.evidence_panel(gr, app)  # the points' quotes and pages, on demand
                with gr.Column(scale=1):
                    # height="auto" and CSS (see CSS above): every figure at full width, no inner scrolling.
                    gallery = gr.Gallery(label="Figures: the digest's picks first, then all the paper's others "
                                               "(click one to enlarge; the zip below holds them all)",
                                         columns=1, height="auto",
                                         object_fit="contain", allow_preview=True, preview=False,
                                         elem_id="cp-gallery", buttons=["download", "fullscreen"])
            examples = [[pid, None] for pid in SEED_ARXIV_IDS]
            if EXAMPLE_PDF.is_file():
                examples.append([None, str(EXAMPLE_PDF)])
            gr.Examples(examples, inputs=[arxiv_box, upload], cache_examples=False, elem_id="cp-examples",
                        label="Examples (the arXiv ones need network; the PDF works offline)")
            inputs = [arxiv_box, upload, lang, provider, model, base_url, api_key]
            outputs = [status, header, *sections, gallery, downloads, evidence]
            # One concurrency group for both triggers, wide enough that the few requests waiting on
            # visitors' endpoints (VisitorSlots) never take the places of the others.
            lanes: dict[str, Any] = dict(concurrency_id="summarize",
                         concurrency_limit=settings.max_concurrency + settings.max_visitor_endpoints)
            button.click(summarize, inputs, outputs, api_name="summarize", **lanes)
            arxiv_box.submit(summarize, inputs, outputs, api_visibility="private", **lanes)
            from chatpaper.ui.ask import ask_chat  # noqa: PLC0415 - the chat under the digest: chatpaper/ui/ask.py

            ask_chat(gr, settings, arxiv_box=arxiv_box, upload=upload, lang=lang, provider=provider, model=model,
                     base_url=base_url, api_key=api_key)
        _daily_digest_tab(gr, settings)
    app.queue(default_concurrency_limit=settings.max_concurrency, max_size=settings.max_queue)
    app.chatpaper_settings = settings  # launch() reads the limits the app was built with
    return app


# The only HTML the post writer emits (render/post.py figures_block), with its text already escaped.
_POST_FIGURE_HTML = re.compile(r'^(?:<details>|</details>|\s*<summary>[^<>]*</summary>|<p><em>[^<>]*</em></p>|'
                               r'<img src="[^"<>]*" alt="[^"<>]*" align="middle">)$')
_POST_IMG_SRC = re.compile(r'^<img src="([^"<>]*)"')
_UNSAFE_LINK = re.compile(r"\]\(\s*(?!https?://|mailto:)([a-z][a-z0-9+.-]*:)", re.IGNORECASE)  # [x](javascript:…)


def file_url(path: Path) -> str:
    """The URL Gradio serves a file under allowed_paths at, relative so it works under a proxy prefix too."""
    from urllib.parse import quote  # noqa: PLC0415

    return "gradio_api/file=" + quote(str(path), safe="/")


def post_for_display(markdown: str, post_dir: Path | None) -> str:
    """The post as the app renders it: only our own figures are images, and nothing else is HTML.

    The post on disk and in the zip keeps its relative image paths; only this view changes. The front
    matter is shown as a code block (a Markdown renderer would make headings of it), and every line
    other than the figure blocks the post writer emits has its `<` escaped, Markdown images
    broken (a viewer's browser would fetch them from a host the paper chose) and links other than
    http(s) and mailto broken, so HTML in a paper or a model's reply shows as text. A figure line
    whose file is not one we extracted into POST_DIR is left out; the rest point at served copies.
    """
    lines = markdown.splitlines()
    out: list[str] = []
    if lines and lines[0] == "---" and "---" in lines[1:]:
        end = lines.index("---", 1)
        out += ["```yaml", *lines[1:end], "```"]  # YAML lines start with a key or "    - ": none closes the fence
        lines = lines[end + 1:]
    root = post_dir.resolve() if post_dir else None
    for line in lines:
        if not _POST_FIGURE_HTML.match(line):
            # `&` stays: the post writer already escaped what the paper, model or arXiv wrote
            # (render.post.escape_text), so its entities show as the characters they stand for.
            text = line.replace("<", "&lt;").replace("![", "!\\[")
            out.append(_UNSAFE_LINK.sub(r"]\\(\1", text))
            continue
        src = _POST_IMG_SRC.match(line)
        if src:
            target = (root / html.unescape(src.group(1))).resolve() if root is not None else None
            if root is None or target is None or not (target.is_file() and target.is_relative_to(root)):
                continue  # not a file we extracted: no image at all
            line = line.replace(src.group(1), html.escape(file_url(Path(serve_copy(target)))), 1)
        out.append(line)
    return "\n".join(out)


# A post of uploaded PDFs has at most this many papers: each one is parsed and digested in this request.
MAX_DAILY_UPLOADS = 10


def stage_uploads(uploads: list[str | Path], settings: Settings) -> Path:
    """Checked copies of the uploaded PDFs in a fresh folder outside the served runs/ (deleted after the run)."""
    if len(uploads) > MAX_DAILY_UPLOADS:
        raise InvalidSourceError(f"{len(uploads)} PDFs were uploaded; a post takes up to {MAX_DAILY_UPLOADS}, "
                                 "so upload fewer at a time.")
    folder = settings.cache_dir / "uploads" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    names: set[str] = set()
    for upload in uploads:
        data = check_upload(upload, settings)
        name = folder_name(Path(upload).stem) + ".pdf"
        while name in names:  # two uploads of the same name are two papers
            name = f"{Path(name).stem}-{len(names)}.pdf"
        names.add(name)
        (folder / name).write_bytes(data)
    return folder


def run_daily(
    topic: str | None,
    days: float | None,
    max_papers: float | None,
    lang: str | None,
    provider_name: str | None,
    api_key: str | None,
    uploads: list[str | Path] | None = None,
    *,
    settings: Settings,
    arxiv=None,
) -> Iterator[tuple[str, str, str, str | None]]:
    """A topic's new arXiv papers, or the uploaded PDFs, -> the blog post, streamed as
    (status, post for display, post markdown, zip)."""
    from chatpaper.batch import DigestRequest, iter_run, zip_post  # noqa: PLC0415

    api_key = api_key.strip() or None if isinstance(api_key, str) else None
    uploads = [u for u in uploads or [] if u]
    markdown, post_dir, staged = "", None, None
    out_root: Path | None = None

    def update(status: str, zipped: str | None = None) -> tuple[str, str, str, str | None]:
        return status, post_for_display(markdown, post_dir), markdown, zipped

    try:
        api_key = fields.api_key(api_key)
        topic, lang, provider_name = fields.topic(topic) or "", fields.language(lang), fields.provider(provider_name)
        if not topic and not uploads:
            raise InvalidSourceError('Type a topic to search arXiv for, e.g. "Diffusion Models", or upload PDFs.')
        days, max_papers = fields.whole_number(days, "number of days", 1, 14), \
            fields.whole_number(max_papers, "number of papers", 1, 20)
        from chatpaper.chain import is_extractive  # noqa: PLC0415
        from chatpaper.llm.registry import get_provider  # noqa: PLC0415

        provider = get_provider(provider_name or settings.provider, settings=settings, api_key=api_key, visitor=True)
        notice = offline_notice(ran=True, result="post") if is_extractive(provider) else ""
        out_root = runs_dir(settings) / "posts" / uuid.uuid4().hex
        common: dict[str, Any] = dict(lang=lang or settings.lang, workers=max(1, settings.max_concurrency), out=out_root)
        if uploads:  # the uploads are the papers; a topic only titles the post
            staged = stage_uploads(uploads, settings)
            request = DigestRequest(pdf_dir=staged, topic=topic or None, **common)
            yield update(f"⏳ Reading {len(uploads)} uploaded PDF(s)…")
        else:
            request = DigestRequest(query=topic, days=days or 1, max_results=max_papers or 5, **common)
            yield update("⏳ Searching arXiv…")
        run = None
        from chatpaper.pdf.pool import shared_pool  # noqa: PLC0415

        for run in iter_run(request, settings=settings, provider=provider, arxiv=arxiv,
                            parse_pool=shared_pool(settings)):
            markdown, post_dir = run.markdown, run.post_dir
            if not run.total and not run.failures:
                yield update(f"No new papers on “{escape_md(topic)}” in the last {request.days} day(s); "
                             "widen the window.")
                return
            if not run.finished:
                yield update(f"⏳ {run.done} of {run.total} papers done…")
        assert run is not None  # iter_run always yields at least once
        if not run.written:  # nothing to post: say why, with the first reason, and offer no empty zip
            reason = f" {run.failures[0].reason}" if run.failures else ""
            message = f"No post written: none of the {run.total + run.unresolved} papers could be digested.{reason}"
            yield update(f"⚠️ {escape_md(redact(message, api_key))}")
            return
        failed = f" {len(run.failures)} could not be digested (see the end of the post)." if run.failures else ""
        status = f"✅ {run.written} of {run.total} papers in the post.{failed}"
        yield update("\n\n".join(filter(None, [status, notice])), serve_copy(zip_post(run.post_dir)))
    except ChatPaperError as exc:
        yield update(f"⚠️ {escape_md(redact(str(exc), api_key))}")
    except Exception:
        log.exception("unexpected error in the daily digest handler")  # the traceback goes to the log only
        yield update("⚠️ Something unexpected went wrong; please try again later.")
    finally:
        if staged is not None:
            shutil.rmtree(staged, ignore_errors=True)
        # The visitor has served copies of the images and the zip; the run's own folder goes (digests
        # stay cached, so a repeat is quick). Nothing under runs/posts grows from request to request.
        if out_root is not None:
            shutil.rmtree(out_root, ignore_errors=True)
        PRUNER.maybe_prune(settings)


_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|~$])")


def toast_text(status: str) -> str | None:
    """The sentence of a ⚠️ status for a toast, None for other statuses: Markdown escapes undone, then
    HTML-escaped, because Gradio renders a toast's text as HTML and the sentence may quote a visitor's input."""
    if not status.startswith("⚠️"):
        return None
    plain = html.unescape(_MD_ESCAPE.sub(r"\1", status.removeprefix("⚠️").strip().split("\n\n")[0]))
    return html.escape(plain, quote=False)


def _daily_digest_tab(gr, settings: Settings) -> None:
    """The issue-5 tab: a topic's new papers (or uploaded PDFs) -> one blog post, filled in as papers finish."""

    def daily(topic, days, max_papers, lang, provider_name, api_key, uploads=None):
        for update in run_daily(topic, days, max_papers, lang, provider_name, api_key, uploads, settings=settings):
            if message := toast_text(update[0]):
                gr.Warning(message)
            yield update

    with gr.Tab("Daily digest"):
        gr.Markdown("Search arXiv for a topic's newest papers, or upload several PDFs, and get one blog post "
                    "(Hexo front matter) with a digest of each. The search needs network; uploads work offline.")
        with gr.Row():
            topic = gr.Textbox(label="Topic (with uploads: the post's title)", placeholder="Diffusion Models",
                               scale=3, max_lines=ARXIV_BOX_MAX_LINES, elem_id="cp-daily-topic")
            days = gr.Slider(1, 14, value=1, step=1, label="Days", scale=1)
            max_papers = gr.Slider(1, 20, value=5, step=1, label="Max papers", scale=1)
        uploads = gr.File(label=f"…or upload up to {MAX_DAILY_UPLOADS} PDFs (the post digests these instead)",
                          file_count="multiple", file_types=[".pdf"], type="filepath", elem_id="cp-daily-upload")
        with gr.Row():
            lang = gr.Dropdown(LANGUAGES, value=settings.lang, label="Output language", allow_custom_value=True)
            provider = gr.Dropdown(provider_choices(), value=settings.provider, label="Provider", elem_id="cp-daily-provider")
            api_key = gr.Textbox(label="API key (this request only, never stored)", type="password")
        button = gr.Button("Write the post", variant="primary", elem_id="cp-daily-go")
        status = gr.Markdown(startup_notice(settings), elem_id="cp-daily-status", sanitize_html=True,
                             latex_delimiters=[])
        download = gr.File(label="Post and images (.zip, image links relative to the post)", interactive=False)
        with gr.Tab("Post"):  # images served by the app; the Markdown and the zip keep relative paths
            preview = gr.Markdown(elem_id="cp-daily-preview", sanitize_html=True, latex_delimiters=[])
        with gr.Tab("Markdown"):
            post = gr.Code(label="Post (Markdown)", language="markdown", interactive=False, elem_id="cp-daily-post")
        button.click(daily, [topic, days, max_papers, lang, provider, api_key, uploads],
                     [status, preview, post, download], api_name="daily_digest")


def launch(app: gr.Blocks, settings: Settings | None = None, **kwargs: Any):
    """Serve APP: GRADIO_SERVER_NAME/PORT honoured, queue and upload limits from settings, only runs/ served."""
    import gradio as gr  # noqa: PLC0415

    settings = settings or getattr(app, "chatpaper_settings", None) or Settings()
    ensure_dir(runs_dir(settings))  # the queue limits were set by create_app
    port = os.environ.get("GRADIO_SERVER_PORT")
    options: dict[str, Any] = {
        "server_name": os.environ.get("GRADIO_SERVER_NAME"),
        "server_port": int(port) if port else None,
        "max_file_size": settings.max_pdf_bytes,
        # Nothing of the cache is served: responses hand out copies in Gradio's own cache (serve_copy).
        "allowed_paths": [str(EXAMPLE_PDF)] if EXAMPLE_PDF.is_file() else [],
        "css": CSS + ui_evidence.CSS,
        "theme": gr.themes.Soft(),
        "footer_links": ["api", "gradio"],
        "run_history": False,  # run history would keep each request's inputs, the API key among them
    }
    options.update(kwargs)
    return app.launch(**options)
