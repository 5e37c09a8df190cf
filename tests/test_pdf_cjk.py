"""Chinese papers (issue 9): CJK line joining, broken text layers, Chinese headings and their roles."""
from __future__ import annotations

import pymupdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatpaper.pdf import parse_pdf
from chatpaper.pdf.figures import extract_figures
from chatpaper.pdf.sections import heading_text
from chatpaper.pdf.text import _font_style, _is_caps, font_name, is_cjk, join_lines, shifted_latin, word_count
from chatpaper.settings import Settings
from tests.cjk_factory import cjk_pdf, journal_paper, zh_body


def parse(data: bytes, tmp_path):
    return parse_pdf(data, out_dir=tmp_path, settings=Settings())


def top(paper) -> list[tuple[str | None, str, str | None]]:
    return [(s.number, s.title, s.role) for s in paper.sections if s.level == 1]


# --------------------------------------------------------------------------- text

CJK_TEXT = st.text(alphabet=st.sampled_from("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成"
                                            "，。；：（）、“”"), min_size=1, max_size=12)
LATIN = st.text(alphabet=st.sampled_from("abcXYZ019-.("), min_size=1, max_size=8)
LINE = st.one_of(CJK_TEXT, LATIN, st.tuples(CJK_TEXT, LATIN).map("".join), st.tuples(LATIN, CJK_TEXT).map("".join))


@settings(max_examples=400, deadline=None)
@given(st.lists(LINE, min_size=2, max_size=8))
def test_joining_lines_never_puts_a_space_between_two_cjk_characters(lines):
    # the lines hold no spaces, so every space in the paragraph was put there by the join
    joined = join_lines(lines)
    for k in range(1, len(joined) - 1):
        if joined[k] == " ":
            assert not (is_cjk(joined[k - 1]) or is_cjk(joined[k + 1])), joined
    assert joined.replace(" ", "").replace("-", "") == "".join(lines).replace("-", "")


def test_cjk_lines_join_without_spaces_and_keep_full_width_punctuation():
    assert join_lines(["情绪分类方法研究是自然语言处理问题中的重", "要研究问题之一。然而，已有的"]) == \
        "情绪分类方法研究是自然语言处理问题中的重要研究问题之一。然而，已有的"
    assert join_lines(["提出了一种基于多通道LSTM", "神经网络的方法"]) == "提出了一种基于多通道LSTM神经网络的方法"
    assert join_lines(["English text and", "more words"]) == "English text and more words"


def test_the_line_end_hyphen_rule_does_not_apply_after_cjk():
    # a hyphen after a CJK character is printed punctuation, not a word broken at the line end
    assert join_lines(["采用了编码器-", "解码器结构"]) == "采用了编码器-解码器结构"


def test_two_cjk_characters_count_as_one_word():
    assert word_count("自然语言处理") == 3
    assert word_count("基于LSTM 的方法") == 4  # LSTM and three for five characters


def test_cjk_text_with_an_acronym_is_not_set_in_capitals():
    assert not _is_caps("随机欠采样+ 多通道LSTM 神经网络")
    assert _is_caps("INTRODUCTION")


def test_chinese_font_names_read_as_latin1_are_decoded_and_heiti_is_heavy():
    assert font_name("é»\x91ä½\x93") == "黑体"  # UTF-8 bytes read as Latin-1
    assert font_name("ºÚÌå") == "黑体"  # GBK bytes read as Latin-1
    assert _font_style("é»\x91ä½\x93")[0] and _font_style("SimHei")[0] and _font_style("FZHTK--GBK1-0")[0]
    assert not _font_style("å®\x8bä½\x93")[0]  # 宋体, the body face
    assert not _font_style("MicrosoftYaHei")[0]


def test_latin_shifted_into_a_cjk_block_is_mapped_back_only_for_latin_fonts():
    # a TeX font whose ToUnicode map adds U+8F00 to every code: "(1)" reads "輨輱輩"
    assert shifted_latin("輨輱輩", "CMR10") == "(1)"
    assert shifted_latin("轑轵轅轲轡", "CMR9") == "QuEra"
    assert shifted_latin("哈佛大学", "CMR10") is None  # not one block: real Chinese
    assert shifted_latin("輨輱輩", "SimSun") is None  # a CJK font's own characters
    assert shifted_latin("轤轩輋轥轲轥轮轴", "CMR9") == "different"  # OT1's ff ligature sits at code 0x0B


def test_heading_spacing_is_taken_out():
    assert heading_text("2 \u3000建\u3000\u3000模") == "2 建模"
    assert heading_text("2. 1 \u3000人体骨骼模型") == "2.1 人体骨骼模型"
    assert heading_text("参 考 文 献") == "参考文献"
    assert heading_text("1引言") == "1 引言"


def test_stray_space_and_hyphen_glyphs_are_repaired_with_a_warning(tmp_path):
    # some Chinese journals' text layers map the space to "摇" and the hyphen to "鄄"
    body = "我们使用了Adam摇optimizer和long鄄short摇term摇memory网络，在ImageNet摇2012上训练。"
    data = cjk_pdf([("title", "一种文本分类方法"), ("heading", "1 引言"), ("body", body * 3),
                    ("heading", "2 方法"), ("body", zh_body(4)), ("heading", "3 结论"), ("body", zh_body(2))])
    paper = parse(data, tmp_path)
    text = "".join(paper.page_texts)
    assert "摇" not in text and "Adam optimizer" in text and "long-short term memory" in text
    assert any("wrong glyphs" in w for w in paper.warnings)


def test_a_real_yao_is_left_alone(tmp_path):
    data = cjk_pdf([("title", "摇摆机器人的控制方法"), ("heading", "1 引言"), ("body", "摇摆运动是一种常见运动。" * 8)])
    paper = parse(data, tmp_path)
    assert "摇摆" in "".join(paper.page_texts) and not any("wrong glyphs" in w for w in paper.warnings)


# --------------------------------------------------------------------------- headings


def test_journal_headings_numbers_and_roles(tmp_path):
    paper = parse(cjk_pdf(journal_paper(), header="中文信息学报"), tmp_path)
    assert top(paper) == [("1", "引言", "introduction"), ("2", "相关工作", "related_work"),
                          ("3", "基于多通道注意力的分类方法", "method"), ("4", "实验", "experiments"),
                          ("5", "结束语", "conclusion")]
    subs = [(s.number, s.title, s.level) for s in paper.sections if s.level == 2]
    assert subs == [("3.1", "模型结构", 2), ("3.2", "训练过程", 2)]
    assert "参考文献" not in [s.title for s in paper.sections]  # the references end the body
    intro = paper.sections[0].text
    assert " " not in intro and intro.startswith("近年来，深度学习方法")


def _paper_with(headings: list[str]) -> bytes:
    items: list[tuple[str, str]] = [("title", "一种新的图像分割算法研究"), ("body", zh_body(2))]
    for k, h in enumerate(headings):
        items += [("heading", h), ("body", zh_body(4, k))]
    return cjk_pdf(items)


@pytest.mark.parametrize("forms, want", [
    (["第1章 绪论", "第2章 相关研究", "第3章 本文算法", "第4章 实验结果与分析", "第5章 总结与展望"],
     ["绪论", "相关研究", "本文算法", "实验结果与分析", "总结与展望"]),
    (["第一章 绪论", "第二章 图像分割模型", "第三章 实验", "第四章 结论"], ["绪论", "图像分割模型", "实验", "结论"]),
    (["一、引言", "二、研究方法", "三、实验分析", "四、结语"], ["引言", "研究方法", "实验分析", "结语"]),
    (["引　言", "算法设计", "实验设计", "结　论"], ["引言", "算法设计", "实验设计", "结论"]),
    (["0 引言", "1 相关工作", "2 算法设计", "3 实验", "4 总结"], ["引言", "相关工作", "算法设计", "实验", "总结"]),
])
def test_each_chinese_heading_form_gives_the_top_level_sections(tmp_path, forms, want):
    paper = parse(_paper_with(forms), tmp_path)
    assert [t for _, t, _ in top(paper)] == want
    roles = {t: r for _, t, r in top(paper)}
    assert roles[want[0]] == "introduction" and roles[want[-1]] == "conclusion"
    assert [r for r in roles.values()].count("method") == 1


def test_chinese_subsections_numbered_in_parentheses(tmp_path):
    items = [("title", "一种新的图像分割算法研究"), ("body", zh_body(2)),
             ("heading", "一、引言"), ("body", zh_body(3)),
             ("heading", "二、研究方法"), ("body", zh_body(2)),
             ("subheading", "（一）数据采集"), ("body", zh_body(2)),
             ("subheading", "（二）模型构建"), ("body", zh_body(2)),
             ("heading", "三、结论"), ("body", zh_body(2))]
    paper = parse(cjk_pdf(items), tmp_path)
    assert [(s.number, s.title, s.level) for s in paper.sections] == [
        ("1", "引言", 1), ("2", "研究方法", 1), ("2.1", "数据采集", 2), ("2.2", "模型构建", 2), ("3", "结论", 1)]


def test_a_table_of_contents_gives_no_sections(tmp_path):
    toc = [("body", f"第{k}章 {name}{'.' * 30}{k * 3}") for k, name in enumerate(["绪论", "方法", "实验", "结论"], 1)]
    items = [("title", "纳米材料实验研究"), ("heading", "目　录"), *toc, ("page", "")]
    for k, name in enumerate(["绪论", "实验原理", "实验过程与结果", "总结与展望"], 1):
        items += [("heading", f"第{k}章 {name}"), ("body", zh_body(5, k))]
    paper = parse(cjk_pdf(items), tmp_path)
    assert [t for _, t, _ in top(paper)] == ["绪论", "实验原理", "实验过程与结果", "总结与展望"]
    assert all(s.page == 2 for s in paper.sections)
    assert dict((t, r) for _, t, r in top(paper))["实验原理"] == "method"  # a principle is not the experiments


def test_a_review_has_no_method_section(tmp_path):
    items = [("title", "自动微分及其在物理模拟中的应用"),
             ("front", "摘要：本文将会回顾自动微分技术在物理模拟中的几种方法，并横向对比它们的优势和劣势。" + zh_body(2)),
             ("heading", "1 引言"), ("body", zh_body(4)), ("heading", "2 自动微分方法"), ("body", zh_body(4)),
             ("heading", "3 应用"), ("body", zh_body(4))]
    paper = parse(cjk_pdf(items), tmp_path)
    assert [t for _, t, _ in top(paper)] == ["引言", "自动微分方法", "应用"]
    assert paper.section("method") is None


# --------------------------------------------------------------------------- front matter and figures


def test_chinese_front_matter_keeps_the_printed_chinese_title_and_abstract(tmp_path):
    paper = parse(cjk_pdf(journal_paper(), header="中文信息学报"), tmp_path)
    assert paper.title == "基于多通道注意力的文本分类方法"
    # (the factory's centred Latin line loses its ends off the page: china-s measures Latin wider than it draws)
    assert "Classification Based on Multi-channel" in paper.title_en and "ZHANG" not in paper.title_en
    assert paper.authors == ["张三", "李四", "王小明"]  # superscript numbers and marks are not part of a name
    assert paper.abstract.startswith("文本分类是自然语言处理中的基础任务")  # the label 摘要 is not in it
    assert "关键词" not in paper.abstract and "中图分类号" not in paper.abstract
    assert paper.abstract_en.startswith("Text classification is a basic task")
    assert paper.keywords == ["文本分类", "注意力机制", "深度学习"]
    assert paper.abstract_page == 1 and paper.abstract_en_page == 1


def test_an_english_block_printed_at_the_end_keeps_its_page(tmp_path):
    """Some journals print the English title and abstract after the references: its page is the label's."""
    items = journal_paper()
    english = [item for item in items if item[0] == "title_en" or item[1].startswith("Abstract:")]
    chinese = [item for item in items if item not in english]
    paper = parse(cjk_pdf([*chinese, ("page", ""), ("page", ""), *english]), tmp_path)
    assert paper.abstract_en.startswith("Text classification is a basic task")
    assert paper.abstract_page == 1 and paper.abstract_en_page == paper.pages > 2  # the last page, its own


def test_an_english_abstract_label_set_apart_by_ideographic_spaces(tmp_path):
    # 计算机学报-style: "Abstract　　In ..." with neither a colon nor bold
    items = [(kind, "Abstract\u3000\u3000" + text.removeprefix("Abstract: ") if text.startswith("Abstract:") else text)
             for kind, text in journal_paper()]
    paper = parse(cjk_pdf(items), tmp_path)
    assert paper.abstract_en.startswith("Text classification is a basic task")
    assert paper.abstract.startswith("文本分类是自然语言处理中的基础任务")


def test_chinese_affiliation_lines_are_the_first_authors_affiliation(tmp_path):
    paper = parse(cjk_pdf(journal_paper()), tmp_path)
    first = paper.affiliations[0] if paper.affiliations else ""
    assert "某某大学" in first and "摘" not in first


@pytest.mark.parametrize("label, want", [("图1", "Figure 1"), ("图 2", "Figure 2"), ("图2.1", "Figure 2.1"),
                                         ("图1-2", "Figure 1-2")])
def test_chinese_figure_captions_keep_their_numbering(tmp_path, label, want):
    items = [("title", "一种新的图像分割算法研究"), ("heading", "1 引言"), ("body", zh_body(3)),
             ("figure", ""), ("caption", f"{label} 模型框架图"), ("body", zh_body(2)),
             ("caption", "表1 不同方法的分类准确率"), ("body", zh_body(2))]
    paper = parse(cjk_pdf(items), tmp_path)
    assert [f.label for f in paper.figures] == [want]  # the table is not a figure
    assert paper.figures[0].number == want.removeprefix("Figure ")  # as printed: "2.1", "1-2"
    assert "模型框架图" in paper.figures[0].caption


def test_a_thesis_cover_gives_title_author_and_department(tmp_path):
    items = [("title", "中 国 科 学 技 术 大 学"), ("title", "学 士 学 位 论 文"),
             ("body", "题  目        纳米低温手术过程实验研究"), ("body", "英文题目    Experimental Study on Nanocryosurgery"),
             ("body", "院  系        物理学院近代物理系"), ("body", "姓  名        薛兆江        学  号     PB12025015"),
             ("page", ""), ("heading", "中文内容摘要"), ("body", zh_body(4)), ("page", ""),
             ("heading", "第1章 绪论"), ("body", zh_body(5)), ("heading", "第2章 实验原理"), ("body", zh_body(5)),
             ("heading", "第3章 总结与展望"), ("body", zh_body(3))]
    paper = parse(cjk_pdf(items), tmp_path)
    assert paper.title == "纳米低温手术过程实验研究" and paper.title_en == "Experimental Study on Nanocryosurgery"
    assert paper.authors == ["薛兆江"] and paper.affiliations == ["中国科学技术大学 物理学院近代物理系"]
    assert paper.abstract.startswith(zh_body(1)[:10]) and paper.abstract_page == 2  # the page after the cover
    assert [t for _, t, _ in top(paper)] == ["绪论", "实验原理", "总结与展望"]


def test_a_caption_whose_digits_are_latin_shifted_into_a_cjk_block_is_read(tmp_path):
    """The label "图1:" set as 图 + "1:" in a Latin font with a broken ToUnicode map reads "图輱輺"."""
    items = [("title", "自动微分及其在物理模拟中的应用"), ("heading", "1 引言"), ("body", zh_body(3)),
             ("figure", ""), ("caption", "图1: 物理模拟程序中的(a)前向传播过程"), ("body", zh_body(2))]
    paper = parse(cjk_pdf(items, shifted_latin=True), tmp_path)
    assert [(f.label, f.page) for f in paper.figures] == [("Figure 1", 1)]
    assert paper.figures[0].caption.startswith("图1:") and "(a)前向传播" in paper.figures[0].caption


def test_shifted_latin_gets_its_word_spaces_back(tmp_path):
    """MuPDF puts no space between CJK characters, which shifted Latin reads as: the gaps between
    its words are the spaces (TeX sets no space glyph)."""
    items = [(kind, text.replace("Text classification is a basic task", "Automatic differentiation is a technology")
              if kind == "front" else text) for kind, text in journal_paper()]
    paper = parse(cjk_pdf(items, shifted_latin=True), tmp_path)
    assert paper.abstract_en.startswith("Automatic differentiation is a technology")
    assert "3.1 模型结构" in [f"{s.number} {s.title}" for s in paper.sections]  # numbers read back too


def test_an_ideographic_space_after_the_number_makes_a_caption_whatever_word_follows(tmp_path):
    # "在" would start a sentence citing the figure ("图6 在..."), but U+3000 is a caption's separator
    items = [("title", "单目视频的人体运动跟踪"), ("heading", "1 引言"), ("body", zh_body(3)),
             ("figure", ""), ("caption", "图6\u3000在透视投影模型下3个骨骼段的成像示意图"), ("body", zh_body(2))]
    paper = parse(cjk_pdf(items), tmp_path)
    assert [f.label for f in paper.figures] == ["Figure 6"]


def test_running_text_that_lists_figures_is_no_caption(tmp_path):
    # a paragraph opening with "图9,10 所示..." cites two figures: no Figure 9 on this page
    items = [("title", "单目视频的人体运动跟踪"), ("heading", "1 引言"),
             ("body", "图9,10 所示分别为室内和室外环境下跟踪的人体运动姿态。" + zh_body(2)),
             ("body", "图3、图4 给出了两种方法的对比。" + zh_body(1)),
             ("figure", ""), ("caption", "图1 跟踪结果"), ("body", zh_body(2))]
    paper = parse(cjk_pdf(items), tmp_path)
    assert [f.label for f in paper.figures] == ["Figure 1"]


@pytest.mark.parametrize("last_line, figure", [("如图7所示。", "wide"), ("总体流程如图7所示，共分为四个部分，如下。", "")])
def test_prose_written_one_block_per_line_stays_out_of_the_figure_below(tmp_path, last_line, figure):
    """Word processors and CAJ converters write a block per line (the page's text dict is split so):
    a full line of Chinese prose is body text, not a figure's label, and so is a paragraph's short last
    line right above the figure; the crop is the chart and its caption, up to no formula above."""
    # one full line of 45 ideographs, then the paragraph's last line, above a chart as wide as the text or not
    items = [("title", "单目视频的人体运动跟踪"), ("heading", "1 引言"), ("body", zh_body(2)), ("rule", ""),
             ("body", zh_body(2, 1)[:45] + last_line), ("figure", figure), ("caption", "图7\u3000身体段成像示意图"),
             ("body", zh_body(2))]
    with pymupdf.open("pdf", cjk_pdf(items)) as doc:
        data = doc[0].get_text("dict", flags=pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP)
        data["blocks"] = [{**block, "bbox": line["bbox"], "lines": [line]} for block in data["blocks"]
                          for line in block.get("lines", ())]
        figures = extract_figures(doc, tmp_path, page_dicts=[data])
        chart = min((d["rect"] for d in doc[0].get_drawings() if d["rect"].height > 100), key=lambda r: r.y0)
    assert [f.label for f in figures] == ["Figure 7"]
    assert figures[0].bbox[1] >= chart.y0 - 3  # no text line above the chart


def test_a_wrapped_raster_figure_that_touches_the_text_and_its_caption_is_found(tmp_path):
    """计算机辅助设计-style: a photo set beside the text, its box touching the column's line ends (less
    than a point) and reaching 2.5 points into its caption's line: still the figure, cropped as a raster."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((200, 60), "单目视频的人体运动跟踪", fontname="china-s", fontsize=18)
    y = 100.0
    for k in range(24):
        text = zh_body(2, k)[:20]  # every line as long as the column
        page.insert_text((60, y), text, fontname="china-s", fontsize=10.5)
        y += 16
    right = max(line["bbox"][2] for block in page.get_text("dict")["blocks"] for line in block["lines"]
                if line["bbox"][1] > 90)  # where the column's lines end
    photo = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 60, 90), False)
    photo.set_rect(photo.irect, (200, 180, 160))
    photo.set_rect(pymupdf.IRect(20, 10, 40, 80), (40, 40, 90))
    box = pymupdf.Rect(right - 0.5, 300, right + 100, 420)
    page.insert_image(box, pixmap=photo, keep_proportion=False)
    page.insert_text((box.x0 + 14, 420 - 2.5 + 9), "图5\u3000用于标定的图像", fontname="china-s", fontsize=9)
    paper = parse(doc.tobytes(), tmp_path)
    (figure,) = paper.figures
    assert figure.label == "Figure 5" and figure.kind == "raster"
    assert figure.bbox[1] <= box.y0 and figure.bbox[3] >= 420  # the photo and its caption
