"""Docks that make room for the canvas when the window gets small.

At the default sizes the palette sits left, the inspector right and the panels
below, each at its own width or height. In a narrow window the two side docks
would leave the canvas a third of it, so the palette joins the inspector's side
as a tab; in a short window the bottom docks get a smaller share. The fit is
applied only when the window crosses a threshold, never on every resize, so a
dock the user dragged to a size keeps it until then. A dock that asks for more room
(the training panel, when Train brings it up) gets it in a small window only as far
as the canvas keeps CANVAS_SHARE of the window.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

#: Below these the window is narrow / short.
NARROW_BELOW = 1280
SHORT_BELOW = 800
#: The side docks' widths and the bottom docks' height in a roomy window.
PALETTE_WIDTH, INSPECTOR_WIDTH, BOTTOM_HEIGHT = 220, 300, 200
#: In a narrow window: the tabbed side docks' share of the width; in a short one,
#: the bottom docks' share of the height.
NARROW_SIDE_SHARE, SHORT_BOTTOM_SHARE = 0.21, 0.17
#: The least share of the window's area the canvas keeps in a small window (the
#: canvas viewport is a few pixels smaller than the view, hence the margin over 0.5).
CANVAS_SHARE = 0.51


class DockFit:
    """Lays out `palette`, `inspector` and the tabbed `bottom` docks for the window's size."""

    def __init__(
        self,
        window: QMainWindow,
        palette: QDockWidget,
        inspector: QDockWidget,
        bottom: QDockWidget,
    ) -> None:
        self.window = window
        self.palette, self.inspector, self.bottom = palette, inspector, bottom
        # A new window starts with the roomy layout (the default or a restored one).
        self.narrow = False
        self.short = False

    def settled(self, size: QSize) -> None:
        """A restored layout was fit (by the user or by us) for `size`: keep it."""
        self.narrow, self.short = size.width() < NARROW_BELOW, size.height() < SHORT_BELOW

    def roomy(self) -> None:
        """The default layout: palette left, inspector right, panels below."""
        self.window.resizeDocks([self.bottom], [BOTTOM_HEIGHT], Qt.Orientation.Vertical)
        self.window.resizeDocks(
            [self.palette, self.inspector],
            [PALETTE_WIDTH, INSPECTOR_WIDTH],
            Qt.Orientation.Horizontal,
        )

    def fit(self, size: QSize) -> None:
        """Re-lay the docks if `size` crossed the narrow or short threshold."""
        narrow, short = size.width() < NARROW_BELOW, size.height() < SHORT_BELOW
        if narrow != self.narrow:
            self.narrow = narrow
            self._fit_sides(size.width())
        if short != self.short:
            self.short = short
            height = int(size.height() * SHORT_BOTTOM_SHARE) if short else BOTTOM_HEIGHT
            self.window.resizeDocks([self.bottom], [height], Qt.Orientation.Vertical)

    def grow_bottom(self, dock: QDockWidget, height: int) -> None:
        """Let the bottom `dock` grow to `height`; in a narrow or short window only as
        far as the canvas keeps CANVAS_SHARE of the window. Never shrinks it."""
        if self.narrow or self.short:
            canvas, window = self.window.centralWidget(), self.window.size()
            need = CANVAS_SHARE * window.width() * window.height() / max(canvas.width(), 1)
            height = min(height, dock.height() + canvas.height() - int(need + 1))
        if height > dock.height():
            self.window.resizeDocks([dock], [height], Qt.Orientation.Vertical)

    def _fit_sides(self, width: int) -> None:
        window, horizontal = self.window, Qt.Orientation.Horizontal
        if self.narrow:
            window.tabifyDockWidget(self.inspector, self.palette)
            self.inspector.raise_()
            side = int(width * NARROW_SIDE_SHARE)
            window.resizeDocks([self.inspector], [side], horizontal)
            return
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.palette)
        window.resizeDocks(
            [self.palette, self.inspector], [PALETTE_WIDTH, INSPECTOR_WIDTH], horizontal
        )
