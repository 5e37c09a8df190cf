"""The parser's own version: part of every cache key that stores a Paper, and of Paper.parser.

Bump PARSER_VERSION in the commit that changes what `parse_pdf` returns for some PDF (another title,
heading, role, paragraph, page text or figure; a new or renamed Paper field), so that a Paper cached
by an earlier parser is parsed again. A change that only makes parsing faster keeps it.
"""

PARSER_VERSION = "10"  # 10: Paper.abstract_page and abstract_en_page (the LLM document cites them); pages = the pages read
# 9: a caption printed inside its figure's image, read by OCR (Figure.caption_source)
# 8: shifted Latin gets its word spaces back (from the character boxes)
# 7: a thesis cover's university (set larger) is not its title
# 6: a figure's box may touch the text beside it and reach 3 pt into its caption
# 5: a Chinese paper's English block ("Abstract　　", a loose title, OT1 ligatures in shifted Latin)
# 4: English chapters ("Chapter 1 ..." / "CHAPTER 1" over its name), keywords, thesis covers, "Figure 2.1"
# 3: Chinese figure captions (shifted Latin labels, 图N　, figure lists), one-line-block prose
# 2: Section.paragraphs, Figure.number, the closed SectionRole vocabulary
