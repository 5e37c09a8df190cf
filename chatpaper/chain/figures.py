"""Which of the paper's figures the digest shows: the page-1 teaser, the method overview, the main results."""
from __future__ import annotations

import re

from chatpaper.models import DigestFigure, Figure, Paper, SectionRole, figure_number_key

# A digest shows its figures beside the text: a teaser, the method overview and the main results, plus one
# more; past that the figures push the text off the first screen. Fewer cue-matched figures are topped up
# with the earliest others to DIGEST_MIN_FIGURES, so a paper whose captions name no cue still shows some.
DIGEST_MAX_FIGURES, DIGEST_MIN_FIGURES = 4, 3
# The sections whose pages a method or a results figure is likeliest on (SectionRole: the parser files
# "Results" and "Evaluation" under experiments).
METHOD_ROLES: tuple[SectionRole, ...] = ("method",)
RESULT_ROLES: tuple[SectionRole, ...] = ("experiments",)

_METHOD_CUES = re.compile(
    r"\b(overview|architecture|pipeline|framework|our (?:method|approach|model)|proposed|illustration of|"
    r"diagram|schematic|workflow|overall|structure of)\b", re.I)
_RESULT_CUES = re.compile(
    r"\b(results?|comparison|compared|comparing|performance|accuracy|qualitative|quantitative|error|"
    # "training loss" is a result, "Hinge loss." (a function's plot) is not.
    r"(?:training|test|validation) (?:loss|cost)|curves?|versus|vs\.?|benchmark|state-of-the-art|baselines?|"
    r"speed-?up|samples|experiments?)\b", re.I)


def _pages_of(paper: Paper, roles: tuple[SectionRole, ...]) -> set[int]:
    """Pages spanned by the level-1 sections with these roles (from their start to the next section's)."""
    tops = [s for s in paper.sections if s.level == 1]
    pages: set[int] = set()
    for i, s in enumerate(tops):
        if s.role in roles:
            end = tops[i + 1].page if i + 1 < len(tops) else paper.pages
            pages.update(range(s.page, max(s.page, end) + 1))
    return pages


def as_digest_figure(figure: Figure, role: str) -> DigestFigure:
    return DigestFigure(label=figure.label, number=figure.number, page=figure.page, caption=figure.caption, image=figure.image,
                        role=role, caption_source=figure.caption_source)


def _best(candidates: list[Figure], cues: re.Pattern, pages: set[int], rival: re.Pattern) -> Figure | None:
    """The figure whose caption has the most cues (and no more of the rival's), preferring the right
    section's pages, then the lowest number."""
    scored = []
    for f in candidates:
        hits = len(cues.findall(f.caption))
        if hits and hits >= len(rival.findall(f.caption)):
            scored.append((-(hits * 2 + (f.page in pages)), figure_number_key(f.number), f))
    return min(scored, key=lambda t: t[:2])[2] if scored else None


def choose_figures(paper: Paper, *, limit: int = DIGEST_MAX_FIGURES) -> list[DigestFigure]:
    """Teaser (a figure on page 1), method overview, main results; then the earliest others up to `limit`."""
    remaining = sorted(paper.figures, key=lambda f: (f.page, figure_number_key(f.number)))
    chosen: list[DigestFigure] = []

    def take(figure: Figure | None, role: str) -> None:
        if figure is not None and len(chosen) < limit:
            remaining.remove(figure)
            chosen.append(as_digest_figure(figure, role))

    take(next((f for f in remaining if f.page == 1), None), "teaser")
    take(_best(remaining, _METHOD_CUES, _pages_of(paper, METHOD_ROLES), _RESULT_CUES), "method")
    take(_best(remaining, _RESULT_CUES, _pages_of(paper, RESULT_ROLES), _METHOD_CUES), "results")
    while remaining and len(chosen) < min(limit, DIGEST_MIN_FIGURES):
        take(remaining[0], "other")
    return sorted(chosen, key=lambda d: (d.page, figure_number_key(d.number)))

