"""Digests -> one blog post of many papers, in the shape of the seed's daily post.

Pure text: no I/O and no clock. Everything in the post comes from its inputs, so the same digests
render to the same bytes (re-runs are idempotent). Figure paths are relative to the post file.
"""
from __future__ import annotations

import html
import json
import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chatpaper.chain.distinct import is_mark, not_distinct_notice
from chatpaper.models import Digest, Point
from chatpaper.render.markdown import (
    caption_body,
    evidence_mark,
    labels,
    page_mark,
    shown_quotes,
    verified_footer,
)

BlogEngine = Literal["hexo", "markdown"]
# The seed post shows 3 to 6 screenshots per paper: pick_figures takes up to the maximum, and a paper that
# prints fewer than the minimum shows what it has.
POST_MIN_FIGURES, POST_MAX_FIGURES = 3, 6


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PostFigure(_Model):
    src: str = Field(description="Image path relative to the post file")
    label: str
    caption: str = ""


class PostPaper(_Model):
    """One paper's block: its digest and its figures as the post links them."""

    digest: Digest
    figures: list[PostFigure] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list, description="What reading the PDF lost, told to the reader")


class PostFailure(_Model):
    """A paper that produced no block, listed at the end with its one-sentence reason."""

    title: str
    source: str = Field(description="arXiv ID or file name")
    reason: str


class PostMeta(_Model):
    topic: str
    date: datetime = Field(description="The run date (from the option or the feed), never now()")
    author: str = "ChatPaper"
    blog: BlogEngine = "hexo"
    lang: str = "zh"
    provider: str
    model: str | None = None
    extractive: bool = False
    tags: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=lambda: ["Paper"])


_TEXT = {
    "zh": {
        "notice": "> ⚠️ 以下所有内容总结都来自于 {who} 的能力，如有错误，仅供参考，谨慎使用",
        "notice_offline": "> ⚠️ 以下内容由 {who} 提供方生成，为抽取式摘要（extractive, no LLM）：句子直接摘自论文原文，"
                          "未经大语言模型改写，仅供参考",
        "notice_pages": "> 🔗 图片为论文原图，随本文一起保存；页码指向论文原文，请以原文为准",
        "updated": "# {date} 更新",
        "figures": "点此查看论文截图",
        "failed": "## 未能处理的论文",
        "missing": "（本阶段未能完成：{reason}）",
        "partial": "仅部分完成（{stages} 失败）：{error}",
        "pending": "*还有 {n} 篇论文正在处理……*",
        "no_summary": "（摘要未能生成）",
        "pdf": "论文 PDF",
        "abs": "arXiv 摘要页",
        "papers": "本期论文：",
    },
    "en": {
        "notice": "> ⚠️ Everything summarised below was written by {who}; it may contain mistakes, so check "
                  "the paper before relying on it",
        "notice_offline": "> ⚠️ The summaries below were made by the {who} provider and are extractive "
                          "(extractive, no LLM): sentences quoted from each paper, not written by a language model",
        "notice_pages": "> 🔗 The figures are the papers' own, saved beside this post; page numbers point "
                        "into each paper",
        "updated": "# Update on {date}",
        "figures": "Figures from the paper",
        "failed": "## Papers that could not be processed",
        "missing": "(this stage did not finish: {reason})",
        "partial": "only partly summarised ({stages} failed): {error}",
        "pending": "*{n} more papers in progress…*",
        "no_summary": "(no summary could be produced)",
        "pdf": "PDF",
        "abs": "arXiv abstract",
        "papers": "Papers: ",
    },
}

_HEXO_KEYS_AFTER_KEYWORDS = (
    ("toc", ""),
    ("toc_number", "false"),
    ("toc_style_simple", "true"),
    ("copyright", ""),
    ("copyright_author", ""),
    ("copyright_author_href", ""),
    ("copyright_url", ""),
    ("copyright_info", ""),
    ("mathjax", "true"),
    ("katex", ""),
    ("aplayer", ""),
    ("highlight_shrink", ""),
    ("aside", ""),
)
_PLAIN_YAML = re.compile(r"[A-Za-z0-9\u00C0-\uFFFF][\w\u00C0-\uFFFF .,()/+\-]*")
_YAML_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "~"}


def _text(lang: str) -> dict[str, str]:
    return _TEXT["zh" if lang.lower().startswith("zh") else "en"]


def partial_reason(lang: str, stages: list[str], error: str) -> str:
    """Why a paper that is in the post is also listed with the failures: the stages it lacks."""
    return _text(lang)["partial"].format(stages=", ".join(stages), error=error)


def yaml_scalar(value: str) -> str:
    """A one-line YAML scalar: plain when unambiguous, else double-quoted (JSON is valid YAML)."""
    value = " ".join(value.split())
    if not value:
        return ""
    plain = _PLAIN_YAML.fullmatch(value) and value.lower() not in _YAML_RESERVED and not value.endswith(" ")
    if plain and not re.fullmatch(r"[\d.\-+ ]+", value):
        return value
    return json.dumps(value, ensure_ascii=False)


def escape_text(text: str) -> str:
    """Text from a paper, a model, arXiv or a visitor, made inert in Markdown and HTML alike.

    `& < >` become entities, and `![` becomes `!&#91;` (a Markdown image would make every reader's
    browser fetch a URL the paper chose); both render as the characters themselves, on a Hexo blog,
    GitHub or the app. Only the markup the post writer adds itself stays markup.
    """
    return html.escape(text, quote=False).replace("![", "!&#91;")


def _one_line(text: str) -> str:
    return escape_text(" ".join(text.split()))


def who_wrote_it(meta: PostMeta) -> str:
    return _one_line(f"{meta.provider} ({meta.model})" if meta.model else meta.provider)


def front_matter(meta: PostMeta, papers: list[PostPaper]) -> str:
    """Hexo front matter with the seed's keys, or a plain Markdown title block."""
    titles = [_one_line(p.digest.header.title) for p in papers]
    cover = next((p.figures[0].src for p in papers if p.figures), "")  # the first paper's, else the next
    date = meta.date.strftime("%Y-%m-%d %H:%M:%S")
    if meta.blog == "markdown":  # the post's one H1; the date line below it is not a second one
        lines = [f"# {_one_line(meta.topic)}", "", f"*{date} · {_one_line(meta.author)}*", ""]
        if titles:
            lines += [_text(meta.lang)["papers"] + "; ".join(titles), ""]
        return "\n".join(lines)
    tags = [meta.topic] + [t for t in meta.tags if t != meta.topic]
    lines = [
        "---",
        f"title: {yaml_scalar(_one_line(meta.topic))}",
        f"date: {date}",
        f"author: {yaml_scalar(meta.author)}",
        f"cover: {yaml_scalar(cover)}".rstrip(),
        "categories: " + ", ".join(yaml_scalar(c) for c in meta.categories),
        "tags:",
        *[f"    - {yaml_scalar(_one_line(t))}" for t in tags],
        f"description: {yaml_scalar('; '.join(titles))}".rstrip(),
        f"keywords: {yaml_scalar(_one_line(meta.topic))}",
        *[f"{key}: {value}".rstrip() for key, value in _HEXO_KEYS_AFTER_KEYWORDS],
        "---",
        "",
    ]
    return "\n".join(lines)


def opening(meta: PostMeta) -> str:
    t = _text(meta.lang)
    # The notice names who wrote the post, an extractive provider too (it has no model worth naming).
    notice = (t["notice_offline"].format(who=meta.provider) if meta.extractive
              else t["notice"].format(who=who_wrote_it(meta)))
    updated = t["updated"].format(date=meta.date.strftime("%Y-%m-%d"))
    if meta.blog == "markdown":  # the title block holds the post's H1 ("# topic"): this one is a sub-heading
        updated = "#" + updated
    return "\n".join([notice, t["notice_pages"], "", updated, ""])


_REPORT_LINE = re.compile(r"^(?:\d+\. |    - )")


def numbered_report(digest: Digest) -> str:
    """The numbered report (Title ... Conclusion) as the digest renderer writes it, and only that.

    The renderer's other parts are the post's own (header, figures) or vary between runs (the
    provenance line's timings), which would break byte-identical re-runs.
    """
    from chatpaper.render.markdown import render_markdown  # noqa: PLC0415 - chain's renderer owns the report

    lines = render_markdown(digest).splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("1. ")), None)
    if start is None:
        return ""
    end = start
    while end < len(lines) and _REPORT_LINE.match(lines[end]):
        end += 1
    return "\n".join(lines[start:end])


def _point(point: Point) -> str:
    if is_mark(point.text):
        return f"*{point.text}*"
    pages = page_mark(point.pages)
    quotes = "<br>".join(f"“{_one_line(q)}” (p. {page})" for page, q in shown_quotes(point))
    # the quote collapsed, so the post stays readable; one line, so the list item stays whole
    details = (f" <details><summary>{evidence_mark(point)}</summary>{quotes}</details>" if quotes
               else f" {evidence_mark(point)}")
    return _one_line(point.text) + pages + details


def figures_block(figures: list[PostFigure], lang: str) -> str:
    if not figures:
        return ""
    lines = ["<details>", f"  <summary>{_text(lang)['figures']}</summary>"]
    for fig in figures[:POST_MAX_FIGURES]:
        # caption_body is Markdown-safe (its `<` is already `&lt;`): undone here, then escaped once for HTML.
        body = caption_body(fig.caption).replace("&lt;", "<").replace("!&#91;", "![") if fig.caption.strip() else ""
        caption = escape_text(f"{fig.label}: {body}" if body else fig.label)
        lines.append(f'<img src="{html.escape(fig.src)}" alt="{html.escape(fig.label)}" align="middle">')
        lines.append(f"<p><em>{caption}</em></p>")
    lines.append("</details>")
    return "\n".join(lines)


def links_line(header, source_name: str, lang: str) -> str:
    """The PDF link (to the PDF itself) and the abstract page's own link, in the post's language."""
    t = _text(lang)
    links = [f"[{t['pdf']}]({header.pdf_url})" if header.pdf_url else "",
             f"[{t['abs']}]({header.arxiv_url})" if header.arxiv_url else ""]
    colon = "：" if lang.lower().startswith("zh") else ": "
    line = " · ".join(x for x in links if x) or f"{t['pdf']}{colon}{_one_line(source_name)}"
    return line + (" " + _one_line(header.comment) if header.comment else "")


def paper_block(paper: PostPaper, lang: str) -> str:
    """`## title`, authors, abstract, PDF and abstract links + comment, Summary, Key Takeaways, report, figures."""
    t, lab = _text(lang), labels(lang)
    d, h = paper.digest, paper.digest.header
    colon = "：" if lang.lower().startswith("zh") else ":"
    authors = ", ".join(_one_line(a) for a in h.authors) if h.authors else lab["not_found"]  # the report's own words
    parts = [f"## {_one_line(h.title)}", "", f"**{lab['authors']}{colon}** {authors}", ""]
    if h.abstract.strip():
        parts += [_one_line(h.abstract), ""]
    parts += [links_line(h, d.source.filename or d.source.key, lang), ""]
    if paper.warnings:  # e.g. pages a repaired PDF lost: the digest below rests on the rest
        parts += [f"> ⚠️ {_one_line(w)}" for w in paper.warnings] + [""]
    if notice := not_distinct_notice(d):
        parts += [f"> {notice}", ""]
    # A label in bold and its text are separate paragraphs (Markdown would glue them into one line).
    if d.summary:
        parts += [f"**{lab['summary']}**", "", _point(d.summary.one_line), "", f"**{lab['takeaways']}**", ""]
        parts += [f"- {_point(p)}" for p in d.summary.key_takeaways]
        parts.append("")
    else:
        parts += [f"**{lab['summary']}**", "", t["no_summary"], ""]
    parts += [numbered_report(d), ""]
    block = figures_block(paper.figures, lang)
    if block:
        parts += [block, ""]
    if footer := verified_footer(d):
        parts += [f"<sub>{footer}</sub>", ""]
    return "\n".join(parts)


def failures_block(failures: list[PostFailure], lang: str) -> str:
    if not failures:
        return ""
    lines = [_text(lang)["failed"], ""]
    # The source in brackets only when it adds something ("broken.pdf (broken.pdf)" says it twice).
    lines += [f"- **{_one_line(f.title)}**" + (f" ({_one_line(f.source)})" if f.source != " ".join(f.title.split()) else "")
              + f": {_one_line(f.reason)}" for f in failures]
    return "\n".join(lines) + "\n"


def render_post(
    meta: PostMeta, papers: list[PostPaper], failures: list[PostFailure] | None = None, *, pending: int = 0
) -> str:
    """The whole post. `pending` > 0 adds an in-progress line (streaming); the final post has none."""
    sections = [front_matter(meta, papers), opening(meta)]
    sections += [paper_block(p, meta.lang) + "\n" for p in papers]
    if pending:
        sections.append(_text(meta.lang)["pending"].format(n=pending) + "\n")
    block = failures_block(failures or [], meta.lang)
    if block:
        sections.append(block)
    return "\n".join(sections).rstrip("\n") + "\n"
