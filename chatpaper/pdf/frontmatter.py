"""Title, authors, affiliations (first author's first) and abstract from the first page.

The title is the largest text at the top of page 1; authors are the rows below it made only of
personal names (footnote markers, e-mails and "Member, IEEE" removed), in the style of the first
such row; the other rows before the abstract are affiliations.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from chatpaper.pdf.text import DocText, Line, cjk_share, clean_chars, join_lines

_MARKS = "*∗†‡§¶‖#⋆★♠♣♥♦⇤"
_EMAIL = re.compile(r"\{[^}]*\}\s*@\S+|\S+@\S+")
_NOT_NAME_WORDS = {
    "university", "univ", "univ.", "institute", "inst", "inst.", "department", "dept", "dept.", "school",
    "college", "lab", "labs", "laboratory", "laboratories", "centre", "center", "research", "inc", "inc.",
    "corp", "corporation", "ltd", "llc", "gmbh", "group", "team", "academy", "sciences", "science",
    "technology", "engineering", "faculty", "hospital", "foundation", "company", "google", "microsoft",
    "deepmind", "openai", "meta", "amazon", "nvidia", "ibm", "intel", "tencent", "alibaba", "baidu", "huawei",
    "bytedance", "street", "road", "avenue", "usa", "china", "uk", "canada", "germany", "france", "japan",
    "korea", "member", "ieee", "fellow", "authors", "author", "anonymous", "abstract", "editor",
    "project", "preprint", "conference", "workshop", "proceedings", "international", "journal", "vol",
    "arxiv", "submitted", "published", "review", "equal", "contribution", "corresponding", "email", "e-mail",
    "code", "github", "the", "of", "for", "in", "on", "at", "with", "to", "is", "are", "we", "this", "paper",
    "under", "double-blind", "work", "done", "intern", "correspondence", "data", "network",
    "networks", "learning", "model", "models", "neural", "via", "toward", "towards", "technical",
    "report", "draft", "version", "supplementary", "material", "appendix", "introduction", "contents",
    "keywords", "affiliation", "affiliations", "contributed", "equally",
}
_PARTICLES = {"de", "van", "von", "der", "den", "di", "da", "del", "la", "le", "du", "dos", "bin", "al", "y", "ter"}
_DROP_PIECE = re.compile(r"^((senior|student|life)\s+)?(member|fellow)(\s+ieee)?$|^ieee$|^and$|^$", re.I)
_MONTHS = r"(january|february|march|april|may|june|july|august|september|october|november|december)"
# Notes printed around the title and names; each only in its label form, since a title may start with
# the same word ("Code Llama: ...", "Accepted Answers Are Not Enough", "Correspondence Networks")
_SKIP_ROW = re.compile(
    r"^(editors?\s*:|anonymous(\s+(authors?|submission))?\s*$|anonymous\s+(authors?|submission)\b|project\s+page|"
    r"correspond(ence|ing)\s*(to\b|author|:)|equal\s+contribution|preprint\b|published\s+(as|in|at|by|on)\b|"
    r"under\s+review|paper\s+under|code\s*(:|is\b|and\s+(data|models?)\b|will\b|available\b|&)|https?:|www\.|"
    r"arxiv(\s*:|\s+preprint|\s+\d)|(in\s+)?proceedings\s+of\b|accepted\s+(at|to|in|for|by|as)\b|"
    r"submitted\s+(to|at|for|on|in)\b|received\b[\s:]*(\d|on\b|in\b|" + _MONTHS + r")|key\s?words\b|index\s+terms|"
    r"(fig\.|figure|table)\s*\d+\s*[.:|])",
    re.I,
)
# A thesis cover's degree statement ("A thesis submitted in partial fulfilment of the requirements / for the
# degree of Doctor of Philosophy", "by"): neither an author nor an affiliation
_DEGREE_ROW = re.compile(r"^(by|(a\s+)?(thesis|dissertation)\b.*|.*\b(submitted|presented)\s+(in|to|for)\b.*|"
                         r".*\brequirements\s+for\b.*|.*\bdegree\s+of\b.*|(doctor|master|bachelor)\s+of\s+\w+.*)$", re.I)
# ... and the sentence that says a cover is a thesis's (only then does the institution above the title count)
_THESIS_COVER = re.compile(r"\b(thesis|dissertation)\b.*\b(submitted|presented)\b|\brequirements\s+for\s+the\s+degree\b|"
                           r"\bdegree\s+of\s+(doctor|master|bachelor)\b", re.I)
_INSTITUTION = re.compile(r"\b(university|universit[àéä]t?|institute|college|school|faculty|department)\b", re.I)
# "Abstract", "ABSTRACT", small caps "A BSTRACT", Elsevier's letter-spaced "a b s t r a c t"
_ABSTRACT = re.compile(r"^\W{0,2}a\s?b\s?s\s?t\s?r\s?a\s?c\s?t\b\s*(?P<sep>[.:：—–\-]*)\s*(?P<rest>.*)$", re.I)
# "摘要：", "摘　要:", "【摘要】", a thesis's "中文摘要" / "中文内容摘要" page title
_ABSTRACT_ZH = re.compile(r"^[\[【〔]?\s*(中文(内容)?)?摘\s*要\s*[\]】〕]?\s*(?P<sep>[:：]?)\s*(?P<rest>.*)$")
_ABSTRACT_END = re.compile(r"^(index\s+terms|keywords|key\s+words|ccs\s+concepts|acm\s+reference|categories\s+and|"
                           r"[\[【]?\s*关\s*键\s*[词字]|中图(法)?分类号|文献标[识志]码)",
                           re.I)
# Lines of a Chinese journal's front matter that are none of title, authors, affiliation and abstract
_ZH_NOTE = re.compile(r"^[\[【]?\s*(文章编号|中图(法)?分类号|文献标[识志]码|收稿日期|修回日期|定稿日期|基金项目|作者简介|"
                      r"通信作者|通讯作者|引用格式|网络出版|录用日期|DOI|doi|关\s*键\s*[词字])")
_KEYWORDS = re.compile(r"^[\[【]?\s*(关\s*键\s*[词字]|key\s*words|keywords|index\s+terms)\s*[\]】]?"
                       r"\s*[:：—–.\-]?\s*(?P<rest>.*)$", re.I)
# A thesis cover is a form: "题　目 ……", "英文题目 ……", "姓　名 …… 学　号 ……", "院　系 ……"
_COVER_FIELD = re.compile(r"^(?P<key>(中文)?题\s*目|论文题目|英文题目|姓\s*名|作\s*者|院\s*系|学\s*院|系\s*别|专\s*业)"
                          r"\s*[:：]?\s*(?P<value>.+)$")
_FIRST_HEADING = re.compile(r"^(1|I)\.?\s+(introduction|[A-Z][A-Za-z]+)|^introduction$|"
                            r"^([01]\s*[.、]?|第\s*[1一]\s*章|一\s*、)?\s*(引\s*言|绪\s*论|前\s*言|简\s*介)\s*$", re.I)


@dataclass(slots=True)
class FrontMatter:
    title: str = ""
    authors: list[str] = field(default_factory=list)
    affiliations: list[str] = field(default_factory=list)
    abstract: str = ""
    abstract_page: int = 1  # the page the abstract starts on (its label's, or the first page's)
    body_start: int = 0  # index in the flat line list where the body (first heading) may start
    language: str = "en"  # the paper's main language: "zh" (or "ja", "ko") for CJK papers
    title_en: str = ""  # a CJK paper's printed English title and abstract, when it has them
    abstract_en: str = ""
    abstract_en_page: int | None = None
    keywords: list[str] = field(default_factory=list)


# Share of Han characters in the body text above which a paper is read as a CJK paper
_CJK_PAPER_SHARE = 0.3
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")


def paper_language(doc: DocText) -> str:
    """"zh", "ja" or "ko" when most of the first pages' body text is CJK, else "en"."""
    sample = "".join(ln.text for page in doc.pages[:4] for ln in page if ln.kind == "body")[:20000]
    letters = max(1, sum(ch.isalpha() for ch in sample))
    hangul, kana = len(_HANGUL.findall(sample)), len(_KANA.findall(sample))
    if cjk_share(sample) + (hangul + kana) / letters < _CJK_PAPER_SHARE:
        return "en"
    if kana > 0.05 * letters:
        return "ja"
    if hangul > 0.2 * letters:
        return "ko"
    return "zh"


def _raised(line: Line) -> set[int]:
    """Indices of spans set above the baseline in a smaller size: footnote and affiliation markers."""
    if not line.spans:
        return set()
    base = max(line.spans, key=lambda s: sum(ch.isalpha() for ch in s.text))
    # small caps put smaller letters on the baseline: measure against the largest size on it
    size = max(s.size for s in line.spans if abs(s.origin_y - base.origin_y) <= 0.1 * s.size)
    out = set()
    for k, s in enumerate(line.spans):
        if s is base or not s.text.strip():
            continue
        if s.size < size * 0.85 and s.origin_y < base.origin_y - 0.1 * size:
            out.add(k)
        elif s.text.strip() and all(ch in _MARKS for ch in s.text.strip()):
            out.add(k)
    return out


def _marked_text(line: Line) -> tuple[str, list[tuple[int, str]]]:
    """Line text with markers replaced by separators, and (char offset, marker) pairs."""
    raised = _raised(line)
    parts: list[str] = []
    markers: list[tuple[int, str]] = []
    for k, s in enumerate(line.spans):
        if k in raised:
            markers.append((len("".join(parts)), s.text.strip()))
            parts.append(" , ")
        else:
            parts.append(s.text)
    return clean_chars("".join(parts)), markers


def _strip_marks(text: str) -> str:
    return text.strip().strip(_MARKS + " ,;").strip()


def is_person_name(piece: str) -> bool:
    piece = re.sub(rf"[{re.escape(_MARKS)}\d]+$", "", piece.strip()).strip()
    words = piece.split()
    if not 2 <= len(words) <= 5 or any(ch.isdigit() or ch in "@/()[]:|" for ch in piece):
        return False
    caps_words = 0
    for word in words:
        bare = word.strip(".,'’-")
        if not bare:
            return False
        if bare.lower() in _NOT_NAME_WORDS or bare == "AI":  # "Meta AI", but "Ai Suzuki" and "Deep Ganguli" are names
            return False
        if bare.lower() in _PARTICLES:
            continue
        if not bare[0].isupper():
            return False
        if len(bare) >= 3 and bare.isupper() and "." not in word:
            caps_words += 1
    return caps_words == 0 or caps_words == len(words)


def _split_names(text: str) -> list[str]:
    text = _EMAIL.sub(" , ", text)
    text = re.sub(rf"[{re.escape(_MARKS)}]", " , ", text)
    pieces = re.split(r",|;|\s&\s|\band\b|\s{3,}|·|\|", text)
    out = []
    for piece in pieces:
        piece = re.sub(r"\s+", " ", piece).strip(" .,")
        # markers printed on the baseline: "Alice Smith1", "Bob Jones 2,3"
        piece = re.sub(r"^\d+\s*|(?<=[^\W\d])\s*\d+(,\d+)*$", "", piece)
        if not _DROP_PIECE.match(piece):
            out.append(piece)
    return out


def _rows(lines: list[Line]) -> list[list[Line]]:
    """Group lines into visual rows (same baseline band), top to bottom, left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (ln.y0, ln.x0)):
        if rows:
            ref = rows[-1][0]
            if min(ref.y1, line.y1) - max(ref.y0, line.y0) > 0.5 * min(ref.height, line.height):
                rows[-1].append(line)
                continue
        rows.append([line])
    for row in rows:
        row.sort(key=lambda ln: ln.x0)
    return rows


# A journal's masthead above the title (Elsevier: "Contents lists available at ScienceDirect", the journal's
# name in display type, "journal homepage: www.elsevier.com/locate/..."): nothing at or above it is the title
# Page 1's zones: a journal's masthead sits in its top third; the title in its top half, a little more
# where a long masthead or a banner pushes it down.
_MASTHEAD_ZONE = 1 / 3
_TITLE_ZONE = 0.55
_MASTHEAD = re.compile(r"^(contents\s+lists?\s+available\s+at|journal\s+homepage\s*:|homepage\s*:\s*www\.|"
                       r"available\s+online\s+at\s+www\.|www\.(sciencedirect|elsevier|springer|cell)\.com)", re.I)


def masthead_bottom(first: list[Line], height: float) -> float:
    """The lowest y of a journal masthead's marker lines in the top third of the page (0 if none)."""
    return max((ln.y1 for ln in first if ln.y0 < _MASTHEAD_ZONE * height and _MASTHEAD.match(ln.text.strip())), default=0.0)


def _title(first: list[Line], height: float, body_size: float) -> tuple[str, float, float]:
    """(title, top y, bottom y) from the largest text in the top half of page 1, below any masthead."""
    below = masthead_bottom(first, height)
    thesis = any(_THESIS_COVER.search(ln.text) for ln in first)  # its university is often set larger than the title
    cands = [ln for ln in first if below <= ln.y0 < _TITLE_ZONE * height and sum(ch.isalpha() for ch in ln.text) >= 2
             and not _SKIP_ROW.match(ln.text.strip()) and not (thesis and _INSTITUTION.search(ln.text))]
    if not cands:
        return "", 0.0, 0.0
    biggest = max(ln.size for ln in cands)
    if biggest < body_size + 1.0:
        return "", 0.0, 0.0
    top = min((ln for ln in cands if ln.size >= biggest - 1.0), key=lambda ln: ln.y0)
    top = _above_names(top, cands, first, body_size)
    biggest = top.size
    rows = _rows([ln for ln in cands if ln.y0 >= top.y0 - 1])
    picked = [rows[0]]
    for row in rows[1:]:
        line = row[0]
        same_style = abs(line.size - top.size) <= 1.0 and line.bold == top.bold
        if same_style and line.y0 - picked[-1][0].y1 < 1.2 * biggest:
            picked.append(row)
        else:
            break
    texts = []
    for row in picked:
        texts.append(" ".join(_marked_text(ln)[0].replace(" , ", " ") for ln in row
                              if abs(ln.size - top.size) <= 1.0 and ln.bold == top.bold))
    title = _strip_marks(_join_title(texts))
    title = re.sub(r"\s+([:,])", r"\1", title)
    return title, picked[0][0].y0, picked[-1][0].y1


def _above_names(top: Line, cands: list[Line], first: list[Line], body_size: float) -> Line:
    """The title comes before the authors: display-size text above a row of names is the title, and the
    larger text below them (a teaser figure's labels) is not."""
    upper = [ln for ln in cands if ln.y1 <= top.y0 and ln.size >= body_size + 2 and ln.words >= 2]
    if not upper:
        return top
    alt = min(upper, key=lambda ln: ln.y0)
    between = [ln for ln in first if alt.y1 <= ln.y0 and ln.y1 <= top.y0 and ln.size < alt.size - 1]
    for row in _rows(between):
        if _pure_names([_marked_text(ln) for ln in row]):
            return alt
    return top


def _join_title(rows: list[str]) -> str:
    """Title rows joined; a row ending in a hyphen breaks a compound ("Mixture-of-" / "Experts"), since
    centred titles are not hyphenated: the hyphen stays and no space is added."""
    out = ""
    for row in (r.strip() for r in rows):
        if not row:
            continue
        out = out + row if re.search(r"\w-$", out) else f"{out} {row}".strip()
    return re.sub(r"\s+", " ", out)


def _find_abstract(lines: list[Line], limit: int) -> tuple[int, str] | None:
    """Index of the abstract label within lines[:limit] and the text that follows it on that line."""
    for i, line in enumerate(lines[:limit]):
        if line.kind != "body":
            continue
        m = _ABSTRACT.match(line.text.strip())
        # a run-in label is set apart by punctuation, bold (the label's own span will do) or capitals
        if m and (not m.group("rest") or m.group("sep") or line.bold or line.caps
                  or (line.spans and line.spans[0].bold and "bstract" in line.spans[0].text.lower())):
            return i, m.group("rest")
    return None


def extract_front_matter(doc: DocText, lines: list[Line], metadata_title: str = "") -> FrontMatter:
    """Front matter of the paper from the flat line list (page 1 mostly; the abstract may reach page 2)."""
    fm = FrontMatter()
    if not doc.pages:
        return fm
    fm.language = paper_language(doc)
    if fm.language != "en":
        _cjk_front_matter(doc, lines, fm)
        if not fm.title and metadata_title and len(metadata_title.split()) >= 2:
            fm.title = metadata_title.strip()
        return fm
    front = _front_page(doc)
    offset = sum(len(page) for page in doc.pages[:front])  # a cover page's lines come before the paper's
    view = lines[offset:]
    first = [ln for ln in doc.pages[front] if ln.kind == "body"]
    height = doc.page_sizes[front][1]
    fm.title, _title_top, title_bottom = _title(first, height, doc.body_size)
    if not fm.title and metadata_title and len(metadata_title.split()) >= 2:
        fm.title = metadata_title.strip()

    n_first = len(doc.pages[front])
    limit = n_first + (len(doc.pages[front + 1]) if len(doc.pages) > front + 1 else 0)
    found = _find_abstract(view, limit)
    abstract_y = None
    if found is not None:
        idx, rest = found
        if view[idx].page == front + 1:
            abstract_y = view[idx].y0
        fm.abstract, _ = _abstract_from(view, idx, rest, doc.body_size, doc.vocab)
        fm.abstract_page = view[idx].page
        # headings are searched from the label on: an abstract that overran must not hide them
        fm.body_start = offset + idx + 1
    if title_bottom:
        region = [ln for ln in first if ln.y0 >= title_bottom - 1 and (abstract_y is None or ln.y1 <= abstract_y + 1)]
        if abstract_y is None:
            region = _until_body(region, doc.body_size)
        fm.authors, fm.affiliations = _authors(region)
        if not fm.affiliations and any(_THESIS_COVER.search(ln.text) for ln in region):
            # a thesis cover names its institution above the title
            above = [ln.text.strip() for ln in first if ln.y1 <= _title_top + 1 and _INSTITUTION.search(ln.text)]
            fm.affiliations = [_join_affiliation(above)] if above else []
    if found is None:
        fm.abstract, start = _first_paragraph(view, n_first, title_bottom, doc.body_size, doc.vocab)
        fm.abstract_page = front + 1  # the paragraph is looked for on the title's page
        fm.body_start = offset + start
    fm.keywords = _english_keywords(view, limit, doc.vocab)
    return fm


_KEYWORD_SEPARATORS = re.compile(r"\s*[;,·•]\s*")
_KEYWORD_LINES = 6  # a keywords block is a few lines: one keyword per line (Elsevier), or a wrapped list


def _english_keywords(lines: list[Line], limit: int, vocab: Counter[str] | None = None) -> list[str]:
    """The "Keywords:" / "Key words" / "Index Terms—" block of the first pages: the words after the label
    and the lines of its block, split at ; , or · (one keyword per line when there is no separator)."""
    for i, line in enumerate(lines[:limit]):
        m = _KEYWORDS.match(line.text.strip())
        if not m or line.kind != "body":
            continue
        rows = [m.group("rest")] if m.group("rest").strip() else []
        for nxt in lines[i + 1:i + 1 + _KEYWORD_LINES]:
            if nxt.block != line.block or nxt.page != line.page or nxt.kind != "body":
                break
            rows.append(nxt.text.strip())
        joined = join_lines(rows, vocab)
        if _KEYWORD_SEPARATORS.search(joined):
            return [k for k in _KEYWORD_SEPARATORS.split(joined.rstrip(".")) if k]
        return [r.rstrip(".") for r in rows if r]
    return []


# A repository's or publisher's cover sheet before the paper (ACM Digital Library, ResearchGate, JSTOR)
_COVER_MARK = re.compile(r"total\s+(citations|downloads)|citation\s+in\s+bibtex|^pdf\s+download$|^latest\s+updates\s*:|"
                         r"see\s+discussions,\s+stats,?\s+and\s+author\s+profiles|your\s+use\s+of\s+the\s+jstor|"
                         r"open\s+access\s+support\s+provided\s+by|this\s+content\s+(was\s+)?downloaded\s+from", re.I)
_COVER_WORDS = 25  # fewer words than a title page with its authors: a cover sheet ("DRAFT" and a date)
_NOT_TITLE_WORD = re.compile(_MONTHS + r"|draft|\d.*", re.I)


def _front_page(doc: DocText) -> int:
    """0, or 1 when page 1 is a cover sheet and the paper starts on page 2: a download cover (its counts and
    links), or a sheet with hardly any text and nothing set like a title (only a date and "DRAFT")."""
    if len(doc.pages) < 2:
        return 0
    body = [ln for ln in doc.pages[0] if ln.kind == "body"]
    if sum(ln.words for ln in doc.pages[1] if ln.kind == "body") < 2 * _COVER_WORDS:
        return 0  # no paper on page 2 either (a damaged file): keep to page 1
    if sum(bool(_COVER_MARK.search(ln.text.strip())) for ln in body) >= 2:
        return 1
    titled = any(ln.size >= doc.body_size + 1.5 and
                 sum(1 for w in ln.text.split() if w.isalpha() and not _NOT_TITLE_WORD.fullmatch(w)) >= 2
                 for ln in body)
    sparse = sum(ln.words for ln in body) < _COVER_WORDS and not any(ln.words >= 6 for ln in body)
    return 1 if sparse and not titled else 0


def _abstract_from(lines: list[Line], idx: int, rest: str, body_size: float,
                   vocab: Counter[str] | None = None) -> tuple[str, int]:
    label = lines[idx]
    collected = [rest] if rest else []
    j = idx + 1
    while j < len(lines) and len(collected) < 60:
        line = lines[j]
        text = line.text.strip()
        if line.kind != "body":
            j += 1
            continue
        if line.page > label.page + 1 or _ABSTRACT_END.match(text):
            break
        if collected and (_FIRST_HEADING.match(text) and (line.bold or line.size > body_size + 0.5
                                                           or line.caps or line.smallcaps)):
            break
        if line.size < body_size - 2.5 and collected:
            j += 1  # footnotes and figure labels interleaved with the abstract
            continue
        collected.append(text)
        j += 1
    return join_lines(collected, vocab), j


def _first_paragraph(lines: list[Line], n_first: int, after_y: float, body_size: float,
                     vocab: Counter[str] | None = None) -> tuple[str, int]:
    """No "Abstract" label: the first body paragraph below the title block.

    A paragraph, not a line: a block of at least 20 words, so that a long affiliation or e-mail row
    above the abstract is not taken for it.
    """
    blocks: dict[int, list[int]] = {}
    for j, line in enumerate(lines[:n_first]):
        if line.kind == "body" and line.y0 >= after_y and abs(line.size - body_size) <= 1.5:
            blocks.setdefault(line.block, []).append(j)
    candidates = [idx for idx in blocks.values() if any(lines[j].words >= 6 for j in idx)]
    if not candidates:
        return "", 0
    chosen = next((idx for idx in candidates if sum(lines[j].words for j in idx) >= 20), candidates[0])
    start = next(j for j in chosen if lines[j].words >= 6)
    return join_lines([lines[j].text for j in chosen if j >= start], vocab), chosen[-1] + 1


def _until_body(region: list[Line], body_size: float) -> list[Line]:
    """Without an abstract label, the author block ends at the first run of long body lines."""
    out = []
    for line in sorted(region, key=lambda ln: ln.y0):
        if line.words >= 10 and abs(line.size - body_size) <= 0.6:
            break
        out.append(line)
    return out


def _authors(region: list[Line]) -> tuple[list[str], list[str]]:
    authors: list[str] = []
    author_style = None
    author_lines: list[Line] = []
    other_rows: list[list[Line]] = []
    first_markers: list[str] = []
    rows = _rows(region)
    k = 0
    while k < len(rows):
        row = rows[k]
        k += 1
        texts = [_marked_text(ln) for ln in row]
        joined = " ".join(t for t, _ in texts).strip()
        if _SKIP_ROW.match(joined) or re.search(_MONTHS + r"\s+\d", joined, re.I) or _DEGREE_ROW.match(joined):
            continue
        style = (round(row[0].size), row[0].bold)
        if cjk_share(joined) >= _CJK_ROW:
            cjk = _cjk_names(joined)
            if cjk and (author_style is None or style == author_style):
                author_style = style
                authors.extend(cjk[0])
                if not first_markers:
                    first_markers = next((re.findall(r"\d+", m[0][1]) for _, m in texts if m), []) or cjk[1]
                author_lines.extend(row)
            elif authors or author_style is None:
                other_rows.append(row)
            continue
        pure = _pure_names(texts)
        if not pure and k < len(rows) and len(row) == len(rows[k]) == 1 and _wraps_into(row[0], rows[k][0]):
            # a list of names wrapped mid-name ("..., and Hans / Vogel"): read the two rows as one
            wrapped = [(texts[0][0] + " " + _marked_text(rows[k][0])[0], texts[0][1])]
            if _pure_names(wrapped):
                row, texts, pure = row + rows[k], wrapped, True
                k += 1
        if pure and (author_style is None or style == author_style):
            author_style = style
            for t, markers in texts:
                for name in _split_names(t):
                    if name:
                        authors.append(_strip_marks(name))
                if not first_markers and markers:
                    first_markers = re.findall(r"\w+", markers[0][1])
            author_lines.extend(row)
        elif (authors or author_style is None) and not _EMAIL.fullmatch(joined.strip()):
            other_rows.append(row)
    if not authors and other_rows:
        byline = re.sub(r"\s+", " ", " ".join(_marked_text(ln)[0].replace(" , ", " ") for ln in other_rows[0]))
        if _organisation_byline(_strip_marks(byline)):
            return [_strip_marks(byline)], _affiliations(other_rows[1:], other_rows[0], [])
    return _dedupe(authors), _affiliations(other_rows, author_lines, first_markers)


# The words of an organisation that signs a paper as its only author ("Gemini Team", "Qwen Team", "Meta FAIR")
_ORG_WORDS = re.compile(r"\b(team|ai|lab|labs|research|group|inc|corporation|consortium|collaboration|project|fair)\b",
                        re.I)


def _organisation_byline(text: str) -> bool:
    """The first row under the title, where no row holds personal names: an organisation as the only author
    ("DeepSeek-AI", "OpenAI", "Gemini Team, Google") rather than an affiliation, a note or an address."""
    words = text.split()
    if not 1 <= len(words) <= 4 or re.search(r"[\d@:/()]", text) or _SKIP_ROW.match(text):
        return False
    if any(w.lower().strip(",.") in ("university", "institute", "department", "school", "college", "faculty")
           for w in words):
        return False
    single = len(words) == 1 and bool(re.fullmatch(r"[A-Z][A-Za-z]*(?:[A-Z][A-Za-z]*|-[A-Za-z]+)+", words[0]))
    return single or (words[0][:1].isupper() and bool(_ORG_WORDS.search(text)))


def _pure_names(texts: list[tuple[str, list]]) -> bool:
    names = [p for t, _ in texts for p in _split_names(t) if p]
    return bool(names) and all(is_person_name(p) for p in names)


def _wraps_into(line: Line, nxt: Line) -> bool:
    """The next line continues this one: same letters' size and weight, one line-spacing below."""
    a, b = max(line.spans, key=lambda s: s.size), max(nxt.spans, key=lambda s: s.size)
    step = b.origin_y - a.origin_y
    return abs(a.size - b.size) <= 0.3 and a.bold == b.bold and 0.8 * a.size <= step <= 1.8 * a.size


def _affiliations(rows: list[list[Line]], author_lines: list[Line], first_markers: list[str]) -> list[str]:
    if any(cjk_share(ln.text) >= _CJK_ROW for row in rows for ln in row):
        return _cjk_affiliations(rows, first_markers)
    entries: list[tuple[str | None, str]] = []
    letters = _affiliation_letters(rows)
    for row in rows:
        for line in row:
            text = _EMAIL.sub("", line.text).strip(" ,;")
            if not text or not re.search(r"[A-Za-z]{3}", text):
                continue
            parts = re.split(r"(?:^|\s)(\d{1,2})\s*(?=[A-Z])", text)
            lettered = re.match(r"^([a-z])\s+(?=[A-Z])", text)
            if len(parts) > 1 and not parts[0].strip() and (_raised(line) or (len(rows) > 1 and _numbered_rows(rows))):
                for k in range(1, len(parts) - 1, 2):
                    entries.append((parts[k], parts[k + 1].strip(" ,;")))
            elif lettered and lettered.group(1) in letters:
                # Elsevier's affiliation letters: "a School of ...", "b Department of ..."
                entries.append((lettered.group(1), text[lettered.end():].strip(" ,;")))
            else:
                entries.append((None, text))
    if not entries:
        return []
    if any(key for key, _ in entries):
        keyed = [(key, text) for key, text in entries if key]
        keyed.sort(key=lambda kt: (kt[0] not in first_markers, first_markers.index(kt[0])
                                   if kt[0] in first_markers else int(kt[0]) if kt[0].isdigit() else ord(kt[0])))
        return _dedupe(text for _, text in keyed)
    author_rows = _rows(author_lines)
    if any(len(row) > 1 for row in author_rows):
        # names side by side (or in a grid): each affiliation belongs to the name above it
        per_author: dict[int, list[str]] = {}
        order = {id(ln): k for k, ln in enumerate(author_lines)}
        for row in rows:
            for line in row:
                above = [r for r in author_rows if r[0].y0 < line.y0 - 0.5 * line.height]
                if not above:
                    continue
                center = (line.x0 + line.x1) / 2
                owner = min(above[-1], key=lambda a: abs((a.x0 + a.x1) / 2 - center))
                per_author.setdefault(order[id(owner)], []).append(_EMAIL.sub("", line.text).strip(" ,;"))
        return _dedupe(_join_affiliation(v) for _, v in sorted(per_author.items()) if any(v))
    return _dedupe([_join_affiliation([text for _, text in entries])])


def _join_affiliation(parts: list[str]) -> str:
    """Lines of one affiliation: a comma between units, none inside a wrapped phrase."""
    out = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if not out or out.endswith(",") or part[:1].islower() or out.split()[-1][:1].islower():
            out = f"{out} {part}".strip()
        else:
            out = f"{out}, {part}"
    return out.rstrip(" ,")


def _affiliation_letters(rows: list[list[Line]]) -> set[str]:
    """Letters that key affiliation lines ("a School of ...", "b Department of ..."): only when the lines
    start with a, b, ... in order, so a line that merely begins with the article "a" is no key."""
    firsts = [m.group(1) for row in rows for ln in row if (m := re.match(r"([a-z])\s+[A-Z]", ln.text.strip()))]
    run = 0
    while run < len(firsts) and firsts[run] == "abcdefghij"[run:run + 1]:
        run += 1
    return set(firsts[:run]) if run >= 2 else set()


def _numbered_rows(rows: list[list[Line]]) -> bool:
    """Affiliations numbered 1, 2, ... (not a street number on one line)."""
    firsts = {m.group(1) for row in rows for ln in row if (m := re.match(r"(\d{1,2})\s*[A-Z]", ln.text.strip()))}
    return len(firsts) >= 2


def _dedupe(items) -> list[str]:
    out: list[str] = []
    for item in items:
        item = re.sub(r"\s+", " ", item).strip()
        if item and item not in out:
            out.append(item)
    return out


# --------------------------------------------------------------------------- CJK papers

_MARK_DIGITS = str.maketrans("¹²³⁴⁵⁶⁷⁸⁹⁰", "1234567890")
# affiliation markers after a Chinese name: "1", "1,2", "1 ,2)", "¹²*"
_CJK_MARKER = re.compile(rf"\d{{1,2}}(\s*[,，]\s*\d{{1,2}})*\s*[)）]?|[{re.escape(_MARKS)}]")
_CJK_NAME = re.compile(r"[\u3400-\u9fff]{2,4}|[\u3400-\u9fff]{1,8}[·•・][\u3400-\u9fff]{1,8}")
# words of an institution or a place, never of a Chinese name
_NOT_CJK_NAME = re.compile(r"大学|学院|研究|实验室|公司|中心|学报|学校|医院|集团|科学|技术|工程|信息|国家|重点|"
                           r"[省市区县]$|^(北京|上海|天津|重庆|中国|摘要|关键)")
_CJK_ROW = 0.3  # share of Han characters that makes a row Chinese
_LEADERS = re.compile(r"(\.\s*){5,}|…{3,}|(·\s*){5,}")  # a table of contents' entry, not the label itself


def _cjk_names(text: str) -> tuple[list[str], list[str]] | None:
    """The Chinese names of an author row ("张三¹，李四¹²*", "史　操1,2, 邹北骥1") and the first name's
    affiliation markers; None when the row is not only names."""
    text = _EMAIL.sub(" ", text.translate(_MARK_DIGITS))
    if re.search(r"\d{3}|[（(《：:。]", text):
        return None  # a postcode, a bracketed affiliation, a label or a sentence
    first_markers: list[str] = []
    head = re.match(r"\s*[\u3400-\u9fff](?:[\u3000 ]?[\u3400-\u9fff]){1,3}\s*(?P<marks>[\d,，\s*†‡)）]*)", text)
    if head:
        first_markers = re.findall(r"\d{1,2}", head.group("marks"))
    pieces = [p for p in re.split(r"[,，、;；\s]+", _CJK_MARKER.sub(" ", text)) if p]
    names: list[str] = []
    k = 0
    while k < len(pieces):
        piece = pieces[k]
        # a two-character name padded to three with an ideographic space: "史　操"
        if len(piece) == 1 and k + 1 < len(pieces) and len(pieces[k + 1]) == 1:
            piece = piece + pieces[k + 1]
            k += 1
        k += 1
        if not _CJK_NAME.fullmatch(piece) or _NOT_CJK_NAME.search(piece):
            return None
        names.append(piece)
    return (names, first_markers) if names else None


def _cjk_affiliations(rows: list[list[Line]], first_markers: list[str]) -> list[str]:
    """Affiliation lines: "（1. 某大学 计算机学院，北京 100084；2. ……）", "1) (中南大学……)", first author's first."""
    chunks: list[str] = []
    numbered = re.compile(r"^[(（]?\s*\d{1,2}\s*[.)）．、]")
    for row in rows:
        text = _EMAIL.sub("", " ".join(ln.text.strip() for ln in row)).strip()
        if not text or cjk_share(text) < _CJK_ROW / 2 or _ZH_NOTE.match(text):
            continue
        if chunks and not numbered.match(text) and not re.search(r"[;；)）]\s*$", chunks[-1]):
            chunks[-1] += text
        else:
            chunks.append(text)
    entries: list[tuple[str | None, str]] = []
    for chunk in chunks:
        for part in re.split(r"[;；]", chunk):
            part = part.strip(" ()（）,，\u3000")
            m = re.match(r"^(\d{1,2})\s*[.)）．、]\s*[(（]?\s*(.*)$", part)
            key, body = (m.group(1), m.group(2)) if m else (None, part)
            body = re.sub(r"\s+", " ", body.strip(" ()（）,，;；\u3000"))
            if body and cjk_share(body) >= _CJK_ROW / 2:
                entries.append((key, body))
    entries.sort(key=lambda kb: (kb[0] not in first_markers, first_markers.index(kb[0]) if kb[0] in first_markers
                                 else int(kb[0] or 0)))
    return _dedupe(body for _, body in entries)


def _cover_fields(first: list[Line]) -> dict[str, str]:
    """A thesis cover's form fields: title, title_en, author, department (spaces inside labels dropped)."""
    out: dict[str, str] = {}
    names = {"题目": "title", "中文题目": "title", "论文题目": "title", "英文题目": "title_en", "姓名": "author",
             "作者": "author", "院系": "department", "学院": "department", "系别": "department"}
    for line in first:
        m = _COVER_FIELD.match(line.text.strip())
        if not m:
            continue
        key = names.get(re.sub(r"\s+", "", m.group("key")))
        value = re.split(r"\s{2,}|\u3000{2,}", m.group("value").strip())[0].strip()
        if key and value and key not in out:
            out[key] = value
    return out if "title" in out else {}


def _cjk_front_matter(doc: DocText, lines: list[Line], fm: FrontMatter) -> None:
    """Front matter of a Chinese paper: the Chinese title and abstract are the main ones; a printed English
    title and abstract go to title_en / abstract_en; the journal's notes (中图分类号, 收稿日期 ...) are skipped."""
    first = [ln for ln in doc.pages[0] if ln.kind == "body"]
    height = doc.page_sizes[0][1]
    n_first = len(doc.pages[0])
    cover = _cover_fields(first)
    title_bottom = 0.0
    if cover:
        # a thesis: the cover is a form; the abstracts follow on later pages
        fm.title, fm.title_en = cover["title"], cover.get("title_en", "")
        fm.authors = [re.sub(r"\s+", "", cover["author"])] if cover.get("author") else []
        school = next((re.sub(r"\s+", "", ln.text) for ln in first
                       if re.fullmatch(r"[\u3400-\u9fff]{2,20}(大学|学院)", re.sub(r"\s+", "", ln.text))), "")
        if cover.get("department"):
            fm.affiliations = [f"{school} {cover['department']}".strip()]
        pages = min(len(doc.pages), 8)
    else:
        chinese = [ln for ln in first if cjk_share(ln.text) >= _CJK_ROW and not _ZH_NOTE.match(ln.text.strip())]
        fm.title, _, title_bottom = _title(chinese, height, doc.body_size)
        if not fm.title:
            fm.title, _, title_bottom = _title(first, height, doc.body_size)
        pages = min(len(doc.pages), 2)
    limit = sum(len(page) for page in doc.pages[:pages])
    found = _find_label(lines, limit, _ABSTRACT_ZH)
    abstract_y = None
    zh_end = 0
    if found is not None:
        idx, rest = found
        if lines[idx].page == 1:
            abstract_y = lines[idx].y0
        fm.abstract, zh_end = _abstract_from(lines, idx, rest, doc.body_size, doc.vocab)
        fm.abstract_page = lines[idx].page
        fm.body_start = idx + 1
    elif not cover:
        fm.abstract, zh_end = _cjk_first_paragraph(lines, n_first, title_bottom, doc.body_size)
        fm.body_start = zh_end
    if not cover and title_bottom:
        region = [ln for ln in first if ln.y0 >= title_bottom - 1 and (abstract_y is None or ln.y1 <= abstract_y + 1)
                  and not _ZH_NOTE.match(ln.text.strip())]
        if abstract_y is None:
            region = _until_body(region, doc.body_size)
        fm.authors, fm.affiliations = _authors(region)
    fm.keywords = _keywords(lines, zh_end, limit)
    _english_block(doc, lines, fm, zh_end)


def _find_label(lines: list[Line], limit: int, label: re.Pattern) -> tuple[int, str] | None:
    """Index of the first body line within lines[:limit] that starts with `label`, and the text after it."""
    for i, line in enumerate(lines[:limit]):
        if line.kind == "body" and (m := label.match(line.text.strip())) and not _LEADERS.search(line.text):
            return i, m.group("rest")
    return None


def _keywords(lines: list[Line], start: int, limit: int) -> list[str]:
    for line in lines[start:limit + 1]:
        m = _KEYWORDS.match(line.text.strip())
        if m and line.kind == "body" and cjk_share(m.group("rest")) > 0:
            return [k.strip() for k in re.split(r"[;；,，]", m.group("rest")) if k.strip()]
    return []


def _cjk_first_paragraph(lines: list[Line], n_first: int, after_y: float, body_size: float) -> tuple[str, int]:
    """No "摘要" label: the first run of Chinese prose below the title block, up to the keywords or a size change."""
    start = next((j for j, ln in enumerate(lines[:n_first]) if ln.kind == "body" and ln.y0 >= after_y
                  and ln.words >= 10 and cjk_share(ln.text) >= _CJK_ROW and abs(ln.size - body_size) <= 1.5
                  and not _ZH_NOTE.match(ln.text.strip())), None)
    if start is None:
        return "", 0
    taken, j = [], start
    while j < n_first:
        line = lines[j]
        text = line.text.strip()
        if line.kind == "body":
            if (_ABSTRACT_END.match(text) or _ZH_NOTE.match(text) or abs(line.size - lines[start].size) > 0.3
                    or _FIRST_HEADING.match(text)):
                break
            taken.append(text)
        j += 1
    return join_lines(taken), j


def _english_block(doc: DocText, lines: list[Line], fm: FrontMatter, after: int) -> None:
    """The printed English title and abstract of a Chinese paper: after the Chinese abstract, or at the
    paper's end (some journals print them after the references)."""
    n = len(doc.pages)
    front_limit = sum(len(page) for page in doc.pages[:min(n, 8)])
    tail_start = sum(len(page) for page in doc.pages[:max(0, n - 2)])
    found = None
    for lo, hi in ((after, front_limit), (max(tail_start, front_limit), len(lines))):
        for i in range(lo, hi):
            line = lines[i]
            m = _ABSTRACT.match(line.text.strip()) if line.kind == "body" else None
            # set apart by punctuation, by bold, or by the ideographic spaces of a Chinese layout ("Abstract　　In ...")
            if m and cjk_share(line.text) < _CJK_ROW and (m.group("sep") or not m.group("rest") or line.bold
                                                          or "\u3000" in line.text.strip()[:m.start("rest")]):
                found = (i, m.group("rest"))
                break
        if found:
            break
    if found is None:
        return
    idx, rest = found
    fm.abstract_en, end = _abstract_from(lines, idx, rest, doc.body_size, doc.vocab)
    fm.abstract_en_page = lines[idx].page
    if lines[idx].page <= 2 or (idx < front_limit and lines[idx].page <= 8):
        fm.body_start = max(fm.body_start, end if lines[idx].page <= 2 else fm.body_start)
    if not fm.title_en:
        fm.title_en = _english_title(lines, idx, doc.body_size)


_EN_TITLE_LEADING = 1.5  # a wrapped English title's rows are at most this many sizes apart (display titles are set loose)


def _english_title(lines: list[Line], label: int, body_size: float) -> str:
    """The largest Latin text in the lines before the English abstract label, on its page."""
    page = lines[label].page
    above = [ln for ln in lines[max(0, label - 40):label] if ln.kind == "body" and ln.page == page
             and cjk_share(ln.text) == 0 and sum(ch.isalpha() for ch in ln.text) >= 8 and not _SKIP_ROW.match(ln.text)]
    if not above:
        return ""
    biggest = max(ln.size for ln in above)
    if biggest < body_size + 0.9:
        return ""
    rows = [ln for ln in sorted(above, key=lambda ln: ln.y0) if abs(ln.size - biggest) <= 0.3]
    picked = [rows[0]]
    for ln in rows[1:]:
        if ln.y0 - picked[-1].y1 < _EN_TITLE_LEADING * biggest:
            picked.append(ln)
        else:
            break
    title = _join_title([ln.text for ln in picked])
    return _strip_marks(re.sub(r"\s+([:,])", r"\1", title))
