"""CompoundEdit: several graph commands as one undo step, done as they are added.

A paste adds nodes and then connects them, a delete removes edges and nodes: one
user action, one step on the stack. The steps run one by one with `run()`, so a later
step can name a node an earlier one created (QUndoStack macros could do that too, but
they cannot take back a half-done macro when a step is refused). A refused step undoes
the steps before it and raises the graph's error: the graph is as before and nothing
is pushed.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TypeVar

from PySide6.QtGui import QUndoStack

from graph import GraphEditError, ModelGraph
from studio.document.commands import GraphCommand

Command = TypeVar("Command", bound=GraphCommand)


class CompoundEdit(GraphCommand):
    """Graph commands done as one step; undo and redo replay them inside `batch`
    (e.g. a scene's `batch()`, so the canvas validates once per step, not per event)."""

    def __init__(
        self,
        g: ModelGraph,
        text: str,
        batch: Callable[[], AbstractContextManager] = nullcontext,
    ) -> None:
        super().__init__(g, text)
        self._batch = batch
        self._steps: list[GraphCommand] = []

    def __len__(self) -> int:
        return len(self._steps)

    def run(self, command: Command) -> Command:
        """Do `command` now as the next step; if refused, undo all steps and re-raise."""
        try:
            command.do()
        except GraphEditError:
            self.undo()
            self._steps = []
            raise
        self._steps.append(command)
        return command

    def push_to(self, stack: QUndoStack) -> None:
        """Put the edit, already done, on `stack` (nothing if it has no steps).

        An edit of one step is named as that step is ("Delete 'dense'").
        """
        if len(self._steps) == 1:
            self.setText(self._steps[0].text())
        if self._steps:
            self._done_by_push_checked = True
            stack.push(self)

    def do(self) -> None:
        with self._batch():
            for step in self._steps:
                step.do()

    def undo(self) -> None:
        with self._batch():
            for step in reversed(self._steps):
                step.undo()
