"""See the package docstring of chatpaper."""
