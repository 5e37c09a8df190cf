"""arXiv lookup, download, cache and search with HTTP mocked at the transport by `responses`.

The Atom answers are hand-written fixtures in the arXiv API's format (tests/fixtures/arxiv).
"""
from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import arxiv
import pytest
import requests
import responses
from responses import matchers

from chatpaper.errors import ChatPaperError, FetchError, InvalidSourceError, PaperNotFoundError, PdfError, StorageError
from chatpaper.models import ArxivMetadata
from chatpaper.settings import Settings
from chatpaper.sources.arxiv import ArxivSource, build_search_query, shared_client
from chatpaper.sources.cache import ArxivCache
from chatpaper.sources.ids import ArxivRef

FIXTURES = Path(__file__).parent / "fixtures" / "arxiv"
API = "https://export.arxiv.org/api/query"
PDF_V2 = "https://arxiv.org/pdf/2405.15619v2"
PDF_BYTES = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
NOW = datetime(2024, 5, 28, 18, 0, tzinfo=UTC)


def atom(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def feed(name: str, **params: str) -> dict:
    """Keyword arguments for responses.get(API, ...) answering with a fixture."""
    match = [matchers.query_param_matcher(params, strict_match=False)] if params else []
    return {"body": atom(name), "content_type": "application/atom+xml; charset=utf-8", "match": match}


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", arxiv_delay_seconds=0, arxiv_retries=2,
                    http_timeout_seconds=7, max_pdf_bytes=10_000)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def source(settings, sleeps) -> ArxivSource:
    return ArxivSource(settings, sleep=sleeps.append, backoff_seconds=1.5)


@pytest.fixture
def http():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


# ---------------------------------------------------------------------- metadata


def test_metadata_fields_from_the_atom_fixture(source, http):
    http.get(API, **feed("paper_2405.15619v2.xml", id_list="2405.15619"))
    meta = source.metadata("https://arxiv.org/abs/2405.15619")

    assert meta.arxiv_id == "2405.15619" and meta.version == 2
    assert meta.title == "Sparse Diffusion Priors for Faithful Scientific Figure Captioning"
    assert meta.authors == ["Ada Lovelace", "Alan M. Turing", "Grace Hopper"]
    assert meta.abstract.startswith("We study how diffusion priors can be made sparse. Our method, SDP,")
    assert "\n" not in meta.abstract and "12.3 points" in meta.abstract
    assert meta.published == datetime(2024, 5, 24, 14, 59, 2, tzinfo=UTC)
    assert meta.updated == datetime(2024, 6, 3, 11, 20, 5, tzinfo=UTC)
    assert meta.categories == ["cs.CV", "cs.CL", "cs.LG"]
    assert meta.primary_category == "cs.CV"
    assert meta.comment.startswith("CVPR 2024 camera ready; 14 pages")
    assert meta.journal_ref == "Proc. CVPR 2024, pp. 1234-1245"
    assert meta.doi == "10.1109/CVPR52733.2024.01234"
    assert meta.pdf_url == PDF_V2  # the API's http:// link, upgraded
    assert meta.abs_url == "https://arxiv.org/abs/2405.15619v2"
    assert meta.versioned_id == "2405.15619v2"


def test_api_call_shape_timeout_and_user_agent(source, http):
    http.get(API, **feed("paper_2405.15619v2.xml"))
    source.metadata("2405.15619v2")
    (call,) = http.calls
    query = parse_qs(urlsplit(call.request.url).query)
    assert query["id_list"] == ["2405.15619v2"]
    assert call.request.req_kwargs["timeout"] == 7  # arxiv 4.x passes none; our session adds it
    assert call.request.headers["User-Agent"].startswith("arxiv.py/")


def test_explicit_version_is_asked_for_and_kept(source, http):
    http.get(API, **feed("paper_2405.15619v1.xml", id_list="2405.15619v1"))
    meta = source.metadata("arXiv:2405.15619v1")
    assert meta.version == 1 and meta.comment.startswith("Preprint")
    assert meta.pdf_url == "https://arxiv.org/pdf/2405.15619v1"


def test_old_style_ids(source, http):
    http.get(API, **feed("old_style_hep-th_9901001v1.xml", id_list="hep-th/9901001"))
    meta = source.metadata("hep-th/9901001")
    assert (meta.arxiv_id, meta.version) == ("hep-th/9901001", 1)
    assert meta.pdf_url == "https://arxiv.org/pdf/hep-th/9901001v1"


def test_accepts_an_arxiv_ref(source, http):
    http.get(API, **feed("paper_2405.15619v2.xml"))
    assert source.metadata(ArxivRef("2405.15619", 2)).title.startswith("Sparse Diffusion")


def test_empty_feed_is_not_found(source, http):
    http.get(API, **feed("empty.xml"))
    with pytest.raises(PaperNotFoundError, match=r"no paper 2405\.99999"):
        source.metadata("2405.99999")


def test_missing_version_is_not_found_and_says_how_to_get_the_latest(source, http):
    http.get(API, **feed("empty.xml"))
    with pytest.raises(PaperNotFoundError) as caught:
        source.metadata("2405.15619v9")
    assert "no version 9 of 2405.15619" in str(caught.value)


def test_feed_answering_another_version_is_not_found(source, http):
    http.get(API, **feed("paper_2405.15619v2.xml"))  # asked v3, got v2
    with pytest.raises(PaperNotFoundError, match="version 3"):
        source.metadata("2405.15619v3")


def test_api_error_entry_is_not_found(source, http):
    http.get(API, **feed("error_entry.xml"))
    with pytest.raises(PaperNotFoundError):
        source.metadata("2405.99999")


def test_http_404_is_not_found_without_retrying(source, http, sleeps):
    http.get(API, status=404, body="not found")
    with pytest.raises(PaperNotFoundError):
        source.metadata("2405.15619")
    assert len(http.calls) == 1 and sleeps == []


def test_withdrawn_paper(source, http):
    http.get(API, **feed("withdrawn.xml"))
    with pytest.raises(PaperNotFoundError) as caught:
        source.metadata("1301.0042")
    message = str(caught.value)
    assert "withdrawn" in message and "1301.0042v2" in message  # points at the version before


def test_withdrawn_check_does_not_fire_on_ordinary_abstracts():
    from chatpaper.sources.arxiv import check_not_withdrawn

    meta = ArxivMetadata(arxiv_id="2405.15619", version=1, title="t",
                         abstract="Drugs withdrawn from the market are a rich source of adverse-event data.")
    check_not_withdrawn(meta)  # no error


# ---------------------------------------------------------------------- retries


def test_429_then_success_retries_with_backoff(source, http, sleeps):
    http.get(API, status=429)
    http.get(API, status=503)
    http.get(API, **feed("paper_2405.15619v2.xml"))
    meta = source.metadata("2405.15619")
    assert meta.version == 2
    assert len(http.calls) == 3
    assert sleeps == [1.5, 3.0]  # doubling backoff, injected sleep


def test_429_forever_is_a_fetch_error_after_bounded_tries(source, http, sleeps):
    http.get(API, status=429)
    with pytest.raises(FetchError) as caught:
        source.metadata("2405.15619")
    assert len(http.calls) == 3  # 1 try + settings.arxiv_retries
    assert sleeps == [1.5, 3.0]
    message = str(caught.value)
    assert "429" in message and "3 tries" in message and "wait a minute" in message


def test_5xx_forever_is_a_fetch_error(source, http):
    http.get(API, status=502)
    with pytest.raises(FetchError, match="HTTP 502"):
        source.metadata("2405.15619")


@pytest.mark.parametrize("exc", [requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout])
def test_timeouts_are_retried_then_a_fetch_error(source, http, exc):
    http.get(API, body=exc("slow"))
    with pytest.raises(FetchError, match="did not answer within 7 s"):
        source.metadata("2405.15619")
    assert len(http.calls) == 3


def test_timeout_then_success(source, http):
    http.get(API, body=requests.exceptions.ReadTimeout("slow"))
    http.get(API, **feed("paper_2405.15619v2.xml"))
    assert source.metadata("2405.15619").version == 2


def test_connection_error_is_a_fetch_error(source, http):
    http.get(API, body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(FetchError, match="could not be reached"):
        source.metadata("2405.15619")


# ---------------------------------------------------------------------- cache


def test_second_request_makes_no_network_call(settings, http, sleeps):
    http.get(API, **feed("paper_2405.15619v2.xml"))
    http.get(PDF_V2, body=PDF_BYTES, content_type="application/pdf")
    first_meta, first_pdf = ArxivSource(settings, sleep=sleeps.append).fetch("2405.15619v2")
    calls = len(http.calls)
    assert calls == 2

    # A new source (as in a new process) over the same cache folder.
    again_meta, again_pdf = ArxivSource(settings, sleep=sleeps.append).fetch("https://arxiv.org/abs/2405.15619v2")
    assert len(http.calls) == calls
    assert again_meta == first_meta and again_pdf == first_pdf
    assert again_pdf.read_bytes() == PDF_BYTES


def test_unversioned_repeat_uses_the_remembered_latest_version(source, http):
    http.get(API, **feed("paper_2405.15619v2.xml"))
    source.metadata("2405.15619")
    assert source.metadata("arXiv:2405.15619").version == 2
    assert source.metadata("2405.15619v2").version == 2  # the versioned row is cached too
    assert len(http.calls) == 1


def test_remembered_latest_version_expires(tmp_path):
    clock = [datetime(2024, 6, 1, tzinfo=UTC)]
    cache = ArxivCache(tmp_path / "arxiv", latest_ttl=timedelta(hours=24), clock=lambda: clock[0])
    meta = ArxivMetadata(arxiv_id="2405.15619", version=2, title="t")
    cache.put(meta, latest=True)
    clock[0] += timedelta(hours=23)
    assert cache.get("2405.15619", None) == meta
    clock[0] += timedelta(hours=2)
    assert cache.get("2405.15619", None) is None  # ask arXiv again: there may be a v3
    assert cache.get("2405.15619", 2) == meta  # a version never changes


def test_cache_location_follows_settings(settings, http):
    http.get(API, **feed("paper_2405.15619v2.xml"))
    http.get(PDF_V2, body=PDF_BYTES)
    _, pdf = ArxivSource(settings, sleep=lambda s: None).fetch("2405.15619v2")
    root = settings.cache_dir / "arxiv"
    assert pdf == root / "pdfs" / "2405.15619v2.pdf"
    with sqlite3.connect(root / "metadata.sqlite") as db:
        rows = db.execute("SELECT arxiv_id, version, json FROM metadata").fetchall()
    assert [(r[0], r[1]) for r in rows] == [("2405.15619", 2)]
    assert ArxivMetadata.model_validate_json(rows[0][2]).title.startswith("Sparse")  # JSON, not pickle


def test_cache_dir_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CHATPAPER_CACHE_DIR", str(tmp_path / "elsewhere"))
    source = ArxivSource(Settings(arxiv_delay_seconds=0))
    assert source.cache.root == tmp_path / "elsewhere" / "arxiv"


def test_old_style_pdf_path_has_no_subfolder(tmp_path):
    cache = ArxivCache(tmp_path)
    assert cache.pdf_path("hep-th/9901001", 1).name == "hep-th_9901001v1.pdf"


def test_pdf_writes_are_atomic_and_leave_no_temp_files(tmp_path, monkeypatch):
    cache = ArxivCache(tmp_path)
    path = cache.put_pdf("2405.15619", 2, PDF_BYTES)
    assert path.read_bytes() == PDF_BYTES

    # A crash mid-write leaves the old file whole and no temp file behind.
    import os

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StorageError, match="disk full"):  # one sentence for the user, not an OSError
        cache.put_pdf("2405.15619", 2, b"%PDF-half")
    assert path.read_bytes() == PDF_BYTES
    assert sorted(p.name for p in cache.pdf_dir.iterdir()) == ["2405.15619v2.pdf"]


# ---------------------------------------------------------------------- download


def meta_v2(**update) -> ArxivMetadata:
    return ArxivMetadata(arxiv_id="2405.15619", version=2, title="t", pdf_url=PDF_V2,
                         abs_url="https://arxiv.org/abs/2405.15619v2").model_copy(update=update)


def test_download_checks_it_is_a_pdf(source, http):
    http.get(PDF_V2, body=b"<html>captcha</html>", content_type="text/html")
    with pytest.raises(PdfError, match="not a PDF"):
        source.download(meta_v2())
    assert not source.cache.pdf_path("2405.15619", 2).exists()


def test_download_refuses_an_oversized_declared_length(source, http):
    http.get(PDF_V2, body=PDF_BYTES, headers={"Content-Length": "999999999"})
    with pytest.raises(PdfError, match="limit"):
        source.download(meta_v2())


def test_download_stops_streaming_past_the_cap(source, http):
    http.get(PDF_V2, body=PDF_BYTES + b"0" * 20_000)  # no Content-Length header to trust
    with pytest.raises(PdfError, match=r"is over .* limit; raise CHATPAPER_MAX_PDF_BYTES"):
        source.download(meta_v2())
    assert not source.cache.pdf_path("2405.15619", 2).exists()


@pytest.mark.parametrize(
    "url",
    ["https://evil.com/pdf/2405.15619v2", "https://arxiv.org.evil.com/pdf/2405.15619v2",
     "file:///etc/passwd", "ftp://arxiv.org/pdf/2405.15619v2"],
)
def test_download_refuses_non_arxiv_pdf_urls(source, http, url):
    with pytest.raises(InvalidSourceError, match=r"only arxiv\.org"):
        source.download(meta_v2(pdf_url=url))
    assert len(http.calls) == 0


def test_download_upgrades_http_to_https(source, http):
    http.get(PDF_V2, body=PDF_BYTES)
    path = source.download(meta_v2(pdf_url="http://arxiv.org/pdf/2405.15619v2"))
    assert http.calls[0].request.url == PDF_V2 and path.read_bytes() == PDF_BYTES
    assert http.calls[0].request.req_kwargs["timeout"] == 7


def test_download_follows_redirects_only_within_arxiv(source, http):
    http.get(PDF_V2, status=301, headers={"Location": "https://export.arxiv.org/pdf/2405.15619v2"})
    http.get("https://export.arxiv.org/pdf/2405.15619v2", body=PDF_BYTES)
    assert source.download(meta_v2()).read_bytes() == PDF_BYTES

    evil = meta_v2(version=3, pdf_url="https://arxiv.org/pdf/2405.15619v3")
    http.get("https://arxiv.org/pdf/2405.15619v3", status=302, headers={"Location": "https://evil.com/x.pdf"})
    with pytest.raises(InvalidSourceError):
        source.download(evil)
    assert not any("evil.com" in c.request.url for c in http.calls)


def test_download_retries_429_then_succeeds(source, http, sleeps):
    http.get(PDF_V2, status=429)
    http.get(PDF_V2, body=PDF_BYTES)
    assert source.download(meta_v2()).read_bytes() == PDF_BYTES
    assert sleeps == [1.5]


def test_download_timeout_forever_is_a_fetch_error(source, http):
    http.get(PDF_V2, body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(FetchError, match=r"PDF of 2405\.15619v2 after 3 tries"):
        source.download(meta_v2())


def test_download_404_is_not_found(source, http):
    http.get(PDF_V2, status=404)
    with pytest.raises(PaperNotFoundError):
        source.download(meta_v2())


def test_download_without_pdf_url_uses_the_canonical_link(source, http):
    http.get(PDF_V2, body=PDF_BYTES)
    assert source.download(meta_v2(pdf_url=None)).exists()


# ---------------------------------------------------------------------- search


def test_search_query_shape_and_date_window(source, http):
    http.get(API, **feed("search_diffusion.xml"))
    found = source.search("Diffusion Models", categories=["cs.CV", "cs.LG"], days=1, max_results=20, now=NOW)

    assert [m.versioned_id for m in found] == ["2405.18002v1", "2405.17500v2"]  # 2405.17001 is outside
    (call,) = http.calls
    query = parse_qs(urlsplit(call.request.url).query)
    assert query["search_query"] == [
        '(ti:"Diffusion Models" OR abs:"Diffusion Models") AND (cat:cs.CV OR cat:cs.LG) '
        "AND submittedDate:[202405271800 TO 202405281800]"
    ]
    assert query["sortBy"] == ["submittedDate"] and query["sortOrder"] == ["descending"]


def test_search_results_are_newest_first_and_capped(source, http):
    http.get(API, **feed("search_diffusion.xml"))
    found = source.search("diffusion", days=None, max_results=2, now=NOW)
    assert len(found) == 2
    assert found[0].published > found[1].published


def test_search_results_fill_the_cache(source, http):
    http.get(API, **feed("search_diffusion.xml"))
    source.search("diffusion", days=3, now=NOW)
    assert source.metadata("2405.17500").version == 2  # the batch's lookups cost no call
    assert len(http.calls) == 1


def test_search_without_topic_or_categories_is_refused(source):
    with pytest.raises(InvalidSourceError, match="topic or categories"):
        source.search(None, categories=[])


def test_search_query_builder():
    assert build_search_query("ti:diffusion AND au:ho") == "(ti:diffusion AND au:ho)"  # arXiv syntax kept
    assert build_search_query(None, categories=["cs.CV"]) == "(cat:cs.CV)"
    assert build_search_query('say "hi"') == '(ti:"say hi" OR abs:"say hi")'
    with pytest.raises(InvalidSourceError, match="not an arXiv category"):
        build_search_query("x", categories=["cs.CV) OR (all:spam"])


def test_search_429_forever_is_a_fetch_error(source, http):
    http.get(API, status=429)
    with pytest.raises(FetchError, match="arXiv search"):
        source.search("diffusion", now=NOW)


# ---------------------------------------------------------------------- the shared client


def test_one_polite_shared_client_per_process():
    settings = Settings()
    client = shared_client(settings)
    assert client is shared_client(Settings())
    assert client.delay_seconds >= 3.0  # arXiv's API terms: one call every three seconds
    assert client.num_retries == 0  # our own loop retries, with backoff
    assert ArxivSource(settings).client is client
    assert isinstance(client, arxiv.Client)


# ---------------------------------------------------------------------- glue: read_paper with arXiv


def _parse_pdf_ready() -> None:
    try:
        from chatpaper.pdf import parse_pdf  # noqa: F401
    except ImportError as exc:  # written in parallel by another helper
        pytest.skip(f"chatpaper.pdf.parse_pdf is not ready yet: {exc}")


def test_read_paper_takes_title_authors_abstract_from_arxiv(settings, http, tmp_path, sleeps):
    from conftest import corpus_pdf

    from chatpaper.reading import read_paper

    pdf = corpus_pdf("1212.5701.pdf")
    _parse_pdf_ready()
    settings = settings.model_copy(update={"max_pdf_bytes": 50_000_000})
    source = ArxivSource(settings, sleep=sleeps.append)
    http.get(API, **feed("paper_1212.5701v1.xml", id_list="1212.5701"))
    http.get("https://arxiv.org/pdf/1212.5701v1", body=pdf.read_bytes(), content_type="application/pdf")

    paper = read_paper("https://arxiv.org/abs/1212.5701", out_dir=tmp_path / "out", settings=settings, arxiv=source)

    # The fixture's arXiv values differ from what the PDF prints, so these prove the override.
    assert paper.title == "ADADELTA: An Adaptive Learning Rate Method (as arXiv lists it)"
    assert paper.authors == ["Matthew D. Zeiler (arXiv)"]
    assert paper.abstract.endswith("in this hand-written fixture.)")
    assert paper.source.kind == "arxiv" and paper.source.key == "arxiv:1212.5701v1"
    assert paper.metadata is not None and paper.metadata.comment == "6 pages"
    assert paper.pages > 1 and paper.sections  # the PDF supplies the rest

    calls = len(http.calls)
    again = read_paper("arXiv:1212.5701", out_dir=tmp_path / "again", settings=settings, arxiv=source)
    assert len(http.calls) == calls  # metadata and PDF both from the cache
    assert again.title == paper.title


def test_read_paper_refuses_non_arxiv_links_without_a_request(settings, http, tmp_path, source):
    from chatpaper.reading import read_paper

    _parse_pdf_ready()
    with pytest.raises(InvalidSourceError, match="Only arXiv links"):
        read_paper("https://evil.com/abs/2405.15619", out_dir=tmp_path, settings=settings, arxiv=source)
    assert len(http.calls) == 0


def test_the_download_pacer_keeps_the_callers_interval_between_calls():
    from chatpaper.pacing import RateLimiter

    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = RateLimiter(interval=0.0, clock=lambda: now[0])
    pacer.acquire(3.0, sleep)  # first call: no wait
    now[0] += 1.0
    pacer.acquire(3.0, sleep)  # 1 s later: wait the other 2 s
    now[0] += 5.0
    pacer.acquire(3.0, sleep)  # 5 s later: no wait
    pacer.acquire(0.0, sleep)  # a source whose delay is 0 is not held back by another's
    assert slept == [2.0]
    assert list(pacer.granted) == [100.0, 103.0, 108.0, 108.0]


def test_downloads_take_a_slot_of_the_shared_pacer(settings, http, monkeypatch):
    from chatpaper import pacing
    from chatpaper.sources import arxiv as arxiv_module

    assert arxiv_module.DOWNLOAD_PACER is pacing.DOWNLOAD_PACER  # one pacer, process-wide
    http.get(API, **feed("paper_2405.15619v2.xml"))
    http.get(PDF_V2, body=PDF_BYTES, content_type="application/pdf")
    taken: list[float] = []
    monkeypatch.setattr(pacing.DOWNLOAD_PACER, "acquire", lambda interval, sleep: taken.append(interval) or 0.0)
    source = ArxivSource(settings, sleep=lambda _: None)
    source.download(source.metadata("2405.15619"))
    assert taken == [settings.arxiv_delay_seconds]


def test_a_damaged_metadata_cache_is_one_sentence_saying_what_to_delete(tmp_path):
    (tmp_path / "metadata.sqlite").write_bytes(b"not a database " * 100)
    with pytest.raises(ChatPaperError) as caught:
        ArxivCache(tmp_path)
    assert str(caught.value).startswith(f"The arXiv cache {tmp_path / 'metadata.sqlite'} is damaged")


# ---------------------------------------------------------------------- no network at all


def closed_port() -> int:
    import socket

    with socket.socket() as s:  # bound then closed: nothing listens there, so connecting is refused
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def real_connection_error() -> requests.ConnectionError:
    """The ConnectionError requests raises for a refused loopback connection (a real socket, no network)."""
    try:
        requests.get(f"http://127.0.0.1:{closed_port()}/", timeout=5)
    except requests.ConnectionError as exc:
        return exc
    raise AssertionError("the closed port answered")


def unresolvable_name_error() -> requests.ConnectionError:
    """The ConnectionError requests raises when name resolution fails (getaddrinfo faked, the rest real)."""
    import socket
    from unittest import mock

    def no_dns(*_args, **_kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with mock.patch.object(socket, "getaddrinfo", no_dns):
        try:
            requests.get("https://export.arxiv.org/api/query", timeout=5)
        except requests.ConnectionError as exc:
            return exc
    raise AssertionError("the request did not fail")


@pytest.fixture(scope="session")
def no_network() -> dict[str, requests.ConnectionError]:
    """Made before any `responses` mock is active (session fixtures come first): real requests errors."""
    return {"name-not-resolved": unresolvable_name_error(), "connection-refused": real_connection_error()}


@pytest.mark.parametrize("kind", ["name-not-resolved", "connection-refused"])
def test_an_absent_network_fails_at_once_without_retries(no_network, source, http, sleeps, kind):
    from chatpaper.errors import NoNetworkError

    http.get(API, body=no_network[kind])
    with pytest.raises(NoNetworkError, match="upload the PDF instead"):
        source.metadata("2405.15619")
    assert len(http.calls) == 1 and sleeps == []  # one try, no backoff


def test_an_absent_network_for_the_pdf_fails_at_once(no_network, source, http, sleeps):
    from chatpaper.errors import NoNetworkError

    http.get(API, **feed("paper_2405.15619v2.xml"))
    http.get(PDF_V2, body=no_network["name-not-resolved"])
    meta = source.metadata("2405.15619")
    with pytest.raises(NoNetworkError, match="did not resolve"):
        source.download(meta)
    assert len(http.calls) == 2 and sleeps == []


def test_a_slow_network_is_still_retried(source, http, sleeps):
    http.get(API, body=requests.exceptions.ConnectTimeout("slow"))
    with pytest.raises(FetchError, match="try again in a few minutes"):
        source.metadata("2405.15619")
    assert len(http.calls) == 3 and len(sleeps) == 2


def test_download_reports_its_progress_in_bytes(settings, http):
    data = PDF_BYTES + b"%" * 300_000
    http.get(API, **feed("paper_2405.15619v2.xml"))
    http.get(PDF_V2, body=data, content_type="application/pdf", headers={"Content-Length": str(len(data))})
    seen: list[tuple[int, int | None]] = []
    big = settings.model_copy(update={"max_pdf_bytes": 1_000_000})
    source = ArxivSource(big, sleep=lambda _: None)
    source.download(source.metadata("2405.15619"), on_progress=lambda done, total: seen.append((done, total)))
    assert len(seen) > 1 and seen[-1] == (len(data), len(data))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
