"""Document: one graph being edited, with its file, its undo stack and its autosave.

"Unsaved" means the undo stack is away from its clean index (so undoing back to
the saved state clears the `*`). A recovered autosave has no clean state until it
is saved. The autosave copy is written only when the stack moved since the last
copy, and removed on save and on close.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from graph import ModelGraph, load, save
from graph.sidecar_copy import copy_sidecar
from studio.document.autosave import AutosaveSlot


class Document(QObject):
    """`graph` with its `path` (None until first saved) and `stack` of edits."""

    #: The title or the unsaved flag may have changed.
    state_changed = Signal()

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

    @classmethod
    def open(cls, path: Path, autosave_folder: Path | None = None) -> Document:
        """Load `path` (GraphFileError names the file and field on bad input)."""
        return cls(load(path), Path(path), autosave_folder)

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
        if self._slot:
            self._slot.clear()
