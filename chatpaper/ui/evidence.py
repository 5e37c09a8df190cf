"""The app's evidence panel: every point with its mark and pages; opening one shows its quotes and
the page, cropped and highlighted (chatpaper.evidence.crops), rendered when it is opened.

The panel only maps library results to HTML: the quotes and their status are the digest's own
`Evidence` objects; the crop is `crops.evidence_crop`, cached per paper in the paper's run folder
(never served as it is). A visitor gets a copy made for their session by `ui.serve_copy`, under a
name keyed with the session, and the copies go when the session ends (SESSION_CROPS.forget), so
another visitor neither receives nor can guess the URL. Every text from the paper or a model is
HTML-escaped here (the panel is a gr.HTML, which renders what it is given).
"""
# No `from __future__ import annotations`: Gradio reads the handlers' gr.Request / gr.EventData
# annotations as objects (a string naming a local `gr` would not resolve, and nothing would be injected).
import contextlib
import hashlib
import hmac
import html
import logging
import secrets
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

# the stages whose points the panel lists, in reading order; their titles and the points' labels are the
# digest's own (render.markdown: page_stage_title, field_label), as in the sections above the panel
from chatpaper.chain.prompts import STAGES
from chatpaper.errors import ChatPaperError
from chatpaper.models import Digest, Evidence, Paper, Point
from chatpaper.storage import write_atomic

log = logging.getLogger(__name__)

# A session keeps at most this many crop copies (a digest has ~30 points of 1-2 quotes: two digests'
# worth); the oldest copy is deleted first.
MAX_SESSION_CROPS = 128
# Quotes are sentences; one far longer is cut for display (the crop shows the page itself).
MAX_QUOTE_CHARS = 400
STATUS_TEXT = {"verified": "✓ Found on the cited page", "relocated": "✓ Found on another page (the page is corrected)",
               "unverified": "⚠ Not found in the paper: read this point with care"}
LANGUAGE_NAMES = {"en": "English", "zh": "中文", "ja": "日本語", "ko": "한국어", "fr": "Français", "de": "Deutsch",
                  "es": "Español", "pt": "Português", "it": "Italiano", "ru": "Русский"}

# Opening a <details> asks the server for its crops once (the toggle event does not bubble: captured).
# The ids of the points open now go along, so the re-rendered panel keeps them open.
OPEN_JS = """
element.addEventListener('toggle', (event) => {
  const box = event.target;
  if (!(box instanceof HTMLDetailsElement) || !box.open || !box.dataset.point || box.dataset.shown) return;
  box.dataset.shown = 'asked';
  const open = [...element.querySelectorAll('details[data-point][open]')].map((d) => d.dataset.point);
  trigger('click', {point: box.dataset.point, open: open});
}, true);
"""
CSS = """
#cp-evidence details { border-top: 1px solid var(--border-color-primary); padding: 0.35em 0; }
#cp-evidence summary { cursor: pointer; }
#cp-evidence .cp-pair { display: grid; grid-template-columns: 1fr 1fr; gap: 0.75em; margin: 0.5em 0; }
#cp-evidence .cp-pair > div, #cp-evidence blockquote { background: var(--background-fill-secondary);
  padding: 0.4em 0.6em; border-radius: 4px; margin: 0.5em 0; }
#cp-evidence img.cp-crop { display: block; width: 100%; height: auto; border: 1px solid var(--border-color-primary); }
#cp-evidence .cp-status { font-size: 0.9em; opacity: 0.85; }
"""


def esc(text: str) -> str:
    """Paper or model text as HTML that shows exactly that text (template characters included)."""
    return (html.escape(" ".join(text.split()), quote=True)
            .replace("{", "&#123;").replace("}", "&#125;").replace("$", "&#36;").replace("`", "&#96;"))


@dataclass(frozen=True)
class PanelPoint:
    """One point of the digest as the panel lists it."""

    ident: str  # "summary.key_takeaways.2": stable across re-renders, sent back when opened
    stage: str
    label: str
    point: Point


@dataclass(frozen=True)
class EvidenceSource:
    """What the panel needs of one finished digest (a session's gr.State)."""

    points: tuple[PanelPoint, ...]
    pdf: Path | None  # the paper's PDF, where its pages are cropped from
    crops: Path  # the paper's crop folder (in its run folder; never served as it is)
    paper_lang: str
    digest_lang: str
    footer: str  # "27 of 29 points verified against the paper"
    digest_key: str  # a digest of the points: Gradio hashes a State to see that it changed

    def __hash__(self) -> int:  # the Points inside are pydantic models, which do not hash
        return hash((self.digest_key, self.pdf, self.crops))

    def find(self, ident: str) -> PanelPoint | None:
        return next((p for p in self.points if p.ident == ident), None)


def digest_points(digest: Digest) -> list[PanelPoint]:
    """Every point of the digest's stages, in reading order, with a label a reader understands."""
    out: list[PanelPoint] = []
    from chatpaper.render.markdown import field_label

    for stage in STAGES:
        result = getattr(digest, stage)
        if not isinstance(result, BaseModel):
            continue
        for name, value in result:
            items = [value] if isinstance(value, Point) else value if isinstance(value, list) else []
            for i, point in enumerate(items):
                if isinstance(point, Point):
                    title = field_label(stage, name, digest.lang)
                    label = f"{title} {i + 1}" if isinstance(value, list) else title
                    out.append(PanelPoint(f"{stage}.{name}.{i}", stage, label, point))
    return out


def keep_pdf(run_dir: Path, paper: Paper, source: str | bytes, arxiv: Any = None) -> Path | None:
    """The PDF the panel crops: an upload's bytes kept in its run folder, or arXiv's cached copy."""
    if isinstance(source, bytes):
        target = run_dir / "source.pdf"
        if not target.is_file():
            write_atomic(target, source)
        return target
    if arxiv is not None and paper.source.arxiv_id:
        path = arxiv.cache.get_pdf(paper.source.arxiv_id, paper.source.version)
        return Path(path) if path else None
    return None


def evidence_source(digest: Digest, paper: Paper, run_dir: Path, pdf: Path | None) -> EvidenceSource:
    from chatpaper.chain.prompts import base_lang
    from chatpaper.render.markdown import verified_footer

    points = tuple(digest_points(digest))
    key = hashlib.sha256("\n".join(p.ident + p.point.model_dump_json() for p in points).encode()).hexdigest()
    return EvidenceSource(points, pdf, run_dir / "evidence", base_lang(paper.language), base_lang(digest.lang),
                          verified_footer(digest), key)


# --------------------------------------------------------------------------- a session's crop copies


class SessionCrops:
    """The crop copies handed to each session: made with ui.serve_copy, named with a key of the session
    (so two sessions never share a URL), at most MAX_SESSION_CROPS each, deleted when the session ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._served: dict[str, OrderedDict[str, Path]] = {}
        self._secret = secrets.token_bytes(32)  # per process: names cannot be worked out from a session id

    def served(self, session: str, crop: Path) -> str | None:
        with self._lock:
            copies = self._served.get(session)
            path = copies.get(crop.name) if copies else None
        return str(path) if path is not None and path.is_file() else None

    def serve(self, session: str, crop: Path) -> str:
        """A copy of the cached CROP for SESSION (the same one again when it was served before)."""
        if (known := self.served(session, crop)) is not None:
            return known
        from chatpaper.ui import serve_copy

        key = hmac.new(self._secret, f"{session}\0{crop.name}".encode(), hashlib.sha256).hexdigest()[:24]
        staging = Path(tempfile.mkdtemp(prefix="chatpaper-crop-"))
        try:
            named = staging / f"evidence-{key}.png"
            shutil.copyfile(crop, named)
            path = Path(serve_copy(named))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        evicted: list[Path] = []
        with self._lock:
            copies = self._served.setdefault(session, OrderedDict())
            copies[crop.name] = path
            while len(copies) > MAX_SESSION_CROPS:
                evicted.append(copies.popitem(last=False)[1])
        for old in evicted:
            _remove(old)
        return str(path)

    def forget(self, session: str) -> int:
        """Delete SESSION's copies (the session ended); returns how many."""
        with self._lock:
            copies = self._served.pop(session, OrderedDict())
        for path in copies.values():
            _remove(path)
        return len(copies)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # the copy's own hash folder, when no other session's copy is in it
        path.parent.rmdir()


SESSION_CROPS = SessionCrops()


# --------------------------------------------------------------------------- the panel's HTML (pure)


def crop_url(path: str) -> str:
    from chatpaper.ui import file_url

    return file_url(Path(path))


def _quote_html(source: EvidenceSource, item: PanelPoint, evidence: Evidence) -> str:
    quote = evidence.quote if len(evidence.quote) <= MAX_QUOTE_CHARS else evidence.quote[:MAX_QUOTE_CHARS] + "…"
    status = f'<div class="cp-status">{esc(STATUS_TEXT[evidence.status])}, p. {evidence.page}</div>'
    if source.paper_lang != source.digest_lang:  # the paper's sentence beside the translated point
        names = [LANGUAGE_NAMES.get(lang, lang) for lang in (source.digest_lang, source.paper_lang)]
        return (f'{status}<div class="cp-pair"><div><small>{esc(names[0])}</small><br>{esc(item.point.text)}</div>'
                f'<div lang="{esc(source.paper_lang)}"><small>{esc(names[1])} (p. {evidence.page})</small><br>'
                f'“{esc(quote)}”</div></div>')
    return f'{status}<blockquote lang="{esc(source.paper_lang)}">“{esc(quote)}”</blockquote>'


def point_html(source: EvidenceSource, item: PanelPoint, *, opened: bool, crops: dict[str, str],
               note: str = "") -> str:
    from chatpaper.render.markdown import evidence_mark

    point = item.point
    pages = f" (p. {', '.join(map(str, point.pages))})" if point.pages else ""
    parts = [(f'<summary><span class="cp-mark">{evidence_mark(point)}</span> <b>{esc(item.label)}</b>{pages}: '
             f"{esc(point.text)}</summary>")]
    if not point.evidence:
        parts.append('<div class="cp-status">⚠ This point quotes nothing from the paper.</div>')
    done = opened and (not point.evidence or any(e.quote in crops for e in point.evidence) or bool(note))
    for evidence in point.evidence[:2]:
        parts.append(_quote_html(source, item, evidence))
        if evidence.quote in crops:
            parts.append(f'<img class="cp-crop" src="{esc(crop_url(crops[evidence.quote]))}" '
                         f'alt="Page {evidence.page} of the paper, the quote highlighted">')
        elif evidence.status != "unverified" and not done:
            parts.append('<div class="cp-status cp-pending">Opening shows the page, the quote highlighted…</div>')
    if note:
        parts.append(f'<div class="cp-status">⚠ {esc(note)}</div>')
    attrs = f' data-point="{esc(item.ident)}"' + (" open" if opened else "") + (' data-shown="yes"' if done else "")
    return f"<details{attrs}>{''.join(parts)}</details>"


def panel_html(source: EvidenceSource | None, *, opened: frozenset[str] = frozenset(),
               crops: dict[str, dict[str, str]] | None = None, notes: dict[str, str] | None = None) -> str:
    """The whole panel: a heading with the verified share, then each stage's points."""
    if source is None or not source.points:
        return ""
    crops, notes = crops or {}, notes or {}
    out = [(f"<h3>Evidence</h3><p>{esc(source.footer or 'The points and the sentences they rest on')}. "
           "Open a point to see its quote and the page it is printed on.</p>")]
    from chatpaper.render.markdown import page_stage_title

    for stage in STAGES:
        items = [p for p in source.points if p.stage == stage]
        if items:
            out.append(f"<h4>{esc(page_stage_title(stage, source.digest_lang))}</h4>")
            out += [point_html(source, p, opened=p.ident in opened, crops=crops.get(p.ident, {}),
                               note=notes.get(p.ident, "")) for p in items]
    return "\n".join(out)


# --------------------------------------------------------------------------- handlers


def served_crops(source: EvidenceSource, item: PanelPoint, session: str, *, render: bool) -> tuple[dict[str, str], str]:
    """quote -> served copy of its crop, for ITEM's found quotes; and a sentence if a crop failed.

    With render=False only crops this session already holds are given (nothing is rendered)."""
    from chatpaper.evidence.crops import crop_name, evidence_crop

    out: dict[str, str] = {}
    for evidence in item.point.evidence[:2]:
        if evidence.status == "unverified":
            continue
        if not render:
            if known := SESSION_CROPS.served(session, source.crops / crop_name(evidence)):
                out[evidence.quote] = known
            continue
        if source.pdf is None or not source.pdf.is_file():
            return out, "The paper's PDF is no longer in the cache; summarize the paper again to see its pages."
        try:
            out[evidence.quote] = SESSION_CROPS.serve(session, evidence_crop(source.pdf, evidence, folder=source.crops))
        except ChatPaperError as exc:
            return out, str(exc)
    return out, ""


def open_point(source: EvidenceSource | None, ident: str, open_ids: list[str] | None, session: str) -> str:
    """The panel after the visitor opened point IDENT: its crops rendered (or reused) and served to SESSION."""
    if source is None:
        return ""
    opened = frozenset(i for i in (open_ids or []) if source.find(i)) | {ident}
    crops: dict[str, dict[str, str]] = {}
    notes: dict[str, str] = {}
    for other in opened:
        item = source.find(other)
        if item is None:
            continue
        crops[other], note = served_crops(source, item, session, render=other == ident)
        if note:
            notes[other] = note
    return panel_html(source, opened=opened, crops=crops, notes=notes)


def evidence_panel(gr: Any, app: Any) -> Any:
    """The panel (a gr.HTML) in the current Blocks context, wired to open points; returns the gr.State
    the summarize handler fills with an EvidenceSource when a digest is done."""
    state = gr.State(None)
    panel = gr.HTML("", elem_id="cp-evidence", js_on_load=OPEN_JS, css_template="")

    def on_open(source: EvidenceSource | None, evt: gr.EventData, request: gr.Request) -> Any:
        data = getattr(evt, "_data", None) or {}
        ident = data.get("point") if isinstance(data, dict) else None
        if source is None or not isinstance(ident, str) or source.find(ident) is None:
            return gr.skip()
        open_ids = data.get("open")
        open_ids = [i for i in open_ids if isinstance(i, str)][:200] if isinstance(open_ids, list) else []
        try:
            return open_point(source, ident, open_ids, request.session_hash or "")
        except Exception:
            log.exception("unexpected error while opening a point's evidence")
            return gr.skip()

    state.change(panel_html, state, panel, api_visibility="private", show_progress="hidden")
    panel.click(on_open, state, panel, api_visibility="private", show_progress="hidden",
                concurrency_id="evidence")
    def on_unload(request: gr.Request) -> None:  # the session ended: its copies go now
        SESSION_CROPS.forget(request.session_hash or "")

    app.unload(on_unload)
    return state
