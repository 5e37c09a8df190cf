"""Lines of text with their fonts, and the cleaning every later step relies on.

One `page.get_text("dict")` per page feeds everything: front matter, headings, section text and
`Paper.page_texts`. Cleaning joins hyphenated line breaks, expands ligatures, repairs accents and
glyphs that re-saved PDFs extract oddly, and drops running headers/footers and line numbers.
"""
from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

import pymupdf

# No images, ligatures expanded by MuPDF ("ﬁ" -> "fi"), text outside the page dropped.
_TEXT_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP
# Font-name conventions: "-Bold", "Medi", TeX's "CMBX", ACM's Linux Libertine/Biolinum "...TB" ("TBI")
_BOLD_FONT = re.compile(r"bold|medi|black|heavy|semibold|demi|\bbx|cmbx|-b$|sfbx|\.b$|[-_]bd$|(libertine|biolinum)\w*tbi?$",
                        re.I)
_ITALIC_FONT = re.compile(r"ital|oblique|cmti|cmsl|-it$|sfti|slant|(libertine|biolinum)\w*t?b?i$", re.I)
_MATH_FONT = re.compile(r"^(cmmi|cmsy|cmex|msam|msbm|txsy|txmi|rsfs|eufm|stix.*math)", re.I)


@dataclass(slots=True)
class Span:
    text: str
    size: float
    bold: bool
    font: str
    x0: float
    x1: float
    y0: float
    y1: float
    origin_y: float
    italic: bool = False


@dataclass(slots=True)
class Line:
    """One visual line of a page (1-based `page`), in the page's reading order."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    size: float = 0.0
    bold: bool = False
    italic: bool = False
    smallcaps: bool = False
    block: int = 0
    spans: list[Span] = field(default_factory=list)
    kind: str = "body"  # body | header | footer | lineno | rotated
    repaired: bool = False  # some glyphs were mapped back from a broken text layer

    @property
    def words(self) -> int:
        """Words, where two CJK characters count as one (CJK text has no spaces between its words)."""
        text = self.text
        if text.isascii():
            return len(text.split())
        return word_count(text)

    @property
    def caps(self) -> bool:
        return _is_caps(self.text)

    @property
    def height(self) -> float:
        return self.y1 - self.y0


# --------------------------------------------------------------------------- characters

# Han, kana, hangul and the CJK symbols and full-width forms: scripts set without spaces between words
CJK_CHAR = re.compile(r"[\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf"
                      r"\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]")
_CJK_IDEOGRAPH = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def is_cjk(ch: str) -> bool:
    """One character of a script (or punctuation) set without spaces between words; not the ideographic space."""
    return bool(ch) and ch != "\u3000" and bool(CJK_CHAR.match(ch))


def cjk_share(text: str) -> float:
    """Share of the letters (digits, punctuation and dot leaders not counted) that are Han characters."""
    letters = sum(ch.isalpha() for ch in text)
    return len(_CJK_IDEOGRAPH.findall(text)) / letters if letters else 0.0


def word_count(text: str) -> int:
    """Space-separated words of Latin text plus one word per two CJK characters."""
    cjk = len(CJK_CHAR.findall(text))
    return len(CJK_CHAR.sub(" ", text).split()) + (cjk + 1) // 2

# Mac OS X Quartz re-saves TeX fonts with a broken glyph map: codes below 0x20 come out as Apple's
# menu glyphs (0x02 "⇥", 0x0B "↵", 0x11 "⌘", 0x14 "\uf8ff", ...), so each TeX encoding needs its own table.
_QUARTZ_TEXT = {"↵": "ff", "⇤": "*", "⌦": "Ω"}
# OML (CMMI): Greek letters
_QUARTZ_CMMI = {"⇥": "Θ", "⇤": "Λ", "⌦": "Ω", "↵": "α", "✏": "ε", "⇣": "ζ", "⌘": "η", "✓": "θ", "◆": "ι",
                "\uf8ff": "κ", "⌫": "ν", "⇠": "ξ", "⇡": "π", "⇢": "ρ", "⎋": "σ", "⌧": "τ"}
# OMS (CMSY): relations and operators; its printable codes also come out raw ("2" for "∈", "k" for "‖").
# Only codes that are never a real CMSY character are mapped: no "{", "}", "|", "\\", "-", "," or ".".
_QUARTZ_CMSY = {"⇥": "×", "⇤": "∗", "⌦": "⊗", "↵": "⊘", "✏": "•", "⇣": "≍", "⌘": "≡", "✓": "⊆", "◆": "⊇",
                "\uf8ff": "≤", "⌫": "⪰", "⇠": "∼", "⇡": "≈", "⇢": "⊂", "⎋": "⊃", "⌧": "≪"}
# Quartz only: other producers' CMSY spans can carry real ASCII (a leaked LaTeX source string)
_QUARTZ_CMSY_RAW = {"!": "→", '"': "↑", "#": "↓", "$": "↔", "%": "↗", "&": "↘", "'": "≃", "(": "⇐", ")": "⇒",
                "+": "⇓", "0": "′", "1": "∞", "2": "∈", "3": "∋", "4": "△", "5": "▽", "6": "\u0338", "7": "↦",
                "8": "∀", "9": "∃", ":": "¬", ";": "∅", "<": "ℜ", "=": "ℑ", ">": "⊤", "?": "⊥", "@": "ℵ",
                "[": "∪", "]": "⊎", "^": "∧", "_": "∨", "`": "⊢", "a": "⊣", "b": "⌊", "c": "⌋", "d": "⌈",
                "e": "⌉", "f": "{", "g": "}", "h": "⟨", "i": "⟩", "j": "|", "k": "‖", "l": "↕", "m": "⇕",
                "n": "\\", "o": "≀", "p": "√", "q": "⨿", "r": "∇", "s": "∫", "t": "⊔", "u": "⊓", "v": "⊑",
                "w": "⊒", "x": "§", "y": "†", "z": "‡"}
_NEGATED = {"=": "≠", "∈": "∉", "≡": "≢", "∼": "≁", "⊂": "⊄", "⊆": "⊈"}
_NEGATION = re.compile("\u0338 ?([" + "".join(_NEGATED) + "])")
_CMSY_FONT = re.compile(r"^(cmsy|cmbsy)", re.I)
_CMMI_FONT = re.compile(r"^(cmmi|cmmib)", re.I)
_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
# Spacing accents printed before (TeX) or after their letter -> combining marks.
_ACCENTS = {"´": "\u0301", "`": "\u0300", "¨": "\u0308", "ˆ": "\u0302", "˜": "\u0303", "¸": "\u0327",
            "ˇ": "\u030c", "˘": "\u0306", "˚": "\u030a", "˙": "\u0307", "¯": "\u0304"}
_ACCENT_BEFORE = re.compile(r"([´`¨ˆ˜ˇ˘˚˙])\s?([A-Za-zıȷ])")
_ACCENT_AFTER = re.compile(r"([A-Za-z])([´¨ˆ˜ˇ˘˚¸])(?=\w)")
_LIGATURE_RE = re.compile("|".join(_LIGATURES))
_QUARTZ_RE = re.compile("[" + "".join(sorted(set(_QUARTZ_TEXT) | set(_QUARTZ_CMMI))) + "]")
_TRANSLATIONS = {name: str.maketrans(table) for name, table in
                 (("cmsy", _QUARTZ_CMSY), ("cmsy-raw", _QUARTZ_CMSY | _QUARTZ_CMSY_RAW), ("cmmi", _QUARTZ_CMMI),
                  ("text", _QUARTZ_TEXT))}
_font_tables: dict[str, str] = {}


def _glyph_family(font: str) -> str:
    """Which Quartz table a font needs, cached: font names repeat on every line."""
    family = _font_tables.get(font)
    if family is None:
        if _CMSY_FONT.match(font):
            family = "cmsy"
        elif _CMMI_FONT.match(font) or _MATH_FONT.match(font):
            family = "cmmi"
        else:
            family = "text"
        _font_tables[font] = family
    return family


def fix_span_glyphs(text: str, font: str, quartz: bool = False) -> str:
    """Undo the glyph remapping of Quartz-resaved TeX fonts, by font family; `quartz` (the producer says
    so) also maps CMSY's raw printable codes ("2" -> "∈"), which only its math-symbol font has."""
    family = _glyph_family(font)
    if family == "cmsy" and quartz:
        text = text.translate(_TRANSLATIONS["cmsy-raw"])
    elif not text.isascii() and _QUARTZ_RE.search(text):
        text = text.translate(_TRANSLATIONS[family])
    return text


def fix_negations(text: str) -> str:
    """CMSY's negation slash is set before its relation: "6=" -> "≠"."""
    return _NEGATION.sub(lambda m: _NEGATED[m.group(1)], text)


def _combine_accent(match: re.Match) -> str:
    accent, letter = match.group(1), match.group(2)
    letter = {"ı": "i", "ȷ": "j"}.get(letter, letter)
    return unicodedata.normalize("NFC", letter + _ACCENTS[accent])


def _combine_accent_after(match: re.Match) -> str:
    return unicodedata.normalize("NFC", match.group(1) + _ACCENTS[match.group(2)])


def clean_chars(text: str) -> str:
    """Ligatures, detached accents ("Herv´e" -> "Hervé") and odd spaces, in one pass each."""
    if not text.isascii():
        text = _LIGATURE_RE.sub(lambda m: _LIGATURES[m.group(0)], text)
        if any(ch in _ACCENTS for ch in text):
            text = _ACCENT_BEFORE.sub(_combine_accent, text)
            text = _ACCENT_AFTER.sub(_combine_accent_after, text)
        text = text.replace("\u00a0", " ").replace("\u00ad", "").replace("\u200b", "")
    return text


# a word broken at the line end: alphabetic scripts only (CJK is broken anywhere, with no hyphen)
_HYPHEN_END = re.compile(r"[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]-$")
_SPACES = re.compile(r"\s+")
# Running headers and footers sit in the top or bottom tenth of a page's height, and repeat on at least
# this share of its pages (a journal's name, a short title): a line there that repeats is not body text.
RUNNING_BAND = 0.1
_RUNNING_SHARE = 0.3
_PAGE_NUMBER = re.compile(r"[\d\s\-–—/ivxIVX.]+|page \d+.*", re.I)
# a URL cut at the line end: after a path separator, or before its host is complete
_URL_OPEN = re.compile(r"(https?://|www\.)\S*[/_\-~#=?&]$|(https?://)?www\.$|https?://[^/\s]*\.$")
_WORD = re.compile(r"[^\W_][\w]*(?:-[^\W_][\w]*)*")
_LAST_WORD = re.compile(r"([^\W_][\w]*(?:-[^\W_][\w]*)*)-$")
_FIRST_WORD = re.compile(r"[^\W_][\w]*(?:-[^\W_][\w]*)*")
# complete words that start compounds rather than being cut off by hyphenation ("non-linear", "self-attention")
_COMPOUND_HEADS = frozenset({"non", "self", "well"})
# suspended hyphens: "first- and second-order"
_SUSPENDED = frozenset({"and", "or", "to", "nor"})


def build_vocabulary(texts) -> Counter[str]:
    """Words as the document spells them inside its lines, where no line break can have split them."""
    vocab: Counter[str] = Counter()
    for text in texts:
        if "-" in text:  # a line-end hyphen is not a spelling
            text = text.rstrip().removesuffix("-")
        for word in _WORD.findall(text):
            word = word.lower()
            vocab[word] += 1
            if "-" in word:  # "text-to-image" also attests its pairs "text-to" and "to-image"
                parts = word.split("-")
                for a, b in pairwise(parts):
                    vocab[f"{a}-{b}"] += 1
    return vocab


def mend_hyphen(left: str, right: str, vocab: Counter[str] | None = None) -> str | None:
    """How a line ending in "xxx-" meets a line starting "yyy": "" (a hyphenated word: drop the hyphen),
    "-" (a compound: keep it, no space) or None (not a line-break hyphen: join with a space)."""
    head = _LAST_WORD.search(left)
    tail = _FIRST_WORD.match(right)
    if head is None or tail is None:
        return None
    first, rest = head.group(1), tail.group(0)
    if rest.lower() in _SUSPENDED:
        return None
    last = first.rsplit("-", 1)[-1]
    if vocab:
        # the document's own spelling decides: "text-to-image" vs "text-toimage", "ADAGRAD" vs "ADA-GRAD"
        for a in (first, last) if last != first else (first,):
            a, b = a.lower(), rest.split("-", 1)[0].lower()
            hyphened, joined = vocab.get(f"{a}-{b}", 0), vocab.get(a + b, 0)
            if hyphened or joined:
                return "-" if hyphened > joined else ""
    # TeX never hyphenates inside a word that already has a hyphen: the break is at that hyphen
    if "-" in first or "-" in rest:
        return "-"
    if not rest[0].islower() or last.lower() in _COMPOUND_HEADS:
        return "-"
    return ""


def join_lines(lines: list[str], vocab: Counter[str] | None = None) -> str:
    """Join text lines into one paragraph, mending words hyphenated across line breaks."""
    out: list[str] = []
    for raw in lines:
        text = raw.strip()
        if not text:
            continue
        last = out[-1] if out else ""
        if last.endswith("-") and _HYPHEN_END.search(last) and (glue := mend_hyphen(last, text, vocab)) is not None:
            out[-1] = last[:-1] + glue + text
        elif ("http" in last or "www." in last) and _URL_OPEN.search(last):
            out[-1] = out[-1] + text  # a URL broken at the line end
        elif last and (is_cjk(last[-1]) or is_cjk(text[0])):
            out[-1] = last + text  # CJK lines break anywhere: no space between the two lines
        else:
            out.append(text)
    return _SPACES.sub(" ", " ".join(out)).strip()


# --------------------------------------------------------------------------- extraction


_font_styles: dict[str, tuple[bool, bool]] = {}
# Chinese journals set headings in a heavy CJK face at body size: 黑体 (SimHei, STHeiti, 方正黑体 "FZHTK")
_HEAVY_CJK_FONT = re.compile(r"黑体|simhei|heiti|^(\w+\+)?(fzht|fzhei|fzdh|fzxbs)|(?<!ya)hei(ti)?[-_ ]?(sc|tc|std)?$|"
                             r"小标宋", re.I)
# Fonts that hold CJK glyphs; their spans are never shifted Latin (see `shifted_latin`)
_CJK_FONT = re.compile(r"[\u3400-\u9fff]|sim|song|hei|kai|fang|ming|gb|cjk|han|^(\w+\+)?(st|fz)|yahei|dengxian|"
                       r"mincho|gothic|batang|gulim|dotum|uming|ukai|wenquanyi|hiragino|koz|ryumin|unicode|caj|china",
                       re.I)


def font_name(font: str) -> str:
    """A font name as its maker wrote it: Chinese names often arrive as GBK or UTF-8 bytes read as Latin-1."""
    if font.isascii():
        return font
    try:
        raw = font.encode("latin-1")
    except UnicodeEncodeError:
        return font
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return font


def _font_style(font: str) -> tuple[bool, bool]:
    """(bold, italic) from a font name, cached: names repeat on every line."""
    style = _font_styles.get(font)
    if style is None:
        name = font_name(font)
        bold = bool(_BOLD_FONT.search(name) or _HEAVY_CJK_FONT.search(name))
        style = _font_styles[font] = (bold, bool(_ITALIC_FONT.search(name)))
    return style


_cjk_fonts: dict[str, bool] = {}
# TeX's OT1 encoding (CMR and the like) puts its ligatures below the printable codes: "di輋erent" is "different"
_OT1_LIGATURES = {0x0B: "ff", 0x0C: "fi", 0x0D: "fl", 0x0E: "ffi", 0x0F: "ffl"}


def shifted_latin(text: str, font: str) -> str | None:
    """Latin text that a broken ToUnicode map shifted into one block of CJK code points.

    Some Chinese TeX setups map each ASCII code c of a Latin font (CMR10, ...) to U+XX00 + c, so "(1)"
    reads "輨輱輩". A span of a non-CJK font whose characters all sit in one such 256-code block, each
    at an ASCII position, is mapped back; None when the span is anything else.
    """
    block = None
    for ch in text:
        code = ord(ch)
        if ch == " ":
            continue
        # Han and hangul blocks only: the private-use area is the Symbol font's own (U+F073 is σ)
        if (not (0x3400 <= code < 0xA000 or 0xAC00 <= code < 0xD800)
                or not (0x20 < (code & 0xFF) < 0x7F or (code & 0xFF) in _OT1_LIGATURES)
                or (block is not None and code >> 8 != block)):
            return None
        block = code >> 8
    if block is None:
        return None
    cjk_font = _cjk_fonts.get(font)
    if cjk_font is None:
        cjk_font = _cjk_fonts[font] = bool(_CJK_FONT.search(font_name(font)))
    if cjk_font:
        return None
    return "".join(ch if ch == " " else _OT1_LIGATURES.get(ord(ch) & 0xFF) or chr(ord(ch) & 0xFF) for ch in text)


def span_text(text: str, font: str, quartz: bool = False) -> tuple[str, bool]:
    """A span's text with its font's glyph repairs (`fix_span_glyphs`, else `shifted_latin`), and
    whether it was shifted Latin mapped back; the text reader and the figure captions share it."""
    if (not text.isascii() and _QUARTZ_RE.search(text)) or (quartz and _glyph_family(font) == "cmsy"):
        return fix_span_glyphs(text, font, quartz), False
    if not text.isascii() and (latin := shifted_latin(text, font)) is not None:
        return latin, True
    return text, False


_WORD_GAP = 0.2  # ems of white between two characters of shifted Latin that stand for a word space (TeX sets none)


def respaced_page_dict(page: pymupdf.Page) -> dict:
    """`page_dict` with the word spaces of shifted Latin put back (see `shifted_latin`).

    MuPDF adds no space between CJK characters, and Latin shifted into a CJK block reads as CJK: its
    words run together ("Automaticdifferentiationisa..."). Read with character boxes, a gap wider than
    _WORD_GAP ems inside such a span is a space; every other span keeps its text as `page_dict` has it.
    """
    data = page.get_text("rawdict", flags=_TEXT_FLAGS)
    for block in data["blocks"]:
        for line in block.get("lines", ()):
            horizontal = abs(line["dir"][1]) < 0.1 and line["dir"][0] > 0
            for span in line["spans"]:
                chars = span.pop("chars")
                text = "".join(c["c"] for c in chars)
                if horizontal and not text.isascii() and shifted_latin(text, span["font"]) is not None:
                    gap = _WORD_GAP * span["size"]
                    parts = [chars[0]["c"]] if chars else []
                    for prev, char in pairwise(chars):
                        if char["bbox"][0] - prev["bbox"][2] > gap and prev["c"] != " " and char["c"] != " ":
                            parts.append(" ")
                        parts.append(char["c"])
                    text = "".join(parts)
                span["text"] = text
    return data


def page_dict(page: pymupdf.Page) -> dict:
    """The one text extraction per page that every step shares (figures included)."""
    return page.get_text("dict", flags=_TEXT_FLAGS)


def extract_page_lines(page: pymupdf.Page, page_no: int) -> list[Line]:
    """Every text line of one page with its dominant size and weight, in content order."""
    return lines_from_dict(page_dict(page), page_no, quartz=is_quartz(page.parent))


def is_quartz(doc: pymupdf.Document) -> bool:
    """Re-saved by macOS Quartz, whose TeX math fonts lose their glyph names."""
    return "quartz" in ((doc.metadata or {}).get("producer") or "").lower()


# A gap of at least this share of the font size between a math-italic run and a word is a space the text
# layer left out ("top-𝐾out of 𝑁experts" is printed "top-𝐾 out of 𝑁 experts"); kerning is far below it.
MATH_SPACE_EM = 0.15


def _is_math_letter(ch: str) -> bool:
    """Unicode's Mathematical Alphanumeric Symbols (𝐾, 𝑁, 𝒙 ...), which math fonts emit for variables."""
    return 0x1D400 <= ord(ch) <= 0x1D7FF


def join_spans(spans: list[Span]) -> str:
    """The line's text: spans concatenated, with the space the layout shows after or before a math run."""
    parts: list[str] = []
    for k, span in enumerate(spans):
        if k and parts and span.text:
            prev, left, right = spans[k - 1], parts[-1][-1:], span.text[:1]
            math_edge = (_is_math_letter(left) and right.isalnum()) or (_is_math_letter(right) and left.isalnum())
            if math_edge and span.x0 - prev.x1 >= MATH_SPACE_EM * max(prev.size, span.size):
                parts.append(" ")
        parts.append(span.text)
    return "".join(parts)


def lines_from_dict(data: dict, page_no: int, quartz: bool = False) -> list[Line]:
    """Lines of a `page_dict`, in content order; `quartz`: see `fix_span_glyphs`."""
    lines: list[Line] = []
    for bno, block in enumerate(data["blocks"]):
        for raw in block.get("lines", ()):
            spans: list[Span] = []
            prev = None
            repaired = False
            for s in raw["spans"]:
                text = s["text"]
                if not text:
                    continue
                size = round(s["size"], 1)
                font = s["font"]
                base = s["origin"][1]
                if quartz or not text.isascii():  # plain ASCII outside Quartz files needs no repair
                    text, shifted = span_text(text, font, quartz)
                    repaired = repaired or shifted
                # justified lines come one span per word: fold same-style neighbours into one
                if prev is not None and prev.size == size and prev.font == font and prev.origin_y == base:
                    prev.text += text
                    prev.x1 = s["bbox"][2]
                    continue
                x0, y0, x1, y1 = s["bbox"]
                bold, italic = _font_style(font)
                flags = s["flags"]
                prev = Span(text, size, bold or bool(flags & 16), font, x0, x1, y0, y1, base, italic or bool(flags & 2))
                spans.append(prev)
            if not spans:
                continue
            if len(spans) > 1:
                spans = _drop_footnote_marks(spans)
            text = clean_chars(join_spans(spans))
            if "\u0338" in text:
                text = fix_negations(text)
            if not text or text.isspace():
                continue
            x0, y0, x1, y1 = raw["bbox"]
            line = Line(page_no, x0, y0, x1, y1, text, block=bno, spans=spans, repaired=repaired)
            _set_style(line)
            dx, dy = raw["dir"]
            if abs(dy) > 0.1 or dx < 0:
                line.kind = "rotated"
            lines.append(line)
    # line numbers first: set on each text line's baseline, they must not be glued to its text
    columns = _mark_number_columns(lines)
    if columns:
        _drop_leading_numbers(lines, columns)
    return _merge_same_row(lines)


_MARK_TEXT = re.compile(r"\s*[\d*∗†‡§¶,]+\s*")
# what a footnote mark follows: a prose span ending in a word or punctuation, not a math operator ("log2")
_MARK_AFTER = re.compile(r"(?<![\w-])(?!(?:log|exp|max|min|sup|inf|lim|sin|cos|tan|det|arg|mod)\b)"
                         r"[^\W\d_]{2,}[.,;:)\]%”’'\"]*$|[.,;:)\]%”’'\"]$")
_PROSE = re.compile(r"[^\W\d_]{3}")


def _marks_after(text: str) -> bool:
    """Whether a footnote mark may follow this span: sentence punctuation, or a prose word (and its
    closing bracket or quote); never a lone ")" that closes a formula."""
    return text[-1:] in ".,;:" or bool(_PROSE.search(text) and _MARK_AFTER.search(text))


def _drop_footnote_marks(spans: list[Span]) -> list[Span]:
    """Footnote marks (small, raised digits or daggers after a word or punctuation) are left out, so
    "51.8%.5 This" reads "51.8%. This"; math exponents ("(x-a)2", "log2") stay."""
    main = max(spans, key=lambda s: len(s.text))
    small, raised = 0.8 * main.size, main.origin_y - 0.2 * main.size
    if all(s.size > small for s in spans):
        return spans
    out: list[Span] = []
    k = 0
    while k < len(spans):
        s = spans[k]
        k += 1
        prev = None
        if s.size <= small and s.origin_y < raised and _MARK_TEXT.fullmatch(s.text):
            prev = next((p for p in reversed(out) if p.text.strip()), None)
        if not (prev is not None and _glyph_family(prev.font) == "text" and _marks_after(prev.text.rstrip())
                # after a space only a citation's mark ("[6] 1"): "marked with †." names the symbol
                and (not (prev.text[-1:].isspace() or out[-1] is not prev) or prev.text.rstrip()[-1:] in ")]")):
            out.append(s)
            continue
        # the spaces typeset around the mark go with it ("Weyde [6] 1 ." reads "Weyde [6].")
        after = k
        while after < len(spans) and not spans[after].text.strip() and spans[after].origin_y < raised:
            after += 1
        following = spans[after].text if after < len(spans) else ""
        spaced = s.text[-1:].isspace() or after > k
        if not (following[:1] in ("", " ", ".", ",", ";", ":", ")", "]") or spaced):
            out.append(s)  # glued to a following word: an exponent or a subscript ("x2y")
            continue
        while out and out[-1] is not prev and (out[-1].size <= small or out[-1].origin_y < raised):
            out.pop()
        k = after
        if spaced and following[:1] not in ("", " ", ".", ",", ";", ":", ")", "]") and not prev.text[-1:].isspace():
            prev.text += " "
    return out


def _set_style(line: Line) -> None:
    """Size and weight of the line: those of most of its visible characters.

    The size is the largest on the main baseline, so small caps count at their capitals' size
    while raised footnote markers and subscripts do not count at all.
    """
    spans = line.spans
    if len(spans) == 1:
        s = spans[0]
        line.size, line.bold, line.italic = s.size, s.bold, s.italic
        line.smallcaps = False
        return
    weights = [len(s.text) - s.text.count(" ") for s in spans]
    total = sum(weights)
    if not total:
        line.size = max(s.size for s in spans)
        return
    main = spans[max(range(len(spans)), key=weights.__getitem__)]
    baseline = main.origin_y
    line.size = max(s.size for s, w in zip(spans, weights, strict=True) if w and abs(s.origin_y - baseline) <= 0.15 * s.size)
    line.bold = sum(w for s, w in zip(spans, weights, strict=True) if s.bold) >= 0.6 * total
    line.italic = sum(w for s, w in zip(spans, weights, strict=True) if s.italic) >= 0.6 * total
    line.smallcaps = any(s.size != main.size for s, w in zip(spans, weights, strict=True) if w) and _is_caps(line.text)


def _is_caps(text: str) -> bool:
    # CJK characters have no case: "随机欠采样+LSTM" is not set in capitals
    return (text.isupper() and sum(ch.isalpha() for ch in text) >= 3
            and (text.isascii() or not _CJK_IDEOGRAPH.search(text)))


_NUMBER_TOKEN = re.compile(r"^(\d+(\.\d+)*\.?|[IVXLC]+\.|[A-H](\.\d+)*\.?|Appendix)$")


def _merge_same_row(lines: list[Line]) -> list[Line]:
    """Glue pieces MuPDF split on one baseline: a heading number and its title, split words."""
    out: list[Line] = []
    for line in lines:
        prev = out[-1] if out else None
        if prev and prev.kind == line.kind == "body" and _same_row(prev, line):
            gap = line.x0 - prev.x1
            number_first = bool(_NUMBER_TOKEN.match(prev.text.strip()))
            # letter-spaced CJK labels and headings come in pieces: "摘" "要", "1 引" "言"
            spaced_cjk = (len(prev.text.strip()) <= 4 and is_cjk(prev.text.rstrip()[-1:])
                          and is_cjk(line.text.lstrip()[:1]))
            if -1 <= gap < (2.2 if number_first or spaced_cjk else 0.9) * max(prev.size, line.size):
                sep = "" if prev.text.endswith(" ") or line.text.startswith(" ") or spaced_cjk else " "
                prev.text = prev.text + sep + line.text
                prev.x1 = max(prev.x1, line.x1)
                prev.y0, prev.y1 = min(prev.y0, line.y0), max(prev.y1, line.y1)
                prev.spans.extend(line.spans)
                _set_style(prev)
                continue
        out.append(line)
    return out


def _same_row(a: Line, b: Line) -> bool:
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return overlap > 0.6 * min(a.height, b.height) and b.x0 > a.x0


# --------------------------------------------------------------------------- document level


@dataclass(slots=True)
class DocText:
    """All lines of a document, classified, plus the statistics later steps need."""

    pages: list[list[Line]]
    page_sizes: list[tuple[float, float]]
    body_size: float
    body_left: float
    body_right: float
    vocab: Counter[str] = field(default_factory=Counter)
    repaired_glyphs: bool = False  # a broken text layer's glyphs were mapped back (see repair_stray_glyphs)

    def body_lines(self):
        for page in self.pages:
            for line in page:
                if line.kind == "body":
                    yield line


def _shape(text: str) -> str:
    """A running header's identity: its words without numbers (page numbers change)."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.strip().lower()))


def build_doc_text(pages: list[list[Line]], page_sizes: list[tuple[float, float]]) -> DocText:
    """Classify running headers/footers, page numbers and line numbers; measure the body font."""
    sizes: Counter[float] = Counter()
    lefts: list[float] = []
    rights: list[float] = []
    for page in pages:
        for line in page:
            if line.kind == "body":
                sizes[round(line.size * 2) / 2] += len(line.text)
    body_size = sizes.most_common(1)[0][0] if sizes else 10.0
    _unbold_heavy_body(pages, body_size)
    for page in pages:
        for line in page:
            if line.kind == "body" and abs(line.size - body_size) <= 0.6 and line.words >= 4:
                lefts.append(line.x0)
                rights.append(line.x1)
    body_left = min(lefts, default=0.0) if len(lefts) < 20 else statistics.quantiles(lefts, n=50)[0]
    body_right = max(rights, default=1e6) if len(rights) < 20 else statistics.quantiles(rights, n=50)[-1]

    # Running headers/footers: the same words in the top or bottom band of many pages.
    n_pages = len(pages)
    shapes: Counter[str] = Counter()
    for page, (_, height) in zip(pages, page_sizes, strict=True):
        seen = set()
        for line in page:
            if line.kind == "body" and (line.y1 < RUNNING_BAND * height or line.y0 > (1 - RUNNING_BAND) * height):
                seen.add(_shape(line.text))
        shapes.update(seen)
    repeated = {s for s, n in shapes.items() if n >= max(2, _RUNNING_SHARE * n_pages)} if n_pages >= 2 else set()
    for page, (_, height) in zip(pages, page_sizes, strict=True):
        for line in page:
            if line.kind != "body":
                continue
            top, bottom = line.y1 < RUNNING_BAND * height, line.y0 > (1 - RUNNING_BAND) * height
            stripped = line.text.strip()
            if (top or bottom) and (_shape(stripped) in repeated or _PAGE_NUMBER.fullmatch(stripped)):
                line.kind = "header" if top else "footer"
            elif stripped.isdigit() and len(stripped) <= 4 and (line.x1 < body_left - 2 or line.x0 > body_right + 2):
                line.kind = "lineno"
        _mark_number_columns(page)
    _mark_band_lines(pages, page_sizes, body_size)
    stray = repair_stray_glyphs(pages)
    vocab = build_vocabulary(line.text for page in pages for line in page if line.kind == "body")
    return DocText(pages, page_sizes, body_size, body_left, body_right, vocab,
                   repaired_glyphs=stray or any(line.repaired for page in pages for line in page))


# A notice set once in a page's head or foot band: a review status, a venue, a copyright or licence line
_BAND_NOTICE = re.compile(
    r"^(preprint\b|under\s+review\b|work\s+in\s+progress\b|published\s+(as|in|at)\b|accepted\s+(at|to|for|in|by)\b|"
    r"to\s+appear\s+(in|at)\b|camera[-\s]ready\b|submitted\s+to\b|(in\s+)?proceedings\s+of\b|copyright\b|©|"
    r"\(c\)\s*\d{4}|\d{1,2}(st|nd|rd|th)\s+(annual\s+)?(conference|workshop|international)\b|permission\s+to\s+make\b|"
    r"this\s+(work|article|paper)\s+is\s+licensed\b|licensed\s+under\b)", re.I)
_BAND = 0.1  # share of the page height at its top and bottom where running heads and feet are set


def _band_side(line: Line, height: float) -> str | None:
    if line.y1 < _BAND * height:
        return "header"
    if line.y0 > (1 - _BAND) * height:
        return "footer"
    return None


def _mark_band_lines(pages: list[list[Line]], page_sizes: list[tuple[float, float]], body_size: float) -> None:
    """Head and foot lines the repeated-text rule misses, so that none is spliced into an abstract or a section
    where the text runs on over a page or column end: a line set where the running heads (or feet, page
    numbers) of two other pages stand, and a notice printed once ("Preprint. Under review.", "37th Conference
    on ...", a copyright line) in the band, apart from the paragraphs (its own short block, or smaller type)."""
    bands: dict[str, list[tuple[int, float, float]]] = {"header": [], "footer": []}
    for k, page in enumerate(pages):
        for line in page:
            if line.kind in bands:
                bands[line.kind].append((k, line.y0, line.y1))
    for k, (page, (_, height)) in enumerate(zip(pages, page_sizes, strict=True)):
        blocks = Counter(line.block for line in page)
        for line in page:
            side = _band_side(line, height) if line.kind == "body" else None
            if side is None or line.size > body_size + 1 or line.words > 30:
                continue  # a title or a paragraph, not a running head
            others = {j for j, y0, y1 in bands[side]
                      if j != k and min(y1, line.y1) - max(y0, line.y0) > 0.5 * min(y1 - y0, line.height)}
            apart = blocks[line.block] <= 3 or line.size < body_size - 0.5
            if len(others) >= 2 or (apart and _BAND_NOTICE.match(line.text.strip())):
                line.kind = side


# Founder-typeset Chinese journals map the space to "摇" and the hyphen to "鄄" in their text layer
_STRAY_GLYPHS = {"摇": " ", "鄄": "-"}
# "摇" is a real (rare) verb: the mapping is believed only where most of its uses sit beside Latin or digits
_STRAY_CONTEXT = re.compile(r"(?<=[A-Za-z0-9.,;:)\]摇])摇|摇(?=[A-Za-z0-9(\[摇])")
_STRAY_MIN = 5


def repair_stray_glyphs(pages: list[list[Line]]) -> bool:
    """Detect the document-wide space/hyphen glyph mapping and undo it; True when repaired."""
    total = in_context = 0
    for page in pages:
        for line in page:
            if "摇" in line.text:
                total += line.text.count("摇")
                in_context += len(_STRAY_CONTEXT.findall(line.text))
    if in_context < _STRAY_MIN or in_context < 0.8 * total:
        return False
    table = str.maketrans(_STRAY_GLYPHS)
    for page in pages:
        for line in page:
            if "摇" in line.text or "鄄" in line.text:
                line.text = _SPACES.sub(" ", line.text.translate(table))
                for span in line.spans:
                    span.text = span.text.translate(table)
    return True


def _unbold_heavy_body(pages: list[list[Line]], body_size: float) -> None:
    """A heavy CJK face (黑体) marks headings only where the body is set in another face: when it is the
    body's own font, its spans are not bold."""
    fonts: Counter[str] = Counter()
    for page in pages[:6]:
        for line in page:
            if line.kind == "body" and abs(line.size - body_size) <= 0.6:
                for span in line.spans:
                    fonts[span.font] += len(span.text)
    if not fonts:
        return
    font = fonts.most_common(1)[0][0]
    name = font_name(font)
    if not _HEAVY_CJK_FONT.search(name) or _BOLD_FONT.search(name):
        return
    for page in pages:
        for line in page:
            if any(span.font == font and span.bold for span in line.spans):
                for span in line.spans:
                    if span.font == font:
                        span.bold = False
                _set_style(line)


def _mark_number_columns(page: list[Line]) -> list[tuple[float, float]]:
    """A review copy's line numbers wherever they stand (the gutter between columns too): a column of
    bare numbers counting up in even steps down the page. Returns the columns' x ranges."""
    numbers = sorted((ln for ln in page if ln.kind == "body" and ln.text.strip().isdigit()
                      and len(ln.text.strip()) <= 4), key=lambda ln: ln.x0 + ln.x1)
    found: list[tuple[float, float]] = []
    columns: list[list[Line]] = []
    for line in numbers:  # left- or right-aligned: the centres of one column lie within a digit's width
        if columns and (line.x0 + line.x1) - (columns[-1][-1].x0 + columns[-1][-1].x1) <= 2 * line.size:
            columns[-1].append(line)
        else:
            columns.append([line])
    for run in columns:
        if len(run) < 8:
            continue
        run.sort(key=lambda ln: ln.y0)
        steps = Counter(int(b.text) - int(a.text) for a, b in pairwise(run))
        step, count = steps.most_common(1)[0]
        if step > 0 and count >= 0.7 * (len(run) - 1):
            for line in run:
                line.kind = "lineno"
            found.append((min(ln.x0 for ln in run) - 1, max(ln.x1 for ln in run) + 1))
    return found


def _drop_leading_numbers(lines: list[Line], columns: list[tuple[float, float]]) -> None:
    """A line number MuPDF joined to the start of its line (a large heading beside it) is cut off."""
    for line in lines:
        first = line.spans[0] if line.kind == "body" and len(line.spans) > 1 else None
        if first is not None and first.text.strip().isdigit() and any(
                x0 <= first.x0 and first.x1 <= x1 for x0, x1 in columns):
            line.spans.pop(0)
            line.text = clean_chars("".join(s.text for s in line.spans)).strip()
            line.x0 = line.spans[0].x0
            _set_style(line)


def page_text(lines: list[Line], vocab: Counter[str] | None = None) -> str:
    """Clean text of one page: body lines only, one paragraph per text block."""
    return paragraphs([ln for ln in lines if ln.kind == "body"], vocab=vocab)


def paragraphs(lines: list[Line], sep: str = "\n", vocab: Counter[str] | None = None) -> str:
    """Lines grouped by text block into mended paragraphs; a word hyphenated across blocks is rejoined."""
    return sep.join(text for text, _ in paragraphs_with_pages(lines, vocab))


def paragraphs_with_pages(lines: list[Line], vocab: Counter[str] | None = None) -> list[tuple[str, int]]:
    """`paragraphs`, each with the page its first line is on."""
    out: list[tuple[str, int]] = []
    current: list[str] = []
    block = None
    for line in lines:
        key = (line.page, line.block)
        if block is not None and key != block and current:
            out.append((join_lines(current, vocab), block[0]))
            current = []
        block = key
        current.append(line.text)
    if current and block is not None:
        out.append((join_lines(current, vocab), block[0]))
    merged: list[tuple[str, int]] = []
    for text, page in out:
        if merged and _HYPHEN_END.search(merged[-1][0]) and text[:1].islower() and (
                glue := mend_hyphen(merged[-1][0], text, vocab)) is not None:
            merged[-1] = (merged[-1][0][:-1] + glue + text, merged[-1][1])
        elif text:
            merged.append((text, page))
    return merged
