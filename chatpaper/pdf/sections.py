"""Section headings (number, level, page), their roles and their clean text.

A heading is a short line set apart from the body font (larger, bold, ALL CAPS or small caps)
that starts with a section number in sequence, or names a well-known section. Numbers must
increase (1, 2, 3 / I, II / A, B): that one rule rejects numbered lists, tables of contents
and algorithm lines. Roles: exactly one level-1 `method` and one `conclusion` where they exist.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from chatpaper.models import OUTSIDE_BODY_ROLES, Paragraph, Section, SectionRole
from chatpaper.pdf.text import DocText, Line, is_cjk, paragraphs_with_pages

_NUMBERED = re.compile(
    r"^(?:(?:appendix|supplementary\s+material)\s+)?(?P<num>\d{1,2}(?:\.\d{1,2}){0,3}|[IVX]{1,5}|[A-H](?:\.\d{1,2}){0,2})"
    r"(?P<dot>[.:)、．]?)(?:\s+|(?=[\u3400-\u9fff]))(?P<title>\S.*)$",
    re.I,
)
# Chinese numbering: "第1章 绪论" / "第一章", "一、引言" (level 1) and "（一）" (level 2)
_CJK_DIGITS = "〇零一二三四五六七八九十"
_CHAPTER = re.compile(rf"^第\s*(?P<num>[0-9{_CJK_DIGITS}]{{1,3}})\s*[章部篇]\s*(?P<title>\S.*)$")
# A thesis's or report's chapter: "Chapter 1 Introduction", "CHAPTER 2: Background", or "CHAPTER 1" over its name
_CHAPTER_EN = re.compile(r"^chapter\s+(?P<num>\d{1,2}|[IVX]{1,5})\b\s*[.:—–\-]?\s*(?P<title>.*)$", re.I)
_CHAPTER_NAME_GAP = 3.0  # a stacked chapter's name sits within this many of its label's font sizes below it
_CJK_TOP = re.compile(rf"^(?P<num>[{_CJK_DIGITS}]{{1,3}})\s*[、.．]\s*(?P<title>\S.*)$")
_CJK_SUB = re.compile(rf"^[（(](?P<num>[{_CJK_DIGITS}]{{1,3}})[）)]\s*(?P<title>\S.*)$")
# Chinese section names
_ZH_INTRO = r"引言|绪论|前言|导言|简介|概述|概论"
_ZH_CONCLUSION = r"结论|结语|结束语|总结|小结|结论与展望|总结与展望|结论与讨论|总结与讨论|结语与展望"
# The reference list's heading, whatever the style calls it
REFERENCES = re.compile(r"references|bibliography|literature\s+cited|works\s+cited|reference\s+list|参考文献|参考资料",
                        re.I)
_APPENDIX_PREFIX = re.compile(r"^appendix\s+(?P<num>[A-H])\b[.:]?\s*(?P<title>.*)$", re.I)
# "附录A1: 名词表", "附录 B 证明": a Chinese appendix, numbered or lettered
_APPENDIX_ZH = re.compile(r"^附\s*录\s*(?P<num>[A-Z]?\d{0,2})\s*[:：.、]?\s*(?P<title>\S.*)$")
# Captions, theorem-like labels and algorithm lines: numbered and bold, but not headings
_NOT_TITLE = re.compile(
    r"^((fig\.?|figure|table|tab\.|algorithm|alg\.)\s*[\dA-Z]|(lemma|theorem|proof|definition|corollary|"
    r"proposition|remark|example|step|input|output|require|ensure|return|equation|eq\.|note|claim|assumption|"
    r"case|hypothesis|question|observation|conjecture|property)\s*(\d|[:.(]|$)|q\d|http|"
    # algorithm lines ("End for", "For each ... do", "If ... then"), not "End-to-End Training"
    r"end(\s+(for|if|while|procedure|function))?\s*$|for\s+(each|all|every)\b|(for|while)\b.*\bdo\s*$|if\b.*\bthen\s*$)",
    re.I,
)
# Unnumbered headings a numbered paper may still have (back matter, mostly)
_KNOWN = re.compile(
    r"^(abstract|introduction|conclusions?|concluding\s+remarks|limitations?|acknowledge?ments?(\s+and\s+.*)?|"
    r"references|bibliography|literature\s+cited|works\s+cited|reference\s+list|appendi(x|ces)|broader\s+impacts?.*|"
    r"supplementary\s+materials?|conclusions?\s+and\s+.*|"
    r"limitations\s+and\s+.*|(ethics|reproducibility|impact|data\s+availability|code\s+availability)(\s+statement)?|"
    r"ethical\s+(considerations?|statement|implications)|societal\s+impacts?|author\s+contributions?|"
    r"declaration\s+of\s+(competing|conflicting)\s+interests?|credit\s+authorship\s+contribution\s+statement|"
    r"competing\s+interests?|conflicts?\s+of\s+interests?|funding|"
    rf"摘要|{_ZH_INTRO}|{_ZH_CONCLUSION}|参考文献|致谢|附录.*|展望)$",
    re.I,
)
# Any heading name an unnumbered paper may use for its top-level sections
_UNNUMBERED_TOP = re.compile(
    r"^(introduction|related\s+work|background|conclusions?|discussion|experiments?|results|methods?|"
    r"methodology|approach|evaluation|"
    rf"{_ZH_INTRO}|相关工作|研究背景|背景|{_ZH_CONCLUSION}|讨论|实验|实验结果|方法|模型)$",
    re.I,
)
_FRONT_LABELS = re.compile(r"(摘要|关键词|关键字|中图分类号|abstract|key\s?words|index\s+terms|ccs\s+concepts|"
                           r"acm\s+reference\s+format|highlights|"
                           r"graphical\s+abstract|general\s+terms|categories\s+and\s+subject\s+descriptors)\b", re.I)
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10,
          "XI": 11, "XII": 12, "XIII": 13, "XIV": 14, "XV": 15}


@dataclass(slots=True)
class Heading:
    title: str
    number: str | None
    level: int
    page: int
    line_index: int  # index of its first line in the document's flat line list
    end_index: int  # index of the first line after it
    style: tuple
    role: SectionRole | None = None


def _style(line: Line) -> tuple:
    return (round(line.size * 2) / 2, line.bold, line.caps or line.smallcaps)


def _distinct(line: Line, body_size: float) -> bool:
    """Set apart from running text: larger, bold, or capitals."""
    return line.size >= body_size + 0.8 or line.bold or line.smallcaps or (line.caps and line.size >= body_size - 0.6)


def _plausible_title(title: str) -> bool:
    title = title.strip()
    letters = sum(ch.isalpha() for ch in title)
    cjk = sum(is_cjk(ch) for ch in title)
    if (letters < 3 and cjk < 2) or len(title.split()) > 16 or cjk > 30 or _NOT_TITLE.match(title):
        return False
    if cjk and re.search(r"[。；]|[，,].*[，,]", title):
        return False  # a sentence, not a heading
    first = title[0]
    if not (first.isupper() or first.isdigit() or first in "“\"'‘(" or is_cjk(first)):
        return False
    if re.search(r"[=<>≤≥∑∈]|\.\s*\.\s*\.", title):
        return False
    # a trailing page number (contents, index) unless it numbers a part: "Experiment 2", "Stage 1"
    if re.search(r"\s\d{1,3}$", title) and not re.search(
            r"\b(task|stage|phase|step|experiment|study|part|round|level|setting|scenario|case|rq|question|"
            r"hypothesis|dataset|version|round)\s+\d{1,3}$", title, re.I):
        return False
    return not (title.endswith((",", ";")) or sum(ch.isdigit() for ch in title) > 0.3 * letters)


_LEADERS = re.compile(r"(\.\s*){5,}|…{3,}|(·\s*){5,}")
_NUMBERED_END = re.compile(r"\s\d{1,3}$")
_CONTENTS_TITLE = re.compile(r"(table of )?contents|目\s*录|目\s*次", re.I)


def _is_toc_page(lines: list[Line]) -> bool:
    """A table of contents: dot leaders, or a "Contents" title over lines ending in page numbers."""
    # the regexes only where they can match: every line of every page comes through here
    leaders = sum(1 for ln in lines if ("." in ln.text or "…" in ln.text or "·" in ln.text) and _LEADERS.search(ln.text))
    if leaders >= 5:
        return True
    if not any(_CONTENTS_TITLE.fullmatch(ln.text.strip()) for ln in lines):
        return False
    return sum(1 for ln in lines if _NUMBERED_END.search(ln.text.strip())) >= 8


class _Sequence:
    """Accept section numbers only in order: 1, 2, 3 then 3.1, 3.2; I, II; A, B."""

    def __init__(self, relaxed: bool = False):
        self.relaxed = relaxed
        self.top: int = 0
        self.kind: str | None = None  # "arabic" | "roman"
        self.sub: list[int] = []
        self.letter: int = 0
        self.letter_sub: list[int] = []

    def accept(self, num: str, appendix_zone: bool) -> tuple[bool, int]:
        """(accepted, level) for a heading number."""
        if re.fullmatch(r"\d+(\.\d+)*", num):
            parts = [int(p) for p in num.split(".")]
            if len(parts) == 1:
                n = parts[0]
                if self.kind == "roman":
                    return False, 0
                if self.top < n <= self.top + 3 or (self.top == 0 and (n <= 2 or self.relaxed)):
                    self.top, self.kind, self.sub = n, "arabic", []
                    return True, 1
                return False, 0
            if parts[0] != self.top or self.kind != "arabic":
                return False, 0
            depth = len(parts)
            prev = self.sub[: depth - 1] + [0] * (depth - 1 - len(self.sub[: depth - 1]))
            if list(parts[1:-1]) != prev[: depth - 2] and depth > 2:
                return False, 0
            last_prev = self.sub[depth - 2] if len(self.sub) >= depth - 1 else 0
            if not (last_prev < parts[-1] <= last_prev + 3):
                return False, 0
            self.sub = list(parts[1:])
            return True, depth
        upper = num.upper()
        if upper in _ROMAN and self.kind in (None, "roman") and not appendix_zone:
            n = _ROMAN[upper]
            if self.top < n <= self.top + 3 or (self.top == 0 and n == 1):
                self.top, self.kind, self.sub, self.letter = n, "roman", [], 0
                return True, 1
            return False, 0
        m = re.fullmatch(r"([A-H])((?:\.\d+)*)", upper)
        if m:
            letter = ord(m.group(1)) - ord("A") + 1
            subs = [int(p) for p in m.group(2).split(".")[1:]] if m.group(2) else []
            if self.kind == "roman" and not appendix_zone:
                # IEEE: lettered subsections under roman sections restart at A in each section
                if not subs and (letter == self.letter + 1 or letter == 1):
                    self.letter = letter
                    return True, 2
                return False, 0
            if not subs:
                if self.letter < letter <= self.letter + 2 or (letter == 1):
                    self.letter, self.letter_sub = letter, []
                    return True, 1
                return False, 0
            if letter != self.letter:
                return False, 0
            self.letter_sub = subs
            return True, 1 + len(subs)
        return False, 0


def find_headings(doc: DocText, lines: list[Line], start: int) -> list[Heading]:
    """Headings in reading order among `lines` (flat, all pages), from index `start` on."""
    by_page: dict[int, list[Line]] = {}
    for ln in lines:
        by_page.setdefault(ln.page, []).append(ln)
    toc_pages = {p for p, ls in by_page.items() if _is_toc_page(ls)}
    headings = _scan(doc, lines, start, toc_pages, _Sequence())
    if not any(h.number for h in headings):
        # the first pages may be lost (damaged file): let the numbering start anywhere
        headings = _scan(doc, lines, start, toc_pages, _Sequence(relaxed=True))
    if sum(1 for h in headings if h.number and h.level == 1) < 2:
        headings = _scan_unnumbered(doc, lines, start, toc_pages) or headings
    return _drop_dividers(headings)


def _scan(doc: DocText, lines: list[Line], start: int, toc_pages: set[int], seq: _Sequence) -> list[Heading]:
    body = doc.body_size
    headings: list[Heading] = []
    top_sizes: list[float] = []
    top_style: tuple[float, bool] | None = None
    appendix_zone = False
    i = start
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.kind != "body" or line.page in toc_pages or line.words > 18:
            continue
        # italic counts only for numbered lines: IEEE's "A. Subsection" is set in italics
        if not (_distinct(line, body) or (line.italic and line.words <= 12 and _NUMBERED.match(line.text.strip()))):
            continue
        text = heading_text(line.text)
        number = None
        title = text
        level = 1
        name_lines = 0  # lines of a stacked chapter's name, below its "CHAPTER 1"
        chapter = _chapter(lines, i, line, text, body)
        cjk = None if chapter else _cjk_number(text, seq)
        m = None if cjk or chapter else _APPENDIX_PREFIX.match(text)
        zh_appendix = _APPENDIX_ZH.match(text) if not cjk and not m and not chapter else None
        if chapter:
            if not _plausible_title(chapter[1]):
                continue
            if headings and chapter[0] == "1":  # what came before the first chapter was front matter
                headings, top_sizes, top_style = [], [], None
                seq = _Sequence(relaxed=seq.relaxed)
            ok, level = seq.accept(chapter[0], appendix_zone)
            if not ok:
                continue
            number, title, name_lines = chapter
            i += name_lines
        elif zh_appendix and _plausible_title(zh_appendix.group("title")) and headings:
            number, title, level = zh_appendix.group("num") or None, zh_appendix.group("title"), 1
            appendix_zone = True
        elif cjk:
            if not _plausible_title(cjk[1]):
                continue
            if headings and cjk[0] == "1" and re.match(_ZH_INTRO, cjk[1]):
                headings, top_sizes, top_style = [], [], None  # what came before the introduction was front matter
                seq = _Sequence(relaxed=seq.relaxed)
            ok, level = seq.accept(cjk[0], appendix_zone)
            if not ok:
                continue
            number, title = cjk[0], cjk[1]
        elif m and m.group("title"):
            number, title = m.group("num").upper(), m.group("title")
            ok, level = seq.accept(number, True)
            if not ok:
                continue
            appendix_zone = True
        else:
            m = _NUMBERED.match(text)
            lettered = m is not None and bool(re.fullmatch(r"[A-H]", m.group("num"), re.I))
            top_like = top_style is not None and abs(line.size - top_style[0]) <= 0.3 and line.bold == top_style[1]
            if m and (m.group("dot") or not lettered or appendix_zone or top_like
                      or _distinct_caps(m.group("title"))) and not re.fullmatch(r"[a-h]", m.group("num")):
                if not _plausible_title(m.group("title")):
                    continue
                if headings and m.group("num") in ("0", "1", "I") and re.match(rf"introduction|{_ZH_INTRO}",
                                                                              m.group("title"), re.I):
                    # whatever looked like sections before the introduction was front matter
                    headings, top_sizes, top_style = [], [], None
                    seq = _Sequence(relaxed=seq.relaxed)
                ok, level = seq.accept(m.group("num"), appendix_zone)
                if not ok:
                    continue
                number, title = m.group("num"), m.group("title")
            else:
                if not _KNOWN.match(text.rstrip(".:：")) or not _starts_block(lines, i - 1):
                    continue
                if any(h.number for h in headings) and re.fullmatch(r"abstract|摘要", text.rstrip(".:："), re.I):
                    continue  # an English abstract printed after the body (Chinese journals) is no section
                if top_sizes and line.size < min(top_sizes) - 0.6 and not _opens_page(lines, i - 1):
                    continue  # smaller than the sections, unless it opens a page as a thesis's back matter does
                title = text.rstrip(".:")
        title, consumed = _continue_title(lines, i, lines[i - 1] if name_lines else line, title)
        i += consumed
        heading = Heading(title=_tidy(title), number=number, level=level, page=line.page,
                          line_index=i - 1 - consumed - name_lines, end_index=i, style=_style(line))
        if level == 1 and number:
            top_sizes.append(line.size)
            top_style = top_style or (line.size, line.bold)
        low = heading.title.lower()
        if (REFERENCES.match(low) or re.match(r"(appendi(x|ces)|supplementary)", low)):
            appendix_zone = True
        if number and re.fullmatch(r"[A-H](\.\d+)*", number) and seq.kind != "roman":
            appendix_zone = True  # lettered sections after numbered ones are appendices
        heading.role = "appendix" if appendix_zone and not REFERENCES.fullmatch(low) else None
        headings.append(heading)
    return headings


def _scan_unnumbered(doc: DocText, lines: list[Line], start: int, toc_pages: set[int]) -> list[Heading]:
    """Papers without section numbers: headings share the style of their "Introduction"."""
    anchor = next((ln for ln in lines[start:] if ln.kind == "body" and ln.page not in toc_pages
                   and _UNNUMBERED_TOP.match(heading_text(ln.text).rstrip(".:：")) and _distinct(ln, doc.body_size)),
                  None)
    if anchor is None:
        return []
    style = _style(anchor)
    headings: list[Heading] = []
    appendix_zone = False
    # from the body's start, not the anchor: a first section may have another name ("Motivation")
    i = start
    while i < len(lines):
        line = lines[i]
        i += 1
        text = line.text.strip().rstrip(".:")
        if (line.kind != "body" or line.page in toc_pages or _style(line) != style or line.words > 12
                or not _plausible_title(text) or not _starts_block(lines, i - 1)):
            continue
        text = heading_text(text)
        if _FRONT_LABELS.match(text):
            continue  # "Keywords", "CCS Concepts" ... close the front matter, they are not sections
        text, consumed = _continue_title(lines, i, line, text)  # a long heading wraps
        i += consumed
        low = text.lower()
        if (REFERENCES.match(low) or re.match(r"(appendi(x|ces)|supplementary)", low)):
            appendix_zone = True
        role: SectionRole | None = "appendix" if appendix_zone and not REFERENCES.fullmatch(low) else None
        headings.append(Heading(title=_tidy(text), number=None, level=1, page=line.page, line_index=i - 1 - consumed,
                                end_index=i, style=style, role=role))
    return headings if len(headings) >= 3 else []


def _drop_dividers(headings: list[Heading]) -> list[Heading]:
    """An unnumbered "Appendix" / "Supplementary Material" page title right before numbered appendices."""
    out = []
    for k, h in enumerate(headings):
        nxt = headings[k + 1] if k + 1 < len(headings) else None
        if (h.number is None and re.match(r"(appendi(x|ces)|supplementary)", h.title, re.I) and nxt is not None
                and nxt.number and nxt.line_index - h.end_index < 12):
            continue
        out.append(h)
    return out


def _distinct_caps(title: str) -> bool:
    letters = [ch for ch in title if ch.isalpha()]
    return len(letters) >= 3 and all(ch.isupper() for ch in letters)


def _opens_page(lines: list[Line], index: int) -> bool:
    """The line is the first body line of its page."""
    j = index - 1
    while j >= 0 and lines[j].kind != "body":
        j -= 1
    return j < 0 or lines[j].page != lines[index].page


def _starts_block(lines: list[Line], index: int) -> bool:
    line = lines[index]
    prev = lines[index - 1] if index else None
    return prev is None or prev.block != line.block or prev.page != line.page


def _continue_title(lines: list[Line], i: int, first: Line, title: str) -> tuple[str, int]:
    """A heading that wraps onto the next line(s) in the same style."""
    consumed = 0
    last = first
    while i + consumed < len(lines) and consumed < 2:
        nxt = lines[i + consumed]
        if nxt.kind != "body" or nxt.page != first.page:
            break
        gap = nxt.y0 - last.y1
        if (not (-0.5 * first.size < gap < 0.6 * first.size) or abs(nxt.size - first.size) > 0.3
                or nxt.bold != first.bold or nxt.italic != first.italic):
            break
        if ((first.caps or first.smallcaps) and not (nxt.caps or nxt.smallcaps)) or nxt.words > 12:
            break
        if _NUMBERED.match(nxt.text.strip()) and re.match(r"\d", nxt.text.strip()):
            break
        if abs(nxt.x0 - first.x0) > 0.5 * (first.x1 - first.x0) and abs((nxt.x0 + nxt.x1) - (first.x0 + first.x1)) > 40:
            break
        title = title.rstrip() + " " + nxt.text.strip()
        consumed += 1
        last = nxt
    return title, consumed


def _tidy(title: str) -> str:
    title = heading_text(title)
    return title.rstrip(" .:：")


# spaces set between CJK characters (letter-spaced "建\u3000\u3000模", "参 考 文 献"), not between words
_CJK_GAP = re.compile(r"(?<=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef])\s+(?=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef])")
_SPACED_NUMBER = re.compile(r"^(\d{1,2})\.\s(?=\d{1,2}\s)")  # "2. 1 情绪分类" from Word's numbering


def heading_text(text: str) -> str:
    """A heading line's text, with the spacing Chinese layouts put inside headings and numbers taken out."""
    text = re.sub(r"\s+", " ", text).strip()
    if text.isascii():
        return text
    text = _CJK_GAP.sub("", text)
    text = _SPACED_NUMBER.sub(r"\1.", text)
    # "1 　引言" had an ideographic space after the number; "1引言" none: one plain space either way
    return re.sub(r"^(\d{1,2}(?:\.\d{1,2}){0,3}[.、．]?)\s*(?=[\u3400-\u9fff])", r"\1 ", text)


def _chapter(lines: list[Line], i: int, line: Line, text: str, body_size: float) -> tuple[str, str, int] | None:
    """(arabic number, title, lines of the name below it) of an English chapter heading, or None.

    "Chapter 1 Introduction" carries its name; "CHAPTER 1" alone has it on the next line, set apart
    from the body and close below."""
    m = _CHAPTER_EN.match(text)
    if not m:
        return None
    num = m.group("num").upper()
    number = str(_ROMAN[num]) if num in _ROMAN else num
    if m.group("title"):
        return number, m.group("title").strip(), 0
    nxt = lines[i] if i < len(lines) else None
    if (nxt is None or nxt.kind != "body" or nxt.page != line.page or nxt.words > 12 or not _distinct(nxt, body_size)
            or not -0.5 * line.size < nxt.y0 - line.y1 < _CHAPTER_NAME_GAP * line.size):
        return None
    return number, heading_text(nxt.text), 1


def _cjk_digits(num: str) -> int | None:
    """"3", "三", "十二", "二十" -> the number."""
    if num.isdigit():
        return int(num)
    values = {ch: k for k, ch in enumerate("零一二三四五六七八九")} | {"〇": 0}
    if "十" in num:
        tens, _, ones = num.partition("十")
        if (tens and tens not in values) or (ones and ones not in values):
            return None
        return (values[tens] if tens else 1) * 10 + (values[ones] if ones else 0)
    if len(num) == 1 and num in values:
        return values[num]
    return None


def _cjk_number(text: str, seq: _Sequence) -> tuple[str, str] | None:
    """(arabic number, title) of a heading numbered the Chinese way, or None."""
    for pattern in (_CHAPTER, _CJK_TOP):
        m = pattern.match(text)
        if m and (n := _cjk_digits(m.group("num"))) is not None:
            return str(n), m.group("title").strip()
    m = _CJK_SUB.match(text)
    if m and seq.kind == "arabic" and seq.top and (n := _cjk_digits(m.group("num"))) is not None:
        return f"{seq.top}.{n}", m.group("title").strip()
    return None


# --------------------------------------------------------------------------- roles

# Title patterns of the roles a title names, first match wins; "method" (and "conclusion" among several)
# is chosen by position and content, in assign_roles.
_ROLE_PATTERNS: list[tuple[SectionRole, str]] = [
    ("references", r"^(references|bibliography|literature\s+cited|works\s+cited|reference\s+list|参考文献|参考资料)$"),
    ("introduction", rf"^introduction\b|^overview$|^({_ZH_INTRO})$"),
    ("motivation", r"^(an?\s+)?motivati(on|ng)\b|^研究动机"),  # why the problem matters, before the method
    ("related_work", r"related\s+work|prior\s+work|previous\s+work|literature|^background\b|"
                     r"相关工作|相关研究|研究现状|国内外研究|文献综述|^研究背景|^背景"),
    ("conclusion", rf"conclu|^({_ZH_CONCLUSION})"),
    ("acknowledgments", r"^acknowledge?ments?\b|^致谢"),  # "Acknowledgments and Disclosure of Funding" too
    ("limitations", r"^limitations?$"),
    # a publisher's administrative notes (Elsevier, Springer, Nature), like acknowledgements not the paper's body
    ("administrative", r"^((data|code|software|materials?)(\s+and\s+(data|code|software|materials?))?\s+availability|"
                       r"competing\s+interests?|conflicts?\s+of\s+interests?|declaration\s+of\s+(competing|conflicting)|"
                       r"credit\s+author(ship)?|author\s+contributions?|funding|declarations?$)"),
    # back-matter statements close many papers after their conclusion
    ("statement", r"^(broader\s+impacts?|societal\s+impacts?|ethic(s|al)|impact\s+statement|reproducibility)"),
    # "Benchmarking ...", "Benchmark Results"; but "The X Benchmark" is a benchmark paper's contribution
    ("experiments", r"experiment|evaluation|results|empirical|^benchmarks?$|benchmarking|"
                    r"benchmarks?\s+(results|evaluation|comparisons?|performance)|"
                    # "实验原理" (the principle an experiment rests on) is a method, not the experiments
                    r"^(?!.*原理).*(实验|性能评估|评估|评测|仿真结果|结果与分析|结果分析)"),
    # "System Model" (IEEE), "Problem Setup": the setting the method works in, not the method
    ("preliminaries", r"^preliminar|^notation|^problem\s+(setup|formulation|statement|definition)|^preparation|"
                      r"^(system|signal|channel|data|observation|network)\s+models?$|^(setup|setting)\b|"
                      r"^(预备知识|基础知识|背景知识|问题定义|问题描述|问题形式化)"),
    ("discussion", r"^discussion\b|^summary\b|^future\s+work|remarks$|outlook$|^closing\b|^讨论|^展望|^未来工作"),
    ("appendix", r"^附录"),
]
_METHOD_WORDS = re.compile(
    r"\b(method|methods|methodology|approach|algorithm|framework|architecture|proposed|our\s+model|model|"
    r"system\s+architecture|technique|design)\b|方法|模型|算法|框架|架构|设计|方案|原理",
    re.I,
)


def assign_roles(headings: list[Heading], paper_title: str = "", texts: list[str] | None = None,
                 abstract: str = "") -> None:
    """Roles from titles and position; exactly one level-1 method and conclusion when they exist.

    `texts` (each heading's own text) lets the method fallback prefer the section that proposes;
    an `abstract` that only reviews or compares others' work leaves the method unmarked.
    """
    for h in headings:
        if h.role == "appendix":
            continue
        low = h.title.lower()
        for role, pattern in _ROLE_PATTERNS:
            if re.search(pattern, low):
                h.role = role
                break
    top = [h for h in headings if h.level == 1 and h.role != "appendix"]
    _assign_conclusion(top)
    _assign_method(top, paper_title, _tree_texts(headings, texts) if texts else {}, abstract)
    # subsections inherit their parent's role
    parent: Heading | None = None
    for h in headings:
        if h.level == 1:
            parent = h
        elif parent is not None and parent.role and h.role not in ("appendix",):
            h.role = parent.role


def _assign_conclusion(top: list[Heading]) -> None:
    body = [h for h in top if h.role not in OUTSIDE_BODY_ROLES]
    chosen = next((h for h in reversed(body) if h.role == "conclusion"), None)
    if chosen is None:
        # "Discussion" / "Summary" closes a paper that has no conclusion of that name
        tail = [h for h in body if h.role not in ("limitations", "statement")][-2:]
        chosen = next((h for h in reversed(tail) if h.role == "discussion"), None)
    for h in top:
        if h.role == "conclusion" and h is not chosen:
            h.role = "discussion"
    if chosen:
        chosen.role = "conclusion"


_STRONG_METHOD = re.compile(r"\b(proposed|our|method|methods|methodology|approach|framework|algorithm)\b|"
                            r"本文|提出|方法|算法", re.I)
# "A Survey of ...", "...: A Review", "An Overview of ...", not "Code Review Generation"
_SURVEY = re.compile(r"^(a\s+|an\s+)?(\w+\s+)?(survey|review|overview|tutorial)\s+(of|on)\b|"
                     r"\b(a|an)\s+(\w+\s+)?(survey|review|overview|tutorial)\b|:\s*(survey|review|overview|tutorial)\b",
                     re.I)
# A title that names a study of others' work or an argument, not a method: "Position: ...", "A Comparative
# Study of ...", "An Empirical Comparison of ...", "Benchmarking ...", "Do Transformers Really ...?" is not one
_STUDY_TITLE = re.compile(r"^position\s*:|\ba\s+position\s+paper\b|^(an?\s+)?(\w+\s+)?(comparative|empirical|systematic)\s+"
                          r"(study|comparison|evaluation|analysis|review)\s+(of|on)\b|^(an?\s+)?comparison\s+of\b|"
                          r"^benchmarking\s", re.I)
# An abstract that only reviews, benchmarks or compares others' work: the paper has no method of its own
_REVIEWS = re.compile(
    r"\b(this|the\s+present|our)\s+(paper|article|work|survey|review)\s+(reviews|surveys|summari[sz]es|compares|"
    r"benchmarks)\b|\bwe\s+(review|survey|benchmark|systematically\s+compare|empirically\s+compare)\b|"
    r"\bposition\s+paper\b|\b(this|our)\s+(paper|article|work)\s+argues\b|\bwe\s+compare\s+(\w+\s+)?"
    r"(existing|several|various|popular|many|a\s+range\s+of|state-of-the-art|\d+|two|three|four|five|six|seven|"
    r"eight|nine|ten|twelve|dozens)\b|\b(a|an|the\s+first)\s+(\w+\s+)?(comparative|empirical)\s+(study|comparison)\b|"
    r"本文(将)?(会)?(回顾|综述|梳理|总结了?)|综述了|(横向)?对比(了)?(它们|各种|不同|现有)",
    re.I,
)
_LATE_METHODS = re.compile(r"((materials|data|online)\s+and\s+)?(materials\s+and\s+)?(online\s+)?methods?|methodology",
                           re.I)
_PROPOSES = re.compile(
    r"\b(we\s+(propose|present|introduce|describe|develop|design)|our\s+(proposed\s+)?(method|approach|model|"
    r"framework|algorithm|technique|system)|(the\s+)?proposed\s+(method|approach|model|framework|algorithm))\b|"
    r"(本文|我们)(所)?(提出|设计|采用|给出|构建)|提出(了)?一种|本文(的)?(方法|算法|模型)",
    re.I,
)


# Unnamed body sections before the experiments from which no one can be picked as "the" method: a
# monograph or tutorial develops its idea across them (three or four are a method, its parts and a setting)
_SPREAD_SECTIONS = 5


def _tree_texts(headings: list[Heading], texts: list[str]) -> dict[int, str]:
    """id(level-1 heading) -> its text and its subsections' text."""
    out: dict[int, str] = {}
    top = None
    for h, text in zip(headings, texts, strict=True):
        if h.level == 1:
            top = h
            out[id(h)] = text
        elif top is not None:
            out[id(top)] += "\n" + text
    return out


def _assign_method(top: list[Heading], paper_title: str, tree: dict[int, str], abstract: str = "") -> None:
    for h in top:
        if h.role == "method":
            h.role = None
    if _SURVEY.search(paper_title) or _STUDY_TITLE.search(paper_title) or "综述" in paper_title:
        return  # a survey, position or comparison paper has no method of its own
    if _REVIEWS.search(abstract) and not _PROPOSES.search(abstract):
        return  # a review, benchmark or comparison: mark none rather than the nearest guess
    intro = next((i for i, h in enumerate(top) if h.role == "introduction"), None)
    if intro is None and top and (top[0].number in ("1", "I") or (top[0].number is None and top[0].page <= 2)):
        intro = 0  # a first section under another name ("Motivation", "The Problem") introduces the paper
    if intro is None:
        return  # no introduction (lost pages, odd layout): no basis to place the method
    stop = next((i for i, h in enumerate(top) if i > intro and h.role in ("conclusion", "references")), len(top))
    candidates = [h for h in top[intro + 1:stop] if h.role is None]
    named = [h for h in candidates if _METHOD_WORDS.search(_singular_model(h.title))]
    if named:
        # "Proposed ..." / "Our ..." / "Method" outrank a bare "Model" or "Architecture"
        (next((h for h in named if _STRONG_METHOD.search(h.title)), None) or named[0]).role = "method"
        return
    # journals in the Nature style put "Methods" after the Discussion
    late = [h for h in top[stop:] if h.role is None and _LATE_METHODS.fullmatch(h.title.strip())]
    if late:
        late[0].role = "method"
        return
    # the method comes before the experiments: the section that says "we propose" most, else the first
    first_exp = next((top.index(h) for h in top[intro + 1:stop] if h.role == "experiments"), stop)
    early = [h for h in candidates if top.index(h) < first_exp] or candidates
    if not early or len(early) >= _SPREAD_SECTIONS:
        return  # no heading names the method, and the work is spread over many: no single method section
    counts = [len(_PROPOSES.findall(tree.get(id(h), ""))) for h in early]
    best = max(range(len(early)), key=lambda k: (counts[k], -k))
    chosen = early[best] if counts[best] >= 2 else early[0]
    chosen.role = "method"


def _singular_model(title: str) -> str:
    """"Models" in a title usually names what is studied; only "Model" names the paper's own."""
    return re.sub(r"\bmodels\b", "", title, flags=re.I)


# --------------------------------------------------------------------------- text


# Lines set below this share of the body size (labels inside figures, stray sub- and superscripts) are not
# part of a section's prose.
TINY_PRINT = 0.8


def heading_paragraphs(doc: DocText, lines: list[Line], headings: list[Heading]) -> list[list[Paragraph]]:
    """Each heading's own clean paragraphs with their pages: its lines up to the next heading, without tiny print."""
    floor = doc.body_size * TINY_PRINT
    out = []
    for k, h in enumerate(headings):
        stop = headings[k + 1].line_index if k + 1 < len(headings) else len(lines)
        body = [ln for ln in lines[h.end_index:stop] if ln.kind == "body" and ln.size >= floor]
        out.append([Paragraph(text=text, page=page) for text, page in paragraphs_with_pages(body, doc.vocab)])
    return out


def section_text(paragraphs: list[Paragraph]) -> str:
    """A section's `text`: its paragraphs, a blank line apart (Section.paragraphs splits them again)."""
    return "\n\n".join(p.text for p in paragraphs)


def build_sections(headings: list[Heading], parts: list[list[Paragraph]]) -> list[Section]:
    """Sections in reading order; references, acknowledgements and administrative notes (data availability,
    competing interests, funding) are not part of the paper's body."""
    return [Section(title=h.title, number=h.number, level=h.level, page=h.page, role=h.role,
                    text=section_text(paragraphs), paragraph_pages=[p.page for p in paragraphs])
            for h, paragraphs in zip(headings, parts, strict=True) if h.role not in OUTSIDE_BODY_ROLES]
