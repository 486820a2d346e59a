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
#: Width of the y axes, fixed: an axis that widens for longer tick labels re-lays out
#: every plot of the canvas, and each relaid plot redraws its ticks.
AXIS_WIDTH = 44
#: The least height of a row of plots: below it a plot is all title and tick labels.
ROW_HEIGHT = 120
#: The key of the batch-loss plot among the views.
BATCH = " batch"


def quantities(names: list[str]) -> list[str]:
    """The logged quantities, each once: ["loss", "accuracy"] for loss, accuracy, val_*."""
    return list(dict.fromkeys(n.removeprefix(VALIDATION) for n in names))


def widened(shown: tuple[float, float] | None, low: float, high: float) -> tuple[float, float]:
    """A y range holding `shown` and [low, high], with a quarter of the span to spare
    beyond the new data, so that a falling loss re-scales the axis rarely (an axis whose
    range changes redraws its ticks, the costliest part of a repaint)."""
    if shown is not None:
        low, high = min(low, shown[0]), max(high, shown[1])
    margin = max(high - low, abs(high) * 0.01, 1e-6) / 4
    bottom = max(0.0, low - margin) if low >= 0 else low - margin
    return bottom, high + margin


class AxesFollower:
    """Sets a plot's ranges by hand, changing them only when the data outgrows them.

    pyqtgraph's auto-range moves the axes with every new point, and an axis whose
    range moves regenerates its ticks: the costliest part of a repaint, paid on the
    GUI thread while training competes for the interpreter. Here the x range changes
    in steps the caller picks and the y range only grows, with room to spare.
    """

    def __init__(self, view: pg.ViewBox) -> None:
        self.view = view
        view.disableAutoRange()
        self.x: tuple[float, float] | None = None
        self.y: tuple[float, float] | None = None

    def follow(self, x: tuple[float, float], values: list[float]) -> None:
        """Show `x`; widen y to hold `values` when they leave it."""
        if x != self.x:
            self.x = x
            self.view.setXRange(*x, padding=0)
        shown = self.y
        low, high = min(values), max(values)
        if shown is None or low < shown[0] or high > shown[1]:
            self.y = widened(shown, low, high)
            self.view.setYRange(*self.y, padding=0)


class TrainingPlots(pg.GraphicsLayoutWidget):
    """The batch-loss plot and one epoch plot per logged quantity."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self.reset([])

    def reset(self, names: list[str]) -> None:
        """Empty plots for a run that logs `names` (graph.training.log_names)."""
        self.clear()
        self.batch_x: list[float] = []
        self.batch_y: list[float] = []
        self.epochs: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in names}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.views: dict[str, pg.ViewBox] = {}
        self.followers: dict[str, AxesFollower] = {}
        self.plan: tuple[int, int] | None = None
        batch = self.addPlot(row=0, col=0, colspan=COLUMNS, title="loss per batch")
        batch.setLabel("bottom", "batch")
        batch.setClipToView(True)
        batch.setDownsampling(auto=True, mode="peak")
        self.batch_curve = batch.plot(pen=TRAIN_PEN)
        batch.getAxis("left").setWidth(AXIS_WIDTH)
        self.views[BATCH] = batch.getViewBox()
        shown = quantities(names)
        self.setMinimumHeight(ROW_HEIGHT * (1 + -(-len(shown) // COLUMNS)))
        for i, quantity in enumerate(shown):
            plot = self.addPlot(row=1 + i // COLUMNS, col=i % COLUMNS, title=quantity)
            plot.setLabel("bottom", "epoch")
            plot.getAxis("left").setWidth(AXIS_WIDTH)
            self.views[quantity] = plot.getViewBox()
            legend = plot.addLegend(offset=(-5, 5))
            legend.setLabelTextSize("7pt")
            for name, pen, label in (
                (quantity, TRAIN_PEN, "training"),
                (VALIDATION + quantity, VALIDATION_PEN, "validation"),
            ):
                if name in self.epochs:
                    self.curves[name] = plot.plot(pen=pen, symbol="o", symbolSize=5, name=label)
                    self.curves[name].setSymbolBrush(pen.color())

    def set_plan(self, epochs: int, steps_per_epoch: int) -> None:
        """From now on the axes follow the run by hand (see AxesFollower): the batch
        plot's x axis grows one epoch at a time, the epoch plots' by doubling."""
        self.plan = (epochs, max(1, steps_per_epoch))
        self.followers = {name: AxesFollower(view) for name, view in self.views.items()}

    def add_batches(self, points: list[tuple[int, float]]) -> None:
        """Append (batch number over the run, loss) points."""
        if not points:
            return
        for x, y in points:
            self.batch_x.append(x)
            self.batch_y.append(y)
        self.batch_curve.setData(self.batch_x, self.batch_y, skipFiniteCheck=True)
        if self.plan is not None:
            self._follow_batches([y for _, y in points])

    def _follow_batches(self, losses: list[float]) -> None:
        steps = self.plan[1]
        end = -(-self.batch_x[-1] // steps) * steps
        self.followers[BATCH].follow((0, end), losses)

    def add_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        """Append one epoch's logged values (epochs count from 1 on the axis)."""
        for name, value in logs.items():
            if name not in self.curves:
                continue  # e.g. the learning rate ReduceLROnPlateau adds
            xs, ys = self.epochs[name]
            xs.append(epoch + 1)
            ys.append(value)
            self.curves[name].setData(xs, ys)
        if self.plan is not None:
            end = min(self.plan[0], 2 ** (epoch + 1).bit_length())
            for quantity in quantities(list(self.epochs)):
                values = [v for n in (quantity, VALIDATION + quantity) for v in self._values(n)]
                if values:
                    self.followers[quantity].follow((0.8, end + 0.2), values)

    def _values(self, name: str) -> list[float]:
        return self.epochs[name][1] if name in self.epochs else []
