"""Live training plots: the loss batch by batch, and every logged value epoch by epoch.

One pyqtgraph canvas holds a plot of the per-batch loss and one plot per logged
quantity (the loss, each output's loss and each metric), with the training curve
and, when the run validates, the validation curve. The plots only hold data: the
panel feeds them from its timer, many points at a time, so drawing never follows
the pace of batches.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget

#: Plots per row of the epoch grid.
COLUMNS = 3
TRAIN_PEN = pg.mkPen("#1f77b4", width=2)
VALIDATION_PEN = pg.mkPen("#ff7f0e", width=2)
VALIDATION = "val_"


def quantities(names: list[str]) -> list[str]:
    """The logged quantities, each once: ["loss", "accuracy"] for loss, accuracy, val_*."""
    return list(dict.fromkeys(n.removeprefix(VALIDATION) for n in names))


class TrainingPlots(pg.GraphicsLayoutWidget):
    """The batch-loss plot and one epoch plot per logged quantity."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self.batch_x: list[float] = []
        self.batch_y: list[float] = []
        self.epochs: dict[str, tuple[list[float], list[float]]] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.reset([])

    def reset(self, names: list[str]) -> None:
        """Empty plots for a run that logs `names` (graph.training.log_names)."""
        self.clear()
        self.batch_x, self.batch_y = [], []
        self.epochs = {name: ([], []) for name in names}
        self.curves = {}
        batch = self.addPlot(row=0, col=0, colspan=COLUMNS, title="loss per batch")
        batch.setLabel("bottom", "batch")
        batch.setClipToView(True)
        batch.setDownsampling(auto=True, mode="peak")
        self.batch_curve = batch.plot(pen=TRAIN_PEN)
        for i, quantity in enumerate(quantities(names)):
            plot = self.addPlot(row=1 + i // COLUMNS, col=i % COLUMNS, title=quantity)
            plot.setLabel("bottom", "epoch")
            legend = plot.addLegend(offset=(-5, 5))
            legend.setLabelTextSize("7pt")
            for name, pen, label in (
                (quantity, TRAIN_PEN, "training"),
                (VALIDATION + quantity, VALIDATION_PEN, "validation"),
            ):
                if name in self.epochs:
                    self.curves[name] = plot.plot(pen=pen, symbol="o", symbolSize=5, name=label)
                    self.curves[name].setSymbolBrush(pen.color())

    def add_batches(self, points: list[tuple[int, float]]) -> None:
        """Append (batch number over the run, loss) points."""
        if not points:
            return
        for x, y in points:
            self.batch_x.append(x)
            self.batch_y.append(y)
        self.batch_curve.setData(self.batch_x, self.batch_y, skipFiniteCheck=True)

    def add_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        """Append one epoch's logged values (epochs count from 1 on the axis)."""
        for name, value in logs.items():
            if name not in self.curves:
                continue  # e.g. the learning rate ReduceLROnPlateau adds
            xs, ys = self.epochs[name]
            xs.append(epoch + 1)
            ys.append(value)
            self.curves[name].setData(xs, ys)
