"""Breadcrumb: the bar above the canvas that says which block use the canvas is inside.

"model > enc: encoder > attention": each level from the top graph down to the one
shown; a click on a level above goes back out to it. Shown only inside a use (at the
top level it would say nothing the title does not).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

SEPARATOR = "\u203a"  # ›


class Breadcrumb(QWidget):
    """The levels' names, those above the shown one as buttons (`chosen`: its depth)."""

    #: A level above the shown one was clicked: its depth (0: the top graph).
    chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(6, 2, 6, 2)
        self._layout.setSpacing(4)
        self._names: tuple[str, ...] = ()
        self._buttons: list[QToolButton] = []
        self.hide()

    def set_crumbs(self, names: Sequence[str]) -> None:
        """Show the levels `names`, the top first and the one shown last."""
        names = tuple(names)
        if names == self._names:
            return
        self._names = names
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget() is not None:  # maybe the button clicked: deleted later
                item.widget().hide()
                item.widget().deleteLater()
        self._buttons = []
        for depth, name in enumerate(names[:-1]):
            button = QToolButton(self)
            self._buttons.append(button)
            button.setText(name)
            button.setAutoRaise(True)
            button.setToolTip(f"Back out to {name}")
            button.clicked.connect(lambda _=False, d=depth: self.chosen.emit(d))
            self._layout.addWidget(button)
            self._layout.addWidget(QLabel(SEPARATOR, self))
        if names:
            here = QLabel(f"<b>{html.escape(names[-1])}</b>", self)
            here.setToolTip("The block shown: edits change its definition (Esc: back out)")
            self._layout.addWidget(here)
        self._layout.addStretch(1)
        self.setVisible(len(names) > 1)

    def crumbs(self) -> tuple[str, ...]:
        """The names shown, top first."""
        return self._names

    def buttons(self) -> list[QToolButton]:
        """The levels above the shown one, as the buttons that go back to them."""
        return list(self._buttons)
