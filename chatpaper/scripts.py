"""The Unicode ranges of the scripts ChatPaper reads alike: one definition for every stage that asks
"is this CJK?" (token counts, sentence splitting, retrieval terms, quote matching, the offline picks).

CJK here is written without spaces between words: Japanese kana, Han ideographs (the unified block, its
extension A and the compatibility block) and Korean Hangul syllables. Full-width punctuation is not in it;
the PDF reader's own, wider class (chatpaper.pdf.text.CJK_CHAR) decides how lines join.
"""
from __future__ import annotations

import re

# For use inside a character class: f"[{CJK_LETTERS}]".
CJK_LETTERS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
CJK_LETTER = re.compile(f"[{CJK_LETTERS}]")
CJK_RUN = re.compile(f"[{CJK_LETTERS}]+")
