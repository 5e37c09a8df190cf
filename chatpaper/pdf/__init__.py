"""PDF -> Paper with PyMuPDF: text and fonts, front matter, sections, figures, links.

`parse_pdf` is the entry point; the modules are its steps: text (lines and cleaning),
frontmatter, sections, figures, links.
"""
import sys

# pymupdf 2 imports its optional layout model (onnxruntime, ~0.3 s) on import; we never use it,
# and `python -m chatpaper parse` should start fast. Hidden only while pymupdf itself imports.
if "pymupdf" not in sys.modules:
    _hidden = [name for name in ("pymupdf.layout", "pymupdf4llm") if name not in sys.modules]
    for _name in _hidden:
        sys.modules[_name] = None  # type: ignore[assignment]
    try:
        import pymupdf  # noqa: F401
    finally:
        for _name in _hidden:
            if sys.modules.get(_name, 0) is None:
                del sys.modules[_name]

from chatpaper.pdf.links import find_code_urls
from chatpaper.pdf.reader import parse_pdf
from chatpaper.pdf.version import PARSER_VERSION

__all__ = ["PARSER_VERSION", "find_code_urls", "parse_pdf"]
