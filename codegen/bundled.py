"""Where the bundled files (icons, templates, sample data) live, installed or not.

An installed wheel carries resources/ as the package `kgs_resources`; a path beside
the source would point into site-packages where nothing is. A checkout run with
PYTHONPATH (no install) has no `kgs_resources` to import, so it falls back to the
checkout's resources/ folder.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1] / "resources"


def bundled_folder(name: str) -> Path:
    """The bundled folder `name` ("icons", "templates" or "data")."""
    try:
        root = Path(str(files("kgs_resources")))
    except ModuleNotFoundError:
        root = _CHECKOUT
    return root / name
