"""Text that a PDF prints only as pixels, read by OCR: the Tesseract engine built into PyMuPDF.

Used for one thing: a figure whose caption is part of its raster image (journal copies re-distilled
from scans, CNKI downloads), so the text layer has no "图1 ..." to find. PyMuPDF ships the engine; the
language data comes from the system (Debian: `apt-get install tesseract-ocr-chi-sim tesseract-ocr-eng`,
the Space's packages.txt). Without that data, or with CHATPAPER_OCR=false, nothing is read by OCR and
such figures stay unfound, as before.
"""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pymupdf

from chatpaper.scripts import CJK_LETTERS

# Where Debian/Ubuntu, Fedora, Homebrew and a plain `make install` put Tesseract's language data.
_TESSDATA_GLOBS = ("/usr/share/tesseract-ocr/*/tessdata", "/usr/share/tessdata", "/usr/local/share/tessdata",
                   "/opt/homebrew/share/tessdata", "/usr/share/tesseract/tessdata")
# Tesseract's data file for each paper language (Paper.language), read together with English: a Chinese
# figure's caption often carries "Fig. 1" or Latin symbols.
_LANGUAGE_DATA = {"zh": "chi_sim", "ja": "jpn", "ko": "kor", "en": "eng"}
OCR_DPI = 300  # a 9 pt caption line ~37 px high: Tesseract reads a bold CJK caption whole; at 200 dpi it drops some
_PROFILE_DPI = 150  # enough to tell rows of text from white rows and artwork
# Pixels of one image OCR reads or profiles, at most: six caption lines across an A4 page at 300 dpi are
# ~1.2 million; a hostile PDF's 14,000 pt wide image would be 60 million (a minute of Tesseract, and memory;
# 3 million of stretched glyphs took 8 s). Beyond it, or beyond the longest side Tesseract takes (it fails
# on 32,768 px), the dpi is lowered to fit.
OCR_MAX_PIXELS = 1_500_000
_MAX_SIDE = 16_000
_INK = 140  # a grey level darker than this is ink; a scan's show-through and paper tone are lighter
_LINE_PT = 20.0  # a row of ink taller than this is artwork, not a line of caption text
_GAP_PT = 2.0  # white rows that separate two lines of text (their leading) at least
_MAX_LINES = 6  # rows of text read from an image's foot, at most: a caption and the labels right above it
_INK_TABLE = bytes(1 if v < _INK else 0 for v in range(256))
# Tesseract spaces CJK text erratically: a space beside a CJK letter goes unless a Latin letter or digit is
# on its other side ("图1 骨架模型" keeps its space, "(一二行) 与" loses it)
_CJK_GAP = re.compile(f"(?<=[{CJK_LETTERS}]) +(?=[^\\sA-Za-z0-9])|(?<=[^\\sA-Za-z0-9]) +(?=[{CJK_LETTERS}])")


@dataclass(frozen=True)
class OcrReader:
    """Reads the lines printed in a clip of a page, in page coordinates, in reading order."""

    tessdata: str
    language: str  # Tesseract's "chi_sim+eng"

    def foot_lines(self, page: pymupdf.Page, clip: pymupdf.Rect) -> list[tuple[pymupdf.Rect, str]]:
        """The lines of text at the foot of `clip` (an image's lower part), read by OCR.

        Tesseract's own layout analysis is unreliable on a strip cut through a picture (it may read
        nothing beside a chart), so the rows of text are found first from the ink of each pixel row:
        from the bottom up, runs of line height separated by white rows, until artwork or a wide gap.
        Only those rows are read: a clean strip of text, which Tesseract reads well and fast.
        """
        strip = _text_rows(page, clip)
        return self.lines(page, strip) if strip is not None else []

    def lines(self, page: pymupdf.Page, clip: pymupdf.Rect) -> list[tuple[pymupdf.Rect, str]]:
        pix = page.get_pixmap(clip=clip, dpi=_dpi(clip, OCR_DPI))
        with _quiet_stderr():
            ocr = pymupdf.open("pdf", pix.pdfocr_tobytes(language=self.language, tessdata=self.tessdata))
        try:
            sheet = ocr[0].rect
            sx, sy = clip.width / sheet.width, clip.height / sheet.height
            out = []
            for block in ocr[0].get_text("dict")["blocks"]:
                for line in block.get("lines", []):
                    text = " ".join("".join(s["text"] for s in line["spans"]).split())
                    if text:
                        x0, y0, x1, y1 = line["bbox"]
                        out.append((pymupdf.Rect(clip.x0 + x0 * sx, clip.y0 + y0 * sy, clip.x0 + x1 * sx,
                                                 clip.y0 + y1 * sy), _CJK_GAP.sub("", text)))
            return out  # Tesseract's reading order (a row it splits in two stays in order)
        finally:
            ocr.close()


def ocr_reader(enabled: bool, tessdata: Path | None, language: str) -> OcrReader | None:
    """The reader for a paper in `language`, or None: OCR is off, or no language data for it is installed."""
    if not enabled:
        return None
    folder = (str(tessdata) if tessdata.is_dir() else None) if tessdata else _system_tessdata()
    if folder is None:
        return None
    installed = {p.stem for p in Path(folder).glob("*.traineddata")}  # a folder listing: cheap per paper
    wanted = [_LANGUAGE_DATA.get(language, "eng"), "eng"]
    languages = [name for name in dict.fromkeys(wanted) if name in installed]
    return OcrReader(folder, "+".join(languages)) if languages else None


@lru_cache(maxsize=1)
def _system_tessdata() -> str | None:
    """The first usual place that holds language data, looked up once per process and without running
    `tesseract` (pymupdf.get_tessdata spawns shells); CHATPAPER_TESSDATA / TESSDATA_PREFIX name another."""
    for pattern in _TESSDATA_GLOBS:
        for folder in sorted(Path("/").glob(pattern.lstrip("/")), reverse=True):
            if any(folder.glob("*.traineddata")):
                return str(folder)
    return None


def _text_rows(page: pymupdf.Page, clip: pymupdf.Rect) -> pymupdf.Rect | None:
    """The part of `clip` holding the lowest rows of text (see OcrReader.foot_lines), padded; None if none."""
    dpi = _dpi(clip, _PROFILE_DPI)
    pix = page.get_pixmap(clip=clip, dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    width, height, stride, samples = pix.width, pix.height, pix.stride, pix.samples
    noise = max(2, width // 200)  # specks of a scan are not ink
    inked = [samples[y * stride:y * stride + width].translate(_INK_TABLE).count(1) > noise for y in range(height)]
    runs: list[list[int]] = []  # [first row, last row] of each run of inked rows, top down
    for y, ink in enumerate(inked):
        if ink:
            if runs and runs[-1][1] == y - 1:
                runs[-1][1] = y
            else:
                runs.append([y, y])
    px = dpi / 72
    tall, gap = _LINE_PT * px, 3 * _LINE_PT * px
    kept: list[list[int]] = []
    for run in reversed(runs):
        if run[1] - run[0] > tall or (kept and kept[-1][0] - run[1] > gap) or len(kept) >= _MAX_LINES:
            break
        if kept and kept[-1][0] - run[1] < _GAP_PT * px:  # touching rows: one line's parts (a descender)
            kept[-1][0] = run[0]
            continue
        kept.append(run)
    if not kept:
        return None
    top, bottom = kept[-1][0] / px, (kept[0][1] + 1) / px
    pad = 4.0
    return pymupdf.Rect(clip.x0, max(clip.y0, clip.y0 + top - pad), clip.x1, min(clip.y1, clip.y0 + bottom + pad))


def _dpi(clip: pymupdf.Rect, dpi: int) -> int:
    """`dpi`, or lower so that `clip` rendered at it stays within OCR_MAX_PIXELS and _MAX_SIDE."""
    inches = max(1e-6, clip.width * clip.height / 72 / 72)
    side = max(1e-6, clip.width, clip.height) / 72
    return max(1, min(dpi, int((OCR_MAX_PIXELS / inches) ** 0.5), int(_MAX_SIDE / side)))


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Tesseract prints its own diagnostics ("Image too small to scale!!") on file descriptor 2, past
    Python: a user's terminal or the Space's log would fill with them. They say nothing to act on.
    Another thread's stderr in that fraction of a second is lost too; the app parses in worker
    processes that do nothing else, and the CLI's progress lines are printed between stages."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
