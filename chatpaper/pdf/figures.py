"""Figures: find each "Figure N" / "Fig. N" caption, the graphics it belongs to, and crop both to a PNG.

Cheap by design: one text pass (no images decoded; the text reader's page dicts can be passed in as
`page_dicts` to skip it), one pass of a small MuPDF device over each page that has a caption (the
boxes of visible graphics: clipped, white backgrounds left out; cheaper than `get_drawings()`), a
clipped render per figure, and PNGs encoded in a background thread (zlib releases the GIL) at a
fast compression level. A figure the text cites but no caption names may have its caption printed
inside its picture: then, with OCR available (chatpaper.pdf.ocr), the foot of the large images near
its first citation is read; nothing is read by OCR for a paper whose cited figures are all found.
"""
from __future__ import annotations

import math
import re
import struct
import time
import zlib
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf
from pymupdf import mupdf

from chatpaper.models import Figure, figure_number_key
from chatpaper.pdf.ocr import OcrReader
from chatpaper.pdf.text import CJK_CHAR, _font_style, clean_chars, is_quartz, join_lines, span_text, word_count
from chatpaper.storage import ensure_dir, write_atomic

# The same flags as chatpaper.pdf.text, so its page dicts can be passed in and reused.
_TEXT_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP
# "Figure 3:", "Fig. 3.", "FIGURE 3", "Figure 3 |", "Figure 3 –", a thesis's "Figure 2.1:" ... at the start of a line
_LABEL = re.compile(r"^\s*(Figure|FIGURE|Fig\.|FIG\.|Fig|FIG)\s*(\d{1,3}(?:\.\d{1,2})?)(?![\d.]\d)\s*(?P<tail>.?)")
# "图1", "图 1：", "图2.1", "图1-2", "图A1" (appendix): chapter numbers are kept as printed
_LABEL_ZH = re.compile(r"^\s*(图)\s*([A-Z]?\d{1,3}(?:[.．\-－–]\d{1,2})?)(?![\d.．])(?P<space>[\s\u3000]*)(?P<tail>.?)")
# what follows "图1" in running text that cites the figure: "图1所示", "图1中", "图 1 给出了"
_CITES_FIGURE = set("所中是为给的和与及展示显表可说反描从对在里上下左右")
# "图9,10 所示", "图3、图4", "图 2 和 3": a list of figures is running text citing them, never a caption
_FIGURE_LIST = re.compile(r"^\s*图\s*[A-Z]?\d[\d.．\-－–]*\s*[,，、和与及]\s*(图\s*)?[A-Z]?\d")
# "如图1所示", "Fig. 3 shows", "Figure 2(a)": a figure the text refers to, anywhere in a line
_CITED = re.compile(r"(?:图|Figure|FIGURE|Fig\.?|FIG\.?)\s*([A-Z]?\d{1,3}(?:[.．\-－–]\d{1,2})?)(?![\d.．]\d)")
_OTHER_CAPTION = re.compile(r"^\s*(Table|TABLE|Tab\.|Algorithm|ALGORITHM|Listing)\s*[\dIVX]+|^\s*(表|算法)\s*\d")
_CAPTION_PUNCT = set(":.|–—-")
_SUBCAPTION = re.compile(r"^\s*\([a-h]\)\s")
_INDENT_EMS = 2.5  # a paragraph's first line is indented by up to this many ems (two CJK characters, or a Latin indent)
_CJK_WEIGHT = 3  # extra characters a CJK character counts for when telling body text from a figure's labels
_MAX_GAP = 24.0  # points of white space allowed between parts of one figure
_FIRST_GAP = 60.0  # ... and between the caption and the figure
_PAD = 2.0  # points of margin around a crop
_INTO_CAPTION = 3.0  # points a figure's box may reach into its caption's line (a raster's white margin)
# Shares of the page (or of the figure's region) that decide what a mark is:
_CROP_TOP, _CROP_BOTTOM = 0.09, 0.06  # running header/footer zones a crop leaves out: narrower than the text
#   reader's RUNNING_BAND, since a figure's own marks may reach into the margin
_FRAME_AREA = 0.8  # a mark covering this much of the page is a frame or a background, not part of a figure
_RASTER_AREA = 0.9  # images covering this much of the region make it a raster figure, whatever paths lie on top
_RULE_WIDTH = 0.3  # a thin line this wide is a header's or a table's rule, not a figure's
_MARGIN_NUMBERS = 0.07  # a review copy's line numbers sit within this share of the page width from an edge
_clock = time.monotonic  # the figure time budget's clock (tests step it)
_KEPT_LISTS = 16  # caption pages whose display lists wait for their crops: a bound on memory (others are read again)
# Captions printed inside a raster (read by OCR, only for figures the text cites and no caption names):
_OCR_MIN_SIDE = 0.15  # a raster narrower or lower than this share of the page is a formula, an icon or a logo
_OCR_BAND = (0.4, 60.0, 160.0)  # the foot of an image searched for a caption: this share of its height, within these points
_OCR_MAX_IMAGES = 12  # images read per paper at most (0.1-0.6 s each): a bound on time whatever the paper holds
_OCR_NEAR = (1, 2)  # pages before and after a figure's first citation where its picture is looked for
_OCR_SECONDS = 10.0  # OCR per paper: no image is read after this (a hostile picture can take seconds)


@dataclass(eq=False)
class _Block:
    rect: pymupdf.Rect
    lines: list[tuple[pymupdf.Rect, str, float, bool]]  # bbox, text, font size, bold
    kind: str = "text"  # text | body | caption
    labels: list[int] = field(default_factory=list)  # lines that start a figure caption


def _label(text: str) -> tuple[str, str, str, str] | None:
    """(printed word, number, the character after the label, the spaces between them) of a caption label."""
    m = _LABEL.match(text)
    if m:
        return m.group(1), m.group(2), m.group("tail"), ""
    m = _LABEL_ZH.match(text)
    if m:
        return m.group(1), _number(m.group(2)), m.group("tail"), m.group("space")
    return None


@dataclass
class _Caption:
    number: str
    printed: str  # "Fig" / "Figure": the style, to compare with the other captions
    rect: pymupdf.Rect
    text: str
    starts_block: bool
    block: _Block  # where the label is
    own: list[_Block]  # every block of the caption


@dataclass
class _Found:
    index: int  # 0-based page
    caption: _Caption
    region: pymupdf.Rect  # the graphics, without the caption
    kind: str
    ocr: bool = False  # the caption was read by OCR from the figure's own pixels


@dataclass(frozen=True)
class RenderLimits:
    """What one paper's figure PNGs may cost (Settings: max_figure_pixels, max_page_area,
    figure_time_budget_seconds). A crop over `max_pixels` is rendered at a lower dpi; a page over
    `max_page_area` (pt²) and every figure after `seconds` keep their caption but get no PNG."""

    max_pixels: int = 8_000_000
    max_page_area: float = 10_000_000.0
    seconds: float = 60.0


def extract_figures(doc: pymupdf.Document, out_dir: Path, *, dpi: int = 150,
                    page_dicts: Sequence[dict | None] | None = None, limits: RenderLimits | None = None,
                    warnings: list[str] | None = None, page_texts: Sequence[str] | None = None,
                    ocr: OcrReader | None = None) -> list[Figure]:
    """Every captioned figure of `doc`, its PNG (figure and caption) written to out_dir/figures/.

    `page_dicts[i]`, when given, is `doc[i].get_text("dict", flags=TEXT_PRESERVE_WHITESPACE |
    TEXT_MEDIABOX_CLIP)` already made by the caller; it saves extracting the text twice. What the
    `limits` cost (a lower dpi, figures without a PNG) is said in sentences appended to `warnings`.
    With `ocr` and the pages' text, a figure the text cites that no caption names is looked for in
    the foot of the page's large images (a caption printed as part of the picture).
    """
    limits = limits or RenderLimits()
    warnings = warnings if warnings is not None else []
    deadline = _clock() + limits.seconds
    found: list[_Found] = []
    textless: list[_Found] = []
    quartz = is_quartz(doc)  # captions get the same glyph repairs as the page text
    lists: dict[int, pymupdf.DisplayList] = {}  # caption pages' display lists, read once for marks and crops
    for index in range(len(doc)):
        if _clock() > deadline:
            warnings.append(f"Figures were looked for on {index} of {len(doc)} pages only: the {limits.seconds:g}-"
                            "second budget for figures ran out (CHATPAPER_FIGURE_TIME_BUDGET_SECONDS); "
                            "the text is complete.")
            break
        try:
            data = page_dicts[index] if page_dicts is not None and index < len(page_dicts) else None
            if data is not None and not _may_hold_captions(data):
                continue  # most pages: no line could start with a label, so none is read into blocks
            page = doc[index]
            blocks = _text_blocks(data or page.get_text("dict", flags=_TEXT_FLAGS), quartz)
            captions = _captions(blocks)
            if not captions:
                continue
            listed = page.get_displaylist()  # what get_pixmap would build for each crop
            items = _drop_text_backgrounds(_graphics(page, listed), blocks)
            if len(lists) < _KEPT_LISTS:
                lists[index] = listed
        except Exception:  # noqa: BLE001 - a damaged page (MuPDF raises several types): keep the others
            continue
        # every caption's box, tables' included: a neighbour beside a caption bounds its figure
        owned = {id(b) for cap in captions for b in cap.own}
        others = [cap.rect for cap in captions] + [b.rect for b in blocks if b.kind == "caption" and id(b) not in owned]
        for cap in captions:
            band = _column_band(cap.rect, blocks, _unrotated(page))
            region, kind = _figure_region(cap, blocks, items, band, _unrotated(page), others, len(captions))
            if region is not None:
                found.append(_Found(index, cap, region, kind))
            elif cap.starts_block:
                textless.append(_Found(index, cap, _text_region(cap, blocks), "vector"))
    found = _one_per_number(found, textless)
    if ocr is not None and page_texts is not None:
        pictured = _captions_in_images(doc, found, page_texts, ocr, deadline)
        if pictured:
            found = sorted(found + pictured, key=lambda f: (f.index, figure_number_key(f.caption.number)))
            labels = ", ".join(f"Figure {f.caption.number}" for f in pictured)
            many = len(pictured) > 1
            warnings.append(f"The caption{'s' if many else ''} of {labels} {'are' if many else 'is'} printed inside "
                            f"{'their images' if many else 'its image'} and {'were' if many else 'was'} read by OCR; "
                            "check against the page before quoting.")
    return _save_all(doc, found, out_dir, dpi, limits, deadline, warnings, lists)


def _captions_in_images(doc: pymupdf.Document, found: list[_Found], page_texts: Sequence[str], ocr: OcrReader,
                        deadline: float) -> list[_Found]:
    """Figures whose caption is part of their raster: the text cites "图2" / "Figure 2", no caption names
    it, and OCR of the foot of a large image on an unrotated page near the first citation reads a label
    with that number. Only cited numbers count, so a photo's or a chart's own words never make a figure."""
    first_cited: dict[str, int] = {}  # number -> the page (0-based) that first cites it
    for index, text in enumerate(page_texts):
        for m in _CITED.finditer(text):
            first_cited.setdefault(_number(m.group(1)), index)
    for f in found:
        first_cited.pop(f.caption.number, None)
    if not first_cited:  # every cited figure has its caption: nothing to read (most papers)
        return []
    # a figure is printed near where the text first cites it: from the page before to two pages after
    near = sorted({i for cited in first_cited.values() for i in range(cited - _OCR_NEAR[0], cited + _OCR_NEAR[1] + 1)
                   if 0 <= i < len(doc)})
    missing = set(first_cited)
    out: list[_Found] = []
    read = 0
    deadline = min(deadline, _clock() + _OCR_SECONDS)
    for index in near:
        if not missing or read >= _OCR_MAX_IMAGES or _clock() > deadline:
            break
        page = doc[index]
        if page.rotation:
            continue
        area = page.rect
        taken = [f.region for f in found if f.index == index]
        try:
            images = [pymupdf.Rect(info["bbox"]) & area for info in page.get_image_info()]
        except Exception:  # noqa: BLE001 - a damaged page: its images are not read
            continue
        for r in images:
            if (r.width < _OCR_MIN_SIDE * area.width or r.height < _OCR_MIN_SIDE * area.height
                    or any((r & t).get_area() > 0.5 * r.get_area() for t in taken)):
                continue
            if read >= _OCR_MAX_IMAGES or _clock() > deadline:
                break
            read += 1
            share, low, high = _OCR_BAND
            foot = pymupdf.Rect(r.x0, r.y1 - min(r.height, max(low, min(high, share * r.height))), r.x1, r.y1)
            try:
                lines = ocr.foot_lines(page, foot)
            except Exception:  # noqa: BLE001 - Tesseract failed on this image: the others are still read
                continue
            caption = _pictured_caption(lines, missing)
            if caption is not None:
                missing.discard(caption.number)
                out.append(_Found(index, caption, r, "raster", ocr=True))
                taken.append(r)
    return out


def _number(printed: str) -> str:
    return re.sub(r"[．]", ".", re.sub(r"[－–]", "-", printed))


def _pictured_caption(lines: list[tuple[pymupdf.Rect, str]], missing: set[str]) -> _Caption | None:
    """The caption among OCR'd lines: the first one that starts with the label of a missing figure and
    reads as a caption by the text layer's rule (not a citation, "图1所示"), with the lines below it.
    OCR knows no bold: a label at a picture's foot counts as set apart, as a bold one would."""
    for i, (rect, text) in enumerate(lines):
        label = _label(text)
        if label is None or label[1] not in missing or not _is_caption_line(text, bold=True):
            continue
        printed, number, _, _ = label
        box = pymupdf.Rect(rect)
        for r, _ in lines[i + 1:]:
            box |= r
        block = _Block(box, [])
        return _Caption(number=number, printed=printed.rstrip(".").title(), rect=box,
                        text=join_lines([t for _, t in lines[i:]]), starts_block=True, block=block, own=[block])
    return None


def _one_per_number(found: list[_Found], textless: list[_Found]) -> list[_Found]:
    """One figure per (number, page); a caption without graphics (a figure made of text) counts
    only when its label is printed like the document's real captions and its number is not taken."""
    out: list[_Found] = []
    seen: set[tuple[str, int]] = set()
    for f in found:
        if (f.caption.number, f.index) not in seen:
            seen.add((f.caption.number, f.index))
            out.append(f)
    styles = {f.caption.printed for f in out}
    numbers = {f.caption.number for f in out}
    for f in textless:
        if f.caption.number not in numbers and (f.caption.printed in styles or not styles):
            out.append(f)
            numbers.add(f.caption.number)
    out.sort(key=lambda f: (f.index, figure_number_key(f.caption.number)))
    return out


def _save_all(doc: pymupdf.Document, found: list[_Found], out_dir: Path, dpi: int, limits: RenderLimits,
              deadline: float, warnings: list[str], lists: dict[int, pymupdf.DisplayList] | None = None
              ) -> list[Figure]:
    """Render each figure's crop (from its page's display list in `lists` when there is one, as
    page.get_pixmap would) and write its PNG in a background thread; the Figures, in order."""
    lists = lists if lists is not None else {}
    figures: list[Figure] = []
    folder = ensure_dir(out_dir / "figures")
    big_pages: dict[int, tuple[float, float]] = {}  # 1-based page -> its size, over max_page_area
    scaled: list[tuple[str, float]] = []  # (label, the dpi it got) of crops over max_pixels
    late = 0  # figures left without a PNG when the time budget ran out
    with ThreadPoolExecutor(max_workers=1) as pool:
        writes: list[Future] = []
        for f in found:
            for done in [k for k in lists if k < f.index]:  # pages already cropped: free their lists
                del lists[done]
            page = doc[f.index]
            clip = (f.region | f.caption.rect) + (-_PAD, -_PAD, _PAD, _PAD)
            clip &= _unrotated(page)
            label = f"Figure {f.caption.number}"
            name = f"p{f.index + 1}-figure-{f.caption.number}.png"
            image: str | None = f"figures/{name}"
            zoom = dpi / 72
            if page.rect.width * page.rect.height > limits.max_page_area:
                big_pages[f.index + 1] = (page.rect.width, page.rect.height)
                image = None
            elif _clock() > deadline:
                late += 1
                image = None
            elif _pixels(clip, zoom) > limits.max_pixels:
                zoom = math.sqrt(limits.max_pixels / max(1.0, clip.width * clip.height))
                while _pixels(clip, zoom) > limits.max_pixels:  # MuPDF rounds the pixmap outwards
                    zoom *= 0.995
                scaled.append((label, zoom * 72))
            if image is not None:
                try:
                    matrix = pymupdf.Matrix(zoom, zoom)
                    crop = clip * page.rotation_matrix if page.rotation else clip
                    listed = lists.get(f.index)
                    pix = (listed.get_pixmap(matrix=matrix, colorspace=pymupdf.csRGB, alpha=False, clip=crop)
                           if listed is not None else page.get_pixmap(clip=crop, matrix=matrix))
                    if len(writes) >= 2:  # at most two rendered figures wait in memory
                        writes.pop(0).result()
                    writes.append(pool.submit(_write_png, folder / name, pix.width, pix.height, pix.n,
                                              pix.stride, pix.samples, round(zoom * 72)))
                    del pix
                except Exception:  # noqa: BLE001 - an unrenderable page still gets its caption
                    image = None
            figures.append(Figure(label=label, number=f.caption.number, page=f.index + 1, caption=f.caption.text,
                                  bbox=(round(clip.x0, 2), round(clip.y0, 2), round(clip.x1, 2), round(clip.y1, 2)),
                                  image=image, kind=f.kind, caption_source="ocr" if f.ocr else "text"))
        for write in writes:
            write.result()
    warnings.extend(_limit_warnings(big_pages, scaled, late, dpi, limits))
    return figures


def _pixels(clip: pymupdf.Rect, zoom: float) -> int:
    box = (clip * pymupdf.Matrix(zoom, zoom)).irect  # the pixmap MuPDF will allocate for this clip
    return box.width * box.height


def _limit_warnings(big_pages: dict[int, tuple[float, float]], scaled: list[tuple[str, float]], late: int,
                    dpi: int, limits: RenderLimits) -> list[str]:
    """One sentence per limit that cost something: what was lost, and the setting that decides it."""
    out = []
    if big_pages:
        from chatpaper.pdf.reader import page_ranges  # noqa: PLC0415 - the reader imports this module

        w, h = next(iter(big_pages.values()))
        many = len(big_pages) > 1
        size = "are" if many else f"is {w:.0f} × {h:.0f} pt,"
        out.append(f"Page{'s' if many else ''} {page_ranges(sorted(big_pages))} {size} over the "
                   f"{limits.max_page_area:,.0f} pt² a page may be for its figures to be rendered "
                   f"(CHATPAPER_MAX_PAGE_AREA); {'their' if many else 'its'} figures are listed by caption only.")
    if scaled:
        labels = ", ".join(label for label, _ in scaled)
        lowest = min(d for _, d in scaled)
        out.append(f"{labels} {'were' if len(scaled) > 1 else 'was'} rendered at {lowest:.0f} dpi rather than {dpi} "
                   f"to stay under {limits.max_pixels / 1e6:g} megapixels per image (CHATPAPER_MAX_FIGURE_PIXELS).")
    if late:
        out.append(f"{late} figure{'s' if late > 1 else ''} got no image: the {limits.seconds:g}-second budget for "
                   "rendering figures ran out (CHATPAPER_FIGURE_TIME_BUDGET_SECONDS); the text is complete.")
    return out


def _write_png(path: Path, width: int, height: int, n: int, stride: int, samples: bytes, dpi: int) -> None:
    """A plain PNG at zlib level 1: three times faster than MuPDF's encoder, files ~20% larger."""
    rows = b"".join(b"\x00" + samples[y * stride:y * stride + width * n] for y in range(height))
    color = {1: 0, 3: 2, 4: 6}[n]

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ppm = round(dpi / 0.0254)
    write_atomic(path, b"\x89PNG\r\n\x1a\n"
                 + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0))
                 + chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1))
                 + chunk(b"IDAT", zlib.compress(rows, 1))
                 + chunk(b"IEND", b""))


# --------------------------------------------------------------------------- text


_NUMBERS = re.compile(r"\d{1,4}(\s+\d{1,4})*")
# How a caption line's raw text starts, before the glyph repairs (none of which makes an "F", "i", "g", "I",
# "G" or "图"): "Fig"/"FIG", "图", or a CJK or Hangul character a broken map shifted Latin into (after an "F" too)
_RAW_LABEL = re.compile(r"[\s\u00ad\u200b]*(F(ig|IG|[\u3400-\u9fff\uac00-\ud7ff])|[图\u3400-\u9fff\uac00-\ud7ff])")


def _may_hold_captions(data: dict) -> bool:
    """Whether some line of a page dict could start with a caption label once repaired (a cheap look at
    the raw span texts): a page where none could has no caption, and is not read into blocks."""
    for b in data["blocks"]:
        if b.get("type", 0) != 0:
            continue
        for line in b["lines"]:
            spans = line["spans"]
            text = spans[0]["text"] if len(spans) == 1 else "".join(span["text"] for span in spans)
            if _RAW_LABEL.match(text.replace("\u00ad", "").replace("\u200b", "") if "\u00ad" in text
                                or "\u200b" in text else text):
                return True
    return False


def _text_blocks(data: dict, quartz: bool = False) -> list[_Block]:
    blocks: list[_Block] = []
    width = data.get("width") or 0.0
    for b in data["blocks"]:
        if b.get("type", 0) != 0:
            continue
        lines = []
        boxes = []  # the kept lines' boxes
        for line in b["lines"]:
            spans = [s for s in line["spans"] if s["text"].strip()]
            if not spans:
                continue
            # the same glyph repairs as the text reader (Latin shifted into a CJK block too: "图輱輺" is "图1:"),
            # so captions read like the page text
            text = clean_chars("".join(span_text(s["text"], s["font"], quartz)[0] if quartz or not s["text"].isascii()
                                       else s["text"] for s in line["spans"])).strip()
            x0, x1 = line["bbox"][0], line["bbox"][2]
            if width and _NUMBERS.fullmatch(text) and (x0 < _MARGIN_NUMBERS * width or x1 > (1 - _MARGIN_NUMBERS) * width):
                continue  # a review copy's line numbers in the margin are not part of any figure
            size = max(s["size"] for s in spans)
            bold = bool(spans[0]["flags"] & 16) or _font_style(spans[0]["font"])[0]  # "CMBX", "Medi" too
            lines.append((pymupdf.Rect(line["bbox"]), text, size, bold))
            boxes.append(line["bbox"])
        if lines:  # the box of the lines with text: blank lines (kept whitespace) may span a whole figure
            blocks.append(_Block(_lines_box(boxes), lines))
    body_size = _body_size(blocks)
    for block in blocks:
        block.kind = _classify(block, body_size)
    _paragraph_ends(blocks)
    return blocks


def _paragraph_ends(blocks: list[_Block]) -> None:
    """Lines that word processors set one block each are body text too: a line at body size that
    spans a body block's width (a justified line, its first maybe indented), and a short line right
    under body text, on its left edge (a paragraph's last line). Not a figure's labels."""
    body = [b for b in blocks if b.kind == "body"]
    for block in sorted(blocks, key=lambda b: b.rect.y0):  # top down: a paragraph's lines chain
        if block.kind != "text" or len(block.lines) != 1:
            continue
        r, _, size, _ = block.lines[0]
        for other in body:
            last, _, last_size, _ = other.lines[-1]
            if abs(size - last_size) > 0.5:
                continue
            justified = abs(r.x1 - other.rect.x1) <= 2 and other.rect.x0 - 1 <= r.x0 <= other.rect.x0 + _INDENT_EMS * size
            if justified or (abs(r.x0 - last.x0) <= 2 and 0 <= r.y0 - last.y1 <= 0.8 * size):
                block.kind = "body"
                body.append(block)
                break


def _lines_box(boxes: list[tuple[float, float, float, float]]) -> pymupdf.Rect:
    """Rect(boxes[0]) | boxes[1] | ... as pymupdf computes it (an empty box adds nothing), in plain floats."""
    x0, y0, x1, y1 = boxes[0]
    for a0, b0, a1, b1 in boxes[1:]:
        if a0 >= a1 or b0 >= b1:
            continue
        if x0 >= x1 or y0 >= y1:
            x0, y0, x1, y1 = a0, b0, a1, b1
            continue
        x0, y0, x1, y1 = min(x0, a0), min(y0, b0), max(x1, a1), max(y1, b1)
    return pymupdf.Rect(x0, y0, x1, y1)


def _body_size(blocks: list[_Block]) -> float:
    weight: dict[float, int] = {}
    for block in blocks:
        for _, text, size, _ in block.lines:
            weight[round(size, 1)] = weight.get(round(size, 1), 0) + len(text)
    return max(weight, key=lambda size: weight[size]) if weight else 10.0


def _classify(block: _Block, body_size: float) -> str:
    block.labels = [i for i, (_, text, _, bold) in enumerate(block.lines)
                    if _is_caption_line(text, bold) and _starts_anew(block, i)]
    if block.labels or any(_OTHER_CAPTION.match(text) and _starts_anew(block, i)
                           for i, (_, text, _, _) in enumerate(block.lines)):
        return "caption"
    if _SUBCAPTION.match(block.lines[0][1]):  # "(a) Standard network": part of a figure, however long
        return "text"
    # an ideograph carries about what a Latin word does: a one-line block of 20 of them is a line of prose
    chars = sum(len(t) + _CJK_WEIGHT * len(CJK_CHAR.findall(t)) for _, t, _, _ in block.lines)
    n = len(block.lines)
    size = max(s for _, _, s, _ in block.lines)
    if size >= body_size - 0.6 and (chars >= 80 or (n >= 2 and chars / n >= 30)):
        return "body"
    return "text"


def _starts_anew(block: _Block, i: int) -> bool:
    """Line i does not just continue the sentence above it ("... as shown in / Figure 3. ...")."""
    if i == 0:
        return True
    prev, line = block.lines[i - 1][0], block.lines[i][0]
    return (abs(line.x0 - prev.x0) > 10 or line.y0 - prev.y1 > 3 or line.y0 < prev.y1 - 2
            or block.lines[i - 1][1].rstrip().endswith((".", ":", ";", "!", "?")))


def _is_caption_line(text: str, bold: bool) -> bool:
    label = _label(text)
    if label is None:
        return False
    printed, _, tail, space = label
    if printed == "图" and _FIGURE_LIST.match(text):
        return False
    if tail == "" or tail in _CAPTION_PUNCT or tail in "：。、":
        return True
    if printed == "图":
        # "图1 多通道LSTM框架图" names the figure; "图1所示" / "图 1 给出了" cites it; an ideographic
        # space after the number is a caption's own separator (running text spaces digits with Latin ones)
        return bool(space) and (tail not in _CITES_FIGURE or "\u3000" in space)
    # "Figure 2 Overview ..." without punctuation: only a bold label, never "Figure 2 shows"
    return bold and tail.isupper()


def _captions(blocks: list[_Block]) -> list[_Caption]:
    caps: list[_Caption] = []
    for block in blocks:
        if block.kind != "caption":
            continue
        labels = block.labels
        for li in labels:
            label = _label(block.lines[li][1])
            if label is None:  # never: labels are the lines whose label _label read
                continue
            printed, number, _, _ = label
            lane = _lane(block, li, labels)
            lines = _caption_lines(block, li, lane)
            rect = pymupdf.Rect(lines[0][0])
            for r, _, _, _ in lines[1:]:
                rect |= r
            parts = [t for _, t, _, _ in lines]
            own = [block]
            if lines[-1] is block.lines[-1] or lane != (block.rect.x0, block.rect.x1):  # it may go on below
                joined = " ".join(parts)  # CJK words have no spaces between them: count those too
                label_only = len(joined.split()) <= 3 and word_count(joined) <= 3
                while (nxt := _block_below(rect, blocks, own, label_only)) is not None:
                    parts += [t for _, t, _, _ in nxt.lines]
                    rect |= nxt.rect
                    nxt.kind = "caption"
                    own.append(nxt)
                    label_only = False
            caps.append(_Caption(number=number, printed=printed.rstrip(".").title(), rect=rect,
                                 text=join_lines(parts), starts_block=li == 0, block=block, own=own))
    return caps


def _lane(block: _Block, li: int, labels: list[int]) -> tuple[float, float]:
    """The horizontal span of one caption in its block: all of it, unless captions sit side by side."""
    me = block.lines[li][0]
    beside = [block.lines[j][0] for j in labels if j != li and block.lines[j][0].y0 < me.y1 - 2
              and block.lines[j][0].y1 > me.y0 + 2]
    x0, x1 = block.rect.x0, block.rect.x1
    for r in beside:
        if r.x0 >= me.x1:
            x1 = min(x1, r.x0 - 1)
        elif r.x1 <= me.x0:
            x0 = max(x0, r.x1 + 1)
    return x0, x1


def _caption_lines(block: _Block, first: int, lane: tuple[float, float]) -> list[tuple[pymupdf.Rect, str, float, bool]]:
    """The caption's lines of its block (in its lane), up to where body text or another caption starts."""
    x0, x1 = lane
    lines = [block.lines[first]]
    for i in range(first + 1, len(block.lines)):
        line = block.lines[i]
        r = line[0]
        if r.x1 <= x0 or r.x0 >= x1:  # a neighbour caption's line
            continue
        if i in block.labels or _OTHER_CAPTION.match(line[1]):
            break
        prev = lines[-1][0]
        if r.y0 >= prev.y1 - 2:  # a new row
            centered = prev.x0 > x0 + 10 and prev.x1 < x1 - 10
            if centered and abs(r.x0 - prev.x0) > 10:  # a one-line centred caption, then the text
                break
            if len(lines) >= 2 and lines[-1][1].endswith(".") and r.x0 > prev.x0 + 8:  # an indented paragraph
                break
        lines.append(line)
    return lines


def _block_below(rect: pymupdf.Rect, blocks: list[_Block], own: list[_Block], label_only: bool) -> _Block | None:
    """The block that continues a caption: right below it, within its width (or, after a label
    printed alone, starting where the label starts), not a caption itself."""
    best = None
    for b in blocks:
        if b in own or b.kind == "caption":
            continue
        r = b.rect
        if label_only:
            fits = -1 <= r.y0 - rect.y1 <= 14 and abs(r.x0 - rect.x0) <= 15
        else:
            fits = -1 <= r.y0 - rect.y1 <= 5 and r.x0 >= rect.x0 - 3 and r.x1 <= rect.x1 + 3
        if fits and (best is None or r.y0 < best.rect.y0):
            best = b
    return best


# --------------------------------------------------------------------------- graphics

Box = tuple[float, float, float, float]


def _box(rect: pymupdf.Rect) -> Box:
    return rect.x0, rect.y0, rect.x1, rect.y1
_CELL = 4.0  # tiny marks (plot markers, glyph-like paths) are pooled on a grid of this size


@dataclass(eq=False)
class _Item:
    box: Box
    kind: str  # graphic | image | text | stop
    size: float = 0.0  # text: its largest font size


class _MarksDevice(mupdf.FzDevice2):
    """Records the box of every visible path, shading and image, cut to the clip in force.

    `page.get_bboxlog()` ignores clipping, so a PDF figure included with a trim box brings the
    hidden parts of its page along; and it cannot tell a white background from a drawing.
    """

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[float, float, float, float, str]] = []
        self.clips: list[tuple[float, float, float, float]] = [(-1e9, -1e9, 1e9, 1e9)]
        self.masking = 0
        for name in ("fill_path", "stroke_path", "fill_shade", "fill_image", "fill_image_mask", "clip_path",
                     "clip_stroke_path", "clip_text", "clip_stroke_text", "clip_image_mask", "pop_clip",
                     "begin_mask", "end_mask"):
            getattr(self, f"use_virtual_{name}")()

    def _add(self, r, kind: str) -> None:
        if self.masking:  # the content of a soft mask is never painted itself
            return
        self._add_box(r.x0, r.y0, r.x1, r.y1, kind)

    def _add_box(self, x0: float, y0: float, x1: float, y1: float, kind: str) -> None:
        # a hot path (a heat map is tens of thousands of paths): plain comparisons, no max()/min() calls
        c0, c1, c2, c3 = self.clips[-1]
        if c0 > x0:
            x0 = c0
        if c1 > y0:
            y0 = c1
        if c2 < x1:
            x1 = c2
        if c3 < y1:
            y1 = c3
        if x1 >= x0 and y1 >= y0:
            self.marks.append((x0, y0, x1, y1, kind))

    def _push(self, r) -> None:
        c = self.clips[-1]
        self.clips.append((max(r.x0, c[0]), max(r.y0, c[1]), min(r.x1, c[2]), min(r.y1, c[3])))

    def fill_path(self, ctx, path, even_odd, ctm, cs, color, alpha, params):
        if self.masking:
            return
        r = mupdf.ll_fz_bound_path(path, None, ctm)
        x0, y0, x1, y1 = r.x0, r.y0, r.x1, r.y1
        if (x1 - x0) * (y1 - y0) > 2000 and _is_white(cs, color):  # a background, not a drawing
            return
        self._add_box(x0, y0, x1, y1, "graphic")

    def stroke_path(self, ctx, path, stroke, ctm, cs, color, alpha, params):
        if self.masking:
            return
        r = mupdf.ll_fz_bound_path(path, stroke, ctm)
        self._add_box(r.x0, r.y0, r.x1, r.y1, "graphic")

    def fill_shade(self, ctx, shade, ctm, alpha, params):
        self._add(mupdf.ll_fz_bound_shade(shade, ctm), "graphic")

    def fill_image(self, ctx, image, ctm, alpha, params):
        self._add(mupdf.ll_fz_transform_rect(_UNIT.internal(), ctm), "image")

    def fill_image_mask(self, ctx, image, ctm, cs, color, alpha, params):
        self._add(mupdf.ll_fz_transform_rect(_UNIT.internal(), ctm), "image")

    def clip_path(self, ctx, path, even_odd, ctm, scissor):
        self._push(mupdf.ll_fz_bound_path(path, None, ctm))

    def clip_stroke_path(self, ctx, path, stroke, ctm, scissor):
        self._push(mupdf.ll_fz_bound_path(path, stroke, ctm))

    def clip_text(self, ctx, text, ctm, scissor):
        self._push(mupdf.ll_fz_bound_text(text, None, ctm))

    def clip_stroke_text(self, ctx, text, stroke, ctm, scissor):
        self._push(mupdf.ll_fz_bound_text(text, stroke, ctm))

    def clip_image_mask(self, ctx, image, ctm, scissor):
        self._push(mupdf.ll_fz_transform_rect(_UNIT.internal(), ctm))

    def pop_clip(self, ctx):
        if len(self.clips) > 1:
            self.clips.pop()

    def begin_mask(self, ctx, area, luminosity, cs, color, params):
        self._push(area)
        self.masking += 1

    def end_mask(self, ctx, tr):
        self.masking = max(0, self.masking - 1)


_UNIT = mupdf.FzRect(mupdf.FzRect.Fixed_UNIT)
_INFINITE = mupdf.FzRect(mupdf.FzRect.Fixed_INFINITE)
_RGB = mupdf.FzColorspace(mupdf.FzColorspace.Fixed_RGB)
_COLOR_PARAMS = mupdf.FzColorParams()


def _is_white(cs, color) -> bool:
    if not cs:
        return False
    try:
        return min(mupdf.ll_fz_convert_color(cs, color, _RGB.m_internal, None, _COLOR_PARAMS.internal())) > 0.98
    except Exception:  # noqa: BLE001 - an odd colour space: count it as a drawing
        return False


def _unrotated(page: pymupdf.Page) -> pymupdf.Rect:
    """The page rectangle in the space of its text (the page before /Rotate)."""
    return page.rect * page.derotation_matrix if page.rotation else page.rect


def _visible_marks(page: pymupdf.Page, listed: pymupdf.DisplayList | None = None
                   ) -> list[tuple[float, float, float, float, str]]:
    """The marks of the page, read from its display list when given (the same calls, not interpreted again)."""
    device = _MarksDevice()
    try:
        if listed is not None:
            mupdf.fz_run_display_list(listed.this, device, mupdf.FzMatrix(), _INFINITE, mupdf.FzCookie())
        else:
            mupdf.fz_run_page(page.this, device, mupdf.FzMatrix(), mupdf.FzCookie())
    finally:
        mupdf.fz_close_device(device)
    return device.marks


def _graphics(page: pymupdf.Page, listed: pymupdf.DisplayList | None = None) -> list[_Item]:
    """Graphic marks of the page, consecutive touching marks merged, tiny ones pooled: linear time."""
    page_area = page.rect.width * page.rect.height
    marks = _visible_marks(page, listed)
    if page.rotation:  # the text is in unrotated page space: put the marks there too
        m = page.derotation_matrix
        marks = [(*pymupdf.Rect(x0, y0, x1, y1).transform(m), kind) for x0, y0, x1, y1, kind in marks]
    items: list[_Item] = []
    cells: set[tuple[int, int]] = set()
    cur: list[float] | None = None
    cur_kind = ""
    for x0, y0, x1, y1, kind in marks:
        w, h = x1 - x0, y1 - y0
        if w * h > _FRAME_AREA * page_area or (w < 0.5 and h < 0.5) or abs(x0) > 1e5 or abs(y0) > 1e5:
            continue
        if kind == "graphic" and w <= _CELL and h <= _CELL:
            cells.add((int((x0 + x1) / 2 // _CELL), int((y0 + y1) / 2 // _CELL)))
            continue
        # consecutive small marks that touch (the segments of one curve) become one box
        if cur is not None and cur_kind == kind and w < 60 and h < 60 and cur[2] - cur[0] < 60 and cur[3] - cur[1] < 60 \
                and x0 <= cur[2] + 1 and x1 >= cur[0] - 1 and y0 <= cur[3] + 1 and y1 >= cur[1] - 1:
            cur[0], cur[1], cur[2], cur[3] = min(cur[0], x0), min(cur[1], y0), max(cur[2], x1), max(cur[3], y1)
            continue
        cur, cur_kind = [x0, y0, x1, y1], kind
        items.append(_Item(cur, kind))  # type: ignore[arg-type]  # finalised below
    for it in items:
        it.box = tuple(it.box)  # type: ignore[assignment]
    rows: dict[int, list[int]] = {}
    for cx, cy in cells:
        rows.setdefault(cy, []).append(cx)
    for cy, xs in rows.items():  # runs of neighbouring cells become one box
        xs.sort()
        start = prev = xs[0]
        ends: list[int | None] = [*xs[1:], None]  # None closes the last run
        for nxt in ends:
            if nxt is not None and nxt - prev <= 2:
                prev = nxt
                continue
            items.append(_Item((start * _CELL, cy * _CELL, (prev + 1) * _CELL, (cy + 1) * _CELL), "graphic"))
            if nxt is not None:
                start = prev = nxt
    return items


def _drop_text_backgrounds(items: list[_Item], blocks: list[_Block]) -> list[_Item]:
    """Large boxes that body text lines run across (invisible or clipped-away frames) are not figures."""
    lines = [line for b in blocks if b.kind == "body" for line, _, _, _ in b.lines]
    keep = []
    for it in items:
        x0, y0, x1, y1 = it.box
        if (x1 - x0) * (y1 - y0) > 2000 and any(
                r.x0 < x1 - 1 and r.x1 > x0 + 1 and r.y0 < y1 - 1 and r.y1 > y0 + 1  # overlaps (more than a touch) ...
                and (r.x0 < x0 - 1 or r.x1 > x1 + 1 or r.y0 < y0 - 1 or r.y1 > y1 + 1)  # ... and sticks out
                for r in lines):
            continue
        keep.append(it)
    return keep


def _figure_region(cap: _Caption, blocks: list[_Block], graphics: list[_Item], band: tuple[float, float] | None,
                   page: pymupdf.Rect, others: list[pymupdf.Rect], n_figures: int) -> tuple[pymupdf.Rect | None, str]:
    """The graphics that belong to a caption (above it, else below) and their kind, or None."""
    items = list(graphics)
    for block in blocks:
        if block in cap.own:
            continue
        items.append(_Item(_box(block.rect), "stop" if block.kind in ("body", "caption") else "text",
                           max(size for _, _, size, _ in block.lines)))
    # running headers, their rules and page numbers are never part of a figure (a figure's own marks may
    # reach into the margin)
    top, bottom = page.y0 + _CROP_TOP * page.height, page.y1 - _CROP_BOTTOM * page.height
    items = [it for it in items if (top < it.box[3] and it.box[1] < bottom)
             or (it.kind in ("graphic", "image") and not _is_rule(it.box, page))]
    lo, hi = band or (-1e9, 1e9)  # a one-column caption of a two-column page: its figure stays in that column
    c = cap.rect
    beside = [r for r in others if r != c]  # captions side by side split the width
    # ... and body text beside a caption (a wrapped figure) bounds it
    beside += [line for b in blocks if b.kind == "body" and b.rect.y0 < c.y1 and b.rect.y1 > c.y0
               for line, _, _, _ in b.lines]
    for r in beside:
        if r.y0 < c.y1 and r.y1 > c.y0:
            if r.x1 <= c.x0:
                lo = max(lo, (r.x1 + c.x0) / 2)
            elif r.x0 >= c.x1:
                hi = min(hi, (r.x0 + c.x1) / 2)
    if band is not None or lo > -1e9 or hi < 1e9:
        items = [it for it in items if min(it.box[2], hi) - max(it.box[0], lo)
                 >= (0.5 if it.kind in ("graphic", "image") else 0.8) * (it.box[2] - it.box[0])]
    capbox = _box(cap.rect)
    for direction in (-1, 1):
        picked = _walk(capbox, items, direction)
        shapes = [it.box for it in picked if it.kind in ("graphic", "image")]
        if not shapes:
            continue
        region = _union(shapes)
        picked = _without_text_beyond(picked, region, direction, _body_size(blocks))
        if lo > region[0] or hi < region[2]:  # a neighbour's overhanging marks stay out of the crop
            region = (max(region[0], lo), region[1], min(region[2], hi), region[3])
        if region[2] - region[0] < 20 or region[3] - region[1] < 15:
            continue
        if direction > 0 and any(r != c and 0 <= r.y0 - region[3] <= _FIRST_GAP and r.x0 < region[2] and r.x1 > region[0]
                                 for r in others[:n_figures]):
            continue  # graphics with a figure caption right below them are that caption's
        for it in picked:  # labels and legends next to the graphics
            b = it.box
            inside = min(b[2], region[2]) - max(b[0], region[0])
            if it.kind == "text" and _near(b, region, 12) and (b[2] - b[0] <= 60 or inside >= 0.5 * (b[2] - b[0])):
                region = _union([region, it.box])
        return pymupdf.Rect(region), _kind(picked, region)
    return None, "vector"


def _without_text_beyond(picked: list[_Item], region: Box, direction: int, body: float) -> list[_Item]:
    """Text stacked beyond the graphics (a title, names and affiliations over a page-1 teaser) is the
    page's; one row of panel titles at most belongs to the figure, and never in a larger font."""
    beyond = [it for it in picked if it.kind == "text"
              and (it.box[3] <= region[1] + 1 if direction < 0 else it.box[1] >= region[3] - 1)]
    if not beyond:
        return picked
    rows, last = 0, None
    for it in sorted(beyond, key=lambda it: it.box[1]):
        if last is None or it.box[1] > last - 1:
            rows += 1
            last = it.box[3]
        last = max(last, it.box[3])
    if rows < 2 and all(it.size <= body + 0.5 for it in beyond):
        return picked
    drop = {id(it) for it in beyond}
    return [it for it in picked if id(it) not in drop]


def _is_rule(b: Box, page: pymupdf.Rect) -> bool:
    return b[3] - b[1] < 2 and b[2] - b[0] > _RULE_WIDTH * page.width


def _column_band(cap: pymupdf.Rect, blocks: list[_Block], page: pymupdf.Rect) -> tuple[float, float] | None:
    """The column of a caption on a two-column page (body text on both sides of the middle), else None.

    Only when the other column has body text or a caption at the caption's height: a narrow caption
    under a figure that spans both columns leaves the other column empty there.
    """
    mid = (page.x0 + page.x1) / 2
    body = [b.rect for b in blocks if b.kind == "body"]
    if not (any(r.x1 < mid + 5 for r in body) and any(r.x0 > mid - 5 for r in body)):
        return None
    if cap.x1 < mid + 10:
        band, other = (page.x0, mid), (mid, page.x1)
    elif cap.x0 > mid - 10:
        band, other = (mid, page.x1), (page.x0, mid)
    else:
        return None
    beside = any(b.kind != "text" and b.rect.y0 < cap.y1 + 20 and b.rect.y1 > cap.y0 - 20
                 and b.rect.x0 >= other[0] - 5 and b.rect.x1 <= other[1] + 5 for b in blocks)
    return band if beside else None


def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def _walk(cap: Box, items: list[_Item], direction: int) -> list[_Item]:
    """Items stacked above (-1) or below (+1) the caption, up to body text or a wide gap."""
    if direction < 0:
        cands = sorted((it for it in items if it.box[3] <= cap[1] + _INTO_CAPTION), key=lambda it: -it.box[3])
    else:
        cands = sorted((it for it in items if it.box[1] >= cap[3] - _INTO_CAPTION), key=lambda it: it.box[1])
    x0, x1 = cap[0], cap[2]
    edge = cap[1] if direction < 0 else cap[3]
    picked: list[_Item] = []
    frames: list[Box] = []  # big boxes and images: text inside them is part of the figure
    for it in cands:
        b = it.box
        if b[2] < x0 - 4 or b[0] > x1 + 4:
            continue
        gap = (edge - b[3]) if direction < 0 else (b[1] - edge)
        if gap > (_MAX_GAP if picked else _FIRST_GAP):
            break
        if it.kind == "stop":
            if any(f[0] <= b[0] + 1 and f[1] <= b[1] + 1 and f[2] >= b[2] - 1 and f[3] >= b[3] - 1 for f in frames):
                picked.append(_Item(b, "text"))
                continue
            break
        picked.append(it)
        if it.kind != "text" and (b[2] - b[0]) * (b[3] - b[1]) > 2000:
            frames.append(b)
        edge = min(edge, b[1]) if direction < 0 else max(edge, b[3])
        x0, x1 = min(x0, b[0]), max(x1, b[2])
    if not picked:
        return picked
    # pieces of the same figure beside the ones reached first (side panels, legends)
    lo, hi = (edge, cap[1]) if direction < 0 else (cap[3], edge)
    taken = {id(it) for it in picked}
    rest = [it for it in items if it.kind != "stop" and id(it) not in taken and it.box[1] >= lo - 1 and it.box[3] <= hi + 1]
    for it in sorted(rest, key=lambda it: it.box[0]):  # grow rightwards
        if it.box[0] <= x1 + 4 and it.box[2] >= x0 - 4:
            picked.append(it)
            taken.add(id(it))
            x1 = max(x1, it.box[2])
    for it in sorted(rest, key=lambda it: -it.box[2]):  # then leftwards
        if id(it) not in taken and it.box[2] >= x0 - 4 and it.box[0] <= x1 + 4:
            picked.append(it)
            x0 = min(x0, it.box[0])
    return picked


def _near(b: Box, region: Box, tol: float) -> bool:
    return b[0] <= region[2] + tol and b[2] >= region[0] - tol and b[1] <= region[3] + tol and b[3] >= region[1] - tol


def _kind(picked: list[_Item], region: Box) -> str:
    images = [it.box for it in picked if it.kind == "image"]
    if not images:
        return "vector"
    paths = [it.box for it in picked if it.kind == "graphic"]
    image_area = sum(max(0.0, (b[2] - b[0]) * (b[3] - b[1])) for b in images)
    region_area = max(1.0, (region[2] - region[0]) * (region[3] - region[1]))
    if len(paths) <= 2 or image_area > _RASTER_AREA * region_area:
        return "raster"
    return "mixed"


def _text_region(cap: _Caption, blocks: list[_Block]) -> pymupdf.Rect:
    """A figure made of text only: the non-body text stacked right above its caption."""
    items = [_Item(_box(b.rect), "stop" if b.kind in ("body", "caption") else "text") for b in blocks if b not in cap.own]
    region = pymupdf.Rect(cap.rect)
    for it in _walk(_box(cap.rect), items, -1):
        region |= pymupdf.Rect(it.box)
    return region
