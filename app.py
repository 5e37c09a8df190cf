"""Entry point for `python app.py` and the Hugging Face Space: build the app and serve it."""
from chatpaper.ui import create_app, launch

launch(create_app())
