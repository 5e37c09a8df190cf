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
        if _CODE_HOST.match(host):
            if host.lower().endswith(("github.com", "gitlab.com", "huggingface.co")) and not path:
                continue
        elif not _PROJECT_HINT.search(text[max(0, m.start() - 60): m.start()]):
            continue
        if url not in found:
            found.append(url)
    return found
