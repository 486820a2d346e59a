"""The training panel: set up, start and stop training, watch it live, keep the result.

Start copies the graph (the user keeps editing while it trains) and runs a Trainer
in a background Job. The trainer reports into a TrainingFeed; a timer on the GUI
thread drains it at DRAIN_HZ into the progress bar and the plots, so widgets are
touched only here and the event loop never sees one signal per batch. Stop asks the
trainer to stop after the batch in progress. Every failure (bad data, a NaN loss, a
setup problem, an exception inside a layer) lands in the message area; the graph is
never touched by a run. After a run: the evaluation, a few predictions, exports
of the trained model, and "Keep trained weights", which the window confirms and then
writes into the graph's weights sidecar (write_trained_weights).

On screen: the form, with Start and Stop under it, on the left; on the right the
progress bar and its line of text, always in view, over a scrolled column of the
message, the plots and the results (beside the plots where the panel is wide).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent, QUndoStack
from PySide6.QtWidgets import (
    QBoxLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from codegen.build_weights import save_model_weights
from codegen.keras_errors import plain_text
from codegen.training import Trainer
from codegen.training.runner import TrainingResult
from codegen.trusted_code import Trust, awaiting_trust
from graph import GraphError, ModelGraph, dumps, loads
from graph.atomicfile import atomic_path
from graph.training import log_names
from graph.weights import WeightsRecord
from graph.weightsfile import sidecar_name
from studio.exporting import TARGETS, with_suffix
from studio.graph_weights import saved_weights, weights_text
from studio.jobs import Job
from studio.training.deferred_progress import DeferredProgressBar
from studio.training.form import TrainingForm
from studio.training.message_box import MessageBox
from studio.training.plots import COLUMNS, TrainingPlots
from studio.training.results import ResultsView
from studio.training.run import FeedUpdate, RunOutcome, TrainingFeed, train
from studio.visibility import on_screen

#: The line in place of the progress bar before the first run.
NOT_TRAINED = "Not trained yet: press Start"
#: How often the plots and progress catch up with the training thread. Each redraw
#: holds the interpreter lock the training thread needs for a few milliseconds: at
#: 15 Hz a run took 7-13% longer than plain model.fit, at 10 Hz 4-5% (bench/).
DRAIN_HZ = 10
#: The width the plots need to sit beside the results: three plots a row, each with
#: room for its ticks.
PLOTS_WIDTH = COLUMNS * 200


def export_trained(model: Any, g: ModelGraph, path: Path, target: str) -> str:
    """Write a trained `model` (built from `g`) as .keras or ONNX; return what was done."""
    from codegen import export_onnx, save_keras

    if target == "keras":
        save_keras(model, path)
        return f"Wrote {path.name}: the trained Keras model"
    with atomic_path(path) as tmp:
        report = export_onnx(model, g, tmp)
    return f"Wrote {path.name}: the trained model as ONNX, matches Keras ({report.worst:.1e})"


def duration_text(seconds: float) -> str:
    """'42 s', '3 min 05 s', '10 h 45 min'."""
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class FormScroll(QScrollArea):
    """A vertical scroll area as wide as its form needs (the rows follow the outputs).

    A widget's size hints are only right once it is shown, so the width is fitted
    after each show and after the form rebuilds its rows.
    """

    def fit(self) -> None:
        QTimer.singleShot(0, self, self._fit)

    def _fit(self) -> None:
        scrollbar = self.verticalScrollBar().sizeHint().width()
        width = self.widget().minimumSizeHint().width() + scrollbar + 2 * self.frameWidth()
        self.setMinimumWidth(width)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit()


#: The training script styles offered by "Export script", with their menu text.
SCRIPT_STYLES = (
    ("fit", "fit() script..."),
    ("loop", "torch training loop script..."),
    ("ddp", "torchrun DDP script..."),
    ("train_step", "fit() with a custom train_step script..."),
)


class TrainingPanel(QWidget):
    """Trains the current document's graph in the background, with live plots."""

    #: A run ended (finished, stopped or failed); the panel shows how.
    run_finished = Signal()
    #: "Export script" chose a style (fit, loop, ddp); the window writes the script.
    script_requested = Signal(str)
    #: An export button asked for the trained model as 'keras' or 'onnx': the window
    #: asks where (as File > Export does) and calls export_model.
    model_export_requested = Signal(str)
    #: A trained-model export finished: what was written, and the path.
    exported = Signal(str, Path)
    #: "Keep trained weights" was pressed: the window confirms, then calls
    #: write_trained_weights and saves the graph file with the new record.
    keep_weights_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.g: ModelGraph | None = None
        self.base: Path | None = None
        #: The graph's file: runs start from the weights in the sidecar beside it.
        self.graph_file: Path | None = None
        #: The plots still show another graph's (or no) logs: see set_document.
        self._plots_due = False
        self.result: TrainingResult | None = None
        #: The latest run's weights were written into the graph's sidecar.
        self.weights_kept = False
        self._trained_graph: ModelGraph | None = None
        self._trainer: Trainer | None = None
        self._feed: TrainingFeed | None = None
        self._job: Job | None = None
        #: The user's files trusted in this session: (resolved path, sha256).
        self.trusted: set[tuple[Path, str]] = set()
        self._exports: list[Job] = []
        self._plan: tuple[int, int] | None = None
        #: The latest drained update that moved the run on (it has a position).
        self._latest: FeedUpdate | None = None
        self._epoch_seconds: list[float] = []
        self.message_is_error = False
        self.timer = QTimer(self)
        self.timer.setInterval(1000 // DRAIN_HZ)
        self.timer.timeout.connect(self._drain)

        self.form = TrainingForm()
        scroll = FormScroll()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        self.form.rows_changed.connect(scroll.fit)
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop)
        self.script_button = QToolButton()
        self.script_button.setText("Export script")
        self.script_button.setToolTip("This training as a Python script to keep or run elsewhere")
        self.script_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        scripts = QMenu(self.script_button)
        for style, title in SCRIPT_STYLES:
            action = scripts.addAction(title)
            action.triggered.connect(lambda _checked=False, s=style: self.script_requested.emit(s))
        self.script_button.setMenu(scripts)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.script_button)

        self.progress = DeferredProgressBar()
        self.progress.setFormat("%v / %m batches")
        self.eta = QLabel()
        self.message = MessageBox()
        self.plots = TrainingPlots()
        self.results = ResultsView()
        self.export_keras_button = QPushButton("Export trained model (.keras)")
        self.export_keras_button.clicked.connect(lambda: self.model_export_requested.emit("keras"))
        self.export_onnx_button = QPushButton("Export trained model (ONNX)")
        self.export_onnx_button.clicked.connect(lambda: self.model_export_requested.emit("onnx"))
        self.keep_weights_button = QPushButton("Keep trained weights")
        self.keep_weights_button.setToolTip(
            "Write the trained weights into the graph's weights file: compiling, exports "
            "and the next run start from them"
        )
        self.keep_weights_button.clicked.connect(self.keep_weights_requested)
        exports = QHBoxLayout()
        exports.addWidget(self.keep_weights_button)
        exports.addWidget(self.export_keras_button)
        exports.addWidget(self.export_onnx_button)
        exports.addStretch(1)
        #: What a run that ended without error leaves: its results and their exports
        #: (hidden until then, so that the plots have the room).
        self.outcome = QWidget()
        outcome_layout = QVBoxLayout(self.outcome)
        outcome_layout.setContentsMargins(0, 0, 0, 0)
        outcome_layout.addWidget(self.results)
        outcome_layout.addLayout(exports)
        outcome_layout.addStretch(1)
        #: The plots and, below them or beside them where the panel is wide, the outcome.
        self.plots_and_outcome = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.plots_and_outcome.addWidget(self.plots, 1)
        self.plots_and_outcome.addWidget(self.outcome)
        self.outcome.hide()
        # The progress stays in view above what scrolls: the message, the plots (as
        # tall as they need, or all the room there is), the results and their exports.
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(self.message)
        body_layout.addLayout(self.plots_and_outcome, 1)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidget(body)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        # The buttons over the progress, beside the form: the form keeps the panel's
        # whole height for its fields.
        right_layout.addLayout(buttons)
        right_layout.addWidget(self.progress)
        right_layout.addWidget(self.eta)
        right_layout.addWidget(self.scroll, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._set_running(False)

    # ------------------------------------------------------------ document

    def set_document(
        self, g: ModelGraph, stack: QUndoStack, base: Path | None, graph_file: Path | None = None
    ) -> None:
        """Show and train `g` (edits go on `stack`); `base`: the graph file's folder,
        `graph_file`: the file itself, beside which its weights sidecar lies."""
        self.shutdown()
        self.g, self.base, self.graph_file = g, base, graph_file
        self.form.set_document(g, stack, base)
        self.result = self._trained_graph = None
        self.weights_kept = False
        # Empty plots for this graph's logs, drawn when the panel is first seen: making
        # pyqtgraph plots costs 0.1 to 0.3 s, which opening a file need not wait for.
        self._plots_due = True
        self.catch_up()
        self.results.clear()
        self._show_outcome(False)
        self.progress.reset()
        # Before the first run an empty bar and message box look unfinished: one line
        # says what to do instead, and the run (or a message) brings them up.
        self.progress.hide()
        self.eta.setText(NOT_TRAINED)
        self.message.clear()
        self.message.hide()
        self._set_running(False)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.catch_up()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_outcome()

    def _show_outcome(self, shown: bool) -> None:
        self.outcome.setVisible(shown)
        self._place_outcome()  # by the outcome's width, known once it is shown

    def _place_outcome(self) -> None:
        """The results beside the plots where both fit side by side, else below them.

        Decided on the scroll area's width, which its own scroll bar does not change."""
        wide = self.outcome.isVisibleTo(self) and (
            self.scroll.width() >= PLOTS_WIDTH + self.outcome.sizeHint().width()
        )
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.plots_and_outcome.direction() != direction:
            self.plots_and_outcome.setDirection(direction)

    def catch_up(self) -> None:
        """Draw what waited for the panel to be seen (its dock's tab raised, say); a
        panel shown behind another dock's tab waits on."""
        if not on_screen(self):
            return
        if self._plots_due and self.g is not None and not self.running:
            self.plots.reset(log_names(self.g, targets=self.form.targets()))
        self._plots_due = False

    def shutdown(self) -> None:
        """Stop a run and wait for every thread of this panel (window close, document switch)."""
        if self._trainer is not None:
            self._trainer.stop()
        for job in [self._job, *self._exports]:
            if job is not None:
                job.wait()
        self.timer.stop()
        self._job = self._trainer = None
        self._exports = []
        self._set_running(False)

    @property
    def running(self) -> bool:
        return self._job is not None

    # ------------------------------------------------------------ training

    def start(self) -> None:
        """Train a copy of the graph with its setup, in the background."""
        if self.g is None or self.running:
            return
        data = self.form.data_source()
        if data is None:
            self.show_message(
                "No training data: choose a .npz or .csv file whose arrays are named after "
                "the model's inputs and outputs.",
                error=True,
            )
            return
        outside = self.form.unconfirmed_outside()
        if outside:
            if not self.confirm_outside_data(outside):
                self.show_message(
                    "Not trained: the data outside the graph's folder was not confirmed.",
                    error=True,
                )
                return
            self.form.confirm(outside)
        snapshot = loads(dumps(self.g))
        try:  # refused, never used, when it does not match (as `kgs train` refuses it)
            weights = saved_weights(snapshot, self.graph_file)
        except GraphError as e:
            self.show_message(f"Not trained: {e}", error=True)
            return
        setup = replace(self.form.stored(), data=data)
        base = self.base or Path.cwd()
        for path, digest, uses in awaiting_trust(setup, base, Trust(frozenset(self.trusted))):
            if not self.confirm_code(path, digest, uses):
                self.show_message(f"Not trained: {path.name} was not trusted.", error=True)
                return
            self.trusted.add((path, digest))
        self._feed = TrainingFeed()
        self._trainer = Trainer(
            snapshot,
            setup,
            base=base,
            listener=self._feed,
            weights=weights,
            trust=Trust(frozenset(self.trusted)),
        )
        self._trained_graph = snapshot
        self.result = None
        self.weights_kept = False
        self._plan = self._latest = None
        self._epoch_seconds = []
        self.plots.reset(log_names(snapshot, setup, self.form.targets()))
        self._plots_due = False
        self.results.clear()
        self._show_outcome(False)
        self.progress.reset()
        self.progress.show()
        self.eta.setText("Starting...")
        self.show_message(f"Training '{snapshot.name}' on {Path(data.files()[0]).name}...")
        job = Job("Training", partial(train, self._trainer), self)
        job.succeeded.connect(self._succeeded)
        job.failed.connect(self._failed)
        job.finished.connect(self._job_finished)
        self._job = job
        self._set_running(True)
        self.timer.start()
        job.start()

    def confirm_code(self, path: Path, sha256: str, uses: list[str]) -> bool:
        """Whether the user trusts the Python file `path` with this content (`sha256`)
        for the setup's `uses`; remembered for the session per content, so a file that
        changes asks again (tests override this)."""
        answer = QMessageBox.question(
            self,
            "Run your code?",
            f"The training setup imports {path}\n(sha256 {sha256})\nfor:\n"
            + "\n".join(uses)
            + "\n\nImporting runs its code. Trust this file as it is now?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def confirm_outside_data(self, files: list[Path]) -> bool:
        """Whether the user lets a run read `files`, which the graph file names outside
        its own folder (tests override this)."""
        listed = "\n".join(str(f) for f in files)
        answer = QMessageBox.question(
            self,
            "Data outside the graph's folder",
            f"The graph file names training data outside its folder:\n{listed}\n\n"
            "Read it for this run?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def stop(self) -> None:
        """Ask the run to end after the batch in progress."""
        if self._trainer is not None:
            self._trainer.stop()
            self.eta.setText("Stopping...")

    def _succeeded(self, outcome: RunOutcome) -> None:
        if self.sender() is not self._job:
            return  # a run abandoned by shutdown()
        self._drain()
        if outcome.error is not None:
            self.show_message(outcome.error, error=True)
            return
        result = outcome.result
        self.result = result
        if result.stopped:
            ended = f"Stopped after {result.batches} batches."
        else:
            epochs = len(next(iter(result.history.values()), []))
            ended = f"Training finished: {epochs} epochs, {result.batches} batches."
        kept = weights_text(self._trained_graph, result.weights_report)
        self.show_message(f"{ended}\n{kept}" if kept else ended)
        self.results.show_result(result, outcome.predictions)
        self._show_outcome(True)

    def _failed(self, message: str) -> None:
        if self.sender() is self._job:
            self._drain()
            self.show_message(message, error=True)

    def _job_finished(self) -> None:
        if self.sender() is not self._job:
            return
        self.timer.stop()
        self._job = self._trainer = None
        self.plots.finish()
        # Where the run ended, without the time it would have had left.
        self.eta.setText(self._progress_text(self._latest, ended=True) if self._latest else "")
        self._set_running(False)
        self.run_finished.emit()

    def _drain(self) -> None:
        if self._feed is None:
            return
        update = self._feed.drain()
        if update.plan is not None:
            self._plan = update.plan
            epochs, steps = update.plan
            self.progress.setRange(0, epochs * steps)
            self.plots.set_plan(epochs, steps)
        self.plots.add_batches(update.batches)
        for epoch, logs in update.epochs:
            self.plots.add_epoch(epoch, logs)
        self._epoch_seconds += update.epoch_seconds
        if update.position is not None and self._plan is not None:
            self._latest = update
            self.progress.show_value(update.done)
            if self._trainer is None or not self._trainer.stop_requested:  # else "Stopping..."
                self.eta.setText(self._progress_text(update))

    def _progress_text(self, update: FeedUpdate, ended: bool = False) -> str:
        """Where `update` left the run, and while it goes on (not `ended`), about how
        long it has left."""
        epochs, steps = self._plan
        epoch, batch = update.position
        text = f"epoch {epoch + 1}/{epochs}, batch {batch + 1}/{steps}"
        if self._epoch_seconds:
            text += f", {self._epoch_seconds[-1]:.2f} s per epoch"
        remaining = epochs * steps - update.done
        if remaining and update.done and not ended:
            text += f", about {duration_text(update.elapsed / update.done * remaining)} left"
        return text

    @property
    def epoch_seconds(self) -> list[float]:
        """How long each epoch of the latest run took, validation included."""
        return list(self._epoch_seconds)

    # ------------------------------------------------------------- weights

    def keep_weights_question(self, graph_file: Path) -> str:
        """What keeping the latest run's weights does, for the user to confirm."""
        result = self.result
        sidecar = self._trained_graph.weights.file if self._trained_graph.weights else None
        sidecar = sidecar or sidecar_name(graph_file)
        stopped = (
            f"The run was stopped after {result.batches} batches: its weights are only "
            "partly trained.\n\n"
            if result.stopped
            else ""
        )
        return (
            f"{stopped}Write the trained weights of '{self._trained_graph.name}' to "
            f"{sidecar} and save {graph_file.name} with their record? This replaces the "
            "weights saved there; the graph's unsaved edits are saved with it."
        )

    def write_trained_weights(self, graph_file: Path) -> Job:
        """Write the latest run's trained weights to the sidecar of `graph_file` in the
        background (atomically, as `kgs train --update-weights` does: a big model's
        weights take seconds to write). The job's `succeeded` carries the record for
        the graph, whose file the caller saves next."""
        work = partial(save_model_weights, self._trained_graph, self.result.model, graph_file)
        job = Job("Writing the trained weights", work, self)
        job.succeeded.connect(self._weights_written)
        return self._start_job(job)

    def _weights_written(self, record: WeightsRecord) -> None:
        self.weights_kept = True
        self._set_running(self.running)
        self.show_message(f"Kept the trained weights in {record.file}.")

    # ------------------------------------------------------------- exports

    def export_model(self, target: str, path: Path) -> Job | None:
        """Write the trained model as 'keras' or 'onnx' to `path` in the background."""
        if self.result is None:
            return None
        path = with_suffix(path, target)
        work = partial(export_trained, self.result.model, self._trained_graph, path, target)
        job = Job(f"Export to {TARGETS[target].title}", work, self)
        job.succeeded.connect(partial(self._exported, path))
        return self._start_job(job)

    def _start_job(self, job: Job) -> Job:
        """Start `job`, one that reads the trained model (an export, keeping its
        weights): its failure goes to the message area, and the buttons that read the
        model wait until it finished."""
        job.failed.connect(lambda message: self.show_message(message, error=True))
        job.finished.connect(self._export_finished)
        self._exports.append(job)
        self._set_running(self.running)
        self.show_message(f"{job.title}...")
        job.start()
        return job

    def _export_finished(self) -> None:
        job = self.sender()
        if job in self._exports:
            self._exports.remove(job)
        self._set_running(self.running)

    def _exported(self, path: Path, message: str) -> None:
        self.show_message(message)
        self.exported.emit(message, path)

    # ---------------------------------------------------------------- view

    def show_message(self, text: str, error: bool = False) -> None:
        """Show `text` in the message area (errors in the error colour)."""
        self.message.show()
        self.message.setPlainText(plain_text(text))  # Keras colours errors from layers
        self.message.setStyleSheet("color: #c0392b;" if error else "")
        self.message_is_error = error
        if error:  # in view, however far the plots were scrolled
            self.scroll.ensureWidgetVisible(self.message)

    def _set_running(self, running: bool) -> None:
        ready = self.g is not None
        exporting = bool(self._exports)
        self.start_button.setEnabled(ready and not running)
        self.stop_button.setEnabled(running)
        can_export = self.result is not None and not running and not exporting
        self.export_keras_button.setEnabled(can_export)
        self.export_onnx_button.setEnabled(can_export)
        self.keep_weights_button.setEnabled(can_export and not self.weights_kept)
