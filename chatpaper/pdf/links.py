"""Code and project URLs: GitHub, GitLab, Hugging Face and project pages a paper points to."""
from __future__ import annotations

import re

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"'{}|\\^`\[\]]+|\b(?:github\.com|gitlab\.com|huggingface\.co)/[^\s<>\"'{}]+",
                  re.I)
_CODE_HOST = re.compile(
    r"^(?:www\.)?(github\.com|gitlab\.com|huggingface\.co|bitbucket\.org|codeberg\.org|git\.io|"
    r"[\w-]+\.github\.io|[\w-]+\.gitlab\.io|sourceforge\.net|paperswithcode\.com)$",
    re.I,
)
# A link to the paper's own preprint or its DOI is never its code ("Extended version: https://arxiv.org/abs/...").
_NOT_CODE_HOST = re.compile(r"^(?:www\.|export\.)?(arxiv\.org|doi\.org|dx\.doi\.org)$", re.I)
# Link annotations read from this many pages at most: code links are on the first pages or in footnotes.
MAX_LINK_PAGES = 60
_PROJECT_HINT = re.compile(r"(project|code|implementation|demo|available|release|repository|website|page)", re.I)


def _tidy(url: str) -> str:
    url = url.rstrip(".,;:)]}>'\"”’")
    if url.count("(") < url.count(")"):
        url = url.rstrip(")")
    if not url.lower().startswith("http"):
        url = "https://" + url
    return url


def find_code_urls(text: str) -> list[str]:
    """Code and project-page URLs in order of appearance, without duplicates.

    Code hosts always count; any other URL counts when the words just before it say it is the
    paper's project page, code or demo.
    """
    found: list[str] = []
    for m in _URL.finditer(text or ""):
        url = _tidy(m.group(0))
        host = re.sub(r"^https?://", "", url, flags=re.I).split("/")[0].split(":")[0]
        path = url.split(host, 1)[1].strip("/") if host in url else ""
        if _NOT_CODE_HOST.match(host):
            continue
        if _CODE_HOST.match(host):
            if host.lower().endswith(("github.com", "gitlab.com", "huggingface.co")) and not path:
                continue
        elif not _PROJECT_HINT.search(text[max(0, m.start() - 60): m.start()]):
            continue
        if url not in found:
            found.append(url)
    return found


def link_uris(doc) -> list[str]:
    """The URIs of the PDF's own link annotations, in page order; [] when unreadable.

    The page's link chain is read directly (what page.get_links() walks) for each link's URI only:
    get_links() also resolves every internal destination (each citation and reference), which costs
    more than the pages' text on a paper with many."""
    uris: list[str] = []
    try:
        for page in doc.pages(0, min(doc.page_count, MAX_LINK_PAGES)):
            link = page.first_link
            while link:
                uri = (link.uri or "").strip()
                if uri.lower().startswith(("http://", "https://")) and uri not in uris:
                    uris.append(uri)
                link = link.next
    except Exception:  # noqa: BLE001 - a damaged annotation costs the annotations only, never the paper
        return uris
    return uris


def complete_from_annotations(urls: list[str], uris: list[str]) -> list[str]:
    """Prefer the PDF's own link target where the text's URL is a cut-off prefix of it.

    A URL that breaks across lines reads as its first line's part ("https://github.com/see2sound/"); the
    link annotation over it carries the whole target, so that one is used.
    """
    done: list[str] = []
    for url in urls:
        bare = url.rstrip("/").lower()
        longer = [u for u in uris if u.lower().startswith(bare) and len(u.rstrip("/")) > len(bare)
                  and not _NOT_CODE_HOST.match(re.sub(r"^https?://", "", u, flags=re.I).split("/")[0])]
        best = _tidy(longer[0]) if len(longer) == 1 else url  # two longer targets: the text cannot tell which
        if best not in done:
            done.append(best)
    return done
