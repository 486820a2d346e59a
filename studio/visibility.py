"""Whether a widget is on screen, for panels that skip work nobody would see.

`QWidget.isVisible()` is True for a dock widget tabbed behind another dock: it is
"shown", only covered. Such a panel has an empty visible region, and its dock emits
`visibilityChanged(True)` when its tab is raised: the cue to catch up.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def on_screen(widget: QWidget) -> bool:
    """True when some of `widget` is on screen: shown and not covered by a tab."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()
