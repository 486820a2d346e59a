"""The problems panel: every problem of the last validation, one row each.

Errors come first, then warnings, each in the order validate() found them (a
stable sort, so rows do not jump around between edits). A row shows the severity,
the node it concerns and the message; clicking or activating a row asks, through
`node_activated`, for that node to be focused on the canvas.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QStyle, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from graph import ModelGraph, Problem, Report
from graph.report import ERROR

#: Text colour per severity; both read on light and dark backgrounds.
COLORS = {"error": "#d32f2f", "warning": "#c77c02"}
_ICONS = {
    "error": QStyle.StandardPixmap.SP_MessageBoxCritical,
    "warning": QStyle.StandardPixmap.SP_MessageBoxWarning,
}
NODE_ROLE = Qt.ItemDataRole.UserRole
NO_PROBLEMS = "No problems"
#: Shown for a graph with no nodes, instead of its "no Input" and "no output" errors:
#: true, but a blank canvas is a start, not a mistake.
EMPTY_GRAPH = "Empty graph: drag a layer from the palette, or press Tab"


def sorted_problems(problems: list[Problem]) -> list[Problem]:
    """Errors first, then the rest, each kept in validation order."""
    return sorted(problems, key=lambda p: p.severity != ERROR)


def problem_text(g: ModelGraph, problem: Problem) -> tuple[str, str]:
    """(where, what): the node's label ("model" for graph-wide problems) and the
    message without the label it starts with, which the row already shows."""
    if problem.node is None or problem.node not in g:
        return "model", problem.message
    label = g.label(problem.node)
    message = problem.message.removeprefix(f"{label}: ")
    return label, message


class ProblemsPanel(QWidget):
    """Lists a Report's problems; emits `node_activated(node_id)` on a row's click."""

    node_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Node", "Problem"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setWordWrap(False)
        self.tree.setColumnWidth(0, 220)
        self.tree.itemClicked.connect(self._on_item)
        self.tree.itemActivated.connect(self._on_item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)

    def show_report(self, g: ModelGraph, report: Report) -> None:
        """Replace the rows with `report`'s problems (a "No problems" row if none; one
        plain hint for an empty graph)."""
        if len(g):
            rows = [self._row(g, p) for p in sorted_problems(report.problems)]
            rows = rows or [QTreeWidgetItem(["", NO_PROBLEMS])]
        else:
            rows = [QTreeWidgetItem(["", EMPTY_GRAPH])]
        tree = self.tree
        tree.setUpdatesEnabled(False)
        tree.clear()
        tree.addTopLevelItems(rows)
        tree.setUpdatesEnabled(True)

    def _row(self, g: ModelGraph, problem: Problem) -> QTreeWidgetItem:
        where, what = problem_text(g, problem)
        item = QTreeWidgetItem([where, what])
        item.setIcon(0, self.style().standardIcon(_ICONS[problem.severity]))
        item.setForeground(1, QColor(COLORS[problem.severity]))
        item.setToolTip(1, problem.message)
        item.setData(0, NODE_ROLE, problem.node)
        return item

    def rows(self) -> list[tuple[str, str]]:
        """The (node, problem) texts shown, top to bottom."""
        tree = self.tree
        return [
            (tree.topLevelItem(i).text(0), tree.topLevelItem(i).text(1))
            for i in range(tree.topLevelItemCount())
        ]

    def _on_item(self, item: QTreeWidgetItem) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_activated.emit(node_id)
