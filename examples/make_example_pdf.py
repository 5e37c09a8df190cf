"""Typeset examples/chatpaper-example.pdf: a short paper about ChatPaper itself, with a real vector figure.

The app offers it as an example that works offline. Run from the repository root:

    python examples/make_example_pdf.py            # writes examples/chatpaper-example.pdf
"""
from __future__ import annotations

import sys
from itertools import pairwise
from pathlib import Path

import pymupdf

OUT = Path(__file__).resolve().parent / "chatpaper-example.pdf"
CODE_URL = "https://github.com/chatpaper/chatpaper"

PAGE = pymupdf.paper_rect("a4")
MARGIN = 64
BODY_CSS = "p {margin: 0;} * {font-family: sans-serif; font-size: 10.5pt; line-height: 1.35; text-align: justify;}"

TITLE = "ChatPaper: Faithful Structured Digests of Research Papers Beside Their Own Figures"
# Invented example authors (the paper is an example, not a publication): person-style names so the
# PDF reader finds them as authors, as it would on a real paper.
AUTHORS = "Ada Example, Ben Sample"
AFFILIATION = "ChatPaper project (example paper)"
ABSTRACT = (
    "Reading lists grow faster than anyone can read. We present ChatPaper, an open-source tool that turns a "
    "research paper, given as an arXiv identifier or a PDF, into a short structured digest in the reader's "
    "language, shown beside the paper's own figures. Title, authors and links come from arXiv metadata or the "
    "parsed PDF and are never written by a language model. The summary, method and conclusion are produced in "
    "separate stages, each of which cites the pages it rests on, and a failed stage leaves the others standing. "
    f"Without any API key ChatPaper still works in an extractive offline mode. Code: {CODE_URL}"
)

SECTIONS: list[tuple[str, list[str]]] = [
    ("1  Introduction", [
        "A daily digest of new papers is useful only when it is faithful: the authors must be the printed "
        "authors, a title must not be translated back into a different title, and every number must be the "
        "number in the paper. Earlier digest bots asked one large prompt for everything at once and often "
        "filled a template with placeholders when the model ran out of context.",
        "ChatPaper splits the work into a pipeline of small typed stages. Data flows one way, from the source "
        "to the parsed paper, to the digest, to its rendering, and finally to the user interface. Each stage "
        "has one signature and can be tested on its own.",
    ]),
    ("2  Method", [
        "The source stage resolves an arXiv identifier, fetches the metadata and downloads the PDF, or accepts "
        "an upload after checking its size and its PDF header. The parsing stage reads text, fonts and layout "
        "with PyMuPDF and returns sections with roles, the front matter, code links and the figures, cropped "
        "together with their captions.",
        "The chain then runs four stages: metadata, summary, methods and conclusion. Each stage receives the "
        "relevant sections first and the instruction last, asks for JSON that is validated against a schema, "
        "and records the pages every point rests on. Figure 1 shows the whole pipeline.",
    ]),
    ("3  Experiments", [
        "We evaluate the parser on a corpus of eighteen real papers in one- and two-column layouts, from five "
        "to eighty-four pages, with raster and vector figures, and compare titles, authors, sections and "
        "figure captions with ground truth read by hand (Figure 2 shows their lengths). "
        "The chain is evaluated with a scripted provider that "
        "replays fixed replies, so that its guards can be checked without network access.",
        "The application streams its output: the header and the figure gallery appear as soon as the paper is "
        "parsed, and each stage's section fills in as it completes. Repeated requests are answered from a "
        "digest cache keyed by the paper, the provider, the model, the language and the prompt version.",
    ]),
    ("4  Conclusion", [
        "ChatPaper produces short, faithful digests that keep the paper's own figures in view. Its typed "
        "stages make failures visible instead of silent, and its offline mode lets anyone try it without an "
        "account. Future work includes table extraction and evidence checks for every sentence.",
    ]),
]

CORPUS_PAGES = [6, 7, 8, 9, 9, 10, 13, 13, 14, 15, 15, 19, 20, 23, 23, 25, 30, 84]  # the corpus manifest
CHART_CAPTION = (
    "Figure 2: Pages per paper in the evaluation corpus of eighteen papers, sorted; "
    "the longest has 84 pages."
)
FIGURE_CAPTION = (
    "Figure 1: The ChatPaper pipeline. A paper flows from its source through the PDF parser and four "
    "chain stages to the rendered digest and the app."
)


class Typesetter:
    """A y cursor over pages: paragraphs flow onto a new page when the current one is full."""

    def __init__(self, doc: pymupdf.Document):
        self.doc = doc
        self.page = doc.new_page(width=PAGE.width, height=PAGE.height)
        self.y = MARGIN

    def new_page(self) -> None:
        self.page = self.doc.new_page(width=PAGE.width, height=PAGE.height)
        self.y = MARGIN

    def html(self, text: str, css: str = BODY_CSS, gap: float = 6) -> None:
        for attempt in range(2):
            rect = pymupdf.Rect(MARGIN, self.y, PAGE.width - MARGIN, PAGE.height - MARGIN)
            spare, _ = self.page.insert_htmlbox(rect, text, css=css, scale_low=1)
            if spare >= 0:
                self.y = rect.y1 - spare + gap
                return
            if attempt == 0:
                self.new_page()
        raise RuntimeError("paragraph taller than a page")

    def space_for(self, height: float) -> None:
        if self.y + height > PAGE.height - MARGIN:
            self.new_page()


def draw_pipeline(page: pymupdf.Page, top: float) -> float:
    """Vector diagram: five boxes joined by arrows; the chain box lists its four stages. Returns its bottom."""
    stages = [
        ("Source", "arXiv ID / PDF"),
        ("Parser", "PyMuPDF"),
        ("Chain", "metadata\nsummary\nmethods\nconclusion"),
        ("Render", "Markdown / JSON"),
        ("App", "Gradio"),
    ]
    width = PAGE.width - 2 * MARGIN
    box_w, gap, box_h = 78.0, (width - 5 * 78.0) / 4, 84.0
    shape = page.new_shape()
    centers, labels = [], []
    for i, (name, detail) in enumerate(stages):
        x0 = MARGIN + i * (box_w + gap)
        rect = pymupdf.Rect(x0, top, x0 + box_w, top + box_h)
        fill = (0.85, 0.91, 1.0) if name == "Chain" else (0.93, 0.95, 0.97)
        shape.draw_rect(rect, radius=0.12)
        shape.finish(color=(0.2, 0.3, 0.5), fill=fill, width=1.2)
        centers.append(rect)
        labels.append((rect, name, detail))
    for left, right in pairwise(centers):
        y = top + box_h / 2
        start, end = pymupdf.Point(left.x1 + 3, y), pymupdf.Point(right.x0 - 3, y)
        shape.draw_line(start, end)
        # Point + tuple is vector addition (the arrow head's two barbs), not concatenation.
        shape.draw_polyline([end + (-6, -4), end, end + (-6, 4)])  # noqa: RUF005
        shape.finish(color=(0.2, 0.3, 0.5), width=1.2, closePath=False)
    shape.commit()
    # Text after the shapes so the box fills do not cover it.
    for rect, name, detail in labels:
        page.insert_textbox(pymupdf.Rect(rect.x0, rect.y0 + 8, rect.x1, rect.y0 + 30), name,
                            fontname="hebo", fontsize=10, align=pymupdf.TEXT_ALIGN_CENTER)
        page.insert_textbox(pymupdf.Rect(rect.x0 + 2, rect.y0 + 28, rect.x1 - 2, rect.y1 - 2), detail,
                            fontname="helv", fontsize=7.5, align=pymupdf.TEXT_ALIGN_CENTER)
    return top + box_h


def draw_bar_chart(page: pymupdf.Page, top: float, values: list[int]) -> float:
    """Vector bar chart with a y axis and ticks every 20 units. Returns its bottom."""
    height, left = 110.0, MARGIN + 40
    right = PAGE.width - MARGIN - 20
    base = top + height
    scale = height / 90
    shape = page.new_shape()
    shape.draw_line(pymupdf.Point(left, top), pymupdf.Point(left, base))
    shape.draw_line(pymupdf.Point(left, base), pymupdf.Point(right, base))
    shape.finish(color=(0.2, 0.2, 0.2), width=0.8, closePath=False)
    for tick in range(0, 100, 20):
        y = base - tick * scale
        shape.draw_line(pymupdf.Point(left - 3, y), pymupdf.Point(left, y))
        shape.finish(color=(0.2, 0.2, 0.2), width=0.8, closePath=False)
    step = (right - left) / len(values)
    for i, value in enumerate(values):
        x0 = left + i * step + step * 0.15
        shape.draw_rect(pymupdf.Rect(x0, base - value * scale, x0 + step * 0.7, base))
        shape.finish(color=None, fill=(0.35, 0.5, 0.8))
    shape.commit()
    for tick in range(0, 100, 20):
        page.insert_text(pymupdf.Point(left - 18, base - tick * scale + 3), str(tick), fontname="helv", fontsize=7)
    page.insert_text(pymupdf.Point(MARGIN, top - 4), "pages", fontname="helv", fontsize=7.5)
    page.insert_text(pymupdf.Point((left + right) / 2 - 40, base + 12), "papers, sorted by length",
                     fontname="helv", fontsize=7.5)
    return base + 14


def build() -> bytes:
    doc = pymupdf.open()
    doc.set_metadata({"title": TITLE, "author": AUTHORS, "subject": "A short paper about ChatPaper",
                      "creator": "examples/make_example_pdf.py"})
    ts = Typesetter(doc)
    ts.html(f"<p style='text-align:center'><b>{TITLE}</b></p>",
            css="p {margin: 0;} * {font-family: sans-serif; font-size: 17pt; line-height: 1.2;}", gap=10)
    ts.html(f"<p style='text-align:center'>{AUTHORS}</p>",
            css="p {margin: 0;} * {font-family: sans-serif; font-size: 11.5pt;}", gap=2)
    ts.html(f"<p style='text-align:center'><i>{AFFILIATION}</i></p>",
            css="p {margin: 0;} * {font-family: sans-serif; font-size: 9.5pt;}", gap=16)
    ts.html("<p style='text-align:center'><b>Abstract</b></p>",
            css="p {margin: 0;} * {font-family: sans-serif; font-size: 11pt;}", gap=2)
    ts.html(f"<p>{ABSTRACT}</p>", css=BODY_CSS.replace("10.5pt", "9.5pt"), gap=14)
    for heading, paragraphs in SECTIONS:
        ts.space_for(60)
        ts.html(f"<p><b>{heading}</b></p>", css="p {margin: 0;} * {font-family: sans-serif; font-size: 12.5pt;}", gap=4)
        for paragraph in paragraphs:
            ts.html(f"<p>{paragraph}</p>")
        if heading.endswith("Method"):
            ts.space_for(140)
            bottom = draw_pipeline(ts.page, ts.y + 6)
            ts.y = bottom + 6
            ts.html(f"<p>{FIGURE_CAPTION}</p>", css=BODY_CSS.replace("10.5pt", "9pt"), gap=14)
        if heading.endswith("Experiments"):
            ts.space_for(160)
            ts.y = draw_bar_chart(ts.page, ts.y + 14, CORPUS_PAGES) + 6
            ts.html(f"<p>{CHART_CAPTION}</p>", css=BODY_CSS.replace("10.5pt", "9pt"), gap=14)
    ts.space_for(40)
    ts.html("<p><b>References</b></p>", css="p {margin: 0;} * {font-family: sans-serif; font-size: 12.5pt;}", gap=4)
    ts.html("<p>[1] PyMuPDF: Python bindings for MuPDF. https://pymupdf.readthedocs.io</p>",
            css=BODY_CSS.replace("10.5pt", "9pt"))
    doc.subset_fonts()  # keeps the committed example small
    data = doc.tobytes(garbage=4, deflate=True)
    doc.close()
    return data


def main(argv: list[str] | None = None) -> int:
    out = Path(argv[0]) if argv else OUT
    out.write_bytes(build())
    print(f"{out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
