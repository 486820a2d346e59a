"""A read-only text box as tall as its text, up to a few lines, then scrolled.

The training panel's messages are mostly one line ("Training finished: ..."), now
and then a long error: a box of fixed height either wastes the room the plots need
or hides most of the error.
"""

from __future__ import annotations

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QPlainTextEdit, QSizePolicy, QWidget

#: The most lines shown before the box scrolls.
MOST_LINES = 4


class MessageBox(QPlainTextEdit):
    """A QPlainTextEdit, read-only, whose height follows its (wrapped) lines."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()  # a narrower box wraps into more lines

    def _fit(self) -> None:
        # The plain-text layout measures the document in lines, wrapped ones included.
        lines = int(self.document().documentLayout().documentSize().height())
        shown = min(max(lines, 1), MOST_LINES)
        # Frame and document margin above and below, and one pixel more: without it
        # the box scrolls by a line (measured: two lines of 14 px need 39 px, not 38).
        margins = 2 * (self.frameWidth() + self.document().documentMargin()) + 1
        height = shown * self.fontMetrics().lineSpacing() + round(margins)
        if height != self.maximumHeight():
            self.setFixedHeight(height)
