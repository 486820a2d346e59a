"""What a finished run shows: the evaluation on validation data and a few predictions.

Predictions of classifiers read as "class (probability)" next to the target class;
other outputs show their first few numbers.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from codegen.training.runner import TrainingResult
from graph.training import canonical_loss

#: Losses (by canonical name) whose outputs are class probabilities along the last axis.
CLASS_LOSSES = frozenset(
    {
        "sparse_categorical_crossentropy",
        "categorical_crossentropy",
        "categorical_focal_crossentropy",
        "categorical_hinge",
    }
)
#: Numbers shown of an output that is not a class.
SHOWN = 4


def _number(value: np.generic) -> str:
    return str(int(value)) if np.issubdtype(value.dtype, np.integer) else f"{float(value):.3g}"


def cell_text(value: np.ndarray, as_class: bool, probability: bool) -> str:
    """One target or prediction as a table cell.

    `as_class`: a vector along the last axis is a class distribution (its argmax is
    shown, with its probability when `probability`).
    """
    value = np.asarray(value)
    if as_class and value.ndim == 1 and value.size > 1:
        k = int(np.argmax(value))
        return f"{k} ({value[k]:.2f})" if probability else str(k)
    if value.size == 1:
        return _number(value.ravel()[0])
    flat = value.ravel()
    text = ", ".join(_number(v) for v in flat[:SHOWN])
    return f"[{text}{', ...' if flat.size > SHOWN else ''}]"


def evaluation_text(result: TrainingResult) -> str:
    if result.stopped:
        return "No evaluation: the run was stopped."
    if not result.evaluation:
        return "No evaluation: the run had no validation data."
    values = "   ".join(f"{name}: {value:.4g}" for name, value in result.evaluation.items())
    return f"Evaluation on the validation data:   {values}"


class ResultsView(QWidget):
    """The evaluation line and a table of predictions next to targets.

    The table is as tall as its rows, without a scroll bar of its own: the panel
    scrolls, and a scroll area inside a scroll area catches the wheel. A run without
    predictions (stopped, or without validation data) shows no table at all.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.evaluation = QLabel()
        self.evaluation.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        # No wider than its columns: beside the plots, the plots take the rest.
        self.table.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.evaluation)
        layout.addWidget(self.table)
        self.clear()

    def clear(self) -> None:
        """No results: hidden, so that the plots have the room while a run goes on."""
        self.hide()
        self.evaluation.setText("")
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)

    def show_result(
        self,
        result: TrainingResult,
        predictions: dict[str, tuple[np.ndarray | None, np.ndarray]],
    ) -> None:
        """Show how `result` evaluated, and `predictions` (by output: targets and
        predictions of a few validation samples)."""
        self.evaluation.setText(evaluation_text(result))
        self.show()
        setup = result.setup
        headers = ["sample"]
        for name in predictions:
            headers += [f"{name}: target", f"{name}: predicted"]
        rows = max((len(p) for _, p in predictions.values()), default=0)
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setRowCount(rows)
        self.table.setHorizontalHeaderLabels(headers)
        for row in range(rows):
            self.table.setItem(row, 0, QTableWidgetItem(str(row + 1)))
            for i, (name, (target, predicted)) in enumerate(predictions.items()):
                as_class = canonical_loss(setup.outputs[name].loss) in CLASS_LOSSES
                shown = "" if target is None else cell_text(target[row], as_class, False)
                self.table.setItem(row, 1 + 2 * i, QTableWidgetItem(shown))
                guess = cell_text(predicted[row], as_class, True)
                self.table.setItem(row, 2 + 2 * i, QTableWidgetItem(guess))
        self.table.resizeColumnsToContents()
        self.table.setVisible(rows > 0)
