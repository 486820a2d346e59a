"""The training form's memory budget: a byte count typed as people write it (8GiB,
512 MiB, or bytes; empty for none), and under it whether one training step fits at
the setup's batch size and optimizer, the nodes that weigh most and the largest batch
that fits (graph.budget, the lines `kgs cost --budget` prints)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QVBoxLayout, QWidget

from graph.budget import budget_lines, check_budget
from graph.bytesize import parse_bytes
from graph.model import ModelGraph
from graph.training import OPTIMIZER_SLOTS, TrainingSetup
from graph.validate import validate
from graph.wording import byte_size


class BudgetField(QWidget):
    """`committed(bytes or None)` when the user enters a new budget (Enter or focus out)."""

    committed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText("none (e.g. 8GiB, 512MiB)")
        self.edit.setToolTip("what one training step may take: weights, gradients, "
                             "optimizer slots and the activations kept for backward")  # fmt: skip
        self.edit.editingFinished.connect(self._commit)
        #: The check in words, or why the typed text is not a budget.
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.hide()
        self._budget: int | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.verdict)

    def show_setup(self, g: ModelGraph, setup: TrainingSetup) -> None:
        """Show `setup`'s budget, checked against `g` at its batch size and optimizer."""
        self._budget = setup.memory_budget
        self.edit.setText("" if self._budget is None else budget_text(self._budget))
        checkable = setup.optimizer in OPTIMIZER_SLOTS and setup.batch_size >= 1
        if self._budget is None or self._budget < 1 or not checkable:
            self.verdict.hide()
            return
        check = check_budget(g, validate(g), self._budget, setup.batch_size, setup.optimizer)
        self.verdict.setText("\n".join(budget_lines(g, check)))
        self.verdict.show()

    def _commit(self) -> None:
        text = self.edit.text().strip()
        try:
            budget = None if not text else parse_bytes(text)
        except ValueError as e:
            self.verdict.setText(str(e))
            self.verdict.show()
            return
        if budget != self._budget:
            self._budget = budget
            self.committed.emit(budget)


def budget_text(budget: int) -> str:
    """`budget` as the field shows it: in a unit ("8.0 GiB") when that reads back as
    exactly `budget`, else in bytes."""
    shown = byte_size(budget)
    try:
        return shown if parse_bytes(shown) == budget else str(budget)
    except ValueError:  # below 1 byte: a file's bad budget, shown as it is
        return str(budget)
