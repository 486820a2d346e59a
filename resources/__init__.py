"""The files the app ships with: icons/*.svg, templates/*.graph.json, data/*.npz.

Installed as the package `kgs_resources` (pyproject maps it onto this folder), so an
installed wheel carries them; codegen/bundled.py is the one place that finds them.
"""
