"""Icons for actions and the window, from resources/icons (SVG, one colour that reads
on both the light and the dark theme)."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from codegen.bundled import bundled_folder

ICON_FOLDER = bundled_folder("icons")


@cache
def icon(name: str) -> QIcon:
    """The icon `resources/icons/<name>.svg`; a missing file is a programming error."""
    path = ICON_FOLDER / f"{name}.svg"
    if not path.is_file():
        raise FileNotFoundError(f"no icon {name!r}: {path} does not exist")
    return QIcon(str(path))
