"""The budget's page markers come from the parser's paragraphs, not from searching the page texts."""
from __future__ import annotations

from chatpaper.chain.budget import plan_budget
from chatpaper.models import Paragraph
from tests.fake_llm import sample_paper

REPEATED = "The same sentence is printed on several pages of this paper, word for word."


def _with_method_paragraphs(paragraphs: list[Paragraph], page_texts: list[str] | None = None):
    paper = sample_paper()
    sections = list(paper.sections)
    method = next(i for i, s in enumerate(sections) if s.role == "method" and s.level == 1)
    sections[method] = sections[method].model_copy(update={
        "text": "\n\n".join(p.text for p in paragraphs), "paragraph_pages": [p.page for p in paragraphs]})
    update: dict = {"sections": sections}
    if page_texts is not None:
        update["page_texts"] = page_texts
    return paper.model_copy(update=update)


def _methods_document(paper) -> str:
    return plan_budget(paper, context_window=32_000, lang="en").stages["methods"].document


def test_a_paragraph_is_marked_with_its_own_page_even_where_its_text_is_on_an_earlier_page():
    # The old search took the first page within reach that held the text: page 2 here, which is wrong.
    paper = _with_method_paragraphs(
        [Paragraph(text="The method starts on page two and explains itself.", page=2),
         Paragraph(text=REPEATED, page=4)],
        page_texts=["", "The method starts on page two and explains itself. " + REPEATED, "", REPEATED, "", ""])
    document = _methods_document(paper)
    assert f"[p. 4] {REPEATED}" in document
    assert f"[p. 2] {REPEATED}" not in document and f"\n{REPEATED}" not in document


def test_markers_need_no_page_texts_and_appear_only_where_the_page_changes():
    first, second, third = ("First paragraph of the method, on its opening page.",
                            "Second paragraph, still on the same page as the first.",
                            "Third paragraph, printed after the page break.")
    paper = _with_method_paragraphs([Paragraph(text=first, page=2), Paragraph(text=second, page=2),
                                     Paragraph(text=third, page=3)], page_texts=[])
    document = _methods_document(paper)
    assert f"\n{first}\n{second}\n[p. 3] {third}" in document

