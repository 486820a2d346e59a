"""The Compare panel: what changed since another version of the graph (a file, or
the saved one), while File > Compare with... is on.

A row per node added, changed or removed, in the colour its mark has on the canvas
(studio.diff_colors); a changed row names what changed ("units: 512 -> 256").
Clicking a row of a node the graph has asks, through `node_activated`, for it to
be focused. Under the rows, the whole report (graph.diff_report: wiring, outputs,
training, blocks, cost). "Stop comparing" asks, through `stop_requested`, for the
comparison and its marks to end.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from graph.diff import ModelDiff, block_uses_changed
from graph.diff_report import format_diff, pair_text, printable
from studio.diff_colors import ADDED, CHANGED, REMOVED

NODE_ROLE = Qt.ItemDataRole.UserRole
NOT_COMPARING = "Not comparing: File > Compare with... a file or the saved version"
_MARKS = {ADDED: "+", CHANGED: "~", REMOVED: "-"}


class ComparePanel(QWidget):
    """The rows and report of one comparison; see the module docstring."""

    node_activated = Signal(str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(NOT_COMPARING)
        self.title.setWordWrap(True)
        self.rows = QListWidget()
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.stop = QPushButton("Stop comparing")
        self.stop.setEnabled(False)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.rows)
        split.addWidget(self.report)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(split, 1)
        layout.addWidget(self.stop, 0, Qt.AlignmentFlag.AlignLeft)
        self.rows.itemActivated.connect(self._activated)
        self.rows.itemClicked.connect(self._activated)
        self.stop.clicked.connect(self.stop_requested)

    def show_diff(self, title: str, d: ModelDiff, colors: Mapping[str, str]) -> None:
        """Show `d`, the change from the version `title` names to the graph."""
        self.title.setText(f"Changes since {title}")
        self.stop.setEnabled(True)
        self.rows.clear()
        g = d.graph
        for node_id, info in g.added.items():
            self._row(ADDED, node_id, info.label, colors, node_id)
        for node_id, change in g.changed.items():
            what = [f"{k}: {pair_text(c)}" for k, c in {**change.fields, **change.params}.items()]
            self._row(CHANGED, node_id, f"{change.label}: {'; '.join(what)}", colors, node_id)
        for node_id, block in block_uses_changed(d).items():
            self._row(CHANGED, node_id, f"block '{block}' changed", colors, node_id)
        for node_id, info in g.removed.items():
            self._row(REMOVED, node_id, info.label, colors, None)
        self.report.setPlainText(format_diff(d))

    def clear(self) -> None:
        self.title.setText(NOT_COMPARING)
        self.stop.setEnabled(False)
        self.rows.clear()
        self.report.clear()

    def row_texts(self) -> list[str]:
        return [self.rows.item(i).text() for i in range(self.rows.count())]

    def _row(
        self,
        kind: str,
        node_id: str,
        text: str,
        colors: Mapping[str, str],
        target: str | None,
    ) -> None:
        item = QListWidgetItem(printable(f"{_MARKS[kind]} {node_id}: {text}"))
        item.setForeground(QColor(colors[kind]))
        item.setData(NODE_ROLE, target)
        item.setToolTip(f"{kind}: {text}")
        self.rows.addItem(item)

    def _activated(self, item: QListWidgetItem) -> None:
        node_id = item.data(NODE_ROLE)
        if node_id is not None:
            self.node_activated.emit(node_id)
