"""Every arXiv identifier form a user types or pastes, and the look-alikes we refuse."""
from __future__ import annotations

import pytest

from chatpaper.errors import InvalidSourceError
from chatpaper.sources.ids import ArxivRef, is_arxiv_host, parse_arxiv_id

ACCEPTED = [
    # bare new-style IDs
    ("2405.15619", "2405.15619", None),
    ("2405.15619v2", "2405.15619", 2),
    ("2405.15619v12", "2405.15619", 12),
    ("0704.0001", "0704.0001", None),  # the first new-style ID: 4 digits until 2014
    ("1412.6980v9", "1412.6980", 9),
    ("1501.00001", "1501.00001", None),  # 5 digits since 2015
    # prefixes and whitespace
    ("arXiv:2405.15619", "2405.15619", None),
    ("arxiv:2405.15619v1", "2405.15619", 1),
    ("ARXIV: 2405.15619", "2405.15619", None),
    ("  2405.15619v3 \n", "2405.15619", 3),
    # old style
    ("hep-th/9901001", "hep-th/9901001", None),
    ("hep-th/9901001v3", "hep-th/9901001", 3),
    ("math.GT/0309136", "math.GT/0309136", None),
    ("arXiv:cond-mat/0011010v2", "cond-mat/0011010", 2),
    ("cs/0112017", "cs/0112017", None),
    # links
    ("https://arxiv.org/abs/2405.15619", "2405.15619", None),
    ("https://arxiv.org/abs/2405.15619v2", "2405.15619", 2),
    ("http://arxiv.org/abs/2405.15619", "2405.15619", None),
    ("https://www.arxiv.org/abs/2405.15619v1", "2405.15619", 1),
    ("https://export.arxiv.org/abs/2405.15619", "2405.15619", None),
    ("https://arxiv.org/pdf/2405.15619", "2405.15619", None),
    ("https://arxiv.org/pdf/2405.15619v2.pdf", "2405.15619", 2),
    ("https://arxiv.org/pdf/2405.15619.pdf", "2405.15619", None),
    ("https://arxiv.org/html/2405.15619v1", "2405.15619", 1),
    ("https://arxiv.org/html/2405.15619v1/#S3.F2", "2405.15619", 1),
    ("https://arxiv.org/abs/2405.15619?context=cs.CV", "2405.15619", None),
    ("https://arxiv.org/abs/2405.15619v2#section", "2405.15619", 2),
    ("https://arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001", 1),
    ("https://arxiv.org/pdf/math.GT/0309136", "math.GT/0309136", None),
    ("arxiv.org/abs/2405.15619", "2405.15619", None),
    ("HTTPS://ArXiv.org/abs/2405.15619", "2405.15619", None),
    (" https://arxiv.org/abs/2405.15619 ", "2405.15619", None),
]

REFUSED = [
    "",
    "   ",
    "foo",
    "2405",
    "2405.156",
    "2405.156190",  # six digits
    "2405.1561",  # 2024 IDs have five digits
    "1412.69801",  # 2014 IDs have four digits
    "0612.1234",  # new style only began in April 2007
    "2413.12345",  # month 13
    "2400.12345",  # month 00
    "hep-th/9913001",  # month 13, old style
    "hep-th/990100",  # six digits
    "HEP-TH/9901001",
    "2405.15619v0",
    "2405.15619v",
    "2405.15619 v2",
    "arXiv 2405.15619 is great",
    "doi:10.1145/3292500",
    "https://evil.com/abs/2405.15619",
    "https://arxiv.org.evil.com/abs/2405.15619",
    "https://evilarxiv.org/abs/2405.15619",
    "https://arxiv.org@evil.com/abs/2405.15619",
    "ftp://arxiv.org/abs/2405.15619",
    "file:///etc/passwd",
    "https://arxiv.org/list/cs.CV/recent",
    "https://arxiv.org/abs/",
    "https://arxiv.org/abs/2405.15619/extra",
    "https://arxiv.org:8080/abs/2405.15619",
    "https://github.com/kaixindelele/ChatPaper",
    "javascript:alert(1)",
]


@pytest.mark.parametrize(("text", "arxiv_id", "version"), ACCEPTED)
def test_accepted_forms(text, arxiv_id, version):
    ref = parse_arxiv_id(text)
    assert (ref.arxiv_id, ref.version) == (arxiv_id, version)


@pytest.mark.parametrize("text", REFUSED)
def test_refused_forms_raise_one_sentence_with_an_accepted_form(text):
    with pytest.raises(InvalidSourceError) as caught:
        parse_arxiv_id(text)
    message = str(caught.value)
    assert "2405.15619" in message  # shows an accepted form
    assert message.endswith(".") and "\n" not in message


def test_enough_forms_are_covered():
    assert len(ACCEPTED) + len(REFUSED) >= 25


def test_non_arxiv_hosts_are_named_as_such():
    with pytest.raises(InvalidSourceError, match="Only arXiv links"):
        parse_arxiv_id("https://arxiv.org.evil.com/abs/2405.15619")


def test_month_error_names_the_month():
    with pytest.raises(InvalidSourceError, match="month 13"):
        parse_arxiv_id("2413.12345")


def test_ref_versioned_and_urls():
    ref = parse_arxiv_id("arXiv:2405.15619v2")
    assert ref == ArxivRef("2405.15619", 2)
    assert ref.versioned == "2405.15619v2"
    assert ref.abs_url == "https://arxiv.org/abs/2405.15619v2"
    assert ref.pdf_url == "https://arxiv.org/pdf/2405.15619v2"
    assert ArxivRef("hep-th/9901001").versioned == "hep-th/9901001"
    with pytest.raises(AttributeError):
        ref.version = 3  # frozen: safe as a dict key


def test_long_garbage_is_shortened_in_the_message():
    with pytest.raises(InvalidSourceError) as caught:
        parse_arxiv_id("x" * 5000)
    assert len(str(caught.value)) < 250


@pytest.mark.parametrize(
    ("host", "ok"),
    [("arxiv.org", True), ("export.arxiv.org", True), ("ARXIV.ORG", True),
     ("arxiv.org.evil.com", False), ("evilarxiv.org", False), (None, False)],
)
def test_is_arxiv_host(host, ok):
    assert is_arxiv_host(host) is ok
