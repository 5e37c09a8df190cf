"""PDF -> Paper with PyMuPDF: text and fonts, front matter, sections, figures, links.

`parse_pdf` is the entry point; the modules are its steps: text (lines and cleaning),
frontmatter, sections, figures, links.
"""
import sys

# pymupdf 2 imports its optional layout model (onnxruntime, ~0.3 s) on import; we never use it,
# and `python -m chatpaper parse` should start fast. Only when nothing imported pymupdf yet.
if "pymupdf" not in sys.modules:
    for _optional in ("pymupdf.layout", "pymupdf4llm"):
        sys.modules.setdefault(_optional, None)  # type: ignore[arg-type]

from chatpaper.pdf.links import find_code_urls  # noqa: E402
from chatpaper.pdf.reader import parse_pdf  # noqa: E402

__all__ = ["find_code_urls", "parse_pdf"]
