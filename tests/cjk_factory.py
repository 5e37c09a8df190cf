"""Generated Chinese papers: PyMuPDF's built-in `china-s` font writes the CJK text line by line.

`cjk_pdf` lays out (kind, text) items top to bottom in one column and returns the PDF bytes; the
kinds set the size and position each layout element has in Chinese journals.
"""
from __future__ import annotations

import pymupdf

FONT = "china-s"
BODY = 10.5
SIZES = {"title": 18.0, "title_en": 14.0, "authors": 12.0, "affiliation": 9.0, "front": 9.0, "heading": 13.0,
         "subheading": 11.5, "body": BODY, "caption": 9.0}
CENTRED = {"title", "title_en", "authors", "affiliation", "caption"}
LEFT, RIGHT, TOP, BOTTOM = 60.0, 535.0, 70.0, 770.0

SENTENCES = [
    "近年来，深度学习方法在自然语言处理领域取得了显著进展，许多任务的性能得到了大幅提升。",
    "然而，现有方法大多依赖大规模标注数据，在数据稀缺的场景下效果明显下降。",
    "为了解决这一问题，研究者们提出了多种半监督学习和迁移学习的方法。",
    "实验结果表明，该方法在多个公开数据集上均优于对比方法，且训练时间更短。",
    "我们进一步分析了模型在不同参数设置下的表现，并讨论了其局限性。",
    "这些观察促使我们设计一种更简单、需要更少调参的训练过程。",
]


def zh_body(n: int, offset: int = 0) -> str:
    return "".join(SENTENCES[(offset + k) % len(SENTENCES)] for k in range(n))


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Lines of at most `width` points: a CJK glyph is one em wide, a Latin character about half."""
    lines, current, used = [], "", 0.0
    for ch in text:
        w = size if ord(ch) > 0x2e80 else 0.55 * size
        if used + w > width and current:
            lines.append(current)
            current, used = "", 0.0
        current += ch
        used += w
    if current:
        lines.append(current)
    return lines


# A ToUnicode map that reads each code c of a simple font as U+8F00 + c: how some Chinese TeX setups
# break their Latin fonts ("(1)" extracts as "輨輱輩")
SHIFTED_CMAP = b"""/CIDInit /ProcSet findresource begin 12 dict begin begincmap
/CMapName /Shifted def /CMapType 2 def
1 begincodespacerange <00> <FF> endcodespacerange
1 beginbfrange <21> <7E> <8F21> endbfrange
endcmap CMapName currentdict /CMap defineresource pop end end"""
LATIN_FONT = "Times-Roman"
SPACE = ""  # the "font" of a run of word spaces: moved over, not written


def _runs(line: str, shifted: bool) -> list[tuple[str, str]]:
    """(font, text) runs of a line: ASCII in the Latin font when `shifted`, all in FONT otherwise; a
    space between Latin words is a gap (font SPACE), as TeX sets no space glyphs."""
    if not shifted:
        return [(FONT, line)]
    runs: list[tuple[str, str]] = []
    for ch in line:
        font = (SPACE if ch == " " else LATIN_FONT) if ch.isascii() else FONT
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs


def cjk_pdf(items: list[tuple[str, str]], *, header: str | None = None, shifted_latin: bool = False) -> bytes:
    """A one-column PDF of (kind, text) items; `header`, if given, runs at the top of every page.

    `shifted_latin`: Latin letters, digits and ASCII punctuation are set in a Latin font whose
    ToUnicode map shifts them into a CJK block.
    """
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    y = TOP
    for kind, text in items:
        if kind == "page":
            page, y = doc.new_page(width=595, height=842), TOP
            continue
        if kind == "figure":  # a drawn chart of 140 pt ("wide": the text's width), its caption follows
            if y + 150 > BOTTOM:
                page, y = doc.new_page(width=595, height=842), TOP
            rect = pymupdf.Rect(LEFT, y, RIGHT, y + 140) if text == "wide" else pymupdf.Rect(200, y, 400, y + 140)
            page.draw_rect(rect, color=(0, 0, 0), width=0.8)
            for k in range(1, 8):
                page.draw_line((rect.x0 + 20 * k, rect.y1 - 10), (rect.x0 + 20 * k, rect.y1 - 10 - 13 * k),
                               color=(0.1, 0.2, 0.7), width=6)
            y += 150
            continue
        if kind == "rule":  # a formula's fraction bar: a short drawn line between text lines
            page.draw_line((LEFT + 100, y + 6), (LEFT + 160, y + 6), color=(0, 0, 0), width=0.6)
            y += 12
            continue
        size = SIZES[kind]
        gap_before = {"heading": 10, "subheading": 6, "title_en": 14, "front": 4}.get(kind, 2)
        y += gap_before
        for line in _wrap(text, size, RIGHT - LEFT):
            if y + size > BOTTOM:
                page, y = doc.new_page(width=595, height=842), TOP
            width = sum(pymupdf.get_text_length(run, fontname=font or LATIN_FONT, fontsize=size)
                        for font, run in _runs(line, shifted_latin))
            x = (LEFT + RIGHT - width) / 2 if kind in CENTRED else LEFT
            for font, run in _runs(line, shifted_latin):
                if font != SPACE:
                    page.insert_text((x, y + size), run, fontname=font, fontsize=size)
                x += pymupdf.get_text_length(run, fontname=font or LATIN_FONT, fontsize=size)
            y += size * 1.5
        y += {"heading": 4, "subheading": 2}.get(kind, 2)
    if shifted_latin:
        cmap = doc.get_new_xref()
        doc.update_object(cmap, "<<>>")
        doc.update_stream(cmap, SHIFTED_CMAP)
        for pg in doc:
            for xref, _, _, name, *_ in pg.get_fonts():
                if name == LATIN_FONT:
                    doc.xref_set_key(xref, "ToUnicode", f"{cmap} 0 R")
    if header:
        for number, pg in enumerate(doc, start=1):
            pg.insert_text((LEFT, 40), f"{header}  {number}", fontname=FONT, fontsize=8)
    data = doc.tobytes()
    doc.close()
    return data


def journal_paper() -> list[tuple[str, str]]:
    """A Chinese journal article with its English title block, as 中文信息学报-style journals print it."""
    return [
        ("front", "文章编号：1003-0077（2017）00-0000-00"),
        ("title", "基于多通道注意力的文本分类方法"),
        ("authors", "张三¹，李四¹²*，王小明²"),
        ("affiliation", "（1. 某某大学 计算机学院，北京 100084；2. 某某研究院，上海 200000）"),
        ("front", "摘　要：文本分类是自然语言处理中的基础任务。" + zh_body(3)),
        ("front", "关键词：文本分类；注意力机制；深度学习"),
        ("front", "中图分类号：TP391　　文献标志码：A"),
        ("title_en", "Text Classification Based on Multi-channel Attention"),
        ("affiliation", "ZHANG San, LI Si, WANG Xiaoming"),
        ("front", "Abstract: Text classification is a basic task of natural language processing. We propose a "
                  "multi-channel attention method and show that it outperforms strong baselines."),
        ("front", "Key words: text classification; attention; deep learning"),
        ("heading", "1 引言"),
        ("body", zh_body(6)),
        ("heading", "2 相关工作"),
        ("body", zh_body(5, 1)),
        ("heading", "3 基于多通道注意力的分类方法"),
        ("body", "本文提出一种多通道注意力方法。" + zh_body(4, 2)),
        ("subheading", "3.1 模型结构"),
        ("body", zh_body(4, 3)),
        ("figure", ""),
        ("caption", "图1 多通道注意力模型框架图"),
        ("subheading", "3.2 训练过程"),
        ("body", zh_body(3, 4)),
        ("heading", "4 实验"),
        ("body", zh_body(5, 5)),
        ("caption", "表1 不同方法的分类准确率"),
        ("body", zh_body(3, 1)),
        ("heading", "5 结束语"),
        ("body", zh_body(3, 2)),
        ("heading", "参考文献"),
        ("body", "[1] 张三. 文本分类综述[J]. 中文信息学报, 2016, 30(1): 1-10."),
    ]
