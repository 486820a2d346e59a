"""Document: one graph being edited, with its file, its undo stack and its autosave.

"Unsaved" means the undo stack is away from its clean index (so undoing back to
the saved state clears the `*`). A recovered autosave has no clean state until it
is saved. The autosave copy is written only when the stack moved since the last
copy, and removed on save and on close.

The document also knows which level of the graph the canvas shows (`levels`, see
studio/document/levels.py): the top graph, or the body of a block use entered, and
the uses entered on the way. Whatever shows or edits "the graph on the canvas" asks
`shown`; `graph` stays the top graph (the file). A level whose use goes away (an undo
of the use's Add, a Delete in the level above) is left for the one above it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from graph import ModelGraph, Report, load, save
from graph.sidecar_copy import copy_sidecar
from studio.document.autosave import AutosaveSlot
from studio.document.levels import Level, crumb, entered, level_view


class Document(QObject):
    """`graph` with its `path` (None until first saved) and `stack` of edits."""

    #: The title or the unsaved flag may have changed.
    state_changed = Signal()
    #: The canvas is to show another level (`levels` changed: a use entered or left).
    level_changed = Signal()

    def __init__(
        self,
        graph: ModelGraph,
        path: Path | None = None,
        autosave_folder: Path | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.graph = graph
        self.path = path
        self.stack = QUndoStack(self)
        self.stack.cleanChanged.connect(self.state_changed)
        self._slot = AutosaveSlot(autosave_folder) if autosave_folder else None
        #: Bumped on every move of the stack (undo, redo, push): a push after an undo
        #: reaches an old index with new content, so the index alone cannot tell.
        self._generation = 0
        self._autosaved_generation: int | None = 0
        self.stack.indexChanged.connect(self._bump)
        self._levels: tuple[Level, ...] = (Level(graph),)

    @classmethod
    def open(cls, path: Path, autosave_folder: Path | None = None) -> Document:
        """Load `path` (GraphFileError names the file and field on bad input)."""
        return cls(load(path), Path(path), autosave_folder)

    # ------------------------------------------------------------------ levels

    @property
    def levels(self) -> tuple[Level, ...]:
        """The levels from the top graph down to the one shown."""
        return self._levels

    @property
    def shown(self) -> ModelGraph:
        """The graph the canvas shows: the top graph, or the body of the use entered."""
        return self._levels[-1].graph

    @property
    def depth(self) -> int:
        """How many uses deep the level shown is (0: the top graph)."""
        return len(self._levels) - 1

    def crumbs(self) -> list[str]:
        """The breadcrumb's names, top first: ["model", "enc: encoder", ...]."""
        return [crumb(self._levels, i) for i in range(len(self._levels))]

    def level_view(self) -> tuple[ModelGraph, Report]:
        """The level shown as its use sees it, and its report (levels.level_view)."""
        return level_view(self._levels)

    def level_report(self) -> Report:
        """The report of the level shown, as its use sees it."""
        return level_view(self._levels)[1]

    def enter(self, use: str) -> None:
        """Show the body of the block use `use`, a node of the level shown (ValueError
        if it is none)."""
        levels = entered(self._levels, use)
        self.shown.events.node_removed.connect(self._on_node_removed)
        self._levels = levels
        self.level_changed.emit()

    def go_to(self, depth: int) -> None:
        """Show the level `depth` of those entered (0: the top graph)."""
        if not 0 <= depth < len(self._levels) - 1:
            return
        for level in self._levels[depth:-1]:
            level.graph.events.node_removed.disconnect(self._on_node_removed)
        self._levels = self._levels[: depth + 1]
        self.level_changed.emit()

    def leave(self) -> None:
        """Show the level above the one shown (nothing at the top)."""
        self.go_to(self.depth - 1)

    def _on_node_removed(self, node_id: str) -> None:
        for depth, level in enumerate(self._levels[1:]):
            if level.use == node_id and node_id not in self._levels[depth].graph:
                self.go_to(depth)
                return

    @property
    def unsaved(self) -> bool:
        return not self.stack.isClean()

    def display_name(self) -> str:
        return self.path.name if self.path else "Untitled"

    def title(self) -> str:
        """'mlp.graph.json*' while unsaved, as window titles show it."""
        return self.display_name() + ("*" if self.unsaved else "")

    def mark_recovered(self) -> None:
        """The graph came from an autosave: unsaved until the user saves it."""
        self.stack.resetClean()
        self._autosaved_generation = None
        self.state_changed.emit()

    def save(self, path: Path | None = None) -> None:
        """Write the graph (atomically) to `path`, or to the document's own path.

        Saved as another file, a graph with weights takes a copy of its sidecar along
        (graph.sidecar_copy), written before the graph file that records it; a sidecar
        that is missing or does not match is refused (WeightsFileError names it)."""
        target = Path(path) if path else self.path
        if target is None:
            raise ValueError("an untitled document needs a path to save to")
        record = self.graph.weights
        if record is not None and self.path is not None and target.resolve() != self.path.resolve():
            self.graph.weights = copy_sidecar(record, self.path, target)
        try:
            save(self.graph, target)
        except BaseException:
            self.graph.weights = record
            raise
        self.path = target
        self.stack.setClean()
        if self._slot:
            self._slot.clear()
        self._autosaved_generation = self._generation
        self.state_changed.emit()

    def autosave(self) -> bool:
        """Copy unsaved work aside if it changed since the last copy; True if written."""
        if self._slot is None:
            return False
        if not self.unsaved:
            self._slot.clear()
            return False
        if self._autosaved_generation == self._generation:
            return False
        self._slot.write(self.graph, self.path)
        self._autosaved_generation = self._generation
        return True

    def _bump(self) -> None:
        self._generation += 1

    def close(self) -> None:
        """The user closed the document on purpose: drop its autosave."""
        self.go_to(0)
        if self._slot:
            self._slot.clear()
