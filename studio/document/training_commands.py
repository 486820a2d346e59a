"""The undo command of the training panel: replace a graph's training setup.

A TrainingSetup is immutable, so undo just puts the old object back: the graph's
saved text is then byte-identical to before. Consecutive edits of one field (a spin
box stepped ten times, a learning rate typed digit by digit) merge into one step.
"""

from __future__ import annotations

from PySide6.QtGui import QUndoCommand

from graph.model import ModelGraph
from graph.training import TrainingSetup
from studio.document.commands import GraphCommand


class SetTraining(GraphCommand):
    """Set `g.training` to `setup`; `field` names what changed (for merging and the text)."""

    def __init__(self, g: ModelGraph, setup: TrainingSetup | None, field: str = "setup") -> None:
        super().__init__(g, f"Edit training {field}")
        self._old = g.training
        self._new = setup
        self.field = field

    def id(self) -> int:
        return 2

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (isinstance(other, SetTraining) and other.g is self.g and other.field == self.field):
            return False
        self._new = other._new
        self.setObsolete(self._new == self._old)
        return True

    def do(self) -> None:
        self.g.training = self._new

    def undo(self) -> None:
        self.g.training = self._old
