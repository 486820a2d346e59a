"""Undo commands for editing with blocks: group, ungroup, make unique, repeat, group
by names, rename and remove a definition.

These edits rewrite a region of the graph and the block definitions together
(graph.block_edit, graph.grouping), so a `Restructure` does not replay them
backwards: it snapshots the graph and its definitions before and after its first
run (graph.snapshot) and undo and redo return to those states, byte for byte, with
the same body objects (a later command that edits a body finds the one it edited).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from graph import GraphEditError, ModelGraph
from graph.snapshot import Snapshot
from studio.document.commands import GraphCommand


class Restructure(GraphCommand):
    """`edit(g)` as one step; its result is kept in `result`. Undo and redo run
    inside `batch` (a scene's, so the canvas validates once)."""

    def __init__(
        self,
        g: ModelGraph,
        text: str,
        edit: Callable[[ModelGraph], Any],
        batch: Callable[[], AbstractContextManager] = nullcontext,
    ) -> None:
        super().__init__(g, text)
        self._edit = edit
        self._batch = batch
        self._before: Snapshot | None = None
        self._after: Snapshot | None = None
        self.result: Any = None

    def do(self) -> None:
        with self._batch():
            if self._after is not None:
                self._after.restore(self.g)
                return
            self._before = Snapshot.of(self.g)
            try:
                self.result = self._edit(self.g)
            except GraphEditError:
                self._before.restore(self.g)  # a refusal half way leaves nothing behind
                raise
            self._after = Snapshot.of(self.g)

    def undo(self) -> None:
        with self._batch():
            self._before.restore(self.g)


class RenameBlock(GraphCommand):
    """Rename a definition of `g` (the top graph); every use follows."""

    def __init__(self, g: ModelGraph, old: str, new: str) -> None:
        super().__init__(g, f"Rename block '{old}' to '{new}'")
        self._names = (old, new)

    def do(self) -> None:
        self.g.rename_block(*self._names)

    def undo(self) -> None:
        self.g.rename_block(*reversed(self._names))
