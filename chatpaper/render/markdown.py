"""Digest -> the seed post's per-paper block, without its mistakes; and the same digest as the app's page.

Headings are localised for zh and en (others get English headings around their own-language
text); every point carries its [p. N] pages; figures are relative image links with captions; a
provenance line closes the block, and an extractive (offline) digest says so at the top.
"""
from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from chatpaper.chain.distinct import is_mark, not_distinct_notice
from chatpaper.chain.prompts import base_lang
from chatpaper.models import (
    ConclusionStage,
    Digest,
    DigestFigure,
    Header,
    MetadataStage,
    MethodsStage,
    Point,
    StageRecord,
    SummaryStage,
)

LABELS = {
    "en": {
        "authors": "Authors", "title": "Title", "affiliation": "Affiliation", "keywords": "Keywords",
        "urls": "Urls", "summary": "Summary", "takeaways": "Key Takeaways", "methods": "Methods",
        "conclusion": "Conclusion", "innovation": "Innovation point", "performance": "Performance",
        "workload": "Workload", "figures": "Figures from the paper", "none": "None",
        "not_found": "not found in the PDF", "figure": "Figure {n} (p. {page})",
        "failed": "This part could not be written: {error}", "pending": "Still being written…",
        "extractive": "Extractive digest, no LLM: every point is a sentence taken from the paper.",
        "provenance": "Provenance", "warnings": "Warnings", "cached": "from cache", "no_llm": "extractive, no LLM",
        "prompt": "prompt {version}", "tokens": "{n_in:,} tokens in, {n_out:,} out", "stage_failed": "failed",
        # The app's page: a section per stage, its numbered points, and the header's labels.
        "stage_metadata": "Title and keywords", "title_translated": "Title (translated)",
        "background": "Background", "past_methods": "Past methods and their problems",
        "proposed_method": "Proposed method", "task_performance": "Task and performance",
        "significance": "Significance", "links": "Links", "no_links": "none found", "comment": "Comment",
        "abstract": "Abstract", "skipped": "Skipped.", "stage_failed_note": "This stage failed.",
        "one_line": "In one line", "takeaway": "Key takeaway", "step": "Step",
        "caption_ocr": " (caption read by OCR from the image)",
    },
    "zh": {
        "authors": "作者", "title": "标题", "affiliation": "第一作者单位", "keywords": "关键词",
        "urls": "链接", "summary": "总结", "takeaways": "要点", "methods": "方法",
        "conclusion": "结论", "innovation": "创新点", "performance": "性能",
        "workload": "工作量", "figures": "点此查看论文截图", "none": "无",
        "not_found": "未能从 PDF 中识别", "figure": "图 {n}（第 {page} 页）",
        "failed": "这一部分未能生成：{error}", "pending": "正在生成…",
        "extractive": "抽取式摘要，未使用大语言模型（extractive, no LLM）：每个要点都是论文原文中的句子。",
        "provenance": "来源", "warnings": "警告", "cached": "来自缓存", "no_llm": "抽取式，未使用大语言模型",
        "prompt": "提示词版本 {version}", "tokens": "输入 {n_in:,} tokens，输出 {n_out:,} tokens", "stage_failed": "失败",
        "stage_metadata": "标题与关键词", "title_translated": "标题译名",
        "background": "研究背景", "past_methods": "过去的方法及其问题",
        "proposed_method": "本文方法", "task_performance": "任务与性能",
        "significance": "意义", "links": "链接", "no_links": "未找到", "comment": "备注",
        "abstract": "摘要", "skipped": "已跳过。", "stage_failed_note": "这一部分未能生成。",
        "one_line": "一句话总结", "takeaway": "要点", "step": "步骤",
        "caption_ocr": "（图注由 OCR 从图像中识别）",
    },
}


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(base_lang(lang), LABELS["en"])


def _text(text: str) -> str:
    """Model or paper text made safe inline: one line, no raw HTML, no image (a reader's viewer would
    fetch it from a host the paper chose); `!&#91;` shows as `![`."""
    return re.sub(r"\s+", " ", text).strip().replace("<", "&lt;").replace("![", "!&#91;")


def page_mark(pages: list[int]) -> str:
    """' [p. 3]', ' [p. 2, 5]': the pages a point rests on, the same mark in the file, the post and the app."""
    return f" [p. {', '.join(map(str, pages))}]" if pages else ""


VERIFIED_MARK = "✓"  # a quote of the point was found in the paper
UNVERIFIED_MARK = "⚠"  # no quote of the point was found: read it with care
MAX_QUOTE_CHARS = 300  # a quote is a sentence; a runaway one is cut for display


def evidence_mark(point: Point) -> str:
    return VERIFIED_MARK if point.verified else UNVERIFIED_MARK


def shown_quotes(point: Point) -> list[tuple[int, str]]:
    """(page, quote) of the point's found quotes, or of all its quotes when none was found."""
    found = [e for e in point.evidence if e.status != "unverified"] or point.evidence
    return [(e.page, e.quote if len(e.quote) <= MAX_QUOTE_CHARS else e.quote[:MAX_QUOTE_CHARS] + "…")
            for e in found[:2]]


def _point(point: Point) -> str:
    if is_mark(point.text):  # a field the model did not fill distinctly: a mark, never content
        return f"*{point.text}*"
    # the paper's words in italics after the point; "*" inside a quote must not end the italics
    quotes = " ".join(f"*“{_text(q).replace('*', '∗')}” (p. {page})*" for page, q in shown_quotes(point))
    return _text(point.text) + page_mark(point.pages) + f" {evidence_mark(point)}" + (f" — {quotes}" if quotes else "")


def verified_footer(digest: Digest) -> str:
    """"27 of 29 points verified against the paper", in the digest's language."""
    p = digest.provenance
    if not p.points:
        return ""
    if base_lang(digest.lang) == "zh":
        return (f"{p.points} 个要点中有 {p.points_verified} 个已与论文原文核对"
                f"（{p.points_verified} of {p.points} points verified against the paper）")
    return f"{p.points_verified} of {p.points} points verified against the paper"


def _record(digest: Digest, stage: str) -> StageRecord | None:
    return next((r for r in digest.provenance.stages if r.name == stage), None)


def _missing(digest: Digest, stage: str, lab: dict[str, str]) -> str:
    record = _record(digest, stage)
    if record is not None and record.error:
        return "*" + lab["failed"].format(error=_text(record.error)) + "*"
    return "*" + lab["pending"] + "*"


def _link(label: str, url: str | None) -> str:
    return f"[{label}]({url})" if url else label


def _urls(digest: Digest, lab: dict[str, str]) -> str:
    h = digest.header
    arxiv = None
    if h.arxiv_url:
        arxiv = "arXiv:" + _link(h.arxiv_url.rstrip("/").rsplit("/", 1)[-1], h.arxiv_url)
    elif h.pdf_url:
        arxiv = _link("PDF", h.pdf_url)
    code_name = "Github" if not h.code_url or "github.com" in h.code_url else "Code"
    # Never a bare "None" (issue 12): a link the PDF does not give is said to be not found, and an upload
    # with no arXiv link leaves the arXiv part out rather than print an empty value.
    code = f"{code_name}: " + (_link(h.code_url, h.code_url) if h.code_url else lab["not_found"])
    return ", ".join(p for p in [arxiv, code] if p)


# "Figure 3 | Architecture", "Fig. 2. Overview", "图 1：", "图2.1", "图A1": the label, with any number the
# parser reads (Figure.number), and whatever separates it from the text.
_CAPTION_LABEL = re.compile(r"^(?:fig(?:ure)?\.?|图)\s*[A-Z]?\d+(?:[.．\-－–]\d+)?[a-z]?\s*(?:[|:：.。—–\-]\s*)*",
                            re.I)
# A page number that the PDF's text glued after the caption's last sentence ("... on screen. 8").
_TRAILING_PAGE_NUMBER = re.compile(r"(?<=[.!?)。])\s+\d{1,4}$")


def caption_body(caption: str) -> str:
    """The caption's text without its label, the label's separator or a page number glued to its end."""
    text = _TRAILING_PAGE_NUMBER.sub("", _text(caption))
    return _CAPTION_LABEL.sub("", text).strip() or text


def figure_label(figure: DigestFigure, lang: str) -> str:
    """ "Figure 2 (p. 3)", "图 2（第 3 页）": the label in the output language, with its page."""
    if figure.number is None:
        return f"{_text(figure.label)} (p. {figure.page})"
    return labels(lang)["figure"].format(n=figure.number, page=figure.page)


def figure_caption(figure: DigestFigure, lang: str) -> str:
    """ "Figure 2 (p. 5): caption", "图 2（第 5 页）：caption": the file's and the app's gallery's, whole."""
    body = caption_body(figure.caption)
    if body and figure.caption_source == "ocr":  # not the text layer's words: said, so nobody quotes it as such
        body += labels(lang)["caption_ocr"]
    return f"{figure_label(figure, lang)}{_colon(lang)}{body}" if body else figure_label(figure, lang)


def _figures(digest: Digest, lab: dict[str, str]) -> list[str]:
    if not digest.figures:
        return []
    out = ["<details>", f"<summary>{lab['figures']}</summary>", ""]
    for f in digest.figures:
        name = figure_label(f, digest.lang)
        if f.image:
            alt = re.sub(r"[\[\]]", "", name)
            out.append(f"![{alt}]({f.image})")
        out += [f"*{figure_caption(f, digest.lang)}*", ""]
    out.append("</details>")
    return out


def provenance_line(digest: Digest, lab: dict[str, str] | None = None) -> str:
    lab = lab or labels(digest.lang)
    zh = base_lang(digest.lang) == "zh"
    p = digest.provenance
    # An extractive provider has no model worth naming: say what it is instead.
    who = f"{p.provider} — {lab['no_llm']}" if p.extractive else p.provider + (f" ({p.model})" if p.model else "")
    tokens_in = sum(r.input_tokens for r in p.stages)
    tokens_out = sum(r.output_tokens for r in p.stages)
    times = ", ".join(
        f"{r.name} {r.seconds:.1f} s" + (f" ({lab['cached']})" if r.status == "cached" else "")
        + (f" ({lab['stage_failed']})" if r.status == "failed" else "")
        for r in p.stages
    )
    warnings = len(p.warnings) + sum(len(r.warnings) for r in p.stages)
    if p.model_profile == "small":
        who += " — " + ("小模型配置" if zh else "small-model profile")
    parts = [who, lab["prompt"].format(version=p.prompt_version),
             lab["tokens"].format(n_in=tokens_in, n_out=tokens_out)]
    if times:
        parts.append(times)
    if warnings:
        parts.append(f"{warnings} 条警告" if zh else f"{warnings} warning" + ("s" if warnings > 1 else ""))
    return f"<sub>{lab['provenance']}{'：' if zh else ': '}" + " · ".join(parts) + "</sub>"


def _warnings(digest: Digest, lab: dict[str, str]) -> list[str]:
    items = [_text(w) for w in digest.provenance.warnings]
    items += [f"{r.name}: {_text(w)}" for r in digest.provenance.stages for w in r.warnings]
    if not items:
        return []
    return ["<details>", f"<summary>{lab['warnings']} ({len(items)})</summary>", "",
            *(f"- {w}" for w in items), "", "</details>"]


def _translation_only(title: str, translation: str) -> str:
    """The translation without a copy of the original title it may repeat ("Title（译名）" -> "译名")."""
    text = _text(translation)
    if text.lower().startswith(title.lower()):
        text = text[len(title):].strip()
        if text[:1] in "(（[" and text[-1:] in ")）]":
            text = text[1:-1].strip()
    return "" if text.lower() == title.lower() else text


def render_markdown(digest: Digest, *, heading_level: int = 2, include_abstract: bool = True) -> str:
    """The per-paper block of the seed post for one digest (complete or still in progress)."""
    lab = labels(digest.lang)
    h = digest.header
    zh = base_lang(digest.lang) == "zh"
    colon = "：" if zh else ": "
    out: list[str] = [f"{'#' * heading_level} {_text(h.title)}", ""]
    authors = ", ".join(_text(a) for a in h.authors) or lab["not_found"]
    out += [f"**{lab['authors']}{colon.strip()}** {authors}", ""]
    if include_abstract and h.abstract:
        out += [_text(h.abstract), ""]
    links = " ".join(x for x in [_link("PDF", h.pdf_url) if h.pdf_url else "",
                                 _link("arXiv", h.arxiv_url) if h.arxiv_url else "",
                                 _text(h.comment) if h.comment else ""] if x)
    if links:
        out += [links, ""]
    if digest.provenance.extractive:
        out += [f"> {lab['extractive']}", ""]
    if notice := not_distinct_notice(digest):
        out += [f"> {notice}", ""]

    s = digest.summary
    if s is not None:
        out += [f"**{lab['summary']}**", "", _point(s.one_line), "", f"**{lab['takeaways']}**", ""]
        out += [f"- {_point(p)}" for p in s.key_takeaways] + [""]

    title = _text(h.title)
    translation = _translation_only(title, digest.metadata.title_translation if digest.metadata else "")
    if translation:
        title += f" ({translation})"
    keywords = ", ".join(_text(k) for k in digest.metadata.keywords) if digest.metadata else _missing(
        digest, "metadata", lab)
    items: list[tuple[str, list[str]]] = [
        (f"{lab['title']}{colon}{title}", []),
        # Never a bare "None" for people or places: say where we looked.
        (f"{lab['authors']}{colon}{authors}", []),
        (f"{lab['affiliation']}{colon}" + (_text(h.affiliation) if h.affiliation else lab["not_found"]), []),
        (f"{lab['keywords']}{colon}{keywords}", []),
        (f"{lab['urls']}{colon}{_urls(digest, lab)}", []),
    ]
    if s is not None:
        points = [s.background, s.past_methods, s.proposed_method, s.performance]
        items.append((f"{lab['summary']}{colon}", [f"({i}){colon}{_point(p)}" for i, p in enumerate(points, 1)]))
    else:
        items.append((f"{lab['summary']}{colon}{_missing(digest, 'summary', lab)}", []))
    if digest.methods is not None:
        items.append((f"{lab['methods']}{colon}",
                      [f"({i}){colon}{_point(p)}" for i, p in enumerate(digest.methods.steps, 1)]))
    else:
        items.append((f"{lab['methods']}{colon}{_missing(digest, 'methods', lab)}", []))
    c = digest.conclusion
    if c is not None:
        sep = "；" if zh else "; "
        second = sep.join([f"{lab['innovation']}{colon}{_point(c.innovation)}",
                           f"{lab['performance']}{colon}{_point(c.performance)}",
                           f"{lab['workload']}{colon}{_point(c.workload)}"])
        items.append((f"{lab['conclusion']}{colon}", [f"(1){colon}{_point(c.significance)}", f"(2){colon}{second}"]))
    else:
        items.append((f"{lab['conclusion']}{colon}{_missing(digest, 'conclusion', lab)}", []))

    for n, (line, children) in enumerate(items, 1):
        out.append(f"{n}. {line.rstrip()}")
        out += [f"    - {child}" for child in children]
    out.append("")
    figures = _figures(digest, lab)
    if figures:
        out += [*figures, ""]
    out += _warnings(digest, lab)
    footer = verified_footer(digest)
    out += ["", *([f"<sub>{footer}</sub>", ""] if footer else []), provenance_line(digest, lab), ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- the app's page
#
# The app shows the digest as one Markdown block per stage (filled in as the stages finish), in the
# labels and page marks of the file above. Its text is escaped more strictly than the file's: on the
# page every character of a paper or a model shows as itself, never as emphasis, a link or HTML.

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")
_URL = re.compile(r"https?://[^\s<>\"'\]\[(){}|\\^`]+", re.IGNORECASE)


def _escape_plain(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def escape_md(text: str | None) -> str:
    """Paper or model text -> Markdown that shows exactly that text: no HTML, no emphasis, and links
    only for plain http(s) URLs (made explicit, so the renderer's autolinker never sees escapes)."""
    if not text:
        return ""
    flat = " ".join(text.split())  # one paragraph: a stray newline must not start a heading or list
    out, last = [], 0
    for match in _URL.finditer(flat):
        url = match.group().rstrip(".,;:!?")
        out.append(_escape_plain(flat[last:match.start()]))
        out.append(f"[{_escape_plain(url)}]({url})")
        last = match.start() + len(url)
    out.append(_escape_plain(flat[last:]))
    return "".join(out)


def safe_url(url: str | None) -> str | None:
    """Only http(s) links reach the page, with the characters that would end a Markdown link encoded."""
    if not url or not re.match(r"^https?://[^\s]+$", url.strip(), re.IGNORECASE):
        return None
    return url.strip().replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def page_point(point: Point | None) -> str:
    """The point, its page mark and its evidence mark (the app shows its quotes in the evidence panel)."""
    if point is None:
        return "—"
    if is_mark(point.text):  # not distinct in the model's reply: a mark, not content
        return f"*{escape_md(point.text)}*"
    return escape_md(point.text) + page_mark(point.pages) + f" {evidence_mark(point)}"


def _colon(lang: str) -> str:
    return "：" if base_lang(lang) == "zh" else ": "


def page_header(header: Header, lang: str) -> str:
    """Title, authors, affiliation and links: facts from arXiv or the PDF, never from a model."""
    lab, colon = labels(lang), _colon(lang).strip()
    lines = [f"## {escape_md(header.title)}"]
    if header.authors:
        lines.append(f"**{lab['authors']}{colon}** {escape_md(', '.join(header.authors))}")
    if header.affiliation:
        lines.append(f"**{lab['affiliation']}{colon}** {escape_md(header.affiliation)}")
    links = [
        f"[{name}]({url})"
        for name, raw in (("arXiv", header.arxiv_url), ("PDF", header.pdf_url), ("Code", header.code_url))
        if (url := safe_url(raw))
    ]
    lines.append(f"**{lab['links']}{colon}** " + (" · ".join(links) if links else lab["no_links"]))
    if header.comment:
        lines.append(f"**{lab['comment']}{colon}** {escape_md(header.comment)}")
    if header.abstract:
        lines.append(f"**{lab['abstract']}{colon}** {escape_md(header.abstract)}")
    return "\n\n".join(lines)


def page_stage_title(name: str, lang: str) -> str:
    """A section's title on the page, in the digest's language."""
    return labels(lang)["stage_metadata" if name == "metadata" else name]


def page_metadata(stage: MetadataStage, lang: str) -> str:
    lab, colon = labels(lang), _colon(lang).strip()
    return (f"### {page_stage_title('metadata', lang)}\n\n**{lab['title_translated']}{colon}** "
            f"{escape_md(stage.title_translation)}\n\n**{lab['keywords']}{colon}** {escape_md(', '.join(stage.keywords))}")


# Each point's field -> its label: the page's numbered items and the evidence panel name a point alike.
FIELD_LABELS = {
    ("summary", "one_line"): "one_line", ("summary", "key_takeaways"): "takeaway",
    ("summary", "background"): "background", ("summary", "past_methods"): "past_methods",
    ("summary", "proposed_method"): "proposed_method", ("summary", "performance"): "task_performance",
    ("methods", "steps"): "step", ("conclusion", "significance"): "significance",
    ("conclusion", "innovation"): "innovation", ("conclusion", "performance"): "performance",
    ("conclusion", "workload"): "workload",
}


def field_label(stage: str, name: str, lang: str) -> str:
    """The label of the point in STAGE's field NAME, in LANG ("Background", "研究背景")."""
    key = FIELD_LABELS.get((stage, name))
    return labels(lang)[key] if key else name.replace("_", " ").capitalize()


def _numbered(items: list[tuple[str, Point]], lang: str) -> list[str]:
    colon = _colon(lang).strip()
    return [f"**({i}) {label}{colon}** {page_point(point)}" for i, (label, point) in enumerate(items, 1)]


def page_summary(stage: SummaryStage, lang: str) -> str:
    lab = labels(lang)
    takeaways = "\n".join(f"- {page_point(p)}" for p in stage.key_takeaways)
    return "\n\n".join([
        f"### {page_stage_title('summary', lang)}\n\n{page_point(stage.one_line)}",
        f"**{lab['takeaways']}**\n\n{takeaways}",
        *_numbered([(field_label("summary", name, lang), getattr(stage, name))
                    for name in ("background", "past_methods", "proposed_method", "performance")], lang),
    ])


def page_methods(stage: MethodsStage, lang: str) -> str:
    steps = "\n".join(f"{i}. {page_point(p)}" for i, p in enumerate(stage.steps, 1))
    return f"### {page_stage_title('methods', lang)}\n\n{steps}"


def page_conclusion(stage: ConclusionStage, lang: str) -> str:
    return "\n\n".join([
        f"### {page_stage_title('conclusion', lang)}",
        *_numbered([(field_label("conclusion", name, lang), getattr(stage, name))
                    for name in ("significance", "innovation", "performance", "workload")], lang),
    ])


_PAGE_SECTIONS: dict[str, Callable[[Any, str], str]] = {
    "metadata": page_metadata, "summary": page_summary, "methods": page_methods, "conclusion": page_conclusion,
}


def last_record(digest: Digest, name: str) -> StageRecord | None:
    """The stage's latest record (a retried stage has several)."""
    return next((r for r in reversed(digest.provenance.stages) if r.name == name), None)


def page_stage(digest: Digest, name: str) -> str:
    """One section of the page: its content, a failure note, or a placeholder while it runs."""
    value = getattr(digest, name)
    if value is not None:
        return _PAGE_SECTIONS[name](value, digest.lang)
    lab, record = labels(digest.lang), last_record(digest, name)
    title = page_stage_title(name, digest.lang)
    if record and record.status == "failed":
        return f"### {title}\n\n⚠️ {escape_md(record.error or lab['stage_failed_note'])}"
    if record and record.status == "skipped":
        return f"### {title}\n\n*{lab['skipped']}*"
    return f"### {title}\n\n*⏳ {lab['pending']}*"
