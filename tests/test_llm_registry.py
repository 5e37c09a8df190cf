"""Provider selection: explicit names, each `auto` branch in order, key resolution, and secrecy."""
from __future__ import annotations

import logging

import pytest

from chatpaper.errors import ProviderError
from chatpaper.llm import registry
from chatpaper.llm.base import LLMRequest, LLMResponse, Provider
from chatpaper.llm.registry import (
    available_providers,
    describe_provider,
    get_provider,
    register_provider,
    unregister_provider,
)
from chatpaper.settings import Settings

GEMINI_KEY = "AIzaSy-test-secret-0000"
OPENAI_KEY = "sk-test-secret-1111"


@pytest.fixture(autouse=True)
def _no_chatpaper_llm_env(monkeypatch):
    for var in ("CHATPAPER_PROVIDER", "CHATPAPER_MODEL", "CHATPAPER_OPENAI_BASE_URL", "CHATPAPER_LOCAL_MODEL_PATH"):
        monkeypatch.delenv(var, raising=False)


class Recorded(Provider):
    """Stands in for a built-in provider: remembers which factory built it and with what."""

    name = "recorded"

    def __init__(self, chosen: str, **kwargs):
        super().__init__(model=kwargs.get("model"))
        self.chosen = chosen
        self.kwargs = kwargs

    def generate(self, request: LLMRequest) -> LLMResponse:
        return LLMResponse(text="")


@pytest.fixture
def spies(monkeypatch):
    """Replace the four built-in factories, so selection is tested without SDKs or files."""
    for name in ("gemini", "openai", "local", "offline"):
        monkeypatch.setitem(registry._FACTORIES, name, lambda _n=name, **kw: Recorded(_n, **kw))


def chosen(**kwargs) -> str:
    return get_provider(**kwargs).chosen


# ----------------------------------------------------------------------------- auto, branch by branch


def test_nothing_configured_is_offline(spies):
    assert chosen(name="auto") == "offline"
    assert chosen(name=None) == "offline"


def test_explicit_name_wins_over_every_key(spies, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", GEMINI_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    assert chosen(name="offline") == "offline"
    assert chosen(name="OpenAI") == "openai"


def test_settings_provider_is_an_explicit_choice(spies, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", GEMINI_KEY)
    assert chosen(name="auto", settings=Settings(provider="local")) == "local"
    assert chosen(name="openai", settings=Settings(provider="local")) == "openai"  # the argument comes first


def test_gemini_key_in_environment(spies, monkeypatch):
    monkeypatch.setenv("GOOGLE_API_KEY", GEMINI_KEY)
    assert chosen() == "gemini"
    monkeypatch.delenv("GOOGLE_API_KEY")
    monkeypatch.setenv("GEMINI_API_KEY", GEMINI_KEY)
    assert chosen() == "gemini"


def test_gemini_key_comes_before_openai_and_local(spies, monkeypatch, tmp_path):
    monkeypatch.setenv("GEMINI_API_KEY", GEMINI_KEY)
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    assert chosen(settings=Settings(local_model_path=tmp_path / "m.gguf")) == "gemini"


def test_passed_key_picks_gemini_or_openai(spies):
    assert chosen(api_key=GEMINI_KEY) == "gemini"
    assert chosen(api_key=OPENAI_KEY) == "openai"  # OpenAI's keys start with sk-
    assert chosen(api_key="anything", base_url="http://localhost:8000/v1") == "openai"


@pytest.mark.parametrize(
    "configure",
    [
        lambda mp: mp.setenv("OPENAI_API_KEY", OPENAI_KEY),
        lambda mp: mp.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1"),
        lambda mp: mp.setenv("CHATPAPER_OPENAI_BASE_URL", "http://localhost:11434/v1"),
    ],
    ids=["OPENAI_API_KEY", "OPENAI_BASE_URL", "settings.openai_base_url"],
)
def test_openai_endpoint_or_key(spies, monkeypatch, configure, tmp_path):
    configure(monkeypatch)
    assert chosen(settings=Settings(local_model_path=tmp_path / "m.gguf")) == "openai"  # before local


def test_base_url_argument_picks_openai_and_reaches_the_factory(spies):
    provider = get_provider(base_url="http://localhost:8080/v1")
    assert provider.chosen == "openai"
    assert provider.kwargs["base_url"] == "http://localhost:8080/v1"


def test_local_model_from_settings_or_environment(spies, monkeypatch, tmp_path):
    assert chosen(settings=Settings(local_model_path=tmp_path / "m.gguf")) == "local"
    monkeypatch.setenv("CHATPAPER_LOCAL_MODEL_PATH", str(tmp_path / "m.gguf"))
    assert chosen() == "local"


def test_model_and_settings_reach_the_factory(spies):
    settings = Settings(model="from-settings")
    assert get_provider("gemini", settings=settings).kwargs["model"] == "from-settings"
    provider = get_provider("gemini", model="explicit", settings=settings)
    assert provider.kwargs["model"] == "explicit"
    assert provider.kwargs["settings"] is settings


# ----------------------------------------------------------------------------- names


def test_unknown_name_lists_the_choices():
    with pytest.raises(ProviderError) as caught:
        get_provider("gpt")
    assert str(caught.value) == (
        "There is no provider named 'gpt'; choose one of auto, gemini, openai, local, offline."
    )


def test_aliases(spies):
    assert chosen(name="ollama") == "openai"
    assert chosen(name="google") == "gemini"
    assert chosen(name="gguf") == "local"


def test_register_a_fake_provider():
    fake = Recorded("fake")
    register_provider("fake", lambda: fake)  # a factory may take no arguments at all
    try:
        assert "fake" in available_providers()
        assert get_provider("fake") is fake
        assert get_provider(settings=Settings(provider="fake")) is fake
    finally:
        unregister_provider("fake")
    assert "fake" not in available_providers()


def test_factory_gets_only_the_arguments_it_accepts():
    seen = {}

    def factory(*, model=None, api_key=None):
        seen.update(model=model, api_key=api_key)
        return Recorded("fake")

    register_provider("fake", factory)
    try:
        get_provider("fake", model="m", api_key="k", base_url="http://x")
    finally:
        unregister_provider("fake")
    assert seen == {"model": "m", "api_key": "k"}


def test_available_providers_lists_the_built_ins():
    assert available_providers()[:4] == ["gemini", "openai", "local", "offline"]
    with pytest.raises(ValueError):
        register_provider("auto", lambda: None)


# ----------------------------------------------------------------------------- the real built-ins


def test_gemini_without_key_names_the_variable():
    with pytest.raises(ProviderError, match="set GEMINI_API_KEY"):
        get_provider("gemini")


def test_openai_without_key_or_endpoint_names_the_variable():
    with pytest.raises(ProviderError, match="set OPENAI_API_KEY"):
        get_provider("openai")


def test_openai_with_endpoint_needs_no_key():
    provider = get_provider("openai", settings=Settings(openai_base_url="http://localhost:11434/v1"))
    assert provider.name == "openai" and provider.base_url == "http://localhost:11434/v1"


def test_local_without_model_names_the_variable():
    with pytest.raises(ProviderError, match="set CHATPAPER_LOCAL_MODEL_PATH"):
        get_provider("local")


def test_local_with_a_missing_file_says_so(tmp_path):
    with pytest.raises(ProviderError, match="No GGUF model file at"):
        get_provider("local", settings=Settings(local_model_path=tmp_path / "absent.gguf"))


def test_built_in_gemini_gets_settings_timeouts_and_the_default_model():
    from chatpaper.llm.gemini import DEFAULT_GEMINI_MODEL

    provider = get_provider("gemini", api_key=GEMINI_KEY, settings=Settings(llm_timeout_seconds=17, llm_retries=1))
    assert provider.model == DEFAULT_GEMINI_MODEL
    assert provider.options.timeout_seconds == 17 and provider.options.retries == 1


def test_auto_with_nothing_builds_the_offline_runner():
    from chatpaper.extractive import ExtractiveRunner

    provider = get_provider("auto")
    assert isinstance(provider, ExtractiveRunner) and provider.name == "offline" and provider.extractive
    assert describe_provider(provider).startswith("offline: extractive, no LLM")


# ----------------------------------------------------------------------------- secrets


@pytest.mark.parametrize(("name", "key"), [("gemini", GEMINI_KEY), ("openai", OPENAI_KEY)])
def test_key_is_never_in_repr_str_settings_or_logs(name, key, caplog):
    caplog.set_level(logging.DEBUG)
    settings = Settings()
    provider = get_provider(name, api_key=key, settings=settings)
    for text in (repr(provider), str(provider), repr(vars(provider)), settings.model_dump_json(), caplog.text):
        assert key not in text


def test_key_is_not_cached_between_calls():
    first = get_provider("auto", api_key=GEMINI_KEY)
    assert first.name == "gemini"
    with pytest.raises(ProviderError, match="GEMINI_API_KEY"):
        get_provider("gemini")  # the earlier key is not remembered anywhere


def test_auto_choice_is_logged_by_variable_name_only(spies, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger="chatpaper.llm.registry")
    monkeypatch.setenv("GEMINI_API_KEY", GEMINI_KEY)
    get_provider()
    assert "GEMINI_API_KEY is set" in caplog.text
    assert GEMINI_KEY not in caplog.text


def test_local_model_path_from_model_argument(tmp_path):
    path = tmp_path / "tiny.gguf"
    with pytest.raises(ProviderError) as caught:
        get_provider("local", model=str(path))  # `--model x.gguf` names the file
    assert str(path) in str(caught.value)


def test_options_reach_the_provider_and_misspellings_fail():
    provider = get_provider("openai", base_url="http://localhost:8080/v1", options={"context_window": 4096})
    assert provider.context_window == 4096
    with pytest.raises(ValueError):
        get_provider("openai", base_url="http://localhost:8080/v1", options={"context_windw": 4096})


def test_an_endpoint_chosen_by_the_request_never_gets_the_operators_key(monkeypatch):
    """The app's base-URL box must not turn the Space's OPENAI_API_KEY into a gift to any server."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-operator-secret")
    foreign = get_provider("openai", base_url="http://attacker.example/v1")
    assert foreign._api_key.get_secret_value() != "sk-operator-secret"
    own = get_provider("openai", base_url="http://attacker.example/v1", api_key="sk-visitor")
    assert own._api_key.get_secret_value() == "sk-visitor"
    # the operator's own configuration still uses the operator's key
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")
    assert get_provider("openai")._api_key.get_secret_value() == "sk-operator-secret"
    assert get_provider("openai", base_url="http://127.0.0.1:8080/v1")._api_key.get_secret_value() == "sk-operator-secret"
    assert get_provider("openai", settings=Settings())._api_key.get_secret_value() == "sk-operator-secret"


def test_context_window_setting_sizes_an_openai_compatible_server(monkeypatch):
    monkeypatch.setenv("CHATPAPER_CONTEXT_WINDOW", "4096")
    provider = get_provider("openai", settings=Settings(), base_url="http://127.0.0.1:8080/v1")
    assert provider.context_window == 4096


def test_every_keyed_provider_resolves_its_key_through_one_path(monkeypatch):
    """The key given with the request, else the provider's variables in order; blanks do not count, and the
    name of the variable (never the value) is what may be logged."""
    from chatpaper.llm.gemini import GeminiProvider
    from chatpaper.llm.openai_compat import OpenAICompatProvider

    assert GeminiProvider.key_variables == ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    assert OpenAICompatProvider.key_variables == ("OPENAI_API_KEY",)
    assert GeminiProvider.resolve_key() is None and GeminiProvider.key_variable() is None
    monkeypatch.setenv("GEMINI_API_KEY", "   ")
    monkeypatch.setenv("GOOGLE_API_KEY", " g-second ")
    assert (GeminiProvider.resolve_key(), GeminiProvider.key_variable()) == ("g-second", "GOOGLE_API_KEY")
    monkeypatch.setenv("GEMINI_API_KEY", "g-first")
    assert (GeminiProvider.resolve_key(), GeminiProvider.key_variable()) == ("g-first", "GEMINI_API_KEY")
    assert GeminiProvider.resolve_key(" pasted ") == "pasted"  # the request's own key wins
    assert OpenAICompatProvider.resolve_key() is None  # each provider reads only its own variables
    assert "g-first" not in Settings().model_dump_json()  # keys are never settings


def test_the_cache_identity_names_a_chosen_endpoint():
    from chatpaper.llm.openai_compat import OpenAICompatProvider

    assert OpenAICompatProvider(api_key="k").cache_identity() == "openai"
    own = OpenAICompatProvider(base_url="http://127.0.0.1:8080/v1")
    assert own.cache_identity() == "openai@http://127.0.0.1:8080/v1"
