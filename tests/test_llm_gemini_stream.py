"""GeminiProvider.stream: generate_content_stream's pieces, through an injected fake client (no network)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from google.genai import errors as genai_errors

from chatpaper.errors import ProviderError
from chatpaper.llm.base import LLMRequest
from chatpaper.llm.gemini import GeminiProvider


class StreamingModels:
    def __init__(self, pieces):
        self.pieces = pieces
        self.calls: list[dict] = []

    def generate_content_stream(self, **kwargs):
        self.calls.append(kwargs)
        for piece in self.pieces:
            if isinstance(piece, Exception):
                raise piece
            yield SimpleNamespace(text=piece)


def test_pieces_arrive_as_gemini_writes_them_with_the_same_config():
    models = StreamingModels(['{"answerable": true, "ans', 'wer": "MNIST."', None, ', "quotes": []}'])
    provider = GeminiProvider(client=SimpleNamespace(models=models))
    pieces = list(provider.stream(LLMRequest(system="s", prompt="p")))
    assert pieces == ['{"answerable": true, "ans', 'wer": "MNIST."', ', "quotes": []}']
    assert models.calls[0]["config"].system_instruction == "s"


@pytest.mark.parametrize("pieces, message", [
    ([None, ""], "Gemini returned no text"),
    (["{", genai_errors.ServerError(503, {"error": {"message": "overloaded"}})], "unavailable right now"),
])
def test_no_text_or_a_failure_mid_stream_is_one_sentence(pieces, message):
    provider = GeminiProvider(client=SimpleNamespace(models=StreamingModels(pieces)))
    with pytest.raises(ProviderError, match=message):
        list(provider.stream(LLMRequest(prompt="p")))
