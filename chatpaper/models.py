"""Typed data passed between the stages: source -> paper -> digest.

No I/O here. `Paper` serialises to the `paper.json` contract of ../shared/corpus/README.md
(extra keys are allowed by the contract; the scorer reads only the ones it knows).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

PageNo = int  # 1-based everywhere


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- source


class ArxivMetadata(_Model):
    """What arXiv says about a paper: the source of truth for title, authors and abstract."""

    arxiv_id: str = Field(description="Bare ID without version, e.g. 2405.15619 or hep-th/9901001")
    version: int | None = Field(None, description="Version number (the 2 of v2)")
    title: str
    authors: list[str] = Field(default_factory=list)
    abstract: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    categories: list[str] = Field(default_factory=list)
    primary_category: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    pdf_url: str | None = None
    abs_url: str | None = None

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}" if self.version else self.arxiv_id


class SourceInfo(_Model):
    """Where the paper came from; the identity used by every cache key."""

    kind: Literal["pdf", "arxiv"]
    arxiv_id: str | None = None
    version: int | None = None
    sha256: str | None = Field(None, description="sha256 of the PDF bytes")
    filename: str | None = None

    @property
    def key(self) -> str:
        """Stable identity: arXiv ID and version, else the PDF's sha256."""
        if self.arxiv_id:
            return f"arxiv:{self.arxiv_id}v{self.version or 0}"
        return f"sha256:{self.sha256}"


# --------------------------------------------------------------------------- paper


# What a section is for in the paper: the parser's whole vocabulary (chatpaper.pdf.sections), and the
# only roles a consumer may ask for. A Literal, so that mypy rejects a role the parser never produces.
SectionRole = Literal[
    "introduction", "motivation", "related_work", "preliminaries", "method", "experiments", "discussion",
    "limitations", "conclusion", "statement", "appendix", "references", "acknowledgments", "administrative",
]
SECTION_ROLES: tuple[SectionRole, ...] = get_args(SectionRole)
# Back matter that is not the paper's body: the parser leaves these sections out of Paper.sections.
OUTSIDE_BODY_ROLES: tuple[SectionRole, ...] = ("references", "acknowledgments", "administrative")


class Paragraph(_Model):
    """One paragraph of a section, with the page it starts on."""

    text: str
    page: PageNo


class Section(_Model):
    title: str = Field(description="Heading text without its number")
    number: str | None = Field(None, description='"3", "3.1", "IV", "A" or None when unnumbered')
    level: int = Field(1, description="1 for top-level")
    page: PageNo
    role: SectionRole | None = Field(
        None, description="method, conclusion, introduction, related_work, experiments, appendix ... (SectionRole)"
    )
    text: str = Field("", description="Clean body text of this section (not of its subsections), a paragraph a line")
    # Pages only, not the paragraphs again: `text` stays the one copy of the words (paper.json would double).
    paragraph_pages: list[PageNo] = Field(
        default_factory=list, description="The page each paragraph of `text` starts on; empty in paper.json "
        "written before the parser kept them")

    @model_validator(mode="after")
    def _one_page_per_paragraph(self) -> Section:
        if self.paragraph_pages and len(self.paragraph_pages) != len(self._texts()):
            raise ValueError(f"paragraph_pages has {len(self.paragraph_pages)} pages for {len(self._texts())} "
                             "paragraphs of the text")
        return self

    def _texts(self) -> list[str]:
        return [p for p in self.text.split("\n") if p.strip()]

    @property
    def paragraphs(self) -> list[Paragraph]:
        """The text's paragraphs with their pages; without paragraph_pages (an older paper.json, a hand-made
        Section, a copy whose text was replaced) all on the section's first page."""
        texts = self._texts()
        pages = self.paragraph_pages if len(self.paragraph_pages) == len(texts) else [self.page] * len(texts)
        return [Paragraph(text=t, page=p) for t, p in zip(texts, pages, strict=True)]


def figure_number_key(number: str | None) -> tuple[int, ...]:
    """Sort key of a figure number: "2.10" after "2.9"; an appendix's "A1" or "S1" after the body's
    figures; no number last."""
    return tuple(_number_part_key(p) for p in re.split(r"[.\-]", number or "") if p) or (_NO_NUMBER,)


def _number_part_key(part: str) -> int:
    if part.isdigit():
        return int(part)
    if part[1:].isdigit() or len(part) == 1:
        return _LETTERED + ord(part[0].upper()) * 100 + int(part[1:] or 0)
    return _NO_NUMBER


_LETTERED = 1000  # above any body figure's number (at most 999, as the parser reads them)
_NO_NUMBER = 100_000  # above any lettered number ("Z99" is 1000 + 90 * 100 + 99)


def _number_from_label(data: object) -> object:
    """Figures written before `number` existed: the parser's label is always "Figure " + the number."""
    if isinstance(data, dict) and data.get("number") is None and str(data.get("label", "")).startswith("Figure "):
        return {**data, "number": data["label"].removeprefix("Figure ").strip() or None}
    return data


class Figure(_Model):
    label: str = Field(description='Normalised "Figure N"')
    number: str | None = Field(None, description='The number printed in the label: "3", "2.1", "S1", "A1"')
    page: PageNo
    caption: str
    bbox: tuple[float, float, float, float] = Field(description="Crop box in PDF points, caption included")
    image: str | None = Field(None, description="PNG path relative to the paper's output folder")
    kind: Literal["raster", "vector", "mixed"] = "vector"
    caption_source: Literal["text", "ocr"] = Field(
        "text", description='"ocr": the caption is printed inside the image and was read by OCR, not from the text layer')

    @model_validator(mode="before")
    @classmethod
    def _legacy_number(cls, data: object) -> object:
        return _number_from_label(data)


class Paper(_Model):
    """A parsed paper. Serialises to paper.json."""

    source: SourceInfo
    title: str
    authors: list[str] = Field(default_factory=list)
    affiliations: list[str] = Field(default_factory=list, description="First author's first")
    abstract: str = ""
    language: str = Field("en", description='Main language of the paper: "zh" (or "ja", "ko") for CJK papers, else "en"')
    title_en: str = Field("", description="A CJK paper's printed English title, when it has one (title is the main one)")
    abstract_en: str = Field("", description="A CJK paper's printed English abstract, when it has one")
    abstract_page: PageNo = Field(1, description="The page the abstract starts on")
    abstract_en_page: PageNo | None = Field(None, description="The page the English abstract starts on")
    keywords: list[str] = Field(default_factory=list, description="Keywords as printed (关键词, Keywords, Index Terms)")
    pages: int
    sections: list[Section] = Field(default_factory=list)
    figures: list[Figure] = Field(default_factory=list)
    code_urls: list[str] = Field(default_factory=list)
    metadata: ArxivMetadata | None = None
    arxiv_stamp: str | None = Field(
        None, description="arXiv ID the PDF gives itself (its margin stamp, else an arXiv link in its abstract): "
        "links for uploaded arXiv papers"
    )
    page_texts: list[str] = Field(
        default_factory=list, description="Clean text per page (index 0 = page 1), for evidence checks"
    )
    warnings: list[str] = Field(default_factory=list)
    parser: dict[str, str] = Field(default_factory=dict, description="Parser and library versions")

    def section(self, role: SectionRole) -> Section | None:
        return next((s for s in self.sections if s.role == role and s.level == 1), None)

    def section_tree(self, top: Section) -> list[Section]:
        """`top` and the subsections that follow it, up to the next section of its level."""
        i = self.sections.index(top)
        out = [top]
        for s in self.sections[i + 1 :]:
            if s.level <= top.level:
                break
            out.append(s)
        return out


# --------------------------------------------------------------------------- digest


QUOTE_MAX_CHARS = 400
EvidenceStatus = Literal["verified", "relocated", "unverified"]
Box = tuple[float, float, float, float]


class Evidence(_Model):
    """A verbatim quote a point rests on, checked against the paper (chatpaper.evidence).

    `status` and `boxes` are never the model's to say: they are left out of the JSON schema the
    LLM sees, and the verifier sets them.
    """

    page: PageNo = Field(description="The 1-based page the quote is printed on")
    # maxLength (schema only, for constrained decoders): a small model's quote can otherwise run on
    # until the output limit and leave no JSON at all. 40 long words are ~320 characters.
    quote: str = Field(description="Verbatim text from the paper, in its language: a sentence or clause, "
                                   "at most about 40 words", json_schema_extra={"maxLength": QUOTE_MAX_CHARS})
    status: SkipJsonSchema[EvidenceStatus] = Field(
        "unverified", description="verified: on its page; relocated: found on another page (page corrected); "
                                  "unverified: not found in the paper")
    boxes: SkipJsonSchema[list[Box]] = Field(
        default_factory=list, description="The quote's rectangles on its page, in PDF points (x0, y0, x1, y1)")


class Point(_Model):
    """One statement of the digest, the pages of the paper it rests on and the quotes that show it."""

    text: str
    pages: list[PageNo] = Field(default_factory=list)
    # One or two quotes: a constrained decoder (llama.cpp's grammar, Gemini's schema) is held to that by
    # minItems/maxItems; validation stays lenient, so a reply with none or three is kept and checked.
    evidence: list[Evidence] = Field(default_factory=list, description="One or two verbatim quotes from the paper",
                                     json_schema_extra={"minItems": 1, "maxItems": 2})

    @property
    def verified(self) -> bool:
        """At least one quote was found in the paper (on its cited page or, corrected, on another)."""
        return any(e.status != "unverified" for e in self.evidence)


class Header(_Model):
    """Never written by an LLM: from arXiv metadata or the parsed PDF."""

    title: str
    authors: list[str] = Field(default_factory=list)
    affiliation: str | None = Field(None, description="First author's affiliation")
    arxiv_url: str | None = None
    pdf_url: str | None = None
    code_url: str | None = None
    abstract: str = ""
    comment: str | None = None
    published: datetime | None = None


class MetadataStage(_Model):
    title_translation: str = Field(description="The title in the output language")
    keywords: list[str] = Field(description="3 to 6 keywords")


class SummaryStage(_Model):
    one_line: Point
    key_takeaways: list[Point] = Field(description="5 to 8 bullets")
    background: Point
    past_methods: Point = Field(description="Past methods and their problems")
    proposed_method: Point
    performance: Point = Field(description="Task and performance achieved; numbers exactly as stated")


class MethodsStage(_Model):
    steps: list[Point]


class ConclusionStage(_Model):
    significance: Point
    innovation: Point
    performance: Point
    workload: Point


class DigestFigure(_Model):
    label: str
    number: str | None = Field(None, description="The paper's Figure.number")
    page: PageNo
    caption: str
    image: str | None = None
    role: Literal["teaser", "method", "results", "other"] = "other"
    caption_source: Literal["text", "ocr"] = Field("text", description="The paper's Figure.caption_source")

    @model_validator(mode="before")
    @classmethod
    def _legacy_number(cls, data: object) -> object:
        return _number_from_label(data)


class Attempt(_Model):
    """One call of a stage: the first try or a corrective retry."""

    fields: list[str] = Field(default_factory=list, description="The fields asked for (all of the stage's on a first try)")
    input_tokens: int = 0
    cached_input_tokens: int = Field(0, description="Input tokens the server read from its prefix cache")
    output_tokens: int = 0
    seconds: float = 0.0


class StageRecord(_Model):
    name: str
    status: Literal["ok", "cached", "failed", "skipped"] = "ok"
    seconds: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)
    attempts: list[Attempt] = Field(default_factory=list)
    not_distinct: list[str] = Field(
        default_factory=list, description="Fields the model's reply did not fill distinctly, marked or dropped")
    raw_reply: str | None = Field(None, description="The model's reply before marking, kept when fields were marked")
    points: int = Field(0, description="Points in the stage's result")
    points_verified: int = Field(0, description="Points with a quote found in the paper (chatpaper.evidence)")
    points_relocated: int = Field(0, description="Of those, points whose quotes were on another page than cited")


class Provenance(_Model):
    provider: str
    model: str | None = None
    prompt_version: str
    extractive: bool = Field(False, description="True when no LLM wrote it (offline mode)")
    model_profile: Literal["small", "standard"] = Field(
        "standard", description="small: one field group per call with short instructions (see CHATPAPER_MODEL_PROFILE)")
    profile_reason: str | None = Field(None, description="Why this profile: the setting, or what auto saw")
    stages: list[StageRecord] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    created: datetime | None = None
    points: int = Field(0, description="Points in the digest")
    points_verified: int = Field(0, description="Points with a quote found in the paper")
    points_relocated: int = Field(0, description="Of those, points whose page was corrected to the quote's")


class Digest(_Model):
    source: SourceInfo
    lang: str = Field(description="Requested output language code")
    header: Header
    metadata: MetadataStage | None = None
    summary: SummaryStage | None = None
    methods: MethodsStage | None = None
    conclusion: ConclusionStage | None = None
    figures: list[DigestFigure] = Field(default_factory=list)
    provenance: Provenance
