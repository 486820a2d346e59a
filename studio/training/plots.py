"""Live training plots: the loss batch by batch, and every logged value epoch by epoch.

One pyqtgraph canvas holds a plot of the per-batch loss and one plot per logged
quantity (the loss, each output's loss and each metric), with the training curve
and, when the run validates, the validation curve; one legend between the two
kinds says which curve is which. The plots only hold data: the panel feeds them
from its timer, many points at a time, so drawing never follows the pace of
batches. Every repaint runs Python inside pyqtgraph while the training thread
waits for the interpreter lock, so what is drawn, and how often an axis changes,
is chosen for cost as much as for looks (bench/training_plots_bench.py).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QPalette, QPen, QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QWidget

#: Plots per row of the epoch grid.
COLUMNS = 3
TRAIN_PEN = pg.mkPen("#1f77b4", width=2)
#: The per-batch curve is thin: it redraws at every drain, and a one-pixel line is
#: drawn by the fast path of Qt's raster engine (a half to a third of a wider one's time).
BATCH_PEN = pg.mkPen(TRAIN_PEN.color(), width=1)
VALIDATION_PEN = pg.mkPen("#ff7f0e", width=2)
VALIDATION = "val_"
#: Width of the y axes, fixed: an axis that widens for longer tick labels re-lays out
#: every plot of the canvas, and each relaid plot redraws its ticks.
AXIS_WIDTH = 44
#: The least height of a row of plots: below it a plot is all title and tick labels.
ROW_HEIGHT = 140
#: The height of the legend's row.
LEGEND_HEIGHT = 24
#: The key of the batch-loss plot among the views.
BATCH = " batch"
#: The most batch points drawn, about three per pixel of a wide plot: a longer run
#: draws every k-th batch (what Keras logs per batch is the epoch's running mean, so
#: little is lost), and a repaint costs the same however long the run.
BATCH_POINTS = 2000
#: The first row of epoch plots: the batch plot and the legend come before.
EPOCH_ROW = 2


def quantities(names: list[str]) -> list[str]:
    """The logged quantities, each once: ["loss", "accuracy"] for loss, accuracy, val_*."""
    return list(dict.fromkeys(n.removeprefix(VALIDATION) for n in names))


def every(values: list[float], stride: int) -> list[float]:
    """Every `stride`-th value from the first, and the last one."""
    picked = values[::stride]
    if (len(values) - 1) % stride:
        picked.append(values[-1])
    return picked


def legend_html(names: list[str]) -> str:
    """One legend for every epoch plot: the training line, and the validation line
    when the run validates (drawn once, where a legend per plot repaints with it)."""
    lines = [(TRAIN_PEN, "training")]
    if any(n.startswith(VALIDATION) for n in names):
        lines.append((VALIDATION_PEN, "validation"))
    return "per epoch: " + " &nbsp; ".join(
        f'<span style="color: {pen.color().name()}">&#9473;&#9473;</span> {label}'
        for pen, label in lines
    )


def epoch_span(epochs: int) -> tuple[float, float]:
    """The x range of an epoch plot showing epochs 1 to `epochs`."""
    return 0.8, epochs + 0.2


def epoch_step(epochs: int) -> int:
    """The spacing of an epoch axis's ticks: whole epochs (1, 2, 5, 10, 20, ...), at
    most six of them (pyqtgraph's own ticks would mark epoch 1.5)."""
    step, factors = 1, itertools.cycle((2, 2.5, 2))
    while epochs > 6 * step:
        step = round(step * next(factors))
    return step


def widened(shown: tuple[float, float] | None, low: float, high: float) -> tuple[float, float]:
    """A y range holding `shown` and [low, high], changed as rarely as data allows.

    An axis whose range changes redraws its ticks, the costliest part of a repaint,
    so a range left by the data grows on that side by the whole span of everything
    shown: a loss falling from 2 to 0.5 re-scales once or twice, not every epoch. The
    first range is at least a tenth of the values' size wide. Data that has stayed
    nonnegative never shows below 0, and data that has stayed within [0, 1]
    (accuracies and other rates) never above 1.
    """
    floor = max(abs(low), abs(high)) / 10 or 1e-6
    if shown is None:
        span = max(high - low, floor)
        bottom, top = low - span / 2, high + span / 2
    else:
        bottom, top = shown
        span = max(max(high, top) - min(low, bottom), floor)
        if low < bottom:
            bottom = low - span
        if high > top:
            top = high + span
    if low >= 0 and (shown is None or shown[0] >= 0):
        bottom = max(bottom, 0.0)
    if high <= 1 and (shown is None or shown[1] <= 1):
        top = min(top, 1.0)
    return bottom, top


class AxesFollower:
    """Sets a plot's ranges by hand: x once for the whole run, y only when the data
    outgrows it.

    pyqtgraph's auto-range moves the axes with every new point, and an axis whose
    range moves regenerates its ticks: the costliest part of a repaint, paid on the
    GUI thread while training competes for the interpreter. Here the x axis spans
    the planned run from the start (the curve fills it as a progress bar fills; see
    TrainingPlots.finish for a run that ends early) and the y range only grows, with
    room to spare.
    """

    def __init__(self, view: pg.ViewBox, x: tuple[float, float]) -> None:
        self.view = view
        view.disableAutoRange()
        self.x: tuple[float, float] | None = None
        self.y: tuple[float, float] | None = None
        self.show_x(x)

    def show_x(self, x: tuple[float, float]) -> None:
        if x != self.x:
            self.x = x
            self.view.setXRange(*x, padding=0)

    def follow(self, values: list[float]) -> None:
        """Widen y to hold `values` when they leave it."""
        shown = self.y
        low, high = min(values), max(values)
        if shown is None or low < shown[0] or high > shown[1]:
            self.y = widened(shown, low, high)
            self.view.setYRange(*self.y, padding=0)


class EpochCurve:
    """One logged quantity epoch by epoch: a line through its values and a dot on each.

    pyqtgraph's items fed directly: PlotDataItem, which wraps a line and a dots item,
    costs five times as much per new point (it re-derives its whole dataset, then
    rebuilds every dot), and its cost lands on the GUI thread at every epoch's end.
    The curves of one plot share one dots item: each item costs a repaint several
    calls into Python whatever its number of points.
    """

    def __init__(self, plot: pg.PlotItem, pen: QPen, dots: pg.ScatterPlotItem) -> None:
        self.line = pg.PlotCurveItem(pen=pen)
        plot.addItem(self.line)
        self.dots = dots
        self.pen = pen
        self.brush = pg.mkBrush(pen.color())

    def extend(self, xs: list[float], ys: list[float]) -> None:
        """Show `xs`, `ys`: the points shown before, and one more at the end."""
        self.line.setData(xs, ys)
        self.dots.addPoints([xs[-1]], [ys[-1]], pen=self.pen, brush=self.brush)

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        """The points shown, as pyqtgraph's items give them."""
        return self.line.getData()


def mixed(a: QColor, b: QColor, share: float) -> QColor:
    """`share` of `a` and the rest of `b`."""
    return QColor(
        *(round(share * x + (1 - share) * y) for x, y in zip(a.getRgb(), b.getRgb(), strict=True))
    )


class TrainingPlots(pg.GraphicsLayoutWidget):
    """The batch-loss plot, a legend, and one epoch plot per logged quantity.

    The plots are drawn in the window's palette (background, text, axes), and again
    when it changes (the light and dark themes). Their ranges follow the run
    (AxesFollower), so the mouse neither zooms nor pans them: the wheel scrolls
    whatever holds them, as it does over the rest of the panel.
    """

    #: Whether reset() made the plots (Qt changes the palette while constructing).
    _made = False

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reset([])

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Scroll the scroll area the plots sit in. Handed on by hand: Qt passes a wheel
        event on to the parents only when it comes from the system, not when sent."""
        holder = self.parentWidget()
        while holder is not None and not isinstance(holder, QAbstractScrollArea):
            holder = holder.parentWidget()
        if holder is not None:
            QApplication.sendEvent(holder.viewport(), event)
        event.accept()  # once: the holder scrolled, or there is nothing to scroll

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._made:
            self._follow_palette()

    def _follow_palette(self) -> None:
        """Background, axes, titles and the legend in the colours of the palette."""
        palette = self.palette()
        base, text = palette.color(QPalette.ColorRole.Base), palette.color(QPalette.ColorRole.Text)
        self.setBackground(base)
        axis = mixed(text, base, 0.6)
        for plot in self.plot_items:
            for name in ("left", "bottom"):
                plot.getAxis(name).setPen(axis)
                plot.getAxis(name).setTextPen(text)
        for label in self.labels:
            label.setText(label.text, color=text.name())

    def reset(self, names: list[str]) -> None:
        """Empty plots for a run that logs `names` (graph.training.log_names)."""
        self.clear()
        self.batch_x: list[float] = []
        self.batch_y: list[float] = []
        self.epochs: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in names}
        self.curves: dict[str, EpochCurve] = {}
        self.views: dict[str, pg.ViewBox] = {}
        self.followers: dict[str, AxesFollower] = {}
        self.epoch_axes: list[pg.AxisItem] = []
        self.plot_items: list[pg.PlotItem] = []
        #: The titles and the legend: text drawn in the palette's text colour.
        self.labels: list[pg.LabelItem] = []
        batch = self._plot(0, 0, "loss per batch", "batch", colspan=COLUMNS)
        self.batch_curve = pg.PlotCurveItem(pen=BATCH_PEN)  # not a PlotDataItem: as EpochCurve
        batch.addItem(self.batch_curve)
        self.views[BATCH] = batch.getViewBox()
        shown = quantities(names)
        if shown:
            legend = self.addLabel(legend_html(names), row=1, col=0, colspan=COLUMNS, size="8pt")
            self.labels.append(legend)
        legend_height = LEGEND_HEIGHT if shown else 0
        self.setMinimumHeight(ROW_HEIGHT * (1 + -(-len(shown) // COLUMNS)) + legend_height)
        for i, quantity in enumerate(shown):
            plot = self._plot(EPOCH_ROW + i // COLUMNS, i % COLUMNS, quantity, "epoch")
            self.views[quantity] = plot.getViewBox()
            self.epoch_axes.append(plot.getAxis("bottom"))
            dots = pg.ScatterPlotItem(size=5)
            for name, pen in ((quantity, TRAIN_PEN), (VALIDATION + quantity, VALIDATION_PEN)):
                if name in self.epochs:
                    self.curves[name] = EpochCurve(plot, pen, dots)
            plot.addItem(dots)  # over the lines
        self._made = True
        self._follow_palette()
        # As wide as the plots' layout needs (axes and titles): a narrower widget would
        # cut the right-hand plots off; this way whatever holds it scrolls instead.
        needed = self.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).width()
        self.setMinimumWidth(math.ceil(needed))

    def _plot(self, row: int, col: int, title: str, x_label: str, colspan: int = 1) -> pg.PlotItem:
        plot = self.addPlot(row=row, col=col, colspan=colspan, title=title)
        plot.setLabel("bottom", x_label)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()  # the "A" that auto-ranges: the axes follow the run already
        self.plot_items.append(plot)
        self.labels.append(plot.titleLabel)
        plot.getAxis("left").setWidth(AXIS_WIDTH)
        for axis in ("left", "bottom", "right", "top"):
            # Rescaling tick labels by SI prefixes (k, M, m) suits measured units, not
            # batch counts or losses, and costs a relayout of the axis per range change.
            plot.getAxis(axis).enableAutoSIPrefix(False)
        return plot

    def set_plan(self, epochs: int, steps_per_epoch: int) -> None:
        """From now on the axes span the planned run (see AxesFollower)."""
        batches = epochs * max(1, steps_per_epoch)
        self.followers = {
            name: AxesFollower(view, (0, batches) if name == BATCH else epoch_span(epochs))
            for name, view in self.views.items()
        }
        self._space_epoch_ticks(epochs)

    def add_batches(self, points: list[tuple[int, float]]) -> None:
        """Append (batch number over the run, loss) points."""
        if not points:
            return
        for x, y in points:
            self.batch_x.append(x)
            self.batch_y.append(y)
        stride = -(-len(self.batch_x) // BATCH_POINTS)
        xs, ys = every(self.batch_x, stride), every(self.batch_y, stride)
        self.batch_curve.setData(xs, ys, skipFiniteCheck=True)
        if self.followers:
            self.followers[BATCH].follow([y for _, y in points])

    def add_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        """Append one epoch's logged values (epochs count from 1 on the axis)."""
        for name, value in logs.items():
            if name not in self.curves:
                continue  # e.g. the learning rate ReduceLROnPlateau adds
            xs, ys = self.epochs[name]
            xs.append(epoch + 1)
            ys.append(value)
            self.curves[name].extend(xs, ys)
        if not self.followers:
            return
        for quantity in quantities(list(self.epochs)):
            values = [v for n in (quantity, VALIDATION + quantity) for v in self._values(n)]
            if values:
                self.followers[quantity].follow(values)

    def finish(self) -> None:
        """The run ended: fit the x axes to what it did when it stopped before its
        plan (the Stop button, EarlyStopping, an error)."""
        if not self.followers or not self.batch_x:
            return
        self.followers[BATCH].show_x((0, self.batch_x[-1]))
        done = max((len(xs) for xs, _ in self.epochs.values()), default=0)
        if done:
            for quantity in quantities(list(self.epochs)):
                self.followers[quantity].show_x(epoch_span(done))
            self._space_epoch_ticks(done)

    def _space_epoch_ticks(self, epochs: int) -> None:
        step = epoch_step(epochs)
        for axis in self.epoch_axes:
            axis.setTickSpacing(levels=[(step, 0)])

    def _values(self, name: str) -> list[float]:
        return self.epochs[name][1] if name in self.epochs else []
