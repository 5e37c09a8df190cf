"""Digest -> the seed post's per-paper block (Markdown) and JSON, without the seed's mistakes."""
from __future__ import annotations

import json
import re

import pytest
from fake_llm import ScriptedProvider, canned_provider, canned_reply, sample_paper, stage_of

from chatpaper.chain import summarize
from chatpaper.errors import ProviderError
from chatpaper.models import Digest, DigestFigure
from chatpaper.render import load_json, render_json, render_markdown, write_digest


@pytest.fixture
def paper():
    return sample_paper(with_metadata=True)


def digest_for(paper, settings, lang="en", provider=None):
    return summarize(paper, provider=provider or canned_provider(lang), lang=lang, settings=settings, cache=False)


def test_english_block_has_every_numbered_item_in_the_seed_order(paper, settings):
    md = render_markdown(digest_for(paper, settings))
    items = re.findall(r"^(\d+)\. (\w[\w ]*?):", md, re.M)
    assert [name for _, name in items] == ["Title", "Authors", "Affiliation", "Keywords", "Urls", "Summary",
                                           "Methods", "Conclusion"]
    assert md.startswith("## ADADELTA: An Adaptive Learning Rate Method\n")
    assert "**Authors:** Matthew D. Zeiler" in md
    assert "**Key Takeaways**" in md and md.count("\n- ") >= 5
    for n in range(1, 5):
        assert f"    - ({n}): " in md  # Summary (1)-(4)
    assert "Innovation point: " in md and "Performance: " in md and "Workload: " in md
    assert "Urls: arXiv:[1212.5701v1](https://arxiv.org/abs/1212.5701v1), Github: not found in the PDF" in md
    assert "None" not in md


def test_chinese_block_is_localised_and_keeps_the_original_title(paper, settings):
    md = render_markdown(digest_for(paper, settings, lang="zh"))
    for heading in ("标题：", "作者：", "第一作者单位：", "关键词：", "链接：", "总结：", "方法：", "结论：", "创新点：",
                    "性能：", "工作量：", "点此查看论文截图"):
        assert heading in md, heading
    # The model's translation repeated the title before the translation: shown once, not twice.
    assert "标题：ADADELTA: An Adaptive Learning Rate Method (本文标题的中文译名)" in md


@pytest.mark.parametrize("translation, shown", [
    ("ADADELTA：一种自适应学习率方法", " (ADADELTA：一种自适应学习率方法)"),
    ("ADADELTA: An Adaptive Learning Rate Method", ""),  # no translation: nothing added
    ("ADADELTA: An Adaptive Learning Rate Method (一种自适应学习率方法)", " (一种自适应学习率方法)"),
])
def test_title_translation_is_shown_once_beside_the_original(paper, settings, translation, shown):
    digest = digest_for(paper, settings, lang="zh")
    digest = digest.model_copy(update={"metadata": digest.metadata.model_copy(
        update={"title_translation": translation})})
    assert "1. 标题：ADADELTA: An Adaptive Learning Rate Method" + shown + "\n" in render_markdown(digest)


def test_every_point_shows_its_pages(paper, settings):
    md = render_markdown(digest_for(paper, settings))
    point_lines = [line for line in md.splitlines() if re.match(r"\s+- \(\d\)", line)]
    assert point_lines and all("[p. 1]" in line for line in point_lines)


def test_figures_are_relative_links_with_captions(paper, settings):
    md = render_markdown(digest_for(paper, settings))
    assert "![Figure 2 (p. 3)](figures/p3-figure-2.png)" in md
    assert "*Figure 2 (p. 3): Overview of the ADADELTA update.*" in md  # "Fig. 2." not repeated
    assert "<details>" in md and "</details>" in md


def test_provenance_line_names_provider_model_prompt_and_tokens(paper, settings):
    md = render_markdown(digest_for(paper, settings))
    line = next(line for line in md.splitlines() if line.startswith("<sub>Provenance:"))
    assert "scripted (scripted-1)" in line and "prompt " in line and "tokens in" in line
    assert "methods" in line


def test_missing_authors_say_not_found_in_the_pdf_never_a_bare_none(settings):
    paper = sample_paper().model_copy(update={"authors": [], "affiliations": []})
    md = render_markdown(digest_for(paper, settings))
    assert "**Authors:** not found in the PDF" in md
    assert "2. Authors: not found in the PDF" in md and "3. Affiliation: not found in the PDF" in md
    assert "Github: not found in the PDF" in md and "None" not in md  # never a bare "None" (issue 12)
    for bad in ("Authors: None", "Affiliation: None", "no authors listed", "Not provided", "None provided"):
        assert bad not in md
    zh = render_markdown(digest_for(paper, settings, lang="zh"))
    assert "作者：未能从 PDF 中识别" in zh and "第一作者单位：未能从 PDF 中识别" in zh
    assert "作者：无" not in zh and "单位：无" not in zh


@pytest.mark.parametrize("caption, body", [
    ("Figure 1 | Multimodal understanding results.", "Multimodal understanding results."),
    ("Fig. 2. Overview of the model.", "Overview of the model."),
    ("Figure 3: Architecture. Best viewed on screen. 8", "Architecture. Best viewed on screen."),
    ("Figure 4 — Results on ImageNet.", "Results on ImageNet."),
    ("图 5：方法概览。", "方法概览。"),
    ("Hinge loss.", "Hinge loss."),
    ("Figure 6: Accuracy over 50 epochs", "Accuracy over 50 epochs"),  # a number inside the text stays
    ("图2.1：模型框架图", "模型框架图"),  # chapter-numbered, as the parser keeps them
    ("图1-2 各模块的输出", "各模块的输出"),
    ("图A1 附录中的图", "附录中的图"),
])
def test_caption_body_strips_the_label_its_separator_and_a_glued_page_number(caption, body):
    from chatpaper.render.markdown import caption_body
    assert caption_body(caption) == body


def test_figure_captions_have_no_stray_separator_and_zh_labels_are_localised(paper, settings):
    digest = digest_for(paper, settings)
    figure = digest.figures[0].model_copy(update={"caption": f"{digest.figures[0].label} | Pipeline. 3"})
    digest = digest.model_copy(update={"figures": [figure]})
    md = render_markdown(digest)
    assert f"*{figure.label} (p. {figure.page}): Pipeline.*" in md
    zh = render_markdown(digest.model_copy(update={"lang": "zh"}))
    number = figure.label.split()[-1]
    assert f"*图 {number}（第 {figure.page} 页）：Pipeline.*" in zh


def test_a_chapter_numbered_figure_keeps_its_whole_number_in_every_language(paper, settings):
    digest = digest_for(paper, settings)
    figure = DigestFigure(label="Figure 2.1", page=3, caption="图2.1：模型框架图", image="figures/p3-figure-2.1.png")
    assert figure.number == "2.1"
    digest = digest.model_copy(update={"figures": [figure]})
    assert "*Figure 2.1 (p. 3): 模型框架图*" in render_markdown(digest)
    assert "*图 2.1（第 3 页）：模型框架图*" in render_markdown(digest.model_copy(update={"lang": "zh"}))


def test_a_caption_read_by_ocr_says_so_in_every_language(paper, settings):
    digest = digest_for(paper, settings)
    figure = DigestFigure(label="Figure 1", page=4, caption="图1 骨架模型", image="figures/p4-figure-1.png",
                          caption_source="ocr")
    digest = digest.model_copy(update={"figures": [figure]})
    assert "*Figure 1 (p. 4): 骨架模型 (caption read by OCR from the image)*" in render_markdown(digest)
    assert "*图 1（第 4 页）：骨架模型（图注由 OCR 从图像中识别）*" in render_markdown(digest.model_copy(update={"lang": "zh"}))
    text = figure.model_copy(update={"caption_source": "text"})
    assert "OCR" not in render_markdown(digest.model_copy(update={"figures": [text]}))


def test_offline_provenance_names_the_provider_once_and_counts_warnings_in_the_language(paper, settings):
    digest = digest_for(paper, settings)
    provenance = digest.provenance.model_copy(update={
        "provider": "offline", "model": "extractive", "extractive": True, "warnings": ["a", "b"]})
    en = render_markdown(digest.model_copy(update={"provenance": provenance}))
    line = next(line for line in en.splitlines() if line.startswith("<sub>Provenance"))
    assert "offline — extractive, no LLM ·" in line and "(extractive)" not in line and "2 warnings" in line
    zh = render_markdown(digest.model_copy(update={"provenance": provenance, "lang": "zh"}))
    line = next(line for line in zh.splitlines() if line.startswith("<sub>来源"))
    assert line.startswith("<sub>来源：offline — 抽取式") and "2 条警告" in line
    assert "提示词版本" in line and re.search(r"输入 [\d,]+ tokens，输出 [\d,]+ tokens", line)
    assert "tokens in" not in line


def test_a_failed_stage_is_explained_and_the_rest_rendered(paper, settings):
    def reply(request):
        if stage_of(request) == "methods":
            raise ProviderError("The OpenAI endpoint refused the key; check OPENAI_API_KEY.")
        return canned_reply(request)

    md = render_markdown(digest_for(paper, settings, provider=ScriptedProvider(reply)))
    assert "Methods: *This part could not be written: The OpenAI endpoint refused the key" in md
    assert "Conclusion:" in md and "(1): The work removes a tuning step" in md
    assert "(failed)" in md


def test_a_digest_in_progress_renders_with_pending_parts(paper, settings):
    from chatpaper.chain import iter_digest

    _, header_only = next(iter(iter_digest(paper, provider=canned_provider("en"), lang="en", settings=settings,
                                           cache=False)))
    md = render_markdown(header_only)
    assert "## ADADELTA" in md and "Still being written" in md


def test_offline_digests_are_labelled_extractive(paper, settings):
    digest = digest_for(paper, settings)
    digest = digest.model_copy(update={"provenance": digest.provenance.model_copy(
        update={"provider": "offline", "model": None, "extractive": True})})
    md = render_markdown(digest)
    assert "extractive, no llm" in md.lower()
    zh = render_markdown(digest.model_copy(update={"lang": "zh"}))
    assert "extractive, no LLM" in zh and "抽取式" in zh


def test_model_text_cannot_inject_html(paper, settings):
    digest = digest_for(paper, settings)
    steps = digest.methods.model_copy(deep=True)
    steps.steps[0].text = "<script>alert(1)</script> step"
    md = render_markdown(digest.model_copy(update={"methods": steps}))
    assert "<script>" not in md and "&lt;script>" in md


def test_json_round_trips_with_unicode_kept(paper, settings):
    digest = digest_for(paper, settings, lang="zh")
    text = render_json(digest)
    assert "本文" in text  # not \\u-escaped
    assert load_json(text) == digest
    assert json.loads(text)["provenance"]["prompt_version"] == digest.provenance.prompt_version


def test_write_digest_writes_both_files_and_drops_links_to_missing_figures(paper, settings, tmp_path):
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "p3-figure-2.png").write_bytes(b"\x89PNG\r\n\x1a\n")  # figure 1's PNG is absent
    digest = digest_for(paper, settings)
    paths = write_digest(digest, out)
    assert [p.name for p in paths] == ["digest.md", "digest.json"]
    md = paths[0].read_text(encoding="utf-8")
    assert "](figures/p3-figure-2.png)" in md
    assert "](figures/p4-figure-1.png)" not in md and "Comparison of learning rate methods" in md
    assert Digest.model_validate_json(paths[1].read_text(encoding="utf-8")).figures[1].image == \
        "figures/p4-figure-1.png"  # the JSON keeps the truth


def test_points_carry_their_mark_and_quote_and_the_footer_counts_them(paper, settings):
    from chatpaper.models import Evidence, Point
    from chatpaper.render.post import _point as post_point

    digest = digest_for(paper, settings)
    quote = "Setting the learning rate by hand is tedious and error <prone>"
    verified = Point(text="Tuning by hand is costly.", pages=[1],
                     evidence=[Evidence(page=1, quote=quote, status="verified")])
    unverified = Point(text="It trains for 1 minute.", pages=[2],
                       evidence=[Evidence(page=2, quote="invented", status="unverified")])
    summary = digest.summary.model_copy(update={"one_line": verified, "background": unverified})
    provenance = digest.provenance.model_copy(update={"points": 29, "points_verified": 27})
    md = render_markdown(digest.model_copy(update={"summary": summary, "provenance": provenance}))
    assert ("Tuning by hand is costly. [p. 1] ✓ — "
            "*“Setting the learning rate by hand is tedious and error &lt;prone>” (p. 1)*") in md
    assert "It trains for 1 minute. [p. 2] ⚠" in md
    assert "<sub>27 of 29 points verified against the paper</sub>" in md
    post = post_point(verified)
    assert ("<details><summary>✓</summary>"
            "“Setting the learning rate by hand is tedious and error &lt;prone&gt;” (p. 1)</details>") in post
    zh = render_markdown(digest.model_copy(update={"summary": summary, "provenance": provenance, "lang": "zh"}))
    assert "29 个要点中有 27 个已与论文原文核对" in zh
