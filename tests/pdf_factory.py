"""Held-out synthetic papers in styles the dev corpus has little of, typeset with pymupdf.Story.

Each builder returns (pdf bytes, Truth): the ground truth the parser must recover. Figure pages are
read back from the laid-out PDF (where the caption landed), never guessed.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pymupdf

SENTENCES = [
    "Large models are trained with stochastic gradient methods on data sets collected from many sources.",
    "The choice of step size matters a great deal for how quickly and how well such models converge.",
    "We measure accuracy on held-out data and report the mean over five runs with different seeds.",
    "Prior studies have examined this question in smaller settings, with mixed conclusions overall.",
    "A careful ablation isolates the contribution of each component to the final result we report.",
    "Memory and compute budgets limit the size of the batches that fit on a single accelerator today.",
    "These observations motivate a simpler procedure that needs fewer tuning knobs in practice.",
    "The remaining error is concentrated on rare classes, which are underrepresented in training.",
]


def body(n: int, offset: int = 0) -> str:
    """n sentences of plausible running text."""
    return " ".join(SENTENCES[(offset + k) % len(SENTENCES)] for k in range(n))


@dataclass
class Truth:
    title: str
    authors: list[str]
    abstract_start: str
    sections: list[str]  # level-1 headings of the body, in order, up to References
    method: str | None
    conclusion: str | None
    figures: list[tuple[str, int]] = field(default_factory=list)  # ("Figure 2", page)
    affiliation: str | None = None


# --------------------------------------------------------------------------- graphics


def vector_plot(page: pymupdf.Page, rect: pymupdf.Rect) -> None:
    """A line chart with axes, ticks, markers, two curves and tick labels."""
    shape = page.new_shape()
    shape.draw_line(rect.bl, rect.br)
    shape.draw_line(rect.bl, rect.tl)
    shape.finish(color=(0, 0, 0), width=0.8)
    for i in range(1, 6):
        x = rect.x0 + i * rect.width / 6
        shape.draw_line((x, rect.y1), (x, rect.y1 + 3))
    shape.finish(color=(0, 0, 0), width=0.5)
    for colour, phase in (((0, 0, 0.8), 3), ((0.8, 0.2, 0), 7)):
        points = [(rect.x0 + i * rect.width / 20, rect.y1 - ((i * phase) % 17 + 2) * rect.height / 22)
                  for i in range(21)]
        shape.draw_polyline(points)
        shape.finish(color=colour, width=1.2, closePath=False)
        for p in points[::4]:
            shape.draw_circle(p, 1.5)
        shape.finish(color=colour, fill=colour)
    shape.commit()
    for i in range(1, 6):
        page.insert_text((rect.x0 + i * rect.width / 6 - 3, rect.y1 + 11), str(i * 10), fontsize=6)
    page.insert_text((rect.x0 + rect.width / 2 - 12, rect.y1 + 20), "Epoch", fontsize=7)


def raster_plot(page: pymupdf.Page, rect: pymupdf.Rect) -> None:
    """A chart rendered to pixels and inserted as an image (a screenshot-like figure)."""
    scratch = pymupdf.open()
    sp = scratch.new_page(width=rect.width, height=rect.height)
    sp.draw_rect(sp.rect, color=None, fill=(0.96, 0.96, 1.0))
    vector_plot(sp, pymupdf.Rect(20, 10, rect.width - 10, rect.height - 25))
    pix = sp.get_pixmap(dpi=144)
    page.insert_image(rect, pixmap=pix)


# --------------------------------------------------------------------------- typesetting


@dataclass
class Layout:
    width: float = 612
    height: float = 792
    margin_x: float = 72
    margin_top: float = 72
    margin_bottom: float = 72
    columns: int = 1
    gutter: float = 18
    css: str = "body {font-family: serif; font-size: 10pt; text-align: justify}"


def _column_rects(layout: Layout, top: float) -> list[pymupdf.Rect]:
    left, right, bottom = layout.margin_x, layout.width - layout.margin_x, layout.height - layout.margin_bottom
    if layout.columns == 1:
        return [pymupdf.Rect(left, top, right, bottom)]
    w = (right - left - layout.gutter) / 2
    return [pymupdf.Rect(left, top, left + w, bottom), pymupdf.Rect(left + w + layout.gutter, top, right, bottom)]


def _blocks(html: str) -> list[str]:
    """Top-level pieces of the body; a figure's empty box stays with its caption."""
    pieces = [p for p in re.split(r"(?=<h2|<h3|<p\b|<div)", html) if p.strip()]
    out: list[str] = []
    for piece in pieces:
        if out and out[-1].startswith("<div") and "</p>" not in out[-1]:
            out[-1] += piece
        else:
            out.append(piece)
    return out


def _height(html: str, width: float, css: str) -> float:
    story = pymupdf.Story(html=html, user_css=css)
    _, filled = story.place(pymupdf.Rect(0, 0, width, 10_000))
    return pymupdf.Rect(filled).y1


def typeset(layout: Layout, front: str, main: str, *, reserve_top: dict[int, float] | None = None) -> pymupdf.Document:
    """Front matter across the page, then the blocks of `main` flowing through the columns of every page.

    Blocks are placed whole (Story's own page breaks lose text in this MuPDF). `reserve_top[page_index]`
    keeps that much room free at the top of a page, for a figure that spans both columns.
    """
    reserve_top = reserve_top or {}
    doc = pymupdf.open()

    def new_page() -> tuple[pymupdf.Page, list[pymupdf.Rect]]:
        page = doc.new_page(width=layout.width, height=layout.height)
        return page, _column_rects(layout, layout.margin_top + reserve_top.get(page.number, 0))

    page, cols = new_page()
    full = pymupdf.Rect(layout.margin_x, layout.margin_top, layout.width - layout.margin_x, layout.height)
    h = _height(front, full.width, layout.css)
    page.insert_htmlbox(pymupdf.Rect(full.x0, full.y0, full.x1, full.y0 + h + 2), front, css=layout.css)
    cols = _column_rects(layout, full.y0 + h + 8)
    col, y = 0, cols[0].y0
    for block in _blocks(main):
        rect = cols[col]
        h = _height(block, rect.width, layout.css)
        if y + h > rect.y1:
            col += 1
            if col == len(cols):
                page, cols = new_page()
                col = 0
            rect = cols[col]
            y = rect.y0
        page.insert_htmlbox(pymupdf.Rect(rect.x0, y, rect.x1, y + h + 2), block, css=layout.css)
        y += h
    return doc


def place_figures(doc: pymupdf.Document, layout: Layout, figures: list[tuple[str, str]]) -> list[tuple[str, int]]:
    """Draw each figure into the empty box typeset above its caption; (label, page) where it landed.

    `figures`: (caption start as printed, "raster" | "vector").
    """
    out = []
    for start, kind in figures:
        for page in doc:
            hits = page.search_for(start)
            if not hits:
                continue
            cap = hits[0]
            col = next(r for r in _column_rects(layout, 0) if r.x0 - 1 <= cap.x0 <= r.x1)
            rect = pymupdf.Rect(col.x0 + 10, cap.y0 - FIG_HEIGHT + 4, col.x1 - 10, cap.y0 - 24)  # room for the axis label
            (raster_plot if kind == "raster" else vector_plot)(page, rect)
            number = "".join(ch for ch in start.split()[1] if ch.isdigit())
            out.append((f"Figure {number}", page.number + 1))
            break
        else:
            raise AssertionError(f"caption {start!r} was not typeset")
    return out


FIG_HEIGHT = 150


def figure_html(caption: str, *, center: bool = False) -> str:
    align = "center" if center else "justify"
    return (f'<div style="height:{FIG_HEIGHT}px"></div>'
            f'<p style="font-size:9pt;text-align:{align};margin-top:0">{caption}</p>')


TABLE_HTML = """
<p style="font-size:9pt;text-align:center">{caption}</p>
<table style="border-collapse:collapse;margin:auto;font-size:9pt">
<tr><th style="border-bottom:1px solid black;padding:2px">Method</th>
<th style="border-bottom:1px solid black;padding:2px">Accuracy</th><th style="border-bottom:1px solid black">Time</th></tr>
<tr><td>Baseline</td><td>71.2</td><td>3.1</td></tr>
<tr><td>Ours</td><td>74.8</td><td>2.9</td></tr>
<tr><td style="border-bottom:1px solid black">Ours + tuning</td><td style="border-bottom:1px solid black">75.3</td>
<td style="border-bottom:1px solid black">3.0</td></tr>
</table>
"""


def running_header(doc: pymupdf.Document, text: str, *, skip_first: bool = False) -> None:
    for page in doc:
        if skip_first and page.number == 0:
            continue
        page.insert_text((72, 40), text, fontsize=8, fontname="tiro")
        page.draw_line((72, 46), (page.rect.width - 72, 46), width=0.4)
        page.insert_text((page.rect.width / 2 - 3, page.rect.height - 36), str(page.number + 1), fontsize=9,
                         fontname="tiro")


def line_numbers(doc: pymupdf.Document, *, padded: bool = True) -> None:
    """A review copy's line numbers as the `lineno` package sets them: on the baseline of each text line,
    right-aligned 10 pt left of the text; "000", "001" ... or, not `padded`, 1, 2, ..."""
    n = 0 if padded else 1
    for page in doc:
        rows: dict[float, float] = {}
        for block in page.get_text("dict")["blocks"]:
            for line in block.get("lines", ()):
                if line["bbox"][0] >= 70 and line["bbox"][1] > 60:
                    y = round(line["spans"][0]["origin"][1], 1)
                    rows[y] = min(rows.get(y, 1e9), line["bbox"][0])
        for y in sorted(rows):
            label = f"{n:03d}" if padded else str(n)
            x = min(rows[y], 82) - 10 - pymupdf.get_text_length(label, fontname="helv", fontsize=7)
            page.insert_text((x, y), label, fontsize=7, fontname="helv", color=(0.4, 0.4, 0.4))
            n += 1


def _sections_html(sections: list[tuple[str, str]], heading: Callable[[str], str]) -> str:
    return "".join(heading(title) + content for title, content in sections)


def _p(n: int, offset: int = 0, extra: str = "") -> str:
    return f"<p>{extra}{body(n, offset)}</p>"


# --------------------------------------------------------------------------- styles


def neurips_paper(*, label: bool = True, caps_title: bool = False, inline_authors: bool = False,
                  smallcaps_title: bool = False, byline: tuple[str, list[str]] | None = None) -> tuple[bytes, Truth]:
    """One column; two-line title between rules; names with digits; centred "Abstract"; numbered sections.

    `label=False`: no "Abstract" label (the first paragraph is the abstract); `caps_title`: the title in
    capitals, wrapped at a hyphen; `inline_authors`: ICML-style names on one line with detached markers;
    `smallcaps_title`: the title in small capitals (initials at full size, the rest smaller); `byline`: the
    author block's HTML and the names it prints, in place of the three authors.
    """
    layout = Layout(css="body {font-family: serif; font-size: 10pt; text-align: justify} "
                        "h2 {font-size: 12pt; font-weight: bold; margin-top: 10pt; margin-bottom: 4pt} "
                        "h3 {font-size: 10pt; font-weight: bold; margin-top: 6pt}")
    title = "Sparse Adaptive Routing for Efficient Mixture-of-Experts Training at Scale"
    if caps_title:
        title = "SPARSE ADAPTIVE ROUTING FOR EFFICIENT MIXTURE-OF-EXPERTS TRAINING"
    authors = """<table style="margin:auto;text-align:center;font-size:10pt"><tr>
<td style="padding:0 14px"><b>Alice M. Smith</b><sup>1</sup><br/>alice@test.edu</td>
<td style="padding:0 14px"><b>Bob Jones</b><sup>2,*</sup><br/>bob@lab.org</td>
<td style="padding:0 14px"><b>Carol Wu</b><sup>1</sup><br/>carol@test.edu</td></tr></table>"""
    if inline_authors:
        authors = ('<p style="text-align:center;font-weight:bold">Alice M. Smith <sup>1</sup> Bob Jones <sup>2</sup> '
                   'Carol Wu <sup>1</sup></p>')
    printed = title
    if smallcaps_title:
        title = "Sparse Adaptive Routing for Efficient Expert Training"
        printed = _smallcaps(title, 17)
        title = " ".join(word[0] + word[1:].upper() for word in title.split())  # as the text layer has it
    names = ["Alice M. Smith", "Bob Jones", "Carol Wu"]
    affiliation: str | None = "University of Testing, Testville"
    if byline:
        authors, names = byline
        affiliation = None
    front = f"""
<p style="font-size:17pt;font-weight:bold;text-align:center;margin-top:14pt;margin-bottom:14pt">{printed}</p>
{authors}
<p style="text-align:center;font-size:9pt"><sup>1</sup>University of Testing, Testville
&nbsp;&nbsp; <sup>2</sup>Example Research Lab</p>
{'<p style="text-align:center;font-size:12pt;font-weight:bold;margin-top:12pt">Abstract</p>' if label else ''}
<p style="margin-left:36pt;margin-right:36pt">We propose sparse adaptive routing, a way to train mixture
models with fewer wasted tokens. {body(5)}</p>"""
    sections = [
        ("1 Introduction", _p(8) + _p(6, 3)),
        ("2 Background and Motivation", _p(9, 1) + figure_html("Figure 1: Tokens dropped per step with "
                                                                "standard routing, over training.", center=True)
         + _p(6, 2)),
        ("3 Our Approach", "<p>We propose a router that adapts its capacity to the load. " + body(7, 4) + "</p>"
         + "<h3>3.1 Capacity Estimation</h3>" + _p(8, 5) + "<h3>3.2 Training Objective</h3>" + _p(8, 6)),
        ("4 Experiments", _p(8, 2) + TABLE_HTML.format(caption="Table 1: Accuracy and time per step on the "
                                                               "benchmark.") + _p(6, 3)
         + figure_html("Figure 2: Validation loss of the three routers against training steps.") + _p(6, 1)),
        ("5 Discussion and Conclusions", _p(7, 3)),
        ("6 Limitations", _p(4, 5)),
    ]
    main = _sections_html(sections, lambda t: f"<h2>{t}</h2>") + \
        "<h2>Acknowledgments and Disclosure of Funding</h2><p>We thank the Testing Foundation for funding.</p>" + \
        "<h2>References</h2>" + \
        "<p style='font-size:9pt'>[1] A. Nobody. A cited work. Journal of Tests, 2020.</p>"
    doc = typeset(layout, front, main)
    page = doc[0]
    page.draw_line((72, 76), (540, 76), width=3)
    page.draw_line((72, 140), (540, 140), width=1)
    figs = place_figures(doc, layout, [("Figure 1:", "raster"), ("Figure 2:", "vector")])
    running_header(doc, "Preprint. Under review.", skip_first=False)
    truth = Truth(title=title, authors=names,
                  abstract_start="We propose sparse adaptive routing",
                  sections=["Introduction", "Background and Motivation", "Our Approach", "Experiments",
                            "Discussion and Conclusions", "Limitations"],
                  method="Our Approach", conclusion="Discussion and Conclusions", figures=figs,
                  affiliation=affiliation)
    return doc.tobytes(), truth


def acl_paper(review: bool = False,
              title: str = "Contrastive Alignment of Sentence Encoders for Low-Resource Retrieval") -> tuple[bytes, Truth]:
    """A4 two columns; authors joined by "and"; unnumbered bold "Abstract" in the left column; a
    figure spanning both columns at the top of page 2; an unnumbered "Limitations" after the conclusion.

    `review`: the anonymous review copy, with line numbers beside both columns (in the gutter too).
    `title`: one that starts like a note printed near titles ("Code ...", "Accepted ...") is still the title.
    """
    layout = Layout(width=595, height=842, margin_x=60, margin_top=60, columns=2, gutter=30 if review else 16,
                    css="body {font-family: serif; font-size: 10pt; text-align: justify} "
                        "h2 {font-size: 11pt; font-weight: bold; margin-top: 8pt; margin-bottom: 3pt} "
                        "h3 {font-size: 10pt; font-weight: bold; margin-top: 6pt}")
    front = f"""
<p style="font-size:15pt;font-weight:bold;text-align:center">{title}</p>
<p style="text-align:center;font-size:11pt;font-weight:bold;margin-bottom:0">Dana Kim and Erik Larsen</p>
<p style="text-align:center;font-size:10pt;margin-top:0;margin-bottom:0">Department of Computer Science, Nordic
University</p>
<p style="text-align:center;font-size:10pt;margin-top:0">{{dana.kim,erik.larsen}}@nordic.edu</p>"""
    main = (
        "<p style='text-align:center;font-weight:bold;font-size:11pt'>Abstract</p>"
        "<p style='margin-left:14pt;margin-right:14pt;font-size:10pt'>Retrieval for low-resource languages lags "
        f"behind. {body(6, 2)}</p>"
        "<h2>1 Introduction</h2>" + _p(9) + _p(7, 2)
        + "<h2>2 Related Work</h2>" + _p(8, 3)
        + "<h2>3 Contrastive Alignment</h2><p>We propose to align the two encoders with a contrastive loss. "
        + body(6, 1) + " We propose a curriculum as well, and our method needs no labels.</p>"
        + "<h3>3.1 Negative Sampling</h3>" + _p(8, 2)
        + figure_html("Figure 1: Recall at ten for each language pair.") + _p(4, 5)
        + "<h2>4 Experimental Setup</h2>" + _p(8, 4)
        + TABLE_HTML.format(caption="Table 1: Recall at ten on the test split.") + _p(5, 6)
        + "<h2>5 Results</h2>" + _p(10, 5)
        + "<h2>6 Conclusion</h2>" + _p(6, 6)
        + "<h2>Limitations</h2>" + _p(4, 7)
        + "<h2>Ethical Considerations</h2>" + _p(3, 1)
        + "<h2>References</h2><p style='font-size:9pt'>Ann Other. 2021. A cited work. In Proc. of Tests.</p>"
    )
    span = 230.0
    doc = typeset(layout, front, main, reserve_top={1: span})
    page = doc[1]
    vector_plot(page, pymupdf.Rect(90, 70, 505, 240))
    page.insert_htmlbox(pymupdf.Rect(60, 255, 535, 290),
                        "<p style='font-family:serif;font-size:9pt'>Figure 2: Training curves of all encoders on "
                        "every language pair, shown across the whole page width.</p>")
    figs = [*place_figures(doc, layout, [("Figure 1:", "vector")]), ("Figure 2", 2)]
    if review:
        for page in doc:
            for k, y in enumerate(range(70, 780, 12)):
                n = page.number * 120 + k
                for x, m in ((40, n), (291, n + 60), (541, n + 60)):
                    page.insert_text((x, y), f"{m:03d}", fontsize=8, fontname="cour", color=(0.3, 0.3, 0.3))
    truth = Truth(title=title, authors=["Dana Kim", "Erik Larsen"],
                  abstract_start="Retrieval for low-resource languages",
                  sections=["Introduction", "Related Work", "Contrastive Alignment", "Experimental Setup", "Results",
                            "Conclusion", "Limitations", "Ethical Considerations"],
                  method="Contrastive Alignment", conclusion="Conclusion", figures=sorted(figs, key=lambda f: f[1]),
                  affiliation="Department of Computer Science, Nordic University")
    return doc.tobytes(), truth


LNCS_AUTHORS = {
    "plain": 'Frank Meyer<sup>1</sup>, Greta Schulz<sup>2</sup>, and Hans\nVogel<sup>1</sup>',
    # ORCID iDs after each name make the list wrap in the middle of the last name
    "orcid": ('Frank Meyer<sup>1[0000-0002-1825-0097]</sup>, Greta Schulz<sup>2[0000-0001-5109-3700]</sup>, and '
              'Hans Vogel<sup>1[0000-0003-1234-5678]</sup>'),
    "glued_digits": "Frank Meyer1, Greta Schulz2, and Hans Vogel1",  # markers on the baseline
    "envelope": 'Frank Meyer<sup>1(&#9993;)</sup>, Greta Schulz<sup>2</sup>, and Hans Vogel<sup>1</sup>',
    "smallcaps": ", ".join(f"{a[0]}<span style='font-size:8pt'>{a[1:].upper()}</span> {b[0]}<span style='font-size:8pt'>"
                           f"{b[1:].upper()}</span><sup>{n}</sup>"
                           for a, b, n in (("Frank", "Meyer", 1), ("Greta", "Schulz", 2), ("Hans", "Vogel", 1))),
}


def lncs_paper(authors: str = "plain", label: str = "Abstract.") -> tuple[bytes, Truth]:
    """Springer LNCS: narrow page, run-in "Abstract." and "Keywords:", "Fig. 1." captions, "and" with a comma.

    `authors` picks a style of author line from LNCS_AUTHORS; `label` is the run-in abstract label."""
    layout = Layout(width=612, height=792, margin_x=120, margin_top=90, margin_bottom=100,
                    css="body {font-family: serif; font-size: 10pt; text-align: justify} "
                        "h2 {font-size: 12pt; font-weight: bold; margin-top: 12pt; margin-bottom: 6pt} "
                        "h3 {font-size: 10pt; font-weight: bold; margin-top: 8pt}")
    title = "Graph Neural Ranking for Scholarly Search"
    front = f"""
<p style="font-size:14pt;font-weight:bold;text-align:center">{title}</p>
<p style="text-align:center;font-size:10pt">{LNCS_AUTHORS[authors]}</p>
<p style="text-align:center;font-size:9pt;margin-bottom:0"><sup>1</sup> Technical University of Testing, Testburg,
Germany</p>
<p style="text-align:center;font-size:9pt;margin-top:0;margin-bottom:0">{{meyer,vogel}}@tu-testing.de</p>
<p style="text-align:center;font-size:9pt;margin-top:0"><sup>2</sup> Institute for Search, Berlin, Germany</p>
<p style="font-size:9pt;margin-left:24pt;margin-right:24pt"><b>{label}</b> Scholarly search engines rank papers
by text alone. {body(5, 1)}</p>
<p style="font-size:9pt;margin-left:24pt;margin-right:24pt"><b>Keywords:</b> ranking &#183; graph neural networks
&#183; scholarly search</p>"""
    main = (
        "<h2>1 Introduction</h2>" + _p(10) + _p(7, 1)
        + "<h2>2 A Motivating Example</h2>" + _p(8, 2)
        + "<h2>3 Learning to Rank with Citation Graphs</h2><p>We propose a ranker that reads the citation graph. "
        + body(5) + " We propose two variants, and our method is trained end to end.</p>"
        + figure_html("Fig. 1. The ranker reads the citation graph around each query result.", center=True)
        + "<h3>3.1 Graph Encoder</h3>" + _p(7, 3)
        + "<h2>4 Evaluation</h2>" + _p(8, 4)
        + TABLE_HTML.format(caption="Table 1. Ranking quality on the test queries.") + _p(6, 5)
        + figure_html("Fig. 2. Ranking quality against the number of graph layers.", center=True) + _p(5)
        + "<h2>5 Conclusion and Future Work</h2>" + _p(6, 6)
        + "<h2>References</h2><p style='font-size:9pt'>1. Other, A.: A cited work. In: Tests, pp. 1-10 (2020)</p>"
    )
    doc = typeset(layout, front, main)
    figs = place_figures(doc, layout, [("Fig. 1.", "raster"), ("Fig. 2.", "vector")])
    names = ["Frank Meyer", "Greta Schulz", "Hans Vogel"]
    truth = Truth(title=title, authors=[n.upper() for n in names] if authors == "smallcaps" else names,
                  abstract_start="Scholarly search engines rank papers",
                  sections=["Introduction", "A Motivating Example", "Learning to Rank with Citation Graphs", "Evaluation",
                            "Conclusion and Future Work"],
                  method="Learning to Rank with Citation Graphs", conclusion="Conclusion and Future Work",
                  figures=figs, affiliation="Technical University of Testing, Testburg, Germany")
    return doc.tobytes(), truth


def _smallcaps(text: str, size: float = 10) -> str:
    """IEEE section titles: capitals at full size, the rest as smaller capitals."""
    out = []
    for word in text.split():
        out.append(f"{word[0]}<span style='font-size:{size * 0.8:.1f}pt'>{word[1:].upper()}</span>")
    return " ".join(out)


def ieee_paper() -> tuple[bytes, Truth]:
    """IEEE journal: two columns, roman numerals with small caps, "Member, IEEE", Index Terms, Fig. captions."""
    layout = Layout(width=612, height=792, margin_x=45, margin_top=60, columns=2, gutter=14,
                    css="body {font-family: serif; font-size: 10pt; text-align: justify} "
                        "h2 {font-size: 10pt; font-weight: normal; text-align: center; margin-top: 8pt; "
                        "margin-bottom: 4pt} h3 {font-size: 10pt; font-style: italic; font-weight: normal}")
    title = "Robust Beamforming for Dense Wireless Networks Under Channel Uncertainty"
    front = f"""
<p style="font-size:22pt;text-align:center;margin-bottom:6pt">{title}</p>
<p style="text-align:center;font-size:11pt">Ivan Petrov, <i>Member, IEEE</i>, Julia Rossi, and Kenji Sato,
<i>Fellow, IEEE</i></p>"""

    def h2(t: str) -> str:
        num, rest = t.split(" ", 1)
        return f"<h2>{num} {_smallcaps(rest)}</h2>"

    main = (
        "<p style='font-weight:bold;font-size:9pt'><i>Abstract</i>&#8212;Dense wireless networks suffer from "
        f"interference. {body(5, 3)}</p>"
        "<p style='font-weight:bold;font-size:9pt'><i>Index Terms</i>&#8212;beamforming, robust optimisation, "
        "wireless networks.</p>"
        + h2("I. Introduction") + _p(9) + _p(6, 2)
        + h2("II. System Model") + _p(8, 1) + "<h3>A. Channel Model</h3>" + _p(6, 3)
        + "<h3>B. Problem Formulation</h3>" + _p(6, 4)
        + h2("III. Proposed Robust Beamformer") + "<p>We propose a robust beamformer. " + body(6, 2) + "</p>"
        + figure_html("Fig. 1. Sum rate of the beamformers against the signal-to-noise ratio.")
        + _p(5, 6)
        + h2("IV. Simulation Results") + _p(8, 5)
        + "<p style='font-size:8pt;text-align:center'>TABLE I<br/>S<span style='font-size:6.4pt'>UM</span> "
          "R<span style='font-size:6.4pt'>ATES</span></p>" + TABLE_HTML.format(caption="") + _p(5, 3)
        + figure_html("Fig. 2. Outage probability for growing channel uncertainty.") + _p(4, 7)
        + h2("V. Conclusion") + _p(6, 6)
        + f"<h2>{_smallcaps('References')}</h2><p style='font-size:8pt'>[1] A. Other, \"A cited work,\" "
          "IEEE Trans. Tests, vol. 1, 2020.</p>"
    )
    doc = typeset(layout, front, main)
    figs = place_figures(doc, layout, [("Fig. 1.", "vector"), ("Fig. 2.", "raster")])
    running_header(doc, "IEEE TRANSACTIONS ON WIRELESS TESTING, VOL. 1, NO. 1, JANUARY 2026", skip_first=True)
    truth = Truth(title=title, authors=["Ivan Petrov", "Julia Rossi", "Kenji Sato"],
                  abstract_start="Dense wireless networks suffer",
                  sections=["INTRODUCTION", "SYSTEM MODEL", "PROPOSED ROBUST BEAMFORMER", "SIMULATION RESULTS",
                            "CONCLUSION"],
                  method="PROPOSED ROBUST BEAMFORMER", conclusion="CONCLUSION", figures=figs)
    return doc.tobytes(), truth


def review_copy_paper(padded: bool = True) -> tuple[bytes, Truth]:
    """An anonymous review copy: running header on every page, line numbers in the margin, three-line title,
    "Anonymous Authors", sections in small sans caps, an unusual method name."""
    layout = Layout(css="body {font-family: serif; font-size: 10pt; text-align: justify} "
                        "h2 {font-size: 11pt; font-weight: bold; font-family: sans-serif; margin-top: 10pt} "
                        "h3 {font-size: 10pt; font-weight: bold; margin-top: 6pt}")
    title = ("Why Do Small Language Models Forget? A Study of Interference Between Tasks "
             "in Continual Instruction Tuning of Compact Transformers")
    front = f"""
<p style="font-size:16pt;font-weight:bold;text-align:center;margin-left:40pt;margin-right:40pt">{title}</p>
<p style="text-align:center;font-size:10pt;font-weight:bold">Anonymous Authors<sup>1</sup></p>
<p style="text-align:center;font-size:12pt;font-weight:bold;margin-top:10pt">Abstract</p>
<p style="margin-left:36pt;margin-right:36pt">Compact language models forget earlier tasks quickly when tuned on
new ones. {body(5, 4)}</p>"""
    main = (
        "<h2>1 Introduction</h2>" + _p(8) + _p(7, 1)
        + "<h2>2 Problem Setup</h2>" + _p(7, 2)
        + "<h2>3 Gradient Interference Probes</h2><p>We introduce probes that measure interference between tasks. "
        + body(5, 3) + " We propose to use them during tuning, and our method is cheap.</p>"
        + "<h3>3.1 Probe Design</h3>" + _p(6, 4)
        + figure_html("Figure 1: Interference between pairs of tasks, measured by the probes.", center=True)
        + "<h2>4 Experiments</h2>" + _p(9, 5)
        + figure_html("Figure 2: Forgetting against the number of tuning steps for each model size.", center=True)
        + _p(6, 2)
        + "<h2>5 Concluding Remarks</h2>" + _p(6, 6)
        + "<h2>References</h2><p style='font-size:9pt'>Other, A. A cited work. In ICML, 2020.</p>"
    )
    doc = typeset(layout, front, main)
    figs = place_figures(doc, layout, [("Figure 1:", "raster"), ("Figure 2:", "vector")])
    for page in doc:
        page.insert_text((160, 40), "Under review as a conference paper at ICLR 2026", fontsize=9, fontname="tiro")
    line_numbers(doc, padded=padded)
    truth = Truth(title=title, authors=[], abstract_start="Compact language models forget",
                  sections=["Introduction", "Problem Setup", "Gradient Interference Probes", "Experiments",
                            "Concluding Remarks"],
                  method="Gradient Interference Probes", conclusion="Concluding Remarks", figures=figs)
    return doc.tobytes(), truth


PAPERS: dict[str, Callable[[], tuple[bytes, Truth]]] = {
    "neurips": neurips_paper,
    "acl": acl_paper,
    "lncs": lncs_paper,
    "ieee": ieee_paper,
    "review": review_copy_paper,
}


def iclr_paper(title: str = "Learning Rate Warmup Is Implicit Curvature Control",
               method: str = "Warmup as Curvature Control in Adaptive Optimisers for Deep Networks") -> tuple[bytes, Truth]:
    """ICLR: left-aligned title and author block ("&" before the last name, a footnote star), small-caps
    "ABSTRACT", headings in capitals, a two-line heading, and lettered appendices after the references."""
    layout = Layout(css="body {font-family: serif; font-size: 10pt; text-align: justify} "
                        "h2 {font-size: 12pt; font-weight: bold; margin-top: 10pt; margin-bottom: 4pt} "
                        "h3 {font-size: 10pt; font-weight: bold; margin-top: 6pt}")
    front = f"""
<p style="font-size:17pt;font-weight:bold;margin-bottom:14pt">{title}</p>
<p style="font-weight:bold;margin-bottom:0">Lena Fischer<sup>&#8727;</sup>, Marco Bianchi &amp; Nora Haddad</p>
<p style="margin-top:0;margin-bottom:0">Department of Statistics</p>
<p style="margin-top:0;margin-bottom:0">University of Exampleton</p>
<p style="margin-top:0">{{lena,marco,nora}}@exampleton.ac.uk</p>
<p style="text-align:center;font-size:12pt;margin-top:12pt">A<span style="font-size:9.6pt">BSTRACT</span></p>
<p style="margin-left:36pt;margin-right:36pt">Warmup is used in nearly every large training run, yet why it
helps is unclear. {body(5, 2)}</p>"""

    def h2(t: str) -> str:
        return f"<h2>{t.upper()}</h2>"

    main = (
        h2("1 Introduction") + _p(9) + _p(6, 3)
        + h2("2 Related Work") + _p(7, 1)
        + h2(f"3 {method}")
        + "<p>We show that warmup keeps the sharpness below the stability threshold. " + body(6, 4) + "</p>"
        + "<h3>3.1 A Simple Model</h3>" + _p(7, 5)
        + figure_html("Figure 1: Sharpness during the first thousand steps with and without warmup.")
        + "<h3>3.2 Consequences</h3>" + _p(6, 1)
        + h2("4 Experiments") + _p(9, 2)
        + TABLE_HTML.format(caption="Table 1: Final loss with each schedule.") + _p(5, 3)
        + h2("5 Conclusion") + _p(6, 6)
        + h2("References") + "<p style='font-size:9pt'>Ann Other. A cited work. In ICLR, 2020.</p>"
        + h2("A Proofs") + _p(6, 1)
        + figure_html("Figure 2: Sharpness for three more learning rates.") + _p(3, 2)
        + h2("B Additional Experiments") + _p(6, 3)
    )
    doc = typeset(layout, front, main)
    figs = place_figures(doc, layout, [("Figure 1:", "vector"), ("Figure 2:", "raster")])
    for page in doc:
        page.insert_text((72, 45), "Published as a conference paper at ICLR 2026", fontsize=9, fontname="tiro")
    truth = Truth(title=title, authors=["Lena Fischer", "Marco Bianchi", "Nora Haddad"],
                  abstract_start="Warmup is used in nearly every large training run",
                  sections=["INTRODUCTION", "RELATED WORK", method.upper(), "EXPERIMENTS", "CONCLUSION"],
                  method=method.upper(),
                  conclusion="CONCLUSION", figures=figs, affiliation="Department of Statistics, University of Exampleton")
    return doc.tobytes(), truth


def cvpr_paper(big_labels: bool = False, one_lab: bool = False) -> tuple[bytes, Truth]:
    """CVPR review copy: two columns, "1. Introduction" with dots, line numbers in both margins, a teaser
    figure across the page above the abstract, authors with symbols on two rows (names that are also
    words: "Ai", "Deep", "Page"). `big_labels`: a vector teaser whose labels are larger than the title.
    `one_lab`: one unnumbered affiliation line, so the teaser caption below it must not join it."""
    layout = Layout(width=612, height=792, margin_x=54, margin_top=72, columns=2, gutter=20,
                    css="body {font-family: serif; font-size: 10pt; text-align: justify} "
                        "h2 {font-size: 12pt; font-weight: bold; margin-top: 8pt; margin-bottom: 4pt} "
                        "h3 {font-size: 10pt; font-weight: bold; margin-top: 6pt}")
    title = "Neural Texture Fields for Relightable Object Capture"
    teaser = 200
    affiliations = ('<p style="text-align:center;font-size:10pt;margin-bottom:0"><sup>1</sup>Vision Institute of '
                    'Testing &nbsp; <sup>2</sup>Capture Lab &nbsp; <sup>3</sup>Render Corp.</p>')
    if one_lab:
        affiliations = '<p style="text-align:center;font-size:10pt;margin-bottom:0">Vision Institute of Testing</p>'

    front = f"""
<p style="font-size:14pt;font-weight:bold;text-align:center">{title}</p>
<p style="text-align:center;font-size:11pt;margin-bottom:0">Omar Farouk<sup>1&#8727;</sup> &nbsp; Petra Novak<sup>2&#8727;</sup>
&nbsp; Quentin Moreau<sup>1</sup> &nbsp; Rina Takahashi<sup>3&#8224;</sup></p>
<p style="text-align:center;font-size:11pt;margin-top:2pt">Ai Suzuki<sup>2</sup> &nbsp; Deep Mehta<sup>1</sup>
&nbsp; Ada Page<sup>3</sup></p>
{affiliations}
<div style="height:{teaser}px"></div>
<p style="font-size:9pt">Figure 1. Objects captured under one light and relit under new ones by our texture fields.</p>
"""
    main = (
        "<p style='text-align:center;font-weight:bold;font-size:12pt'>Abstract</p>"
        f"<p style='font-style:italic'>Capturing objects so that they can be relit is slow. {body(6, 1)}</p>"
        "<h2>1. Introduction</h2>" + _p(9) + _p(7, 2)
        + "<h2>2. Related Work</h2>" + _p(8, 3)
        + "<h2>3. Method</h2>" + _p(6, 4) + "<h3>3.1. Texture Fields</h3>" + _p(7, 5)
        + figure_html("Figure 2. Overview of the capture pipeline, from photographs to a relightable field.")
        + "<h3>3.2. Relighting</h3>" + _p(6, 6)
        + "<h2>4. Experiments</h2>" + _p(9, 1)
        + TABLE_HTML.format(caption="Table 1. Relighting error on the test objects.") + _p(6, 2)
        + "<h2>5. Conclusion</h2>" + _p(6, 3)
        + "<h2>References</h2><p style='font-size:9pt'>[1] A. Other. A cited work. In CVPR, 2020.</p>"
    )
    doc = typeset(layout, front, main)
    page = doc[0]
    cap = page.search_for("Figure 1.")[0]
    if big_labels:
        vector_plot(page, pymupdf.Rect(90, cap.y0 - teaser + 30, 522, cap.y0 - 24))
        for x, label in ((110, "Input Photos"), (350, "Relit Output")):
            page.insert_text((x, cap.y0 - teaser + 26), label, fontsize=18)
    else:
        raster_plot(page, pymupdf.Rect(90, cap.y0 - teaser + 6, 522, cap.y0 - 8))
    figs = [("Figure 1", 1), *place_figures(doc, layout, [("Figure 2.", "vector")])]
    for page in doc:
        for n, y in enumerate(range(80, 720, 12)):
            page.insert_text((22, y), f"{page.number * 60 + n:03d}", fontsize=7, color=(0.4, 0.4, 1))
            page.insert_text((574, y), f"{page.number * 60 + n + 54:03d}", fontsize=7, color=(0.4, 0.4, 1))
        page.insert_text((220, 40), "CVPR 2026 Submission #1234. CONFIDENTIAL REVIEW COPY.", fontsize=8)
    truth = Truth(title=title, authors=["Omar Farouk", "Petra Novak", "Quentin Moreau", "Rina Takahashi", "Ai Suzuki",
                                        "Deep Mehta", "Ada Page"],
                  abstract_start="Capturing objects so that they can be relit",
                  sections=["Introduction", "Related Work", "Method", "Experiments", "Conclusion"],
                  method="Method", conclusion="Conclusion", figures=figs, affiliation="Vision Institute of Testing")
    return doc.tobytes(), truth


def aaai_paper(first: str = "Introduction", method: str = "Hierarchical Prompt Tuning",
               keywords: bool = False) -> tuple[bytes, Truth]:
    """AAAI: two columns, unnumbered centred headings, the method named after itself, a closing
    "Conclusion and Outlook", bold unnumbered subsections. `first` and `method` rename those sections;
    `keywords` adds a "Keywords" label in the headings' style after the abstract."""
    layout = Layout(width=612, height=792, margin_x=54, margin_top=54, columns=2, gutter=20,
                    css="body {font-family: serif; font-size: 10pt; text-align: justify} "
                        "h2 {font-size: 11.5pt; font-weight: bold; text-align: center; margin-top: 8pt} "
                        "h3 {font-size: 10pt; font-weight: bold; margin-top: 6pt}")
    title = "Hierarchical Prompt Tuning for Few-Shot Table Question Answering"
    front = f"""
<p style="font-size:14.5pt;font-weight:bold;text-align:center">{title}</p>
<p style="text-align:center;font-size:11pt;font-weight:bold;margin-bottom:0">Uma Patel<sup>1</sup>, Victor Chen<sup>2</sup>,
Wei Zhang<sup>1,2</sup></p>
<p style="text-align:center;font-size:9pt;margin-top:2pt;margin-bottom:0"><sup>1</sup>School of Computing, Example
State University</p>
<p style="text-align:center;font-size:9pt;margin-top:0"><sup>2</sup>Table AI Research<br/>uma@esu.edu,
victor@tableai.com, wzhang@esu.edu</p>"""
    main = (
        "<p style='text-align:center;font-weight:bold;font-size:11.5pt'>Abstract</p>"
        f"<p style='margin-left:10pt;margin-right:10pt'>Question answering over tables needs many labels. {body(6, 2)}</p>"
        + ("<h2>Keywords</h2><p>tables, prompts, few-shot learning</p>" if keywords else "") +
        f"<h2>{first}</h2>" + _p(9) + _p(6, 4)
        + "<h2>Related Work</h2>" + _p(8, 1)
        + f"<h2>{method}</h2><p>We propose prompts at two levels, one for the table and one for "
          "the question. " + body(6, 3) + " We propose a sharing scheme too.</p>"
        + "<h3>Table Prompts</h3>" + _p(7, 4)
        + figure_html("Figure 1: The two levels of prompts and where they enter the encoder.")
        + "<h3>Question Prompts</h3>" + _p(6, 5)
        + "<h2>Experiments</h2>" + _p(9, 6)
        + TABLE_HTML.format(caption="Table 1: Accuracy with 16, 32 and 64 training examples.") + _p(5, 1)
        + figure_html("Figure 2: Accuracy against the number of training examples.") + _p(4, 2)
        + "<h2>Conclusion and Outlook</h2>" + _p(6, 7)
        + "<h2>References</h2><p style='font-size:9pt'>Other, A. 2020. A cited work. In AAAI.</p>"
    )
    doc = typeset(layout, front, main)
    figs = place_figures(doc, layout, [("Figure 1:", "vector"), ("Figure 2:", "raster")])
    truth = Truth(title=title, authors=["Uma Patel", "Victor Chen", "Wei Zhang"],
                  abstract_start="Question answering over tables needs many labels",
                  sections=[first, "Related Work", method, "Experiments", "Conclusion and Outlook"],
                  method=method, conclusion="Conclusion and Outlook", figures=figs,
                  affiliation="School of Computing, Example State University")
    return doc.tobytes(), truth


PAPERS.update({"iclr": iclr_paper, "cvpr": cvpr_paper, "aaai": aaai_paper})
PAPERS.update({f"lncs-{style}": (lambda style=style: lncs_paper(style)) for style in LNCS_AUTHORS if style != "plain"})


GRID_TABLE = ('<p style="font-size:9pt;text-align:center">Table 2: Retrieval time in milliseconds.</p>'
              '<table style="border-collapse:collapse;margin:auto;font-size:9pt">'
              + "".join("<tr>" + "".join(f"<td style='border:1px solid black;padding:3px'>{r}{c}</td>" for c in "abcd")
                        + "</tr>" for r in range(5)) + "</table>")
ALGORITHM_HTML = ("<div style='border:1px solid black;padding:4px;font-size:9pt'><b>Algorithm 1</b> Hash training<br/>"
                  "1: Input: sketches S<br/>2: for each batch do<br/>3: update codes<br/>4: end for</div>")


def grid_paper() -> tuple[bytes, Truth]:
    """One column, sans serif: a 2x2 author grid with affiliations under the names (particles, accents,
    hyphens), a first section not called "Introduction", a caption above its figure, a framed algorithm,
    a fully ruled table, a row of four raster panels, and back-matter statements after "Discussion"."""
    layout = Layout(css="body {font-family: sans-serif; font-size: 10pt; text-align: justify} "
                        "h2 {font-size: 12pt; font-weight: bold; margin-top: 10pt} "
                        "h3 {font-size: 10pt; font-weight: bold}")
    title = "Sketch Hashing: Fast Retrieval in Very Large Image Collections"
    method = "Sketch-Based Retrieval with Learned Hash Codes for Very Large Image Collections"
    front = f"""
<p style="font-size:16pt;font-weight:bold;text-align:center">{title}<sup>&#8727;</sup></p>
<table style="margin:auto;text-align:center;font-size:10pt"><tr>
<td style="padding:0 24px"><b>Jean-Pierre van der Berg</b><br/>Delft Institute of Testing<br/>jp@dit.nl</td>
<td style="padding:0 24px"><b>José Álvarez-Ruiz</b><br/>Universidad de Pruebas<br/>jose@up.es</td></tr>
<tr><td style="padding:8px 24px"><b>Xiao-Li Meng</b><br/>Harvard Test School<br/>meng@hts.edu</td>
<td style="padding:8px 24px"><b>M. Ali Khan</b><br/>Lahore Lab<br/>ali@ll.pk</td></tr></table>
<p style="text-align:center;font-size:12pt;font-weight:bold">Abstract</p>
<p style="margin-left:36pt;margin-right:36pt">Sketches are a natural query for images. {body(5)}</p>"""
    main = (
        "<h2>1 Motivation</h2>" + _p(9) + _p(6, 2)
        + "<h2>2 Problem Statement</h2>" + _p(7, 1)
        + f"<h2>3 {method}</h2>" + _p(7, 3)
        + "<p style='font-size:9pt'>Figure 1: Pipeline caption placed above its figure.</p>"
          "<div style='height:150px'></div>" + _p(5, 2)
        + ALGORITHM_HTML + _p(5, 4)
        + "<h2>4 Evaluation</h2>" + _p(9, 5)
        + GRID_TABLE + _p(4, 1)
        + figure_html("Figure 2: (a) Precision. (b) Recall. (c) Time. (d) Memory, for all four hash lengths.")
        + _p(4, 2)
        + "<h2>5 Related Work</h2>" + _p(7, 6)
        + "<h2>6 Discussion</h2>" + _p(6, 7)
        + "<h2>Broader Impact</h2>" + _p(3, 1)
        + "<h2>Ethics Statement</h2>" + _p(3, 2)
        + "<h2>Literature Cited</h2><p style='font-size:9pt'>[1] A. Other. A cited work. 2020.</p>"
    )
    doc = typeset(layout, front, main)
    figs = []
    for page in doc:
        if hits := page.search_for("Figure 1: Pipeline"):  # caption above: its figure below it
            c = hits[0]
            vector_plot(page, pymupdf.Rect(100, c.y1 + 10, 500, c.y1 + 120))
            figs.append(("Figure 1", page.number + 1))
        if hits := page.search_for("Figure 2: (a)"):
            c = hits[0]
            for k in range(4):
                x = 82 + k * 115
                raster_plot(page, pymupdf.Rect(x, c.y0 - 140, x + 105, c.y0 - 30))
                page.insert_text((x + 40, c.y0 - 18), f"({'abcd'[k]})", fontsize=8)
            figs.append(("Figure 2", page.number + 1))
    truth = Truth(title=title, authors=["Jean-Pierre van der Berg", "José Álvarez-Ruiz", "Xiao-Li Meng", "M. Ali Khan"],
                  abstract_start="Sketches are a natural query",
                  sections=["Motivation", "Problem Statement", method, "Evaluation", "Related Work", "Discussion",
                            "Broader Impact", "Ethics Statement"],
                  method=method, conclusion="Discussion", figures=figs, affiliation="Delft Institute of Testing")
    return doc.tobytes(), truth


PAPERS["grid"] = grid_paper
PAPERS["acl-review"] = lambda: acl_paper(review=True)
PAPERS["review-plain-numbers"] = lambda: review_copy_paper(padded=False)
PAPERS["lncs-bold-label-no-stop"] = lambda: lncs_paper(label="Abstract")
PAPERS["cvpr-big-teaser-labels"] = lambda: cvpr_paper(big_labels=True)
PAPERS["cvpr-one-lab"] = lambda: cvpr_paper(one_lab=True)
# a benchmark paper: the benchmark's own section is its contribution, not an experiment
PAPERS["aaai-benchmark"] = lambda: aaai_paper(method="The TableQA-Lite Benchmark")
# a paper about reviews is not a review; "End-..." starts a heading, not an algorithm's "end for"
PAPERS["iclr-end-to-end"] = lambda: iclr_paper(title="Learning Rate Warmup for Code Review Models",
                                               method="End-to-End Curvature Control")
PAPERS["acl-code-title"] = lambda: acl_paper(title="Code Search Needs Contrastive Alignment of Sentence Encoders")
PAPERS["acl-accepted-title"] = lambda: acl_paper(title="Accepted Answers Are Not Enough: Retrieval for Forums")
PAPERS["neurips-no-label"] = lambda: neurips_paper(label=False)
PAPERS["neurips-caps-title"] = lambda: neurips_paper(caps_title=True)
PAPERS["icml-inline-authors"] = lambda: neurips_paper(inline_authors=True)


def nature_paper() -> tuple[bytes, Truth]:
    """Journal style: one column, unnumbered sans-serif headings Introduction / Results / Discussion /
    Methods (the method last), "Fig. 1 |" captions with a bold label."""
    layout = Layout(css="body {font-family: serif; font-size: 10pt; text-align: justify} "
                        "h2 {font-size: 12pt; font-weight: bold; font-family: sans-serif; margin-top: 10pt} "
                        "h3 {font-size: 10pt; font-weight: bold; font-family: sans-serif}")
    title = "Single-Cell Maps of Learning in the Songbird Brain"
    front = f"""
<p style="font-size:20pt;font-weight:bold;font-family:sans-serif">{title}</p>
<p style="font-size:10.5pt">Yara Ortiz<sup>1</sup>, Zoe Brandt<sup>2</sup> &amp; Aaron Cole<sup>1&#8727;</sup></p>
<p style="font-size:10pt;font-weight:bold;margin-left:20pt;margin-right:20pt">Songbirds learn their song from a tutor,
much as infants learn speech. {body(5, 5)}</p>"""
    main = (
        "<h2>Introduction</h2>" + _p(9) + _p(7, 3)
        + "<h2>Results</h2>" + _p(8, 1) + "<h3>Cell types change with learning</h3>" + _p(7, 2)
        + figure_html("<b>Fig. 1 |</b> Cell types in the song nucleus before and after tutoring.") + _p(6, 4)
        + "<h3>Timing of the change</h3>" + _p(8, 5)
        + "<h2>Discussion</h2>" + _p(7, 6)
        + "<h2>Methods</h2><p>We describe the animals, the recordings and the analysis. " + body(6, 7) + "</p>"
        + "<h3>Animals</h3>" + _p(5, 1)
        + figure_html("<b>Fig. 2 |</b> Recording sites in each bird, shown on a common atlas.") + _p(3, 2)
        + "<h2>References</h2><p style='font-size:9pt'>1. Other, A. A cited work. Nature 1, 1-2 (2020).</p>"
    )
    doc = typeset(layout, front, main)
    figs = place_figures(doc, layout, [("Fig. 1 |", "raster"), ("Fig. 2 |", "vector")])
    truth = Truth(title=title, authors=["Yara Ortiz", "Zoe Brandt", "Aaron Cole"],
                  abstract_start="Songbirds learn their song from a tutor",
                  sections=["Introduction", "Results", "Discussion", "Methods"],
                  method="Methods", conclusion="Discussion", figures=figs)
    return doc.tobytes(), truth


PAPERS["nature"] = nature_paper
PAPERS["aaai-motivation"] = lambda: aaai_paper(first="Motivation")
PAPERS["aaai-keywords"] = lambda: aaai_paper(keywords=True)
PAPERS["aaai-long-heading"] = lambda: aaai_paper(
    method="Hierarchical Prompt Tuning with Shared Table and Question Prompts for Few-Shot Answering")


def acm_paper() -> tuple[bytes, Truth]:
    """ACM sigconf: sans-serif title, an author grid (name, affiliation, city, e-mail), "ABSTRACT" and
    "CCS CONCEPTS" / "KEYWORDS" / "ACM Reference Format" in the left column, headings in capitals."""
    layout = Layout(width=612, height=792, margin_x=54, margin_top=60, columns=2, gutter=24,
                    css="body {font-family: serif; font-size: 9pt; text-align: justify} "
                        "h2 {font-size: 10pt; font-weight: bold; font-family: sans-serif; margin-top: 8pt} "
                        "h3 {font-size: 9pt; font-weight: bold; font-family: sans-serif}")
    title = "Session-Aware Ranking for Conversational Product Search"
    cell = "<td style='padding:0 18px'><span style='font-size:11pt'>{}</span><br/>{}<br/>{}<br/>{}</td>"
    front = f"""
<p style="font-size:17pt;font-weight:bold;font-family:sans-serif;text-align:center">{title}</p>
<table style="margin:auto;text-align:center;font-size:9pt;font-family:sans-serif"><tr>
{cell.format("Beatriz Santos", "Shop Research", "Lisbon, Portugal", "bsantos@shop.example")}
{cell.format("Chen Li", "Univ. of Testing", "Shanghai, China", "chenli@test.edu")}
{cell.format("David Okafor", "Shop Research", "Lagos, Nigeria", "dokafor@shop.example")}</tr></table>"""
    main = (
        "<h2>ABSTRACT</h2>"
        f"<p>Conversational search needs rankers that remember the session. {body(6, 1)}</p>"
        "<p><b>CCS CONCEPTS</b></p><p>&#8226; Information systems &#8594; Learning to rank.</p>"
        "<p><b>KEYWORDS</b></p><p>conversational search, ranking, e-commerce</p>"
        "<p><b>ACM Reference Format:</b><br/>Beatriz Santos, Chen Li, and David Okafor. 2026. Session-Aware Ranking "
        "for Conversational Product Search. In <i>Proceedings of SIGIR '26</i>. ACM, 10 pages.</p>"
        "<h2>1 INTRODUCTION</h2>" + _p(9) + _p(6, 2)
        + "<h2>2 RELATED WORK</h2>" + _p(8, 3)
        + "<h2>3 METHODOLOGY</h2><p>We propose a ranker that reads the whole session. " + body(6, 4) + "</p>"
        + "<h3>3.1 Session Encoder</h3>" + _p(7, 5)
        + figure_html("Figure 1: The session encoder and the ranker it feeds.")
        + "<h2>4 EXPERIMENTS</h2>" + _p(9, 6)
        + TABLE_HTML.format(caption="Table 1: Ranking quality on two shops.") + _p(5, 7)
        + "<h2>5 CONCLUSION</h2>" + _p(6, 1)
        + "<h2>REFERENCES</h2><p style='font-size:8pt'>[1] Ann Other. 2020. A cited work. In SIGIR.</p>"
    )
    doc = typeset(layout, front, main)
    figs = place_figures(doc, layout, [("Figure 1:", "vector")])
    truth = Truth(title=title, authors=["Beatriz Santos", "Chen Li", "David Okafor"],
                  abstract_start="Conversational search needs rankers that remember the session",
                  sections=["INTRODUCTION", "RELATED WORK", "METHODOLOGY", "EXPERIMENTS", "CONCLUSION"],
                  method="METHODOLOGY", conclusion="CONCLUSION", figures=figs,
                  affiliation="Shop Research, Lisbon, Portugal")
    return doc.tobytes(), truth


PAPERS["acm"] = acm_paper


# --------------------------------------------------------------------------- hostile inputs

HUGE_SIDE = 14_400.0  # points: the largest page side PDF viewers accept (200 inches)


def huge_figure_pdf(pages: int = 1, side: float = HUGE_SIDE) -> bytes:
    """A tiny PDF that is costly to render: pages of side x side points, each with one vector chart
    filling most of it and a "Figure N" caption right under it, plus a paragraph so it is not a scan."""
    doc = pymupdf.open()
    for n in range(1, pages + 1):
        page = doc.new_page(width=side, height=side)
        page.insert_textbox(pymupdf.Rect(72, 72, 540, 200), f"A Very Large Page {n}. " + body(4, offset=2 * n),
                            fontsize=10)  # each page its own text: the same lines on every page are a running header
        # 0.6 of the side: not a page background (> 0.8 of its area), and at 150 dpi just under MuPDF's
        # own pixmap limit (2**30 bytes), so an uncapped renderer really does allocate ~1 GB per crop
        chart = pymupdf.Rect(72, 220, 72 + 0.6 * side, min(220 + 0.6 * side, side - 80))
        vector_plot(page, chart)
        page.insert_text((72, chart.y1 + 40), f"Figure {n}: Accuracy per epoch on a very large page.", fontsize=10)
    data = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data


def pictured_captions_pdf(pages: int = 3, per_page: int = 5, width: float = 6000.0) -> bytes:
    """A PDF that asks for the most OCR it can: page 1 cites figures 1-40 that no caption names, and
    every page carries `per_page` figure-sized pictures stretched across a page `width` points wide,
    each with a caption-like row of text at its foot (stretched glyphs are Tesseract's slow case)."""
    src = pymupdf.open()
    sheet = src.new_page(width=320, height=60)
    sheet.insert_text((20, 45), "Figure 7: Error over iterations", fontsize=8)
    picture = sheet.get_pixmap(dpi=150, colorspace=pymupdf.csGRAY).tobytes("png")
    doc = pymupdf.open()
    for n in range(1, pages + 1):
        page = doc.new_page(width=width, height=740)
        cites = " ".join(f"Figure {k} shows it." for k in range(1, 41)) if n == 1 else ""
        # below the running-header band, so it is body text
        page.insert_textbox(pymupdf.Rect(72, 80, width - 72, 130), f"Page {n}. {cites} " + body(1, offset=n),
                            fontsize=10)
        for k in range(per_page):  # each 115 pt high: over the 15% of the page a figure-sized picture needs
            page.insert_image(pymupdf.Rect(0, 135 + 120 * k, width, 250 + 120 * k), stream=picture,
                              keep_proportion=False)
    data = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data


# --------------------------------------------------------------------------- publisher layouts


def elsevier_paper() -> tuple[bytes, Truth]:
    """Elsevier journal: a masthead whose journal name is set larger than the title, authors with
    affiliation letters, a letter-spaced "A R T I C L E  I N F O" box (Article history, Keywords) beside
    "A B S T R A C T", bold body-size headings "1. Introduction", and "Data availability" / "Declaration of
    competing interest" before the references."""
    layout = Layout(width=595, height=842, margin_x=40, margin_top=60,
                    css="body {font-family: serif; font-size: 8pt; text-align: justify} "
                        "h2 {font-size: 8pt; font-weight: bold; margin-top: 8pt; margin-bottom: 4pt} "
                        "h3 {font-size: 8pt; font-style: italic; margin-top: 6pt}")
    title = "Sparse graph attention for retinal image denoising"
    front = f"""
<p style="text-align:center;font-size:7pt;margin:0">Contents lists available at ScienceDirect</p>
<p style="text-align:center;font-size:14pt;margin:4pt 0">Journal of Testing and Imaging</p>
<p style="text-align:center;font-size:7pt;margin:0 0 18pt 0">journal homepage: www.elsevier.com/locate/jti</p>
<p style="font-size:13pt;margin:0 0 6pt 0">{title}</p>
<p style="font-size:10pt;margin:0 0 4pt 0">Ana Lima<sup>a</sup>, Bruno Costa<sup>a,&#8727;</sup>,
Chloe Martin<sup>b</sup></p>
<p style="font-size:6.5pt;margin:0"><sup>a</sup> School of Computing, Testville University, Testville, Portugal</p>
<p style="font-size:6.5pt;margin:0 0 12pt 0"><sup>b</sup> Imaging Laboratory, Example Institute, Lyon, France</p>
<table style="font-size:7pt"><tr>
<td style="width:140px;vertical-align:top;padding-right:12px"><p style="font-size:9pt">A R T I C L E &#160; I N F O</p>
<p><i>Article history:</i><br/>Received 3 March 2024<br/>Accepted 9 May 2024</p>
<p><i>Keywords:</i><br/>Image denoising<br/>Graph attention<br/>Retina</p></td>
<td style="vertical-align:top"><p style="font-size:9pt">A B S T R A C T</p>
<p>Retinal images are noisy because the eye moves during capture. {body(5, 2)}</p></td></tr></table>"""
    main = (
        "<h2>1. Introduction</h2>" + _p(10) + _p(7, 1) + _p(12, 2) + _p(12, 3)
        + "<h2>2. Related work</h2>" + _p(8, 2) + _p(14, 4) + _p(14, 5)
        + "<h2>3. Sparse graph attention network</h2><p>We propose a network that attends over a sparse graph. "
        + body(6, 3) + "</p>" + "<h3>3.1. Graph construction</h3>" + _p(6, 4) + _p(14, 1)
        + figure_html("Fig. 1. The sparse graph built over the image patches.", center=True) + _p(14, 6)
        + "<h2>4. Experiments</h2>" + _p(9, 5) + _p(4, 6) + _p(16, 7) + _p(16, 3)
        + "<h2>5. Conclusion</h2>" + _p(6, 6)
        + "<h2>Declaration of competing interest</h2><p>The authors declare no competing interests.</p>"
        + "<h2>Data availability</h2><p>Data will be made available on request.</p>"
        + "<h2>References</h2><p style='font-size:7pt'>[1] A. Other, A cited work, J. Tests 1 (2020) 1-2.</p>"
    )
    doc = typeset(layout, front, main)
    figs = place_figures(doc, layout, [("Fig. 1.", "raster")])
    running_header(doc, "A. Lima et al. Journal of Testing and Imaging 12 (2024) 101234", skip_first=True)
    first = doc[0]
    first.insert_text((40, 40), "Journal of Testing and Imaging 12 (2024) 101234", fontsize=7)
    first.insert_text((40, 800), "https://doi.org/10.1016/j.jti.2024.101234", fontsize=6.5)
    first.insert_text((40, 809), "Available online 20 May 2024", fontsize=6.5)
    first.insert_text((40, 818), "1234-5678/\u00a9 2024 Elsevier B.V. All rights reserved.", fontsize=6.5)
    truth = Truth(title=title, authors=["Ana Lima", "Bruno Costa", "Chloe Martin"],
                  abstract_start="Retinal images are noisy because the eye moves",
                  sections=["Introduction", "Related work", "Sparse graph attention network", "Experiments",
                            "Conclusion"],
                  method="Sparse graph attention network", conclusion="Conclusion", figures=figs,
                  affiliation="School of Computing, Testville University, Testville, Portugal")
    return doc.tobytes(), truth


PAPERS["elsevier"] = elsevier_paper


def _wrap(text: str, width: float, size: float, font: str = "tiro") -> list[str]:
    lines, line = [], ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and pymupdf.get_text_length(trial, fontname=font, fontsize=size) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return lines + ([line] if line else [])


def footer_mid_abstract_paper(columns: int = 1, notice: str = "Preprint. Under review.") -> tuple[bytes, Truth]:
    """Under a teaser figure, an abstract that runs past the end of page 1 (one column) or of the left
    column (two columns), with a first-page-only notice in the footer band ("Preprint. Under review.") and
    page numbers on every page: in reading order the notice falls in the middle of the abstract."""
    doc = pymupdf.open()
    size, lead, bottom, top = 10.0, 12.0, 700.0, 470.0
    page = doc.new_page(width=612, height=792)
    title = "Footers Are Not Part of the Abstract"
    x0, right = 72.0, 540.0
    width = (right - x0 - 18) / 2 if columns == 2 else right - x0
    page.insert_text((x0, 100), title, fontsize=17, fontname="tibo")
    page.insert_text((x0, 124), "Dana Fox, Eli Grant", fontsize=11, fontname="tiro")
    vector_plot(page, pymupdf.Rect(120, 150, 490, 400))
    page.insert_text((x0, 440), "Figure 1: A teaser that fills the top of the first page.", fontsize=9, fontname="tiro")
    page.insert_text((x0, top - 8), "Abstract", fontsize=12, fontname="tibo")
    abstract = ("Footers are printed in the band below the text, and readers skip them. " + body(10 if columns == 2 else 19, 2)
                + " Using our framework, we demonstrate that the notice stays out of every paragraph. " + body(4, 5))
    y, col = top + 8, 0
    cursor = {"page": page}

    def place(line: str) -> None:
        nonlocal y, col
        if y > bottom:
            if columns == 2 and col == 0:
                col, y = 1, top + 8
            else:
                cursor["page"] = doc.new_page(width=612, height=792)
                col, y = 0, 80.0
        x = x0 + col * (width + 18)
        cursor["page"].insert_text((x, y), line, fontsize=size, fontname="tiro")
        y += lead

    for line in _wrap(abstract, width, size):
        place(line)
    y += 14
    sections = [("1 Introduction", body(12, 1)), ("2 Method", "We propose a way to skip footers. " + body(12, 3)),
                ("3 Experiments", body(14, 4)), ("4 Conclusion", body(8, 6))]
    for heading, text in sections:
        place("")
        y -= lead
        x = x0 + col * (width + 18)
        cursor["page"].insert_text((x, y), heading, fontsize=12, fontname="tibo")
        y += 18
        for line in _wrap(text, width, size):
            place(line)
        y += 6
    doc[0].insert_text((x0, 742), notice, fontsize=9, fontname="tiro")
    for p in doc:
        p.insert_text((303, 765), str(p.number + 1), fontsize=9, fontname="tiro")
    truth = Truth(title=title, authors=["Dana Fox", "Eli Grant"], abstract_start="Footers are printed in the band",
                  sections=["Introduction", "Method", "Experiments", "Conclusion"], method="Method",
                  conclusion="Conclusion", figures=[("Figure 1", 1)])
    return doc.tobytes(), truth


PAPERS["footer-mid-abstract"] = footer_mid_abstract_paper
PAPERS["footer-mid-abstract-two-columns"] = lambda: footer_mid_abstract_paper(columns=2)


def with_cover(make: Callable[[], tuple[bytes, Truth]], cover: Callable[[pymupdf.Page, Truth], None]
               ) -> tuple[bytes, Truth]:
    """The paper `make` builds, behind a cover page that `cover` draws; the figures move one page on."""
    data, truth = make()
    doc = pymupdf.open(stream=data, filetype="pdf")
    width, height = doc[0].rect.width, doc[0].rect.height
    page = doc.new_page(0, width=width, height=height)
    cover(page, truth)
    truth.figures = [(label, number + 1) for label, number in truth.figures]
    return doc.tobytes(), truth


def draft_cover(page: pymupdf.Page, truth: Truth) -> None:
    """An arXiv-stamped cover sheet whose only text is a date and "DRAFT"; the title is on the next page."""
    page.insert_text((page.rect.width / 2 - 40, 300), "March 3, 2026", fontsize=12, fontname="tiro")
    page.insert_text((page.rect.width / 2 - 45, 340), "DRAFT", fontsize=24, fontname="tibo")
    page.insert_text((30, 500), "arXiv:2603.01234v1  [cs.LG]  3 Mar 2026", fontsize=14, fontname="tiro",
                     color=(0.5, 0.5, 0.5), rotate=90)


def acm_dl_cover(page: pymupdf.Page, truth: Truth) -> None:
    """The ACM Digital Library's cover page: the title and the authors in capitals with their affiliations,
    download and citation counts, the venue; the paper itself starts on the next page."""
    rows = [("Latest updates: https://dl.acm.org/doi/10.1145/3700000.3700001", 8, "helv"),
            ("RESEARCH-ARTICLE", 8, "hebo"), (truth.title, 16, "hebo")]
    rows += [(f"{name.upper()}, Shop Research, Lisbon, Portugal", 9, "helv") for name in truth.authors]
    rows += [("Open Access Support provided by:", 8, "hebo"), ("Shop Research", 9, "helv"),
             ("PDF Download", 9, "hebo"), ("3700000.3700001.pdf", 8, "helv"), ("Total Citations: 0", 8, "helv"),
             ("Total Downloads: 12", 8, "helv"), ("Published: 11 May 2026", 8, "helv"),
             ("Citation in BibTeX format", 8, "helv"), ("SIGIR '26: The 49th International ACM SIGIR Conference", 9, "helv"),
             ("May 11 - 16, 2026, Lisbon, Portugal", 8, "helv")]
    y = 60.0
    for text, size, font in rows:
        y += size * 1.8
        page.insert_text((50, y), text, fontsize=size, fontname=font)


PAPERS["draft-cover"] = lambda: with_cover(neurips_paper, draft_cover)
PAPERS["acm-dl-cover"] = lambda: with_cover(acm_paper, acm_dl_cover)
PAPERS["neurips-smallcaps-title"] = lambda: neurips_paper(smallcaps_title=True)
PAPERS["organisation-author"] = lambda: neurips_paper(byline=(
    '<p style="text-align:center;font-size:12pt;font-weight:bold">DeepSeek-AI</p>'
    '<p style="text-align:center;font-size:10pt">research@deepseek.com</p>', ["DeepSeek-AI"]))
PAPERS["single-author"] = lambda: neurips_paper(byline=(
    '<p style="text-align:center;font-size:11pt;font-weight:bold">Matthew Zeller</p>'
    '<p style="text-align:center;font-size:10pt">Independent Researcher, Lyon, France</p>'
    '<p style="text-align:center;font-size:10pt">mzeller@example.org</p>', ["Matthew Zeller"]))


def thesis_paper(chapters: str = "inline", university: float = 16) -> tuple[bytes, Truth]:
    """A doctoral thesis: a cover page (university, title, the degree sentence, "by" and the author, a
    date), abstract with a "Keywords:" line, acknowledgements, a table of contents without dot leaders,
    then chapters that each start a page: "Chapter 1 Introduction" on one line (`chapters="inline"`),
    "CHAPTER 1" over the chapter's name (`"stacked"`) or "Chapter II Background" (`"roman"`), numbered
    sections 1.1, 1.2 inside. `university`: the size of the university's name, which many covers set
    larger than the title."""
    doc = pymupdf.open()
    width, size, lead, x0 = 595.0, 11.0, 15.0, 80.0
    state = {"page": doc.new_page(width=width, height=842), "y": 90.0}

    def text(line: str, fontsize: float = size, font: str = "tiro", centre: bool = False, after: float = lead) -> None:
        if state["y"] > 760:
            state["page"], state["y"] = doc.new_page(width=width, height=842), 90.0
        x = (width - pymupdf.get_text_length(line, fontname=font, fontsize=fontsize)) / 2 if centre else x0
        state["page"].insert_text((x, state["y"]), line, fontsize=fontsize, fontname=font)
        state["y"] += after

    def paragraph(n: int, offset: int = 0, first: str = "") -> None:
        for line in _wrap((first + " " + body(n, offset)).strip(), width - 2 * x0, size):
            text(line)
        state["y"] += 6

    def new_page() -> None:
        state["page"], state["y"] = doc.new_page(width=width, height=842), 90.0

    title = "Reading Theses with Layout-Aware Parsers"
    for line, fontsize, font, after in [
            ("UNIVERSITY OF TESTVILLE", university, "tibo", 22), ("School of Computing", 12, "tiro", 130),
            (title, 20, "tibo", 70), ("A thesis submitted in partial fulfilment of the requirements", 12, "tiro", 16),
            ("for the degree of Doctor of Philosophy", 12, "tiro", 60), ("by", 12, "tiro", 22),
            ("Jane Doe", 14, "tibo", 80), ("March 2021", 12, "tiro", 20)]:
        text(line, fontsize, font, centre=True, after=after)
    new_page()
    text("Abstract", 18, "tibo", after=28)
    paragraph(6, 0, "Theses are long documents with a layout of their own.")
    text("Keywords: document parsing; thesis layouts; table of contents", after=lead)
    new_page()
    text("Acknowledgements", 18, "tibo", after=28)
    paragraph(1, 0, "We thank our supervisors for their patience.")
    new_page()
    text("Contents", 18, "tibo", after=28)
    names = ["Introduction", "Background", "A Layout-Aware Reader", "Experiments", "Conclusion"]
    toc = [("1", names[0], 5), ("1.1", "Motivation", 5), ("2", names[1], 7), ("2.1", "Earlier Parsers", 7),
           ("3", names[2], 9), ("3.1", "Reading Chapters", 9), ("3.2", "Reading Covers", 10), ("4", names[3], 11),
           ("5", names[4], 13)]
    for number, name, page_no in toc:
        label = f"Chapter {number}  {name}" if "." not in number else f"      {number}  {name}"
        y = state["y"]
        text(label)
        state["page"].insert_text((width - x0 - 12, y), str(page_no), fontsize=size, fontname="tiro")
    sections = {"1": [("1.1", "Motivation")], "2": [("2.1", "Earlier Parsers")],
                "3": [("3.1", "Reading Chapters"), ("3.2", "Reading Covers")], "4": [], "5": []}
    figures: list[tuple[str, int]] = []
    for k, name in enumerate(names, start=1):
        new_page()
        if chapters in ("inline", "roman"):
            number = "I II III IV V".split()[k - 1] if chapters == "roman" else str(k)
            text(f"Chapter {number}  {name}", 20, "tibo", after=36)
        else:
            text(f"CHAPTER {k}", 16, "tibo", after=28)
            text(name.upper() if k != 3 else name, 22, "tibo", after=36)
        first = "We propose a reader that follows the layout of a thesis." if k == 3 else ""
        paragraph(8, k, first)
        for number, sub in sections[str(k)]:
            text(f"{number}  {sub}", 13, "tibo", after=20)
            paragraph(9, k + 1)
        if k == 3:
            if state["y"] + 210 > 760:  # the chart and its caption stay on one page
                new_page()
            rect = pymupdf.Rect(150, state["y"], 445, state["y"] + 160)
            vector_plot(state["page"], rect)
            state["y"] += 180
            text("Figure 3.1: Pages read per second against the length of a thesis.", 10, after=24)
            figures.append(("Figure 3.1", state["page"].number + 1))
            paragraph(4, 5)
    new_page()
    text("References", 18, "tibo", after=28)
    text("[1] A. Other, A cited work, J. Tests 1 (2020) 1-2.", 10)
    for p in doc:
        if p.number:
            p.insert_text((width / 2 - 4, 810), str(p.number + 1), fontsize=9, fontname="tiro")
    truth = Truth(title=title, authors=["Jane Doe"], abstract_start="Theses are long documents with a layout",
                  sections=[n if chapters != "stacked" or k == 3 else n.upper() for k, n in enumerate(names, start=1)],
                  method=names[2], conclusion=names[4] if chapters != "stacked" else names[4].upper(), figures=figures)
    return doc.tobytes(), truth


PAPERS["thesis-chapters"] = thesis_paper
PAPERS["thesis-stacked-chapters"] = lambda: thesis_paper(chapters="stacked")
PAPERS["thesis-roman-chapters"] = lambda: thesis_paper(chapters="roman")
PAPERS["thesis-university-over-title"] = lambda: thesis_paper(university=26)
