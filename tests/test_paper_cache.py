"""A cached Paper is keyed by the parser's version: a parser change parses the paper again."""
from __future__ import annotations

from chatpaper import paper_cache
from chatpaper.pdf import version
from tests.fake_llm import sample_paper


def test_a_stored_paper_is_found_again_by_the_same_parser(tmp_path):
    paper_cache.store_paper(sample_paper(), tmp_path)
    cached = paper_cache.cached_paper(tmp_path)
    assert cached is not None and cached.title == sample_paper().title


def test_a_new_parser_version_misses_the_paper_cache(tmp_path, monkeypatch):
    paper_cache.store_paper(sample_paper(), tmp_path)
    monkeypatch.setattr(version, "PARSER_VERSION", version.PARSER_VERSION + "-next")
    assert paper_cache.cached_paper(tmp_path) is None
    paper_cache.store_paper(sample_paper(), tmp_path)  # the new parse is stored beside, under its own version
    assert paper_cache.cached_paper(tmp_path) is not None
