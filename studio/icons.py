"""Icons for actions and the window, from resources/icons (SVG, one colour that reads
on both the light and the dark theme).

A disabled icon is the normal one, faded towards the background: Qt's own disabled
look lightens the icon, which on the dark theme made disabled actions brighter than
enabled ones."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap

from codegen.bundled import bundled_folder

ICON_FOLDER = bundled_folder("icons")
#: The sizes a disabled look is drawn at (menus, toolbars, large toolbars).
DISABLED_SIZES = (16, 24, 32, 48)
#: How much of a disabled icon shows over the background.
DISABLED_OPACITY = 0.35


@cache
def icon(name: str) -> QIcon:
    """The icon `resources/icons/<name>.svg`; a missing file is a programming error."""
    path = ICON_FOLDER / f"{name}.svg"
    if not path.is_file():
        raise FileNotFoundError(f"no icon {name!r}: {path} does not exist")
    result = QIcon(str(path))
    for size in DISABLED_SIZES:
        result.addPixmap(_faded(result.pixmap(size, size)), QIcon.Mode.Disabled)
    return result


def _faded(pixmap: QPixmap) -> QPixmap:
    faded = QPixmap(pixmap.size())
    faded.setDevicePixelRatio(pixmap.devicePixelRatio())
    faded.fill(Qt.GlobalColor.transparent)
    painter = QPainter(faded)
    painter.setOpacity(DISABLED_OPACITY)
    painter.drawPixmap(0, 0, pixmap)
    painter.end()
    return faded
