"""The summary panel: the model.summary() table with each node's cost (MACs and
output memory at the training setup's batch size), the parameter totals and the
training step's memory.

Rows come from graph.summary (the same table `kgs summary` prints) and graph.cost,
held in a table model that the view reads lazily, so a refresh costs one pass over the rows,
not thousands of widget items. Even that pass is too slow to repeat on every edit of
a large graph (measured: 66 ms for 1,500 nodes), so refreshes wait until edits pause
(`DEBOUNCE_MS`) and skip a hidden panel, which catches up when shown.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QFontDatabase, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from graph import ModelGraph, Report
from graph.cost import ModelCost
from graph.summary import HEADERS, summary_rows, validity_note
from graph.wording import byte_size, counted
from studio.severity import css_color, worst
from studio.visibility import on_screen

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
#: The cost columns, after "Param #" (before "Connected to").
COST_HEADERS = ("MACs", "Output memory")
_AFTER = HEADERS.index("Param #") + 1
COLUMNS = (*HEADERS[:_AFTER], *COST_HEADERS, *HEADERS[_AFTER:])
#: The columns of counts, right-aligned like Keras's "Param #".
_NUMBER_COLUMNS = frozenset(range(_AFTER - 1, _AFTER + len(COST_HEADERS)))
Row = tuple[str, ...]

Index = QModelIndex | QPersistentModelIndex
#: How long the graph must stay unchanged before a visible panel refreshes.
DEBOUNCE_MS = 100


class SummaryTable(QAbstractTableModel):
    """summary_rows() with their cost cells (see cost_rows), as a read-only table model."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Row] = []
        #: The batch size the cost columns are at (their headers' tooltip).
        self.batch: int | None = None

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in _NUMBER_COLUMNS:
            return int(_RIGHT.value)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole and COLUMNS[section] in COST_HEADERS:
            return f"at batch size {self.batch} (the training setup's)"
        return None


def cost_rows(report: Report, rows: list[tuple[str, ...]], result: ModelCost | None) -> list[Row]:
    """summary_rows' `rows` with each node's MACs and output memory put in ("?" where
    unknown). Rows follow report.order first, as summary_rows says."""
    order, nodes = report.order, result.nodes if result is not None else {}
    unknown = ("?", "?")
    out = []
    for i, row in enumerate(rows):
        c = nodes.get(order[i]) if i < len(order) else None
        cells = unknown if c is None else (_count(c.macs), byte_size(c.output_bytes))
        out.append((*row[:_AFTER], *cells, *row[_AFTER:]))
    return out


def _count(macs: int | None) -> str:
    return "?" if macs is None else f"{macs:,}"


def totals_text(report: Report) -> str:
    """The totals line under the table, as Keras words them."""
    return (
        f"Total params: {report.total_params:,}   "
        f"Trainable params: {report.trainable_params:,}   "
        f"Non-trainable params: {report.non_trainable_params:,}"
    )


def cost_text(result: ModelCost) -> str:
    """The cost line under the totals: MACs and the training step's memory."""
    return (
        f"MACs: {result.macs:,} at batch {result.batch}   "
        f"Training step ({result.optimizer}): {byte_size(result.train_memory_bytes)}"
    )


def note_text(report: Report) -> str:
    """The line under the totals: that the graph is invalid, else its warnings' count."""
    warnings = len(report.warnings)
    if not report.valid or not warnings:
        return validity_note(report)
    return f"{counted(warnings, 'warning')}: see Problems"


class SummaryPanel(QWidget):
    """Shows a graph's summary table and parameter totals."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pending: tuple[ModelGraph, Report, ModelCost | None] | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.refresh)
        self.table = SummaryTable()
        self.view = QTableView(self)
        self.view.setModel(self.table)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.view.setWordWrap(False)
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((260, 160, 100, 120, 110)):
            header.resizeSection(column, width)
        self.totals = QLabel(self)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cost = QLabel(self)
        self.cost.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        #: Invalid, or how many warnings, in the colour of the worst problem.
        self.note = QLabel(self)
        self.note.hide()
        #: The theme whose severity colours the note takes.
        self.theme = "light"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        # The cost beside the totals, not under them: the panel stays as short as it was.
        totals = QHBoxLayout()
        totals.addWidget(self.totals)
        totals.addStretch(1)
        totals.addWidget(self.cost)
        layout.addLayout(totals)
        layout.addWidget(self.note)

    def show_report(self, g: ModelGraph, report: Report, result: ModelCost | None = None) -> None:
        """Show `g`'s summary as `report` (its latest validation) describes it, with
        its cost `result` (cost columns of "?" without one), once edits pause (or when
        the panel is next shown)."""
        self._pending = (g, report, result)
        if on_screen(self):
            self.timer.start()

    def refresh(self) -> None:
        """Show the latest report now (a no-op when already shown)."""
        self.timer.stop()
        if self._pending is None:
            return
        g, report, result = self._pending
        self._pending = None
        self.table.batch = result.batch if result is not None else None
        self.table.set_rows(cost_rows(report, summary_rows(g, report), result))
        self.totals.setText(totals_text(report))
        self.cost.setText(cost_text(result) if result is not None else "")
        self.cost.setVisible(result is not None)
        self.note.setText(note_text(report))
        self.note.setStyleSheet(css_color(self.theme, worst(report.problems)))
        self.note.setVisible(bool(self.note.text()))

    def set_theme(self, name: str) -> None:
        """Colour the note as theme `name` colours problems (from the next refresh)."""
        self.theme = name

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()
