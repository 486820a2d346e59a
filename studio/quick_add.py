"""Quick-add: a search popup at the cursor for adding a layer from the keyboard.

Like Blender's or Unreal's Tab search: type a few letters, Up/Down to pick, Enter to
choose, Escape (or a click elsewhere) to close. The main window adds the chosen
layer where the popup was opened.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from studio.layer_search import all_layers, search

#: How many rows the list shows before it scrolls.
_ROWS = 12


class _SearchLine(QLineEdit):
    """The search line; list keys (Up/Down/Enter/Escape) go to `handle_key` first.

    A subclass rather than an event filter: a Python event filter still installed
    when the process exits crashes PySide6 6.11.
    """

    def __init__(self, handle_key: Callable[[QKeyEvent], bool]) -> None:
        super().__init__()
        self._handle_key = handle_key

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._handle_key(event):
            super().keyPressEvent(event)


class QuickAdd(QFrame):
    """A frameless popup: a search line over the matching layer types."""

    #: The layer type chosen.
    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.line = _SearchLine(self._key)
        self.line.setPlaceholderText("Add layer...")
        self.list = QListWidget()
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.line)
        layout.addWidget(self.list)
        self._docs: dict[str, str] = {}
        self.line.textChanged.connect(self._filter)
        self.list.itemClicked.connect(lambda item: self._choose(item))

    def popup_at(self, global_pos: QPoint) -> None:
        """Open at `global_pos` with an empty search (lists every layer type)."""
        self._docs = {spec.type: spec.doc for spec in all_layers()}
        self.line.clear()
        self._filter("")
        row = self.list.sizeHintForRow(0) if self.list.count() else 20
        self.resize(320, row * _ROWS + self.line.sizeHint().height() + 16)
        self.move(global_pos)
        self.show()
        self.line.setFocus()

    def shown_types(self) -> list[str]:
        """The layer types listed now, best match first."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = -1 if key == Qt.Key.Key_Up else 1
            row = min(max(self.list.currentRow() + step, 0), self.list.count() - 1)
            self.list.setCurrentRow(row)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._choose(self.list.currentItem())
            return True
        if key == Qt.Key.Key_Escape:
            self.hide()
            return True
        return False

    def _filter(self, text: str) -> None:
        self.list.clear()
        for layer_type in search(self._docs, text):
            item = QListWidgetItem(layer_type)
            item.setToolTip(self._docs[layer_type])
            self.list.addItem(item)
        self.list.setCurrentRow(0)

    def _choose(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        self.hide()
        self.chosen.emit(item.text())
