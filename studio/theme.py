"""Light and dark themes: the application palette and the canvas style go together."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from studio.canvas.style import Style

THEMES = ("light", "dark")

#: Palette roles of the dark theme (Fusion's own palette is the light one).
_DARK = {
    QPalette.ColorRole.Window: "#2b2f36",
    QPalette.ColorRole.WindowText: "#e4e7eb",
    QPalette.ColorRole.Base: "#1f2329",
    QPalette.ColorRole.AlternateBase: "#272b31",
    QPalette.ColorRole.ToolTipBase: "#3a3f47",
    QPalette.ColorRole.ToolTipText: "#e4e7eb",
    QPalette.ColorRole.Text: "#e4e7eb",
    QPalette.ColorRole.Button: "#32373f",
    QPalette.ColorRole.ButtonText: "#e4e7eb",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Link: "#6cb6ff",
    QPalette.ColorRole.Highlight: "#3d7bd9",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.PlaceholderText: "#8b939e",
}


def apply_theme(app: QApplication, name: str) -> Style:
    """Give `app` the `name` theme's palette; return the matching canvas style."""
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; expected one of {', '.join(THEMES)}")
    app.setStyle("Fusion")
    if name == "light":
        app.setPalette(app.style().standardPalette())
        return Style.light()
    # Made from the button and window colours, so that the bevel roles (light, mid,
    # dark, shadow: frames, separators) are shades of them, not the light theme's.
    roles = QPalette.ColorRole
    palette = QPalette(QColor(_DARK[roles.Button]), QColor(_DARK[roles.Window]))
    for role, color in _DARK.items():
        palette.setColor(role, QColor(color))
    for role in (roles.Text, roles.ButtonText, roles.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a818b"))
    app.setPalette(palette)
    return Style.dark()
