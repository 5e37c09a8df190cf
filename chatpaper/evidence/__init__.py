"""Evidence: every point's quotes found on the pages they cite, deterministically, and highlighted.

normalise (the comparison key) -> verify (exact, then fuzzy; verified / relocated / unverified)
-> boxes (the quote's rectangles on the page, a highlighted crop). `labelled` builds the
labelled set the verifier is measured on.
"""
from chatpaper.evidence.normalise import Keyed, keyed, normalise
from chatpaper.evidence.verify import FUZZY_THRESHOLD, PageIndex, QuoteMatch, find_quote, verify_evidence

__all__ = ["FUZZY_THRESHOLD", "Keyed", "PageIndex", "QuoteMatch", "find_quote", "keyed", "normalise",
           "verify_evidence"]
