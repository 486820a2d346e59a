"""Disabled icons fade towards the background on both themes, never stand out more."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QApplication

from studio.icons import icon
from studio.theme import apply_theme


def mean_lightness_on(background, name: str, mode: QIcon.Mode) -> float:
    """The icon drawn in `mode` over `background`: its mean lightness."""
    canvas = QPixmap(24, 24)
    canvas.fill(background)
    painter = QPainter(canvas)
    icon(name).paint(painter, canvas.rect(), mode=mode)
    painter.end()
    image = canvas.toImage()
    return sum(image.pixelColor(x, y).lightness() for x in range(24) for y in range(24)) / (24 * 24)


@pytest.mark.parametrize("theme", ["dark", "light"])
@pytest.mark.parametrize("name", ["save", "undo", "export"])
def test_disabled_icons_are_closer_to_the_background(qapp, theme, name):
    try:
        apply_theme(QApplication.instance(), theme)
        background = QApplication.palette().window().color()
        normal = mean_lightness_on(background, name, QIcon.Mode.Normal)
        disabled = mean_lightness_on(background, name, QIcon.Mode.Disabled)
        assert abs(disabled - background.lightness()) < abs(normal - background.lightness())
        if theme == "dark":
            assert background.lightness() < disabled < normal
    finally:
        apply_theme(QApplication.instance(), "light")
