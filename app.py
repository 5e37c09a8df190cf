"""Entry point for `python app.py` and the Hugging Face Space: build the app and serve it."""
from chatpaper.ui import create_app, launch

if __name__ == "__main__":  # the parse pool's worker processes import this module too: they must not serve
    launch(create_app())
