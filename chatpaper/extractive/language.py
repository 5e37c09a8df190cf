"""The paper's own language, by what the reader found or by its script (the extractive runner only quotes)."""
from __future__ import annotations

from chatpaper.models import Paper
from chatpaper.scripts import CJK_LETTER

# Languages written without spaces between words: their papers are quoted in their own script.
CJK_LANGUAGES = frozenset({"zh", "ja", "ko"})
_CJK = CJK_LETTER


def is_cjk_text(text: str) -> bool:
    return len(_CJK.findall(text)) > 0.3 * len(text)


def paper_language(paper: Paper) -> str:
    """The paper's own language: as the reader found it, else by script (Chinese, Japanese, Korean) or English."""
    if paper.language and paper.language != "en":
        return paper.language
    sample = " ".join(paper.page_texts[:2])[:20000] or paper.abstract or paper.title
    letters = sum(ch.isalpha() for ch in sample) or 1
    cjk = _CJK.findall(sample)
    if len(cjk) / letters < 0.2:
        return "en"
    kana = sum(1 for ch in cjk if "\u3040" <= ch <= "\u30ff")
    hangul = sum(1 for ch in cjk if "\uac00" <= ch <= "\ud7af")
    return "ja" if kana > len(cjk) * 0.1 else "ko" if hangul > len(cjk) * 0.5 else "zh"
