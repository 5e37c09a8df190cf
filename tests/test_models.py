"""The typed Paper: the closed section-role vocabulary, paragraphs with pages, figure numbers, and
paper.json written before those fields existed."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from chatpaper.chain import budget, figures
from chatpaper.models import (
    OUTSIDE_BODY_ROLES,
    SECTION_ROLES,
    DigestFigure,
    Figure,
    Paper,
    Section,
    figure_number_key,
)
from chatpaper.pdf.sections import Heading, assign_roles
from tests.fake_llm import sample_paper

# --------------------------------------------------------------------------- section roles


def test_every_role_a_consumer_asks_for_is_in_the_vocabulary():
    asked = {role for roles in budget.STAGE_ROLES.values() for role in roles}
    asked |= set(budget.SKIP_ROLES) | set(figures.METHOD_ROLES) | set(figures.RESULT_ROLES) | set(OUTSIDE_BODY_ROLES)
    assert asked - set(SECTION_ROLES) == set()


def _heading(title: str, number: str | None, role: str | None = None) -> Heading:
    return Heading(title=title, number=number, level=1, page=1, line_index=0, end_index=1, style=(10.0, True, False),
                   role=role)


def test_the_parser_produces_every_role_of_the_vocabulary():
    titles = ["Introduction", "Motivation", "Related Work", "Preliminaries", "Proposed Method", "Experiments",
              "Discussion", "Limitations", "Conclusion", "Broader Impact", "Acknowledgments", "Data Availability",
              "References"]
    headings = [_heading(t, str(k)) for k, t in enumerate(titles, start=1)]
    headings.append(_heading("Extra Proofs", "A", role="appendix"))  # the parser's appendix zone marks it
    assign_roles(headings, "A Method for Testing")
    assert [h.role for h in headings] == ["introduction", "motivation", "related_work", "preliminaries", "method",
                                          "experiments", "discussion", "limitations", "conclusion", "statement",
                                          "acknowledgments", "administrative", "references", "appendix"]
    assert {h.role for h in headings} == set(SECTION_ROLES)


def test_a_role_outside_the_vocabulary_is_refused():
    with pytest.raises(ValidationError):
        Section(title="Results", page=3, role="results")  # the parser files results under "experiments"


# --------------------------------------------------------------------------- paragraphs


def test_paragraphs_give_the_pages_and_fall_back_to_the_text():
    parsed = Section(title="Method", page=2, text="One.\n\nTwo.", paragraph_pages=[2, 3])
    assert [(p.text, p.page) for p in parsed.paragraphs] == [("One.", 2), ("Two.", 3)]
    hand_made = Section(title="Method", page=2, text="One.\nTwo.")
    assert [(p.text, p.page) for p in hand_made.paragraphs] == [("One.", 2), ("Two.", 2)]
    rewritten = parsed.model_copy(update={"text": "One.\n\nTwo.\n\nThree."})  # pages no longer fit the text
    assert [p.page for p in rewritten.paragraphs] == [2, 2, 2]


def test_a_page_per_paragraph_or_none():
    with pytest.raises(ValidationError, match="2 pages for 3 paragraphs"):
        Section(title="Method", page=2, text="One.\n\nTwo.\n\nThree.", paragraph_pages=[2, 3])


def test_paper_json_stores_the_words_once():
    section = Section(title="Method", page=2, text="A paragraph of the method.\n\nAnother.", paragraph_pages=[2, 3])
    dumped = section.model_dump_json()
    assert dumped.count("A paragraph of the method.") == 1 and '"paragraph_pages":[2,3]' in dumped
    assert Section.model_validate_json(dumped).paragraphs == section.paragraphs


# --------------------------------------------------------------------------- figure numbers


def test_figure_numbers_sort_as_printed():
    numbers = ["S1", "10", "2.10", "A1", None, "2.9", "1-2", "1"]
    assert sorted(numbers, key=figure_number_key) == ["1", "1-2", "2.9", "2.10", "10", "A1", "S1", None]


# --------------------------------------------------------------------------- older paper.json


def _old_paper_json() -> str:
    """A paper.json as the parser wrote it before paragraphs and figure numbers."""
    paper = sample_paper().model_copy(update={"figures": [
        Figure(label="Figure 2.1", number="2.1", page=3, caption="Figure 2.1: Overview.", bbox=(0, 0, 1, 1))]})
    data = json.loads(paper.model_dump_json())
    for section in data["sections"]:
        del section["paragraph_pages"]
    for figure in data["figures"]:
        del figure["number"]
    return json.dumps(data)


def test_a_paper_json_without_paragraphs_or_figure_numbers_still_loads():
    paper = Paper.model_validate_json(_old_paper_json())
    assert all(s.paragraph_pages == [] for s in paper.sections)
    method = paper.section("method")
    assert [(p.text, p.page) for p in method.paragraphs] == [(t, method.page) for t in method.text.split("\n")]
    assert paper.figures[0].number == "2.1"  # the parser's label was always "Figure " + the number


def test_a_cached_digest_figure_without_a_number_gets_it_from_its_label():
    figure = DigestFigure.model_validate({"label": "Figure 3", "page": 4, "caption": "Figure 3: Results."})
    assert figure.number == "3"
    assert DigestFigure(label="Scheme 1", page=1, caption="").number is None  # not the parser's label: no guess
