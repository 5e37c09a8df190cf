"""Small real PDFs for the ask tests, typeset with PyMuPDF: a title, then paragraphs, page by page."""
from __future__ import annotations

import pymupdf

ADAM_LIKE = [
    ["A Study of Step Sizes in Stochastic Training",
     "1 Introduction",
     "Training deep networks well depends on the step size, which practitioners usually tune by hand for "
     "every new model and data set they meet.",
     "We propose a rule that adapts the step size per parameter from running averages of the gradients "
     "and of their squares."],
    ["2 Experiments",
     "We train a convolutional network on the CIFAR-10 data set for 45 epochs with a batch size of 128 "
     "images and report the test accuracy.",
     "The adaptive rule reaches 91.3% test accuracy, against 89.7% for plain stochastic gradient descent "
     "with momentum.",
     "3 Conclusion",
     "An adaptive step size removes most of the tuning that training used to need."],
]


def paper_pdf(pages: list[list[str]], *, fontname: str = "helv") -> bytes:
    """One PDF page per list of paragraphs; a paragraph is wrapped into the text column."""
    doc = pymupdf.open()
    for number, paragraphs in enumerate(pages):
        page = doc.new_page(width=595, height=842)
        y = 72.0
        for i, paragraph in enumerate(paragraphs):
            heading = len(paragraph) < 60
            size = 18 if number == i == 0 else 13 if heading else 10.5
            rect = pymupdf.Rect(72, y, 523, 800)
            left = page.insert_textbox(rect, paragraph, fontsize=size, fontname=fontname, lineheight=1.3)
            used = rect.height - left if left >= 0 else rect.height
            y += used + 10
    return doc.tobytes()
