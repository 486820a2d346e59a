"""File > Compare with...: the window's graph against another version of it (a file
chosen, or the saved file), live: the canvas marks what was added, changed or
removed since that version (studio/canvas/diff_marks.py) and the Compare panel
lists it with the whole report (studio/panels/compare_panel.py).

The other version is read once; the graph is compared with it again after each
edit (once per burst of edits: the scene validates after each, the comparison waits
for the event loop), with that version's cost computed once. A new document ends
the comparison, as does the panel's Stop comparing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from graph import GraphError, ModelGraph, load
from graph.diff import CostTotals, ModelDiff, cost_totals, diff
from studio.canvas.diff_marks import DiffMarks
from studio.canvas.scene import GraphScene
from studio.diff_colors import DIFF_COLORS
from studio.panels.compare_panel import ComparePanel
from studio.prompts import GRAPH_FILTER

if TYPE_CHECKING:
    from studio.mainwindow import MainWindow

NOT_SAVED = "The graph has no saved version yet: Compare with... a file instead"


class Comparison:
    """The window's comparison with another version, while one is on."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.panel = ComparePanel()
        self.panel.node_activated.connect(window.focus_node)
        self.panel.stop_requested.connect(self.stop)
        #: The version compared with, what the panel calls it, and its cost.
        self.other: ModelGraph | None = None
        self.title = ""
        self._other_cost: CostTotals | None = None
        self._scene: GraphScene | None = None
        self.marks: DiffMarks | None = None
        #: The last comparison's result (None when not comparing).
        self.result: ModelDiff | None = None
        self._refresh_soon = QTimer()
        self._refresh_soon.setSingleShot(True)
        self._refresh_soon.setInterval(0)
        self._refresh_soon.timeout.connect(self.refresh)

    def with_file(self, path: Path | None = None) -> bool:
        """Compare with a graph file (asked for when not given)."""
        path = path or self.window.prompts.open_path("Compare with", GRAPH_FILTER)
        return path is not None and self._start(Path(path), Path(path).name)

    def with_saved(self) -> bool:
        """Compare with the document's file as saved on disk."""
        path = self.window.document.path
        if path is None:
            self.window.show_refusal(NOT_SAVED)
            return False
        return self._start(path, f"the saved {path.name}")

    def stop(self) -> None:
        """End the comparison: marks off, panel cleared."""
        self._refresh_soon.stop()
        if self._scene is not None:
            self._scene.validated.disconnect(self._on_validated)
            self._scene = None
        if self.marks is not None:
            self.marks.clear()
            self.marks = None
        self.other, self.result, self._other_cost = None, None, None
        self.panel.clear()

    def refresh(self) -> None:
        """Compare the graph with the other version now and show the result."""
        if self.other is None:
            return
        g = self.window.document.graph
        self.result = diff(self.other, g, old_cost=self._other_cost)
        colors = DIFF_COLORS[self.window.theme]
        self.marks.show(self.result, self.other, colors)
        self.panel.show_diff(self.title, self.result, colors)

    def _start(self, path: Path, title: str) -> bool:
        try:
            other = load(path)
        except GraphError as e:
            self.window.prompts.error("Cannot compare", str(e))
            return False
        self.stop()
        self.other, self.title = other, title
        self._other_cost = cost_totals(other, 1)
        self._scene = self.window.scene
        self._scene.validated.connect(self._on_validated)
        self.marks = DiffMarks(self._scene)
        self.refresh()
        dock = self.window.docks["compare"]
        dock.show()
        dock.raise_()
        return True

    def _on_validated(self, _report: object) -> None:
        self._refresh_soon.start()
