"""Entry point for `python app.py` and the Hugging Face Space: `python -m chatpaper serve`, errors included
(a bad CHATPAPER_* variable is one sentence and exit status 1)."""
import sys

from chatpaper.__main__ import main

if __name__ == "__main__":  # the parse pool's worker processes import this module too: they must not serve
    sys.exit(main(["serve"]))
