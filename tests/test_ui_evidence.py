"""The evidence panel's handlers, at the library level: marks, quotes, bilingual pairs, crops per session."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pymupdf
import pytest
from gradio import utils as gradio_utils

from chatpaper import ui
from chatpaper.models import (
    Digest,
    Evidence,
    Header,
    MethodsStage,
    Paper,
    Point,
    Provenance,
    SourceInfo,
    SummaryStage,
)
from chatpaper.settings import Settings
from chatpaper.ui import evidence as ui_evidence

QUOTE = "Our whole process takes 1 minute on one GPU and trains nothing."
ZH_QUOTE = "整个过程只需要一分钟，不训练任何模型。"
HOSTILE = '<script>window.pwned=1</script> <img src=x onerror="window.pwned=2"> ${alert(1)} {{constructor}}'


@pytest.fixture
def pdf(tmp_path) -> Path:
    doc = pymupdf.open()
    doc.new_page().insert_textbox(pymupdf.Rect(50, 60, 545, 200), "Introduction. A first page of text.", fontsize=11)
    doc.new_page().insert_textbox(pymupdf.Rect(50, 300, 545, 400), f"{QUOTE} Nothing else is said.", fontsize=11)
    path = tmp_path / "paper.pdf"
    doc.save(path)
    return path


def point(text: str, *evidence: Evidence) -> Point:
    return Point(text=text, pages=sorted({e.page for e in evidence}) or [1], evidence=list(evidence))


def digest(lang: str = "en", one_line: Point | None = None) -> Digest:
    found = Evidence(page=2, quote=QUOTE, status="verified")
    summary = SummaryStage(
        one_line=one_line or point("The method takes a minute and trains nothing.", found),
        key_takeaways=[point("It is training-free.", found),
                       point("It needs 1 minute of training.", Evidence(page=2, quote="one minute of training"))],
        background=point("Background.", found), past_methods=point("Past.", found),
        proposed_method=point("Proposed.", found), performance=point("Performance.", found))
    methods = MethodsStage(steps=[point("Step one.", found), point("Step two.")])
    return Digest(source=SourceInfo(kind="pdf", sha256="ab" * 32), lang=lang, header=Header(title="A Paper"),
                  summary=summary, methods=methods,
                  provenance=Provenance(provider="fake", prompt_version="test", points=9, points_verified=7))


def paper(language: str = "en") -> Paper:
    return Paper(source=SourceInfo(kind="pdf", sha256="ab" * 32), title="A Paper", pages=2, language=language)


def source_of(d: Digest, pdf: Path, tmp_path: Path, language: str = "en") -> ui_evidence.EvidenceSource:
    return ui_evidence.evidence_source(d, paper(language), tmp_path / "run", pdf)


def served_path(html: str) -> list[Path]:
    return [Path(unquote(m)) for m in re.findall(r'src="gradio_api/file=([^"]+)"', html)]


@pytest.fixture(autouse=True)
def forget_sessions():
    yield
    for session in ("a", "b"):
        ui_evidence.SESSION_CROPS.forget(session)


def test_every_point_is_listed_with_its_mark_and_pages_closed_and_without_crops(pdf, tmp_path):
    source = source_of(digest(), pdf, tmp_path)
    html = ui_evidence.panel_html(source)
    assert html.count("<details") == len(source.points) == 9
    assert "7 of 9 points verified against the paper" in html
    assert '<summary><span class="cp-mark">✓</span> <b>In one line</b> (p. 2)' in html
    assert '<span class="cp-mark">⚠</span> <b>Key takeaway 2</b> (p. 2)' in html  # its quote is not printed
    assert '<span class="cp-mark">⚠</span> <b>Step 2</b> (p. 1)' in html  # no quote at all
    assert " open" not in html and "<img" not in html  # nothing is rendered before a point is opened


def test_the_sections_show_each_points_mark_as_the_markdown_does():
    text = ui.format_summary(digest().summary)
    assert "trains nothing\\. [p. 2] ✓" in text
    assert "1 minute of training\\. [p. 2] ⚠" in text


def test_opening_a_point_renders_its_highlighted_crop_for_that_session_only(pdf, tmp_path):
    source = source_of(digest(), pdf, tmp_path)
    ident = source.points[0].ident
    html = ui_evidence.open_point(source, ident, [], "a")
    assert f'data-point="{ident}" open data-shown="yes"' in html
    assert f"“{QUOTE}”" in html and "Found on the cited page, p. 2" in html
    [served] = served_path(html)
    assert served.is_file() and served.is_relative_to(Path(gradio_utils.get_upload_folder()).resolve())
    assert not served.is_relative_to(tmp_path)  # a copy: the paper's cached crop is never served
    cached = list((tmp_path / "run" / "evidence").glob("*.png"))
    assert len(cached) == 1 and cached[0].read_bytes() == served.read_bytes()
    # another session opening the same point gets its own copy, under another name
    [other] = served_path(ui_evidence.open_point(source, ident, [], "b"))
    assert other != served and other.is_file()
    assert len(list((tmp_path / "run" / "evidence").glob("*.png"))) == 1  # rendered once per paper
    # the session ends: its copies go, the other session's stay
    assert ui_evidence.SESSION_CROPS.forget("a") == 1
    assert not served.exists() and other.is_file()


def test_points_already_open_keep_their_crops_and_only_the_opened_one_is_rendered(pdf, tmp_path):
    source = source_of(digest(), pdf, tmp_path)
    first, second = source.points[0].ident, source.points[1].ident
    ui_evidence.open_point(source, first, [], "a")
    html = ui_evidence.open_point(source, second, [first], "a")
    assert html.count(" open") == 2 and len(served_path(html)) == 2
    # both points quote the same sentence: one crop, one copy for the session, shown twice
    assert len(set(served_path(html))) == 1
    # a point open in the page whose crop this session does not hold shows none (only the opened one renders)
    other = ui_evidence.open_point(source, "summary.key_takeaways.1", [first], "b")
    assert " open" in other and not served_path(other)


def test_an_unverified_quote_shows_why_and_no_crop(pdf, tmp_path):
    source = source_of(digest(), pdf, tmp_path)
    html = ui_evidence.open_point(source, "summary.key_takeaways.1", [], "a")
    assert "Not found in the paper: read this point with care" in html and not served_path(html)
    assert "quotes nothing from the paper" in ui_evidence.open_point(source, "methods.steps.1", [], "a")


def test_a_digest_in_another_language_shows_the_papers_sentence_beside_the_translated_point(pdf, tmp_path):
    zh = digest("zh", one_line=point("该方法只需一分钟，不训练模型。", Evidence(page=2, quote=QUOTE, status="verified")))
    html = ui_evidence.open_point(source_of(zh, pdf, tmp_path), "summary.one_line.0", [], "a")
    pair = re.search(r'<div class="cp-pair">(.*?)</div></div>', html).group(1)
    assert "中文" in pair and "该方法只需一分钟，不训练模型。" in pair
    assert "English (p. 2)" in pair and f"“{QUOTE}”" in pair
    assert "cp-pair" not in ui_evidence.open_point(source_of(digest(), pdf, tmp_path), "summary.one_line.0", [], "a")


def test_a_chinese_paper_digested_in_english_pairs_the_other_way(pdf, tmp_path):
    d = digest(one_line=point("It takes a minute.", Evidence(page=2, quote=ZH_QUOTE, status="verified")))
    html = ui_evidence.panel_html(source_of(d, pdf, tmp_path, language="zh"))
    assert '<div lang="zh"><small>中文 (p. 2)</small><br>“整个过程只需要一分钟，不训练任何模型。”' in html


def test_paper_and_model_text_is_escaped_in_the_panel(pdf, tmp_path):
    d = digest(one_line=point(f"Point {HOSTILE}", Evidence(page=2, quote=f"Quote {HOSTILE}", status="verified")))
    html = ui_evidence.open_point(source_of(d, pdf, tmp_path), "summary.one_line.0", [], "a")
    assert "<script" not in html and "<img src=x" not in html and "onerror=\"" not in html
    assert "${" not in html and "{{" not in html  # no template syntax reaches gr.HTML's template
    assert "&lt;script&gt;" in html and "&#36;&#123;alert(1)&#125;" in html


def test_a_pdf_gone_from_the_cache_is_one_sentence_not_an_error(pdf, tmp_path):
    source = source_of(digest(), pdf, tmp_path)
    pdf.unlink()
    html = ui_evidence.open_point(source, source.points[0].ident, [], "a")
    assert "no longer in the cache; summarize the paper again" in html and not served_path(html)


def test_a_session_holds_a_bounded_number_of_copies(pdf, tmp_path, monkeypatch):
    monkeypatch.setattr(ui_evidence, "MAX_SESSION_CROPS", 2)
    paths = []
    for k in range(3):
        crop = tmp_path / f"crop-{k}.png"
        crop.write_bytes(b"\x89PNG fake %d" % k)
        paths.append(Path(ui_evidence.SESSION_CROPS.serve("a", crop)))
    assert not paths[0].exists() and paths[1].is_file() and paths[2].is_file()


def test_the_summarize_handler_hands_the_finished_digest_to_the_panel(tmp_path):
    views = list(ui.run_summary("", ui.EXAMPLE_PDF, "en", "offline", "", "", "", settings=Settings(cache_dir=tmp_path)))
    final = views[-1]
    assert final.status.startswith("✅") and all(v.evidence is None for v in views[:-1])
    source = final.evidence
    assert source.pdf.is_file() and source.pdf.read_bytes() == ui.EXAMPLE_PDF.read_bytes()
    assert source.pdf.is_relative_to(tmp_path / "runs")  # in the paper's run folder, which is never served
    assert source.points and all(p.point.verified for p in source.points)  # offline: its own quotes
    assert source.footer == f"{len(source.points)} of {len(source.points)} points verified against the paper"
    html = ui_evidence.open_point(source, source.points[0].ident, [], "a")
    assert len(served_path(html)) == 1
