"""The paper as a list of quotable sentences, each with its page and the role of its section.

Used by the extractive runner: no model, only the paper's own sentences. Sentences come from
`Paper.page_texts` (whitespace-normalised), never from elsewhere, so every quote lies on its page.
Sections only mark where each role (introduction, method, conclusion...) starts and stops.
"""
from __future__ import annotations

import re
import statistics
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass

from chatpaper.extractive.language import is_cjk_text
from chatpaper.models import Paper
from chatpaper.scripts import CJK_LETTER, CJK_LETTERS

# --------------------------------------------------------------------------- sentences


@dataclass(slots=True)
class Sentence:
    text: str
    page: int  # 1-based
    start: int  # offset in the page's whitespace-normalised text
    index: int  # reading order over the whole paper
    para_start: bool  # first sentence of its block (paragraph, caption, after a heading)
    role: str = "other"  # front, introduction, related_work, method, experiments, discussion, conclusion ...
    furniture: bool = False  # part of a running header or footer, never of the text
    section: int | None = None  # index into Paper.sections of the deepest enclosing section
    quality: float = 0.0  # 0 = never quote; 1 = a clean, complete prose sentence

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def normalise(text: str) -> str:
    """Whitespace-normalised text: what every quote must be a substring of."""
    return " ".join(text.split())


# English headings, then the Chinese ones (引言, 相关工作, 实验, 结论, 参考文献, 致谢, 方法 ...).
_ROLE_BY_TITLE = (
    ("front", re.compile(r"^abstract\b|^【?摘\s*要", re.I)),
    ("introduction", re.compile(r"^intro|^(?:引\s*言|绪\s*论|前\s*言|概\s*述)", re.I)),
    ("related_work", re.compile(r"related work|prior work|previous work|literature|background|preliminar|"
                                r"相关工作|相关研究|研究现状|研究背景|预备知识", re.I)),
    ("experiments", re.compile(r"experiment|evaluation|results|empirical|benchmark|ablation|实验|评估|测评|性能评价",
                               re.I)),
    ("conclusion", re.compile(r"conclu|summary|future work|closing|final remarks|结\s*论|结\s*语|结束语|总结|展望",
                              re.I)),
    ("discussion", re.compile(r"discussion|limitation|analysis|讨论|局限", re.I)),
    ("references", re.compile(r"^(references?|bibliography|literature cited)\b|^参\s*考\s*文\s*献", re.I)),
    ("appendix", re.compile(r"appendi|supplement|^附\s*录", re.I)),
    ("acknowledgments", re.compile(r"acknowledg|^致\s*谢", re.I)),
    ("method", re.compile(r"method|approach|framework|architecture|proposed|model\b|algorithm|方法|模型|算法|框架|"
                          r"系统设计|原理", re.I)),
)
def role_of_title(title: str) -> str | None:
    for role, pattern in _ROLE_BY_TITLE:
        if pattern.search(title):
            return role
    return None


def _norm_role(role: str | None, title: str) -> str:
    """The parser's role (a SectionRole), else one read from the heading's words, else "other"."""
    return role or role_of_title(title) or "other"


# Lines that end a block: headings, equation numbers, page numbers, caption starts.
_HEADING_LINE = re.compile(
    r"^(?:(?:\d+(?:\.\d+)*|[IVX]+|[A-Z])\.?\s+)?"
    r"(?:abstract|introduction|related work|background|method(?:s|ology)?|approach|experiments?|"
    r"results?(?: and discussion)?|evaluation|discussion|conclusions?(?: and future work)?|references|"
    r"bibliography|acknowledg(?:e)?ments?|appendix)\s*$",
    re.I,
)
_NUMBERED_HEADING = re.compile(r"^(?:\d+(?:\.\d+){0,3}|[IVX]{1,5})\.?\s+[A-Z][^.!?]{1,80}$")
_NUMBER_ONLY = re.compile(r"^[\(\[]?[\dIVXivx]+(?:\.\d+)*[\)\]]?\.?$")
_CAPTION_START = re.compile(r"^(?:Figure|Fig\.|FIGURE|FIG\.|Table|TABLE|Tab\.|Algorithm|Listing)\s*[\dIVX]+[.:]?")
_TERMINAL = re.compile(r"[.!?。！？][\"'”’)\]」』）]*$")
_SOFT_END = re.compile(r"[,;:\-–—(]$")
_CJK, _CJK_CLASS = CJK_LETTER, CJK_LETTERS
# A CJK sentence (or clause) ends at 。！？； and, in journals that set Latin punctuation, at a ".", "!",
# "?" or ";" between CJK characters ("……称为关键帧.通常在……").
_CJK_TERMINAL = re.compile(r"[.!?;。！？；][\"'”’)\]」』）]*$")
_BULLET = "•●▪◦‣■"
# Latin sentences end at ". " before a capital; Chinese and Japanese ones at "。！？；" with no space;
# a bullet always ends what comes before it ("... as follows: • We present ...").
_BOUNDARY = re.compile(
    r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|[。！？；][」』”）]*\s*|"
    rf"(?<=[{_CJK_CLASS}])[.!?;]\s*(?=[{_CJK_CLASS}“「（(])|\s*[{_BULLET}]\s*")
_ABBREVIATIONS = frozenset(
    "e.g i.e et al fig figs eq eqs sec secs tab vs cf resp approx no nos ref refs dr mr ms prof inc ltd "
    "co jr st vol pp ca w.r.t etc viz def thm lemma prop cor alg app ch eqn".split()
)
_INITIALS = re.compile(r"^(?:[A-Z]\.)+[A-Z]$")
_STARTERS = frozenset(
    "the this these that those we our it its in on for to a an however while although but thus hence "
    "therefore moreover furthermore finally first second then here there they such as when with by since "
    "unlike both each all most many some one recent recently previous prior another other instead their "
    "his her what which where how why our my you i if so yet after before during using given".split()
)


def _is_abbreviation(block: str, dot: int, after: int) -> bool:
    """True when the period at `dot` ends an abbreviation or an initial, not a sentence."""
    if block[dot] != ".":
        return False
    word = block[:dot].rsplit(" ", 1)[-1].lstrip("([\"'“")
    if not word:
        return False
    if len(word) == 1 and word.isalpha() and not _CJK.match(word):  # an initial ("D. Zeiler") or a variable
        return True
    if _INITIALS.match(word):  # "W.V.O. Quine", "U.S. Army"
        return True
    lower = word.lower().rstrip(".")
    if lower in ("al", "etc"):  # "Smith et al. While ..." does end a sentence
        following = block[after:].split(" ", 1)[0].strip("\"'“(").lower()
        return following not in _STARTERS
    return lower in _ABBREVIATIONS


def _ends_abbreviated(line: str) -> bool:
    last = line.rsplit(" ", 1)[-1].rstrip(".").lower()
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Header/footer lines repeated across pages (digits masked): never part of a sentence."""
    if len(pages) < 3:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        for line in set(lines[:3] + lines[-3:]):
            if len(line) < 150:
                counts[_mask(line)] += 1
    need = max(3, int(0.3 * len(pages)))
    return {key for key, n in counts.items() if n >= need and len(key) > 2}


_DIGITS = re.compile(r"\d+")


def _mask(line: str) -> str:
    return _DIGITS.sub("#", line.lower())


def _split_block(block: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _BOUNDARY.finditer(block):
        if _is_abbreviation(block, m.start(), m.end()):
            continue
        if any(ch in _BULLET for ch in m.group()):  # the bullet belongs to neither side
            if m.start() > start:
                spans.append((start, m.start()))
            start = m.end()
            continue
        end = m.start() + len(m.group().rstrip())
        spans.append((start, end))
        start = m.end()
    if start < len(block):
        spans.append((start, len(block)))
    return spans


def _cut_spans(spans: list[tuple[int, int]], cuts: list[int]) -> list[tuple[int, int]]:
    if not cuts:
        return spans
    out = []
    for s0, s1 in spans:
        for c in cuts:
            if s0 < c < s1:
                out.append((s0, c - 1 if c > s0 + 1 else c))
                s0 = c
        out.append((s0, s1))
    return out


_RUN_IN_TITLE = re.compile(r"^((?:[A-Z][\w\-]*\s){1,5})(?=(?:We|Our|The|This|These|In|To|For|Here|It|As|A|An)\s)")
_RUN_IN_PHRASE = re.compile(r"^([A-Z][a-z\-]+(?:\s[a-z\-]+){1,2})\s(?=[A-Z][a-z]+\s[a-z])")


_RUN_IN_LABEL = re.compile(r"^((?:Abstract|ABSTRACT|Index Terms|Keywords)\s*(?:[—–:.]|-{1,2})\s*)(?=[A-Z])|"
                           rf"^((?:【摘\s*要】|摘\s*要\s*[:：])\s*)(?=[{_CJK_CLASS}])")


def _run_in_heading(chunk: str) -> int:
    """Length of a paragraph heading run into its first sentence ("Qualitative Results We present ...",
    "Abstract—Identifying ...")."""
    label = _RUN_IN_LABEL.match(chunk)
    if label:
        return len(label.group(0))
    for pattern in (_RUN_IN_TITLE, _RUN_IN_PHRASE):
        m = pattern.match(chunk)
        if m and len(m.group(1)) <= 40 and m.group(1).split()[0].lower() not in _STARTERS:
            return len(m.group(0))
    return 0


def _page_sentences(
    page: int, lines: list[str], running: set[str], first_index: int, cuts: dict[int, bool]
) -> list[Sentence]:
    """Sentences of one page; `cuts` maps line offsets where a section starts to "the line is its heading"."""
    norm = " ".join(lines)
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    widths = [len(line) for line in lines if len(line) >= 20]
    typical = statistics.median(widths) if widths else 60
    # Break before/after marks: a block is a run of lines with no break between them.
    cut_before = [False] * len(lines)
    cut_after = [False] * len(lines)
    # Running headers and footers are short lines: only those are worth masking and looking up.
    repeated = [bool(running) and len(line) < 150 and _mask(line) in running for line in lines]
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        isolated = (
            repeated[i]
            or _NUMBER_ONLY.match(line)
            or _HEADING_LINE.match(line)
            or (_NUMBERED_HEADING.match(line) and len(line) < 0.8 * typical)
        )
        if offsets[i] in cuts:
            cut_before[i] = True
            cut_after[i] = cut_after[i] or cuts[offsets[i]]
        if isolated:
            cut_before[i] = cut_after[i] = True
        elif _CAPTION_START.match(line):
            cut_before[i] = True
        # A short line that ends a sentence ends its paragraph; so does every line of a
        # parser that writes one paragraph per line (long typical lines).
        if _TERMINAL.search(line) and (len(line) < 0.8 * typical or typical > 150) and not _ends_abbreviated(line):
            cut_after[i] = True  # paragraph end
        elif not _TERMINAL.search(line) and not _SOFT_END.search(line) and len(line) < 0.6 * typical \
                and (nxt[:1].isupper() or nxt[:1].isdigit() or _CJK.match(nxt)):
            cut_after[i] = True  # heading, author line, display equation
    sentences: list[Sentence] = []
    block_start = 0
    for i in range(len(lines)):
        last = i + 1 == len(lines)
        if last or cut_after[i] or cut_before[i + 1]:
            b0 = offsets[block_start]
            b1 = offsets[i] + len(lines[i])
            block = norm[b0:b1]
            junk = any(repeated[block_start : i + 1])
            caption = bool(_CAPTION_START.match(block))
            inner = sorted(c - b0 for c in cuts if b0 < c < b1)  # a section starting mid-line
            for k, (s0, s1) in enumerate(_cut_spans(_split_block(block), inner)):
                s0 += _run_in_heading(block[s0:s1])
                chunk = block[s0:s1]
                if not chunk.strip():
                    continue
                sentence = Sentence(
                    text=chunk, page=page, start=b0 + s0, index=first_index + len(sentences), para_start=k == 0
                )
                sentence.quality = 0.0 if junk or caption else sentence_quality(chunk)
                sentence.furniture = junk
                sentences.append(sentence)
            block_start = i + 1
    return sentences


# --------------------------------------------------------------------------- quality

_URL = re.compile(r"https?://\S+|www\.\S+|\S+\.(?:com|org|io|edu|net)/\S*")
_CITATION = re.compile(r"\[[\d,;\s–\-]+\]|\([A-Z][^()]{0,80}?(?:19|20)\d\d[a-z]?\)")
_HYPHEN_BREAK = re.compile(r"[a-z]- [a-z]")
# Characters of prose: letters, digits, spaces and common punctuation; the rest is math or garbage.
_WEIRD = re.compile(r"[^\w\s.,;:'\"()\[\]\-–—/%&?!+’‘“”*=<>#$]")
_GREEK = re.compile("[\u0370-\u03ff]")
_DIGIT = re.compile(r"\d")
_JUNK_WORDS = re.compile(
    r"arxiv:|preprint|©|copyright|licensed under|proceedings of|all rights reserved|under review|"
    r"conference paper at|equal contribution|corresponding author|work was done|^acknowledg|"
    r"\b(?:is|was|are|were|been) (?:partially |partly |generously )?(?:supported|funded) by\b|\bgrant (?:no\.|number)|"
    # Acknowledgements that the parser did not put under their own heading: thanks, not content.
    r"\bwe (?:would like to |also |gratefully |sincerely )?(?:thank|acknowledge)\b|^thanks to (?-i:[A-Z]\w* [A-Z])|"
    r"\bgrateful to\b|\b(?:with|without) the (?:\w+ )?support of\b",
    re.I,
)
# "The contributions are as follows." announces a list; on its own it says nothing.
_LEAD_IN = re.compile(r"(?:as follows|the following)\s*[.:]$|\b(?:are|is|include|includes)\s*:$", re.I)
# An equation run into the prose: an equals sign and an equation number "(8)".
_EQUATION_NUMBER = re.compile(r"\(\d{1,3}\)")
_ENUMERATION = re.compile(r"(?<![(\w])(?:\d{1,2}|[a-z]|[ivx]{1,4})\)")
_DIGIT_THEN_LOWER = re.compile(r"^\d+(?:\s+[a-z]|[A-Z][a-z])")  # a subscript, or a footnote mark
_BROKEN_GLYPH = re.compile("[\u2190-\u21ff\u2700-\u27bf\ue000-\uf8ff\ufffd]")
_SECTION_REF = re.compile(r"(?:\b(?:sections?|sec\.|chapter)|§)\s*(?:\d|[IVX]+\b)|"
                          r"第\s*[一二三四五六七八九十\d]+\s*(?:章|节|部分)", re.I)
_ROADMAP = re.compile(
    r"^(?:in |see )?(?:sections?|sec\.|chapter|§)\s*(?:\d|[IVX]+\b)|^see\b|"
    r"\bth(?:is|e next|e following|e previous) section\b|"
    r"\b(?:next|following|previous) sections\b|\bis organi[sz]ed as follows\b|\bthe rest of (?:this|the) paper\b|"
    r"(?:安排|组织|结构)如下|其余部分|余下部分|^(?:本文)?第\s*[一二三四五六七八九十\d]+\s*(?:章|节|部分)",
    re.I,
)
# What a Chinese paper prints that is not its content: the 收稿日期/基金项目 footnote, author notes, thanks,
# and GB/T 7714 reference entries ("[J]. 计算机学报, 2020").
_CJK_JUNK = re.compile(
    r"收稿日期|定稿日期|修回日期|基金项目|作者简介|通信作者|通讯作者|e-?mail|中图分类号|文献标[志识]码|文章编号|引用格式|"
    r"\bdoi\b|感谢|致谢|谢谢|研究方向|研究生|[男女][，,]\s*\d{4}|[（(]\d{4}\s*[—–-]|关\s*键\s*[词字]|key\s?words|"
    r"\[\s*(?:J|C|M|D|R|P|S|N|A|Z|EB/OL|DB/OL|J/OL)\s*\]",
    re.I,
)
# A character no Chinese sentence starts with: the sentence began before (a column, page or figure break).
# "[1] ..." opens a reference entry, not a sentence.
_CJK_NOT_FIRST = re.compile(r"^(?:[，,、；;：:。．.)）」』”’%了的地得着们吗呢吧么]|\[\s*\d)")
# Fewer CJK characters than this cannot be told apart from other places in the paper (the evidence check's
# shortest quote, chatpaper.evidence.verify.MIN_QUOTE_WEIGHT, counts a CJK character as two letters).
MIN_CJK_CHARS = 10


def is_roadmap(text: str) -> bool:
    """A map of the paper ("In Section 2 we describe ...", "... in §7, ... in §8"), not its content.

    One passing reference ("a data augmentation approach (Section 3.1) which ...") is still content.
    """
    return bool(_ROADMAP.search(text)) or len(_SECTION_REF.findall(text)) >= 2
_PANEL = re.compile(r"\((?:[a-f])\) [A-Z]")
_SINGLE_OK = frozenset("a A I".split())


_CJK_CAPTION = re.compile(r"^(?:图|表)\s*\d")


def cjk_quality(text: str) -> float:
    """A Chinese (Japanese, Korean) sentence: whole, not a note, a reference or a caption, not cut at its start."""
    if not 12 <= len(text) <= 250 or not _CJK_TERMINAL.search(text) or len(_CJK.findall(text)) < MIN_CJK_CHARS:
        return 0.0
    if "@" in text or _CAPTION_START.match(text) or _CJK_CAPTION.match(text) or _CJK_NOT_FIRST.match(text):
        return 0.0
    if _CJK_JUNK.search(text) or any(ch in _BULLET for ch in text):
        return 0.0
    if is_roadmap(text):
        return 0.0  # "本文结构安排如下……", "第三节介绍……": a map of the paper, never its content
    q = 1.0
    if len(_DIGIT.findall(text)) > 0.25 * len(text) or text.count("(") + text.count("（") > 4:
        q *= 0.3  # a table's row or a formula run into the text
    return q


def _balanced(text: str) -> bool:
    return text.count("(") == text.count(")") and text.count("[") == text.count("]")


def sentence_quality(text: str) -> float:
    """0 for fragments and garbage; towards 1 for a clean, complete prose sentence."""
    cjk = len(_CJK.findall(text))
    if cjk > 0.3 * len(text):  # Chinese, Japanese, Korean: no spaces, no capitals
        return cjk_quality(text)
    if any(ch in _BULLET for ch in text):
        return 0.0  # list items run together

    words = text.split()
    n = len(words)
    if n < 5 or n > 120 or len(text) < 30:
        return 0.0
    first = text.lstrip("\"'“‘([")[:1]
    if not (first.isupper() or first.isdigit()) or _DIGIT_THEN_LOWER.match(text):
        return 0.0  # starts mid-sentence or mid-word (or on a subscript: "2 given a frame ...")
    if not _TERMINAL.search(text):
        return 0.0
    if "@" in text or _CAPTION_START.match(text) or _JUNK_WORDS.search(text) or _LEAD_IN.search(text):
        return 0.0
    last = words[-1].rstrip(".!?\"'”’)]").lower()
    if last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha()):
        return 0.0  # ends on "e.g." or an initial: cut short, not a sentence
    capitalised = sum(1 for w in words if w[:1].isupper())
    if n >= 5 and capitalised / n > 0.6:
        return 0.0  # a title, an author list or a heading
    url_chars = sum(len(u) for u in _URL.findall(text))
    if url_chars > 0.3 * len(text):
        return 0.0
    prose = _CITATION.sub(" ", _URL.sub(" ", text))
    if len(re.findall(r"[A-Za-z]{2,}", prose)) < 5:
        return 0.0  # citations, numbers or symbols only
    if _BROKEN_GLYPH.search(text):
        return 0.0  # arrows, dingbats, private-use: a font's math glyphs extracted as garbage
    weird = len(_WEIRD.findall(text)) + len(_GREEK.findall(text))
    ratio = weird / len(text)
    if ratio > 0.06 or weird > 8:
        return 0.0
    if len(_DIGIT.findall(text)) > 0.25 * len(text):
        return 0.0
    singles = sum(1 for w in words if len(w.strip(".,;:()[]")) == 1 and w.strip(".,;:()[]") not in _SINGLE_OK
                  and not w.strip(".,;:()[]").isdigit())
    if singles / n > 0.2:
        return 0.0
    plain = _ENUMERATION.sub(" ", text)
    if not (_balanced(plain) or _balanced(text)):  # "1) ... 2)" enumerations, or "(Table 2)"
        return 0.0  # broken across a figure or an equation
    q = 1.0
    q *= 1.0 - min(0.6, ratio * 10)
    q *= 1.0 - min(0.5, singles / n * 3)
    q *= 0.85 ** len(_HYPHEN_BREAK.findall(text))
    if n < 9:
        q *= 0.6
    elif n > 55:
        q *= 0.7
    equals = text.count("=")
    if equals >= 2:
        return 0.0  # an equation run into the prose
    if equals and _EQUATION_NUMBER.search(_CITATION.sub(" ", text)):
        return 0.0  # "E[g2]t = ρE[g2]t−1 + (1−ρ) g2t (8) where ...": a numbered equation, not a sentence
    if equals:
        q *= 0.5
    if is_roadmap(text):
        q *= 0.2  # "In section 2 we describe ...": a map of the paper, not its content
    elif _SECTION_REF.search(text):
        q *= 0.8  # content that points to where it is detailed
    if _PANEL.search(text):
        q *= 0.3  # "(a) Average performance on ...": a figure's panel label
    upper_words = sum(1 for w in words if len(w) > 3 and w.isupper())
    if upper_words / n > 0.4:
        q *= 0.3  # a heading glued to its first sentence
    return q


# --------------------------------------------------------------------------- the paper


@dataclass
class PaperText:
    """All sentences of a paper in reading order, with the roles of their sections."""

    sentences: list[Sentence]
    page_norm: list[str]  # whitespace-normalised page texts (index 0 = page 1)
    section_roles: list[str]  # role per Paper.sections index (of its top-level ancestor)

    @property
    def quotable(self) -> list[Sentence]:
        return [s for s in self.sentences if s.quality > 0]


def read_sentences(paper: Paper) -> PaperText:
    """Split the page texts into sentences and tag each with its section and role."""
    page_lines = [[normalise(line) for line in text.split("\n") if line.strip()] for text in paper.page_texts]
    running = _running_lines(page_lines)
    sentences: list[Sentence] = []
    page_norm = [" ".join(lines) for lines in page_lines]
    headings, roles = _headings(paper, page_lines, page_norm)
    cuts: dict[int, dict[int, bool]] = {}
    for h in headings:
        page_cuts = cuts.setdefault(h.page, {})
        page_cuts[h.offset] = page_cuts.get(h.offset, False) or h.whole_line
    for number, lines in enumerate(page_lines, start=1):
        sentences.extend(_page_sentences(number, lines, running, len(sentences), cuts.get(number, {})))
    _drop_caption_sentences(paper, sentences)
    _drop_cjk_continuations(sentences, {(h.page, h.offset) for h in headings})
    _assign_roles(sentences, headings)
    return PaperText(sentences=sentences, page_norm=page_norm, section_roles=roles)


# A text line at least this long without an ending is a sentence cut by a column, page or figure break.
_CUT_LINE = 15


def _drop_cjk_continuations(sentences: list[Sentence], heading_starts: set[tuple[int, int]]) -> None:
    """A CJK block that starts where the text before it stopped mid-sentence is the rest of that sentence.

    Latin text shows this by a lower-case start; CJK text has no case, so look at what came before
    (running headers and footers skipped): a long piece without an ending was cut off, a heading was not.
    """
    previous: Sentence | None = None
    for s in sentences:
        if s.furniture:
            continue
        if (s.page, s.start) in heading_starts:
            previous = None
            continue
        if (s.para_start and s.quality > 0 and previous is not None and is_cjk_text(s.text)
                and len(previous.text) >= _CUT_LINE and not _CJK_TERMINAL.search(previous.text)
                and not previous.text.endswith(("：", ":")) and not _CAPTION_START.match(previous.text)
                and not _CJK_CAPTION.match(previous.text)):
            s.quality = 0.0
        previous = s


def _drop_caption_sentences(paper: Paper, sentences: list[Sentence]) -> None:
    captions = "\n".join(normalise(f.caption) for f in paper.figures)
    if not captions:
        return
    for s in sentences:
        if s.quality > 0 and len(s.text) > 30 and s.text in captions:
            s.quality = 0.0


@dataclass(slots=True)
class _Heading:
    page: int
    offset: int
    role: str
    section: int | None  # index into Paper.sections, None for a heading found by scanning
    whole_line: bool = True  # the heading is a line of its own (else: where the section's text starts)


def _section_roles(paper: Paper) -> list[str]:
    """Role per section: its own for top-level ones, its top-level ancestor's for subsections."""
    roles: list[str] = []
    top_role, after_refs = "other", False
    numbered = sum(1 for sec in paper.sections if sec.number) > len(paper.sections) / 2
    has_method = any(sec.role == "method" for sec in paper.sections)
    for sec in paper.sections:
        role = _norm_role(sec.role, sec.title)
        if not sec.role and roles and ((numbered and not sec.number and role not in BACK_MATTER) or
                                       (role == "method" and has_method)):
            role = roles[-1]  # an unnumbered, unlabelled "heading" amid numbered ones: a table's header row
        if sec.level > 1 and not (sec.role and top_role == "other"):
            role = top_role
        if role == "references":
            after_refs = True
        elif after_refs and not sec.role:
            role = "appendix"  # unlabelled sections after the references are back matter
        if sec.level <= 1:
            top_role = role
        roles.append(role)
    return roles


BACK_MATTER = frozenset({"references", "appendix", "acknowledgments"})  # roles after the body
_REFERENCES_LINE = re.compile(r"^(?:\d+\.?\s+)?(?:references|bibliography|literature cited)$", re.I)


def _headings(paper: Paper, page_lines: list[list[str]], page_norm: list[str]) -> tuple[list[_Heading], list[str]]:
    """Where each section starts in the page texts; scanned from the text when there are no sections."""
    roles = _section_roles(paper)
    if not paper.sections:
        return _scan_headings(page_lines), roles
    headings: list[_Heading] = []
    cursor = (1, 0)
    n_pages = len(page_norm)
    for i, sec in enumerate(paper.sections):
        page = min(max(sec.page, 1), max(n_pages, 1))
        found = _find_heading(sec.title, sec.text, page, page_lines, page_norm, cursor)
        where, whole_line = found if found else (max(cursor, (page, 0)), False)
        cursor = where
        headings.append(_Heading(where[0], where[1], roles[i], i, whole_line))
    if not any(h.role == "references" for h in headings):
        refs = _last_references_line(page_lines)
        if refs and headings and refs > (headings[0].page, headings[0].offset):
            headings.append(_Heading(refs[0], refs[1], "references", None))
            headings.sort(key=lambda h: (h.page, h.offset))
    return headings, roles


def _last_references_line(page_lines: list[list[str]]) -> tuple[int, int] | None:
    found = None
    for p, lines in enumerate(page_lines, start=1):
        pos = 0
        for line in lines:
            if _REFERENCES_LINE.match(line):
                found = (p, pos)
            pos += len(line) + 1
    return found


def _find_heading(
    title: str, text: str, page: int, page_lines: list[list[str]], page_norm: list[str], cursor: tuple[int, int]
) -> tuple[tuple[int, int], bool] | None:
    """(page, offset) of the section's heading line (True) or of its first words (False)."""
    want = normalise(title).lower()
    for p in (page, page + 1, page - 1):
        if p < 1 or p > len(page_norm) or (p, len(page_norm[p - 1])) < cursor:
            continue
        pos = 0
        for line in page_lines[p - 1]:
            here = (p, pos)
            if here >= cursor and want and want in line.lower() and len(line) <= len(want) + 24:
                return here, True
            pos += len(line) + 1
        lead = normalise(text)[:60]
        if len(lead) >= 25:
            at = page_norm[p - 1].find(lead)
            if at >= 0 and (p, at) >= cursor:
                return (p, at), False
    return None


def _scan_headings(page_lines: list[list[str]]) -> list[_Heading]:
    """No sections from the parser: look for the usual headings ("1 Introduction", "References")."""
    out: list[_Heading] = []
    for p, lines in enumerate(page_lines, start=1):
        pos, previous = 0, ""
        for line in lines:
            heading = line
            if previous.isdigit() and len(previous) <= 2 and _looks_like_title(line):
                heading = f"{previous} {line}"  # "2" and "ALGORITHM" on two lines
            role = _scanned_role(heading, out[-1].role if out else None)
            if role and (not out or out[-1].role != role):
                out.append(_Heading(p, pos, role, None))
            pos += len(line) + 1
            previous = line
    return out


def _looks_like_title(line: str) -> bool:
    return len(line) < 50 and line[:1].isupper() and not _TERMINAL.search(line) and not _SOFT_END.search(line)


_TOP_NUMBER = re.compile(r"^(?:\d{1,2}|[IVX]{1,4})\.?\s+(?=[A-Z])")


def _scanned_role(line: str, previous: str | None) -> str | None:
    named = _HEADING_LINE.match(line)
    title = re.sub(r"^(?:\d+(?:\.\d+)*|[IVX]+|[A-Z])\.?\s+", "", line)
    numbered = _TOP_NUMBER.match(line) and _looks_like_title(title) and _NUMBERED_HEADING.match(line)
    if not (named or numbered):
        return None
    role = role_of_title(title)
    if previous in ("references", "appendix"):
        return "appendix" if role != "acknowledgments" else role
    if role:
        return role
    if previous in ("introduction", "related_work", "method"):
        return "method"  # numbered sections between the introduction and the experiments
    return "other"


def _assign_roles(sentences: list[Sentence], headings: list[_Heading]) -> None:
    if not headings:
        _roles_by_position(sentences)
        return
    keys = [(h.page, h.offset) for h in headings]
    for s in sentences:
        i = bisect_right(keys, (s.page, s.start)) - 1
        if i < 0:
            s.role = "front"
        else:
            s.role = headings[i].role
            s.section = headings[i].section


def _roles_by_position(sentences: list[Sentence]) -> None:
    """Nothing to go on: the first sixth is the front and introduction, the last tenth the conclusion."""
    n = len(sentences)
    for s in sentences:
        if n < 12:  # a note of a few sentences reads as one abstract
            s.role = "front"
        elif s.index < n / 12:
            s.role = "front"
        elif s.index < n / 6:
            s.role = "introduction"
        elif s.index > n * 0.9:
            s.role = "conclusion"
        else:
            s.role = "other"
