"""arXiv metadata, PDF downloads and topic search, politely and through the on-disk cache.

Metadata and search go through the `arxiv` package (4.x) with ONE shared `arxiv.Client` per
process, which keeps `settings.arxiv_delay_seconds` (3 s by default, as arXiv's API terms ask)
between calls. Our own bounded retry with backoff wraps it, so HTTP 429, 5xx and timeouts end
in one `FetchError` sentence. PDFs are fetched with requests: HTTPS, arXiv hosts only, a timeout,
a size cap, and a check that the bytes are a PDF.
"""
from __future__ import annotations

import errno
import logging
import re
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import arxiv
import requests

from chatpaper import __version__
from chatpaper.errors import FetchError, InvalidSourceError, NoNetworkError, PaperNotFoundError, PdfError
from chatpaper.models import ArxivMetadata
from chatpaper.pacing import DOWNLOAD_PACER
from chatpaper.settings import Settings
from chatpaper.sources.cache import ArxivCache
from chatpaper.sources.ids import EXAMPLE_HINT, ArxivRef, is_arxiv_host, parse_arxiv_id
from chatpaper.sources.local import limit_text, megabytes

log = logging.getLogger(__name__)

USER_AGENT = f"chatpaper/{__version__} (+https://github.com/kaixindelele/ChatPaper)"
_MAX_REDIRECTS = 5
_CHUNK = 1 << 16

# arXiv marks withdrawn papers in the comment or the abstract of the last version.
_WITHDRAWN = re.compile(
    r"(?:this|the)\s+(?:paper|article|submission|manuscript|preprint|version)\s+(?:has\s+been|is|was)\s+withdrawn"
    r"|withdrawn\s+by\s+(?:the\s+)?(?:authors?|arxiv|admin)|^\s*(?:paper\s+)?withdrawn\b",
    re.IGNORECASE,
)
_CATEGORY = re.compile(r"[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[A-Za-z]+)?)?")
_QUERY_SYNTAX = re.compile(r"\b(?:ti|au|abs|co|jr|cat|rn|id|all|submittedDate):|\b(?:AND|OR|ANDNOT)\b")


class _TimeoutSession(requests.Session):
    """A requests session with a default timeout: arxiv 4.x calls `session.get(url)` without one."""

    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = USER_AGENT

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


DownloadProgress = Callable[[int, int | None], None]  # (bytes so far, Content-Length or None)

_CLIENTS: dict[tuple[float, float], arxiv.Client] = {}
_CLIENTS_LOCK = threading.Lock()
# arxiv.Client paces calls with an unlocked timestamp; one lock keeps concurrent papers polite.
_API_LOCK = threading.Lock()


def shared_client(settings: Settings) -> arxiv.Client:
    """The process-wide arXiv API client for these delay/timeout settings (in practice: one)."""
    key = (settings.arxiv_delay_seconds, settings.http_timeout_seconds)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            # num_retries=0: arxiv retries at once without backoff; our loop retries with backoff instead.
            client = arxiv.Client(page_size=100, delay_seconds=settings.arxiv_delay_seconds, num_retries=0)
            client._session = _TimeoutSession(settings.http_timeout_seconds)  # the only HTTP hook arxiv 4.x has
            _CLIENTS[key] = client
        return client


# An absent network fails at once: retrying a name that does not resolve only makes the user wait.
_NO_ROUTE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN}
NO_NETWORK_HINT = "upload the PDF instead, or try again once this machine is online"


def network_absent(exc: BaseException) -> str | None:
    """Why no connection could be made at all (name resolution, refused, no route), else None (slow, 5xx...)."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, socket.gaierror):
            return "could not be found (the name arxiv.org did not resolve: no network?)"
        if isinstance(item, ConnectionRefusedError):
            return "refused the connection (no network or a blocking proxy?)"
        if isinstance(item, OSError) and item.errno in _NO_ROUTE:
            return "is unreachable from this machine (no network?)"
        if isinstance(item, TimeoutError | socket.timeout):
            continue  # slow, not absent: retried
        # requests wraps urllib3's MaxRetryError, whose .reason wraps the socket error as its __cause__.
        stack += [*item.args, getattr(item, "reason", None), item.__cause__, item.__context__]
    return None


def _unreachable(exc: requests.ConnectionError) -> _Retryable:
    """A connection error: NoNetworkError when the network is absent, else one retryable try."""
    reason = network_absent(exc)
    if reason:
        raise NoNetworkError(f"arXiv {reason}; {NO_NETWORK_HINT}.") from exc
    return _Retryable("could not be reached")


class _Retryable(Exception):
    """One failed try that a later try may fix (429, 5xx, timeout, dropped connection)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ArxivSource:
    """arXiv lookups, downloads and searches, each answered from the cache when it can be."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: arxiv.Client | None = None,
        session: requests.Session | None = None,
        cache: ArxivCache | None = None,
        sleep: Callable[[float], None] = time.sleep,
        backoff_seconds: float | None = None,
    ):
        self.settings = settings
        self.client = client or shared_client(settings)
        self.session = session or _TimeoutSession(settings.http_timeout_seconds)
        self.cache = cache or ArxivCache(settings.cache_dir / "arxiv")
        self.sleep = sleep
        # Waits between retries double: 3 s, 6 s, 12 s with the default delay.
        default_backoff = max(settings.arxiv_delay_seconds, 1.0)
        self.backoff_seconds = backoff_seconds if backoff_seconds is not None else default_backoff

    # ------------------------------------------------------------------ metadata

    def metadata(self, source: str | ArxivRef) -> ArxivMetadata:
        """What arXiv says about this paper (version as asked, else the latest); cached on disk."""
        ref = source if isinstance(source, ArxivRef) else parse_arxiv_id(source)
        meta = self.cache.get(ref.arxiv_id, ref.version)
        if meta is None:
            meta = self._lookup(ref)
            self.cache.put(meta, latest=ref.version is None)
        check_not_withdrawn(meta)
        return meta

    def _lookup(self, ref: ArxivRef) -> ArxivMetadata:
        missing = (
            f"arXiv has no version {ref.version} of {ref.arxiv_id}; ask for {ref.arxiv_id} to get its latest version."
            if ref.version
            else f"arXiv has no paper {ref.arxiv_id}; check the ID or the link ({EXAMPLE_HINT})."
        )
        results = self._api(arxiv.Search(id_list=[ref.versioned], max_results=1), not_found=missing)
        for result in results:
            meta = to_metadata(result)
            if meta and meta.arxiv_id == ref.arxiv_id and (ref.version is None or meta.version == ref.version):
                return meta
        raise PaperNotFoundError(missing)

    # ------------------------------------------------------------------ PDF

    def download(self, meta: ArxivMetadata, *, on_progress: DownloadProgress | None = None) -> Path:
        """The paper's PDF on disk (cached by ID and version), fetched over HTTPS from arXiv only.

        `on_progress(bytes so far, total bytes or None)` is called as the body arrives.
        """
        cached = self.cache.get_pdf(meta.arxiv_id, meta.version)
        if cached:
            return cached
        url = safe_pdf_url(meta)
        data = self._with_retries(lambda: self._download_once(url, meta, on_progress),
                                  what=f"the PDF of {meta.versioned_id}")
        return self.cache.put_pdf(meta.arxiv_id, meta.version, data)

    def _download_once(self, url: str, meta: ArxivMetadata, on_progress: DownloadProgress | None = None) -> bytes:
        cap = self.settings.max_pdf_bytes
        for _ in range(_MAX_REDIRECTS + 1):
            DOWNLOAD_PACER.acquire(self.settings.arxiv_delay_seconds, self.sleep)
            try:
                response = self.session.get(
                    url, stream=True, allow_redirects=False, timeout=self.settings.http_timeout_seconds,
                    headers={"User-Agent": USER_AGENT},
                )
            except requests.Timeout as exc:
                raise _Retryable(f"did not answer within {self.settings.http_timeout_seconds:g} s") from exc
            except requests.ConnectionError as exc:
                raise _unreachable(exc) from exc
            with response:
                if response.is_redirect:
                    # Follow redirects by hand so each hop is checked: arXiv hosts over HTTPS only.
                    url = _https_arxiv_url(urljoin(url, response.headers.get("Location", "")), meta)
                    continue
                _raise_for_status(response.status_code, meta, what="PDF")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > cap:
                    raise _too_big(meta, int(declared), cap)
                data = _read_capped(response, meta, cap, int(declared) if declared.isdigit() else None, on_progress)
            if b"%PDF-" not in data[:1024]:
                raise PdfError(
                    f"arXiv sent something that is not a PDF for {meta.versioned_id}; "
                    f"open {meta.abs_url or 'the abstract page'} to check the paper has a PDF."
                )
            return data
        raise FetchError(f"arXiv redirected the PDF of {meta.versioned_id} too many times; try again later.")

    def fetch(self, text: str) -> tuple[ArxivMetadata, Path]:
        """Metadata and PDF path for an arXiv ID or link."""
        meta = self.metadata(text)
        return meta, self.download(meta)

    # ------------------------------------------------------------------ search

    def search(
        self,
        query: str | None,
        *,
        categories: list[str] | None = None,
        days: int | None = 1,
        max_results: int = 20,
        now: datetime | None = None,
    ) -> list[ArxivMetadata]:
        """New arXiv papers on a topic, newest first: submitted within `days` of `now`, in `categories`."""
        now = _aware(now or datetime.now(UTC))
        since = now - timedelta(days=days) if days is not None else None
        search_query = build_search_query(query, categories=categories, since=since, until=now)
        search = arxiv.Search(
            query=search_query,
            max_results=max_results,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Descending,
        )
        results = self._api(search, not_found=None)
        found = [meta for meta in map(to_metadata, results) if meta is not None]
        # The API's date filter is the first line; this keeps the window exact whatever it returns.
        if since is not None:
            found = [m for m in found if m.published is not None and since <= m.published <= now]
        found.sort(key=lambda m: m.published or datetime.min.replace(tzinfo=UTC), reverse=True)
        found = found[:max_results]
        self.cache.put_many(found, latest=True)
        return found

    # ------------------------------------------------------------------ HTTP plumbing

    def _api(self, search: arxiv.Search, *, not_found: str | None) -> list[arxiv.Result]:
        def once() -> list[arxiv.Result]:
            try:
                with _API_LOCK:
                    return list(self.client.results(search))
            except arxiv.HTTPError as exc:
                if exc.status == 429 or exc.status >= 500:
                    raise _Retryable(f"answered HTTP {exc.status}") from exc
                if not_found is not None:
                    raise PaperNotFoundError(not_found) from exc
                raise FetchError(
                    f"arXiv refused the search (HTTP {exc.status}); simplify the topic or categories and try again.",
                ) from exc
            except arxiv.UnexpectedEmptyPageError as exc:
                raise _Retryable("sent an empty page") from exc
            except requests.Timeout as exc:
                raise _Retryable(f"did not answer within {self.settings.http_timeout_seconds:g} s") from exc
            except requests.ConnectionError as exc:
                raise _unreachable(exc) from exc

        what = f"arXiv paper {search.id_list[0]}" if search.id_list else "the arXiv search"
        return self._with_retries(once, what=what)

    def _with_retries(self, attempt: Callable[[], object], *, what: str):
        tries = max(self.settings.arxiv_retries, 0) + 1
        for index in range(tries):
            try:
                return attempt()
            except _Retryable as exc:
                reason = exc.reason
                log.info("arXiv %s (try %d of %d) for %s", reason, index + 1, tries, what)
                if index + 1 < tries:
                    self.sleep(self.backoff_seconds * 2**index)
        hint = "wait a minute and try again" if "429" in reason else "try again in a few minutes"
        raise FetchError(f"arXiv {reason} for {what} after {tries} tries; {hint}.")


# ---------------------------------------------------------------------- pure helpers


def to_metadata(result: arxiv.Result) -> ArxivMetadata | None:
    """An `arxiv.Result` as our typed metadata; None for the API's error entries."""
    try:
        ref = parse_arxiv_id(result.entry_id)
    except InvalidSourceError:
        log.warning("Skipping arXiv entry with an unexpected id: %s", result.entry_id)
        return None  # e.g. http://arxiv.org/api/errors#incorrect_id_format_for_...
    pdf_url = result.pdf_url
    if pdf_url and urlsplit(pdf_url).scheme == "http" and is_arxiv_host(urlsplit(pdf_url).hostname):
        pdf_url = urlunsplit(("https", *urlsplit(pdf_url)[1:]))
    return ArxivMetadata(
        arxiv_id=ref.arxiv_id,
        version=ref.version,
        title=_one_line(result.title),
        authors=[author.name.strip() for author in result.authors if author.name.strip()],
        abstract=_one_line(result.summary),
        published=result.published,
        updated=result.updated,
        categories=list(result.categories),
        primary_category=result.primary_category or None,
        comment=_one_line(result.comment) or None,
        journal_ref=_one_line(result.journal_ref) or None,
        doi=(result.doi or "").strip() or None,
        pdf_url=pdf_url or ref.pdf_url,
        abs_url=ref.abs_url,
    )


def check_not_withdrawn(meta: ArxivMetadata) -> None:
    for text in (meta.comment or "", meta.abstract):
        if _WITHDRAWN.search(text):
            earlier = (
                f"ask for an earlier version such as {meta.arxiv_id}v{meta.version - 1}"
                if meta.version and meta.version > 1
                else "choose another paper"
            )
            raise PaperNotFoundError(f"arXiv paper {meta.versioned_id} has been withdrawn; {earlier}.")


def safe_pdf_url(meta: ArxivMetadata) -> str:
    """The PDF link, upgraded to HTTPS; anything not on an arXiv host is refused."""
    fallback = ArxivRef(meta.arxiv_id, meta.version).pdf_url
    return _https_arxiv_url(meta.pdf_url or fallback, meta)


def _https_arxiv_url(url: str, meta: ArxivMetadata) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not is_arxiv_host(parts.hostname) or parts.username:
        raise InvalidSourceError(
            f"Refusing to download the PDF of {meta.versioned_id} from {parts.hostname or url!r}: "
            "only arxiv.org is trusted; upload the PDF yourself instead."
        )
    return urlunsplit(("https", *parts[1:]))


def build_search_query(
    query: str | None,
    *,
    categories: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> str:
    """arXiv API query: keywords in title or abstract, AND any of the categories, AND the date window."""
    clauses = []
    text = " ".join((query or "").split())
    if text:
        if _QUERY_SYNTAX.search(text):
            clauses.append(f"({text})")  # the user wrote arXiv query syntax: keep it
        else:
            phrase = text.replace('"', "")
            clauses.append(f'(ti:"{phrase}" OR abs:"{phrase}")')
    cats = [c.strip() for c in categories or [] if c.strip()]
    for cat in cats:
        if not _CATEGORY.fullmatch(cat):
            raise InvalidSourceError(f'"{cat}" is not an arXiv category; use names like cs.CV, cs.LG or hep-th.')
    if cats:
        clauses.append("(" + " OR ".join(f"cat:{c}" for c in cats) + ")")
    if not clauses:
        raise InvalidSourceError('An arXiv search needs a topic or categories; give e.g. "Diffusion Models" or cs.CV.')
    if since is not None:
        until = until or datetime.now(UTC)
        clauses.append(f"submittedDate:[{_aware(since):%Y%m%d%H%M} TO {_aware(until):%Y%m%d%H%M}]")
    return " AND ".join(clauses)


def _raise_for_status(status: int, meta: ArxivMetadata, *, what: str) -> None:
    if status == 200:
        return
    if status == 429 or status >= 500:
        raise _Retryable(f"answered HTTP {status}")
    if status in (404, 410):
        raise PaperNotFoundError(
            f"arXiv has no {what} for {meta.versioned_id} (HTTP {status}); open {meta.abs_url} to check."
        )
    raise FetchError(f"arXiv answered HTTP {status} for the {what} of {meta.versioned_id}; try again later.")


def _read_capped(response: requests.Response, meta: ArxivMetadata, cap: int, declared: int | None = None,
                 on_progress: DownloadProgress | None = None) -> bytes:
    """Stream the body and stop as soon as it passes the cap, whatever Content-Length claimed."""
    chunks: list[bytes] = []
    total = 0
    try:
        for chunk in response.iter_content(chunk_size=_CHUNK):
            total += len(chunk)
            if total > cap:
                raise _too_big(meta, total, cap, at_least=True)
            chunks.append(chunk)
            if on_progress is not None:
                on_progress(total, declared)
    except requests.Timeout as exc:
        raise _Retryable("stopped sending the PDF") from exc
    except requests.ConnectionError as exc:
        raise _Retryable("dropped the connection") from exc
    return b"".join(chunks)


def _too_big(meta: ArxivMetadata, size: int, cap: int, *, at_least: bool = False) -> PdfError:
    more = "over " if at_least else ""
    return PdfError(
        f"The PDF of {meta.versioned_id} is {more}{megabytes(size)}, over the {limit_text(cap)} limit; "
        "raise CHATPAPER_MAX_PDF_BYTES to read it."
    )


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
