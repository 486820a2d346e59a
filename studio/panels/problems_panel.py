"""The problems panel: every problem of the last validation, one row each.

Errors come first, then warnings, each in the order validate() found them (a
stable sort, so rows do not jump around between edits). A row shows the severity,
the node it concerns and the message; clicking or activating a row asks, through
`node_activated`, for that node to be focused on the canvas; double-clicking a row
about a block use's inside asks, through `inner_activated`, for the node inside.

A problem with quick fixes (graph.quick_fixes) offers them, in its right-click menu
and as buttons under the list while its row is current; choosing one emits
`fix_chosen` for the window to apply as one undoable step. Fixes are looked for only
then, not on every edit: each is tried on a copy of the graph.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from graph import ModelGraph, Problem, Report
from graph.quick_fixes import QuickFix, quick_fixes
from graph.report import ERROR
from studio.severity import COLORS

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
    """Lists a Report's problems; emits `node_activated(node_id)` on a row's click
    and `fix_chosen(QuickFix)` when one of a problem's quick fixes is chosen."""

    node_activated = Signal(str)
    #: A problem inside a block use was double-clicked: the use and Problem.inner
    #: ("encoder/dense_1", "outer/enc/dense" through nested uses).
    inner_activated = Signal(str, str)
    fix_chosen = Signal(object)

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
        self.tree.itemDoubleClicked.connect(self._on_double_click)
        self.tree.currentItemChanged.connect(self._show_fixes)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._open_menu)
        #: The graph and report shown, and the problem of each row (None: a hint row).
        self._shown: tuple[ModelGraph, Report] | None = None
        self._row_problems: list[Problem | None] = []
        #: The fixes of the current row, one button each, under the list.
        self.fix_bar = QWidget(self)
        self._fix_layout = QHBoxLayout(self.fix_bar)
        self._fix_layout.setContentsMargins(4, 2, 4, 2)
        self._fix_layout.addWidget(QLabel("Quick fix:"))
        self._fix_layout.addStretch(1)
        self.fix_bar.hide()
        #: The right-click menu last shown (tests read and trigger it).
        self.context_menu: QMenu | None = None
        #: The theme whose severity colours the rows' messages take.
        self.theme = "light"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        layout.addWidget(self.fix_bar)

    def show_report(self, g: ModelGraph, report: Report) -> None:
        """Replace the rows with `report`'s problems (a "No problems" row if none; one
        plain hint for an empty graph)."""
        self._shown = (g, report)
        problems = sorted_problems(report.problems) if len(g) else []
        if problems:
            rows = [self._row(g, p) for p in problems]
        else:
            rows = [QTreeWidgetItem(["", NO_PROBLEMS if len(g) else EMPTY_GRAPH])]
        self._row_problems = problems or [None]
        tree = self.tree
        tree.setUpdatesEnabled(False)
        tree.clear()
        tree.addTopLevelItems(rows)
        tree.setUpdatesEnabled(True)
        self._show_fixes(None)

    def _row(self, g: ModelGraph, problem: Problem) -> QTreeWidgetItem:
        where, what = problem_text(g, problem)
        item = QTreeWidgetItem([where, what])
        item.setIcon(0, self.style().standardIcon(_ICONS[problem.severity]))
        item.setForeground(1, QColor(COLORS[self.theme][problem.severity]))
        item.setToolTip(1, problem.message)
        item.setData(0, NODE_ROLE, problem.node)
        return item

    def set_theme(self, name: str) -> None:
        """Colour the messages as theme `name` colours problems (from the next report)."""
        self.theme = name
        if self._shown is not None:
            self.show_report(*self._shown)

    def rows(self) -> list[tuple[str, str]]:
        """The (node, problem) texts shown, top to bottom."""
        tree = self.tree
        return [
            (tree.topLevelItem(i).text(0), tree.topLevelItem(i).text(1))
            for i in range(tree.topLevelItemCount())
        ]

    def fixes(self, row: int) -> list[QuickFix]:
        """The quick fixes of the problem on `row` (none for a hint row)."""
        problem = self._row_problems[row] if 0 <= row < len(self._row_problems) else None
        if problem is None or self._shown is None:
            return []
        return quick_fixes(*self._shown, problem)

    def fix_buttons(self) -> list[QPushButton]:
        """The buttons under the list: the current row's fixes."""
        return self.fix_bar.findChildren(QPushButton)

    def _show_fixes(self, item: QTreeWidgetItem | None) -> None:
        for button in self.fix_buttons():
            button.deleteLater()
            button.setParent(None)
        fixes = [] if item is None else self.fixes(self.tree.indexOfTopLevelItem(item))
        for fix in fixes:
            button = QPushButton(fix.description, self.fix_bar)
            button.clicked.connect(lambda _checked=False, f=fix: self.fix_chosen.emit(f))
            self._fix_layout.insertWidget(self._fix_layout.count() - 1, button)
        self.fix_bar.setVisible(bool(fixes))

    def _open_menu(self, pos: QPoint) -> None:
        """A row's right-click menu: its quick fixes (nothing for a row without)."""
        item = self.tree.itemAt(pos)
        fixes = [] if item is None else self.fixes(self.tree.indexOfTopLevelItem(item))
        if not fixes:
            return
        if self.context_menu is not None:
            self.context_menu.deleteLater()
        self.context_menu = QMenu(self)
        add_fix_actions(self.context_menu, fixes, self.fix_chosen.emit)
        self.context_menu.popup(self.tree.viewport().mapToGlobal(pos))

    def _on_double_click(self, item: QTreeWidgetItem) -> None:
        row = self.tree.indexOfTopLevelItem(item)
        problem = self._row_problems[row] if 0 <= row < len(self._row_problems) else None
        if problem is not None and problem.node is not None and problem.inner is not None:
            self.inner_activated.emit(problem.node, problem.inner)

    def _on_item(self, item: QTreeWidgetItem) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.node_activated.emit(node_id)


def add_fix_actions(
    menu: QMenu, fixes: list[QuickFix], chosen: Callable[[QuickFix], object]
) -> None:
    """Add one "Fix: ..." entry per fix to `menu`, calling `chosen(fix)`."""
    for fix in fixes:
        action = menu.addAction(f"Fix: {fix.description}")
        action.triggered.connect(lambda _checked=False, f=fix: chosen(f))
