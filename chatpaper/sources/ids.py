"""arXiv identifiers: every form a user types or pastes -> one `ArxivRef`, anything else refused.

Forms accepted (https://info.arxiv.org/help/arxiv_identifier.html):
  2405.15619, 2405.15619v2, 0704.0001 (4-digit numbers until 2014), arXiv:2405.15619,
  hep-th/9901001, math.GT/0309136, hep-th/9901001v3,
  and arxiv.org / www.arxiv.org / export.arxiv.org links to abs/, pdf/ or html/, with or without
  a version, ".pdf", a query string or a fragment.
Nothing here touches the network; links to any other host are refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from chatpaper.errors import InvalidSourceError

ARXIV_HOSTS = frozenset({"arxiv.org", "www.arxiv.org", "export.arxiv.org"})
EXAMPLE_HINT = "use an ID like 2405.15619 or a link like https://arxiv.org/abs/2405.15619"

# YYMM.NNNNN since 2015, YYMM.NNNN from April 2007 to December 2014.
_NEW_STYLE = re.compile(r"(?P<yy>\d{2})(?P<mm>\d{2})\.(?P<num>\d{4,5})")
# archive(.SUBJECT-CLASS)/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136 (before April 2007).
_OLD_STYLE = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.(?P<subject>[A-Z]{2}))?/(?P<yy_old>\d{2})(?P<mm_old>\d{2})\d{3}"
)
_VERSION = re.compile(r"v(?P<version>[1-9]\d{0,3})")
_ID_WITH_VERSION = re.compile(rf"(?P<id>{_NEW_STYLE.pattern}|{_OLD_STYLE.pattern})(?:{_VERSION.pattern})?")
_PREFIX = re.compile(r"arxiv\s*:\s*", re.IGNORECASE)
_URL_PATH = re.compile(r"/(?:abs|pdf|html)/(?P<rest>.+)")


@dataclass(frozen=True)
class ArxivRef:
    """A validated arXiv identifier; `version` is None when the latest version is meant."""

    arxiv_id: str
    version: int | None = None

    @property
    def versioned(self) -> str:
        return f"{self.arxiv_id}v{self.version}" if self.version else self.arxiv_id

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.versioned}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.versioned}"

    def __str__(self) -> str:
        return self.versioned


def parse_arxiv_id(text: str) -> ArxivRef:
    """Parse an arXiv ID or arXiv link; raise InvalidSourceError with an accepted form otherwise."""
    if not isinstance(text, str):
        raise InvalidSourceError(f"Not an arXiv ID or link: {text!r}; {EXAMPLE_HINT}.")
    raw = text.strip()
    candidate = _PREFIX.sub("", raw, count=1) if _PREFIX.match(raw) else raw
    if _looks_like_url(candidate):
        candidate = _id_from_url(raw, candidate)
    match = _ID_WITH_VERSION.fullmatch(candidate)
    if not match:
        raise InvalidSourceError(f'Not an arXiv ID or link: "{_shorten(raw)}"; {EXAMPLE_HINT}.')
    _check_date(raw, match)
    version = match.group("version")
    return ArxivRef(arxiv_id=match.group("id"), version=int(version) if version else None)


def is_arxiv_host(host: str | None) -> bool:
    """arxiv.org and its own subdomains only (never arxiv.org.evil.com)."""
    host = (host or "").lower().rstrip(".")
    return host == "arxiv.org" or host.endswith(".arxiv.org")


def _looks_like_url(text: str) -> bool:
    lowered = text.lower()
    return "://" in lowered or lowered.startswith(("www.", "arxiv.org", "export.")) or "/abs/" in lowered


def _id_from_url(raw: str, url: str) -> str:
    if "://" not in url:
        url = "https://" + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidSourceError(f'Not an arXiv ID or link: "{_shorten(raw)}"; {EXAMPLE_HINT}.') from exc
    host = (parts.hostname or "").lower()
    if parts.scheme.lower() not in ("http", "https") or host not in ARXIV_HOSTS or parts.username or parts.password:
        raise InvalidSourceError(
            f'Only arXiv links are read, not "{_shorten(raw)}"; {EXAMPLE_HINT}, or upload the PDF itself.'
        )
    if port not in (None, 80, 443):
        raise InvalidSourceError(f'Not an arXiv ID or link: "{_shorten(raw)}"; {EXAMPLE_HINT}.')
    match = _URL_PATH.fullmatch(parts.path.rstrip("/"))
    if not match:
        raise InvalidSourceError(f'This arXiv link does not name a paper: "{_shorten(raw)}"; {EXAMPLE_HINT}.')
    rest = match.group("rest")
    return rest[: -len(".pdf")] if rest.lower().endswith(".pdf") else rest


def _check_date(raw: str, match: re.Match[str]) -> None:
    """Months run 01-12; new-style numbers have 4 digits before 2015 and 5 digits since."""
    yy, mm = match.group("yy") or match.group("yy_old"), match.group("mm") or match.group("mm_old")
    if not 1 <= int(mm) <= 12:
        raise InvalidSourceError(
            f'"{_shorten(raw)}" is not an arXiv ID: month {mm} does not exist; {EXAMPLE_HINT}.'
        )
    num = match.group("num")
    if num is not None:  # new style; old-style numbers are always YYMMNNN
        expected = 4 if int(yy) < 15 else 5
        if int(yy) < 7 or (int(yy) == 7 and int(mm) < 4) or len(num) != expected:
            raise InvalidSourceError(
                f'"{_shorten(raw)}" is not an arXiv ID: papers from 20{yy} have {expected}-digit numbers '
                f"after the dot; {EXAMPLE_HINT}."
            )


def _shorten(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
