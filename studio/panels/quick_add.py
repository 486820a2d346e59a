"""Quick-add: a search popup at the cursor for adding a layer from the keyboard.

Like Blender's or Unreal's Tab search: type a few letters, Up/Down to pick, Enter to
choose, Escape (or a click elsewhere) to close. The main window adds the chosen
layer where the popup was opened. Before anything is typed the list starts with the
layers used most and recently, then the common ones (Input, Dense, ...), then the
rest by category, each group under a heading (`layer_search.start_groups`). Typed
matches come best match first, the layers used most first among equal matches.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QHideEvent, QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from graph import LayerSpec
from studio.panels.layer_search import all_layers, search, start_groups
from studio.panels.layer_usage import LayerUsage

#: How many rows the list shows before it scrolls.
_ROWS = 12
#: Item data role holding a row's layer type (headings hold none).
TYPE_ROLE = Qt.ItemDataRole.UserRole


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
    #: The popup closed, a layer chosen or not (Escape, a click elsewhere).
    closed = Signal()

    def __init__(self, parent: QWidget | None = None, usage: LayerUsage | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup | Qt.WindowType.FramelessWindowHint)
        self.usage = usage or LayerUsage()
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.line = _SearchLine(self._key)
        self.line.setPlaceholderText("Add layer...")
        self.list = QListWidget()
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.line)
        layout.addWidget(self.list)
        self._specs: list[LayerSpec] = []
        self._docs: dict[str, str] = {}
        self.line.textChanged.connect(self._filter)
        self.list.itemClicked.connect(lambda item: self._choose(item))

    def popup_at(
        self, global_pos: QPoint, offers: Callable[[LayerSpec], bool] | None = None
    ) -> None:
        """Open at `global_pos` with an empty search, listing every layer type (or
        those `offers` accepts)."""
        self._specs = [s for s in all_layers() if offers is None or offers(s)]
        self._docs = {spec.type: spec.doc for spec in self._specs}
        self.line.clear()
        self._filter("")
        row = self.list.sizeHintForRow(0) if self.list.count() else 20
        self.resize(320, row * _ROWS + self.line.sizeHint().height() + 16)
        self.move(global_pos)
        self.show()
        self.line.setFocus()

    def shown_types(self) -> list[str]:
        """The layer types listed now, in the order shown (headings left out)."""
        return [t for i in range(self.list.count()) if (t := self._type_at(i))]

    def headings(self) -> list[str]:
        """The group headings shown now (none while a search is typed)."""
        rows = (self.list.item(i) for i in range(self.list.count()))
        return [item.text() for item in rows if item.data(TYPE_ROLE) is None]

    def current_type(self) -> str | None:
        """The layer type Enter would choose."""
        return self._type_at(self.list.currentRow())

    def _type_at(self, row: int) -> str | None:
        item = self.list.item(row)
        return None if item is None else item.data(TYPE_ROLE)

    def _key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._step(-1 if key == Qt.Key.Key_Up else 1)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._choose(self.list.currentItem())
            return True
        if key == Qt.Key.Key_Escape:
            self.hide()
            return True
        return False

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.closed.emit()

    def _step(self, step: int) -> None:
        """Move the current row by `step` layer rows, over headings, within the list."""
        rows = [i for i in range(self.list.count()) if self._type_at(i)]
        if not rows:
            return
        at = rows.index(self.list.currentRow()) if self.list.currentRow() in rows else 0
        self.list.setCurrentRow(rows[min(max(at + step, 0), len(rows) - 1)])

    def _filter(self, text: str) -> None:
        self.list.clear()
        if text.strip():
            used = [t for t in self.usage.ranked() if t in self._docs]
            groups = [("", search(dict.fromkeys([*used, *self._docs]), text))]
        else:
            groups = start_groups(self._specs, self.usage.ranked())
        for heading, types in groups:
            if heading:
                self._add_heading(heading)
            for layer_type in types:
                item = QListWidgetItem(layer_type)
                item.setData(TYPE_ROLE, layer_type)
                item.setToolTip(self._docs[layer_type])
                self.list.addItem(item)
        self._step(0)

    def _add_heading(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)  # drawn as text, never current
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        self.list.addItem(item)

    def _choose(self, item: QListWidgetItem | None) -> None:
        layer_type = None if item is None else item.data(TYPE_ROLE)
        if layer_type is None:
            return
        self.hide()
        self.chosen.emit(layer_type)
