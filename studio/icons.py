"""Icons for actions and the window, from resources/icons (SVG, one colour that reads
on both the light and the dark theme)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

ICON_FOLDER = Path(__file__).resolve().parent.parent / "resources" / "icons"


@cache
def icon(name: str) -> QIcon:
    """The icon `resources/icons/<name>.svg`; a missing file is a programming error."""
    path = ICON_FOLDER / f"{name}.svg"
    if not path.is_file():
        raise FileNotFoundError(f"no icon {name!r}: {path} does not exist")
    return QIcon(str(path))
