"""Disabled icons fade towards the background on both themes, never stand out more."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QIcon, QPainter, QPalette, QPixmap
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


def test_the_dark_palette_has_no_light_surface_and_dims_disabled_labels(qapp):
    """Frames and separators are drawn in the bevel roles: in the dark theme they are
    shades of its own colours, not the light theme's white and greys."""
    roles, group = QPalette.ColorRole, QPalette.ColorGroup
    try:
        apply_theme(QApplication.instance(), "dark")
        palette = QApplication.palette()
        surfaces = (roles.Window, roles.Base, roles.AlternateBase, roles.Button, roles.ToolTipBase)
        bevels = (roles.Light, roles.Midlight, roles.Mid, roles.Dark, roles.Shadow)
        for g in (group.Active, group.Disabled):
            light = {
                r.name: palette.color(g, r).name()
                for r in surfaces + bevels
                if palette.color(g, r).lightness() > 110
            }
            assert light == {}, g
        text = palette.color(group.Active, roles.WindowText)
        assert palette.color(group.Disabled, roles.WindowText).lightness() < text.lightness()
    finally:
        apply_theme(QApplication.instance(), "light")
