"""Property: whatever a visitor types into the app's boxes, the answer is a result or one of our typed
errors (one sentence), never an unexpected exception, and nothing typed is sent anywhere first."""
from __future__ import annotations

import socket

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from chatpaper import fields, ui
from chatpaper.errors import ChatPaperError, PaperNotFoundError
from chatpaper.llm.registry import get_provider
from chatpaper.settings import Settings

# Characters a hostile visitor likes: markup, control characters, line breaks, @ and :, non-ASCII.
ALPHABET = st.sampled_from([*list("aZ09.:/@-_ <>&\"'\r\n\t\x00\u202e中ñ%#?=[]"), "https://", "localhost", "sk-"])
TEXT = st.one_of(st.none(), st.lists(ALPHABET, max_size=40).map("".join), st.text(max_size=60),
                 st.integers(0, 300).map(lambda n: "x" * n * 40))
URL = st.one_of(TEXT, st.builds(lambda host, tail: f"https://{host}{tail}",
                                st.sampled_from(["api.example.org", "127.0.0.1", "[::1]", "u:p@h.example", "10.0.0.1",
                                                 "example.org:99999", "", "%00"]),
                                st.lists(ALPHABET, max_size=20).map("".join)))
COMMON = dict(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


class NoArxiv:
    """arXiv mocked at the edge: every ID is unknown (the property is about the boxes, not arXiv)."""

    def metadata(self, source):
        raise PaperNotFoundError("arXiv has no paper with that ID; check the ID.")


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a visitor's input caused a network lookup")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@hsettings(**COMMON)
@given(arxiv_text=TEXT, lang=TEXT, model=TEXT, base_url=URL, api_key=TEXT)
def test_the_paper_tab_answers_a_result_or_a_typed_error(tmp_path, no_network, arxiv_text, lang, model,
                                                          base_url, api_key):
    views = list(ui.run_summary(arxiv_text, None, lang, "offline", model, base_url, api_key,
                                settings=Settings(cache_dir=tmp_path / "cache"), arxiv=NoArxiv()))
    last = views[-1]
    assert last.final and last.error
    assert "unexpected" not in last.error  # the handler's catch-all for errors that are not ours
    if api_key and len(api_key.strip()) >= 6:
        assert api_key.strip() not in last.error


@hsettings(**COMMON)
@given(base_url=URL, model=TEXT, api_key=TEXT, lang=TEXT)
def test_checked_fields_build_a_provider_or_raise_a_typed_error(no_network, base_url, model, api_key, lang):
    try:
        fields.language(lang)
        provider = get_provider("openai", model=fields.model(model), api_key=fields.api_key(api_key),
                                base_url=fields.base_url(base_url), settings=Settings(), visitor=True)
    except ChatPaperError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)
        return
    if provider.base_url and provider.base_url != Settings().openai_base_url:
        assert provider.base_url.lower().startswith("https://") and "@" not in provider.base_url


def test_a_base_url_of_only_slashes_is_no_endpoint(no_network):
    """Found by the property test above: "/" was kept as the provider's base URL (no server at all)."""
    with pytest.raises(ChatPaperError, match="No OpenAI API key"):  # no key and, in truth, no endpoint
        get_provider("openai", model=None, api_key=None, base_url=fields.base_url(" / "), settings=Settings(),
                     visitor=True)
    provider = get_provider("openai", model=None, api_key="sk-test-123456", base_url=fields.base_url("//"),
                            settings=Settings(), visitor=True)
    assert provider.base_url != "//" and provider.base_url != "/"
