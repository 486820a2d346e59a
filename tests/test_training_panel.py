"""The training panel, driven offscreen: the form edits the setup through undo, a run
trains in the background with live plots, Stop ends it, results and exports follow,
and bad data or a bad setup shows its message with the panel ready again."""

import dataclasses
import functools
import re
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QUndoStack

from graph import dumps, load
from graph.training import DataSource, EarlyStopping, TrainingSetup, output_names
from studio.training.panel import TrainingPanel
from studio.training.plots import BATCH, EPOCH_ROW, epoch_span

ROOT = Path(__file__).parents[1]
TEMPLATES = ROOT / "resources" / "templates"
DIGITS = ROOT / "resources" / "data" / "digits_mlp.npz"
#: duration_text's formats: '42 s', '3 min 05 s', '10 h 45 min'.
DURATION = r"\d+ s|\d+ min \d\d s|\d+ h \d\d min"


@pytest.fixture
def panel(qtbot):
    g = load(TEMPLATES / "mnist_mlp.graph.json")
    stack = QUndoStack()
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.set_document(g, stack, TEMPLATES)
    panel.show()
    panel.stack = stack
    yield panel
    panel.shutdown()


def grab(panel, folder, name):
    panel.grab().save(str(folder / f"training_panel_{name}.png"))


def finish(qtbot, panel, timeout=30_000):
    qtbot.waitUntil(lambda: not panel.running, timeout=timeout)


def digits(path, start=0, stop=100):
    """Write samples start:stop of the bundled digits to `path`; return it."""
    with np.load(DIGITS) as arrays:
        np.savez(path, **{name: arrays[name][start:stop] for name in arrays.files})
    return path


def use_data(panel, path, validation=None):
    """Choose `path` (and `validation`) in the form, as its browse buttons do."""
    form = panel.form
    form.ask_data_path = lambda title: validation if "Valid" in title else path
    form.data.browse_button.click()
    if validation is not None:
        form.validation_data.browse_button.click()


def assert_trains_again(qtbot, panel, tmp_path):
    """After a failed run: Start is enabled, and a run on good data finishes."""
    assert panel.start_button.isEnabled() and not panel.running and panel.result is None
    use_data(panel, digits(tmp_path / "good.npz"))
    panel.form.epochs.setValue(1)
    panel.start_button.click()
    finish(qtbot, panel)
    assert not panel.message_is_error, panel.message.toPlainText()
    assert panel.result is not None and not panel.result.stopped
    assert panel.message.toPlainText().startswith("Training finished: 1 epochs")


def test_form_edits_are_undoable_and_follow_undo(panel):
    g, form = panel.g, panel.form
    assert g.training is None
    assert form.epochs.value() == 10  # the defaults are shown
    assert form.output_rows["predictions"].loss.currentText() == "sparse_categorical_crossentropy"
    assert form.output_rows["predictions"].metrics.metrics() == ("accuracy",)
    assert form.data.line.placeholderText().endswith("digits_mlp.npz)")

    form.epochs.setValue(2)
    assert g.training.epochs == 2
    form.callback_rows["EarlyStopping"].check.setChecked(True)
    assert g.training.callbacks == (EarlyStopping(),)
    form.callback_rows["EarlyStopping"].editors["patience"].setValue(5)
    assert g.training.callbacks == (EarlyStopping(patience=5),)
    form.output_rows["predictions"].metrics.actions_by_name["sparse_rmse"].setChecked(True)
    assert g.training.output("predictions").metrics == ("accuracy", "sparse_rmse")

    for _ in range(3):
        panel.stack.undo()
    assert g.training.epochs == 2 and g.training.callbacks == ()
    assert not form.callback_rows["EarlyStopping"].check.isChecked()
    panel.stack.undo()
    assert g.training is None
    assert form.epochs.value() == 10
    panel.stack.redo()
    assert form.epochs.value() == 2


def test_start_plots_batches_and_stop_ends_the_run(qtbot, panel, artifacts):
    panel.form.epochs.setValue(1000)
    panel.form.batch_size.setValue(8)
    panel.start_button.click()
    assert panel.running and not panel.start_button.isEnabled()
    qtbot.waitUntil(
        lambda: len(panel.plots.batch_x) >= 5 and panel.progress.value() >= 5, timeout=30_000
    )
    assert panel.progress.maximum() == 1000 * 180  # 1,437 training samples in batches of 8
    # The x axes span the planned run while it trains, the epoch plots the planned epochs.
    assert panel.plots.followers[BATCH].x == (0, 1000 * 180)
    assert panel.plots.followers["loss"].x == epoch_span(1000)
    # Whatever the machine's speed: the position, maybe the epoch time, then the ETA.
    progress = rf"epoch \d+/1000, batch \d+/180(, \d+\.\d\d s per epoch)?, about ({DURATION}) left"
    assert re.fullmatch(progress, panel.eta.text()), panel.eta.text()
    grab(panel, artifacts, "running")
    panel.stop_button.click()
    finish(qtbot, panel, timeout=5_000)
    assert panel.result.stopped
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()
    assert panel.message.toPlainText().startswith("Stopped after")
    # Stopped long before its plan: the batch axis now fits the batches it ran.
    assert panel.plots.followers[BATCH].x == (0, panel.result.batches)
    assert panel.g.training.epochs == 1000  # the graph is untouched by the run


def test_a_stop_mid_epoch_shows_whole_epochs_only_and_no_time_left(qtbot, panel, artifacts):
    """After Stop: where the run ended without a time left, no dot for the epoch it
    cut short, and no empty prediction table."""
    panel.form.epochs.setValue(1000)
    # Small batches: an epoch takes long enough (about a second here) for Stop to land
    # inside the second one, however late the panel's timer shows where the run is.
    panel.form.batch_size.setValue(4)
    panel.start_button.click()
    steps = 360  # 1,437 training samples in batches of 4
    qtbot.waitUntil(lambda: panel.progress.value() >= steps + 2, timeout=60_000)
    assert len(panel.plots.epochs["val_loss"][0]) == 1
    panel.stop_button.click()
    assert panel.eta.text() == "Stopping..."
    finish(qtbot, panel, timeout=10_000)
    grab(panel, artifacts, "stopped")
    assert panel.result.stopped and steps < panel.result.batches < 2 * steps
    progress = rf"epoch 2/1000, batch \d+/{steps}, \d+\.\d\d s per epoch"
    assert re.fullmatch(progress, panel.eta.text()), panel.eta.text()
    for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
        xs, _ = panel.plots.curves[name].getData()
        assert list(xs) == [1], name
        dots_x, _ = panel.plots.curves[name].dots.getData()
        assert set(dots_x) == {1}, name
    assert panel.results.evaluation.text() == "No evaluation: the run was stopped."
    assert panel.results.isVisible() and not panel.results.table.isVisible()


def test_a_full_run_shows_evaluation_predictions_and_exports(qtbot, panel, tmp_path, artifacts):
    from codegen.keras_env import import_keras

    panel.form.epochs.setValue(2)
    before = dumps(panel.g)
    panel.start_button.click()
    panel.g.rename("dense", "hidden")  # the user keeps editing; the run trained a copy
    finish(qtbot, panel)
    grab(panel, artifacts, "finished")
    result = panel.result
    assert not result.stopped and not panel.message_is_error
    assert result.evaluation["accuracy"] > 0.6
    assert "accuracy: " in panel.results.evaluation.text()
    assert [len(panel.plots.epochs[n][1]) for n in ("loss", "val_loss", "val_accuracy")] == [2] * 3
    table = panel.results.table
    assert (table.rowCount(), table.columnCount()) == (5, 3)
    targets = result.validation.targets["predictions"][:5]
    assert [table.item(r, 1).text() for r in range(5)] == [str(t) for t in targets]
    # Each prediction as "class (its probability)", from Keras's own predict.
    probabilities = result.model.predict(result.validation.x()[:5], verbose=0)
    guesses = [f"{p.argmax()} ({p.max():.2f})" for p in probabilities]
    assert [table.item(r, 2).text() for r in range(5)] == guesses
    assert before != dumps(panel.g)

    with qtbot.waitSignal(panel.model_export_requested) as asked:
        panel.export_keras_button.click()  # the window asks where, then exports
    assert asked.args == ["keras"]
    with qtbot.waitSignal(panel.exported, timeout=30_000) as exported:
        panel.export_model("keras", tmp_path / "trained")
    qtbot.waitUntil(lambda: panel.export_keras_button.isEnabled(), timeout=30_000)
    assert panel.message.toPlainText() == "Wrote trained.keras: the trained Keras model"
    assert exported.args == [panel.message.toPlainText(), tmp_path / "trained.keras"]
    keras = import_keras()
    reloaded = keras.models.load_model(tmp_path / "trained.keras", safe_mode=True)
    x = result.validation.x()[:5]
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), result.model.predict(x, verbose=0))

    job = panel.export_model("onnx", tmp_path / "trained.onnx")
    qtbot.waitUntil(lambda: job not in panel._exports, timeout=60_000)
    assert panel.message.toPlainText().startswith("Wrote trained.onnx: the trained model as ONNX")
    assert not panel.message_is_error


def test_bad_data_shows_the_data_error_and_start_works_again(qtbot, panel, tmp_path):
    bad = tmp_path / "bad.npz"
    np.savez(bad, digits=np.zeros((10, 784), np.float32))
    use_data(panel, bad)
    assert panel.g.training.data.path == str(bad)
    panel.start_button.click()
    finish(qtbot, panel)
    text = panel.message.toPlainText()
    assert panel.message_is_error
    assert "no array for output 'predictions'" in text and str(bad) in text
    assert panel.start_button.isEnabled() and panel.result is None


def test_a_setup_problem_shows_with_its_field(qtbot, panel):
    panel.form.validation_split.setValue(0.0)
    panel.form.callback_rows["EarlyStopping"].check.setChecked(True)
    panel.start_button.click()
    finish(qtbot, panel)
    assert panel.message_is_error
    assert "training.callbacks[0] (EarlyStopping).monitor: 'val_loss' needs validation data" in (
        panel.message.toPlainText()
    )
    assert panel.start_button.isEnabled()


def test_an_exception_inside_a_layer_shows_and_the_panel_stays_usable(
    qtbot, panel, tmp_path, monkeypatch
):
    """A layer that fails only when fit() calls it (the model builds): the panel shows
    Keras's message, without its terminal colour codes, and trains again after."""
    from codegen.keras_env import import_keras

    dense = import_keras().layers.Dense
    call = dense.call

    def fails_in_training(self, inputs, training=None):
        if training:
            raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (32x784 and 10x512)")
        return call(self, inputs, training=training)

    monkeypatch.setattr(dense, "call", fails_in_training)
    use_data(panel, digits(tmp_path / "few.npz"))
    before = dumps(panel.g)
    panel.start_button.click()
    finish(qtbot, panel)
    text = panel.message.toPlainText()
    assert panel.message_is_error
    assert text.startswith("Training failed: RuntimeError: ")
    assert "mat1 and mat2 shapes cannot be multiplied (32x784 and 10x512)" in text
    assert "\x1b" not in text
    assert panel.plots.batch_x == [] and dumps(panel.g) == before
    monkeypatch.undo()
    assert_trains_again(qtbot, panel, tmp_path)


def test_a_nan_loss_shows_and_the_panel_stays_usable(qtbot, panel, tmp_path):
    huge = tmp_path / "huge.npz"
    np.savez(huge, digits=np.full((40, 784), 1e38, np.float32), predictions=np.zeros(40, np.int32))
    use_data(panel, huge)
    before = dumps(panel.g)
    panel.start_button.click()
    finish(qtbot, panel)
    text = panel.message.toPlainText()
    assert panel.message_is_error
    assert re.match(
        r"the training loss became (nan|inf) at epoch 1, batch 1; training stopped", text
    )
    assert panel.result is None and dumps(panel.g) == before
    assert_trains_again(qtbot, panel, tmp_path)


def test_a_multi_output_run_plots_each_outputs_losses_and_metrics(qtbot, panel):
    stack = QUndoStack()
    panel.set_document(load(TEMPLATES / "customer_tickets.graph.json"), stack, TEMPLATES)
    panel.form.epochs.setValue(2)
    panel.form.batch_size.setValue(256)  # 4 batches an epoch, of 819 training samples
    panel.start_button.click()
    finish(qtbot, panel)
    assert not panel.message_is_error, panel.message.toPlainText()
    history = panel.result.history  # as Keras returned it
    for name in ("priority_loss", "department_loss", "val_department_accuracy"):
        assert name in history
    assert sorted(panel.plots.curves) == sorted(history)
    for name, values in history.items():
        xs, ys = panel.plots.curves[name].getData()
        assert list(xs) == [1, 2] and list(ys) == pytest.approx(values), name
        # A dot on every epoch, in the dots its plot's curves share.
        dots = list(zip(*panel.plots.curves[name].dots.getData(), strict=True))
        for x, y in zip(xs, ys, strict=True):
            assert any(dx == x and dy == pytest.approx(y) for dx, dy in dots), (name, x)
    quantities = [name for name in history if not name.startswith("val_")]
    titles = [
        panel.plots.getItem(EPOCH_ROW + i // 3, i % 3).titleLabel.text
        for i in range(len(quantities))
    ]
    assert sorted(titles) == sorted(quantities)


def record_calls(monkeypatch, cls, names, calls):
    """Wrap methods `names` of `cls` to append (qualified name, thread, args) to `calls`.

    functools.wraps keeps each a slot to PySide (else sender() is None inside it)."""
    for name in names:
        method = getattr(cls, name)

        @functools.wraps(method)
        def wrapper(self, *args, _method=method, _name=f"{cls.__name__}.{name}", **kwargs):
            calls.append((_name, threading.current_thread(), args))
            return _method(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)


def new_panel(qtbot, g=None):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.set_document(g or load(TEMPLATES / "mnist_mlp.graph.json"), QUndoStack(), TEMPLATES)
    panel.show()
    return panel


def test_plots_follow_a_timer_not_the_batches(qtbot, monkeypatch):
    """3,000 batches fed as fast as a thread can: every point arrives, in a few drains."""
    from codegen.training.runner import TrainingResult
    from studio.training import panel as training_panel
    from studio.training.plots import TrainingPlots
    from studio.training.run import RunOutcome

    losses = [1 / (1 + i) for i in range(3000)]
    timing = {}

    def fast_run(trainer):
        feed = trainer.listener
        timing["start"] = time.perf_counter()
        feed.training_started(2, 1500)
        for i, loss in enumerate(losses):
            feed.batch_finished(i // 1500, i % 1500, {"loss": loss})
            time.sleep(0.0003)
            if i % 1500 == 1499:
                feed.epoch_finished(i // 1500, {"loss": loss, "accuracy": 0.5})
        timing["end"] = time.perf_counter()
        history = {"loss": [losses[1499], losses[-1]], "accuracy": [0.5, 0.5]}
        return RunOutcome(TrainingResult(None, history, None, False, 3000, trainer.setup, None))

    calls = []
    monkeypatch.setattr(training_panel, "train", fast_run)
    record_calls(monkeypatch, TrainingPanel, ["_drain"], calls)
    record_calls(monkeypatch, TrainingPlots, ["add_batches"], calls)
    panel = new_panel(qtbot)
    assert 50 <= panel.timer.interval() <= 100
    panel.start_button.click()
    finish(qtbot, panel)
    assert panel.message.toPlainText() == "Training finished: 2 epochs, 3000 batches."
    assert panel.plots.batch_x == list(range(1, 3001)) and panel.plots.batch_y == losses
    assert panel.progress.value() == 3000
    drains = [c for c in calls if c[0] == "TrainingPanel._drain"]
    redraws = [c for c in calls if c[0] == "TrainingPlots.add_batches" and c[2][0]]
    ticks = (timing["end"] - timing["start"]) / (panel.timer.interval() / 1000)
    assert len(redraws) <= len(drains) <= ticks + 3  # one per tick, and the final one
    assert len(redraws) <= 3000 / 20


def test_widgets_are_updated_on_the_gui_thread_only(qtbot, monkeypatch, tmp_path):
    from studio.training.plots import TrainingPlots
    from studio.training.results import ResultsView
    from studio.training.run import TrainingFeed

    calls = []
    panel_methods = ["_drain", "_succeeded", "_job_finished", "show_message", "_set_running"]
    record_calls(monkeypatch, TrainingPanel, [*panel_methods, "_progress_text"], calls)
    record_calls(monkeypatch, TrainingPlots, ["set_plan", "add_batches", "add_epoch"], calls)
    record_calls(monkeypatch, ResultsView, ["show_result", "clear"], calls)
    record_calls(monkeypatch, TrainingFeed, ["batch_finished"], calls)
    panel = new_panel(qtbot)
    use_data(panel, digits(tmp_path / "few.npz"))
    panel.form.epochs.setValue(2)
    panel.form.batch_size.setValue(8)
    panel.start_button.click()
    finish(qtbot, panel)
    assert not panel.message_is_error, panel.message.toPlainText()
    assert len(panel.plots.batch_x) == panel.result.batches == 20
    names = {name for name, _, _ in calls}
    assert {"TrainingPlots.add_epoch", "ResultsView.show_result", "TrainingPanel._succeeded"} <= (
        names
    )
    gui = threading.main_thread()
    fed = [thread for name, thread, _ in calls if name == "TrainingFeed.batch_finished"]
    assert len(fed) == 20 and gui not in fed  # the run trained in the background
    assert [
        (n, t) for n, t, _ in calls if n != "TrainingFeed.batch_finished" and t is not gui
    ] == []


def test_the_batch_plot_axes_move_rarely_and_always_hold_the_data(qtbot):
    from studio.training.plots import TrainingPlots

    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.reset(["loss", "accuracy", "val_loss", "val_accuracy"])
    plots.set_plan(epochs=2, steps_per_epoch=500)
    follower = plots.followers[" batch"]
    ranges = []
    losses = 2.5 * np.exp(-np.linspace(0, 3, 1000)) + 0.05
    for start in range(0, 1000, 7):
        chunk = losses[start : start + 7]
        plots.add_batches([(start + i + 1, float(v)) for i, v in enumerate(chunk)])
        low, high = follower.y
        assert low <= chunk.min() and chunk.max() <= high
        ranges.append((follower.x, follower.y))
    assert follower.x == (0, 1000)
    assert len(set(ranges)) <= 20  # of 143 updates


@pytest.mark.parametrize(
    "curves",
    [
        # a multi-output run's epochs (customer_tickets): losses, and rates within [0, 1]
        ([2.02, 1.269, 0.716, 0.555, 0.522], [1.925, 1.672, 1.522, 1.471, 1.447]),
        ([1.34, 0.673, 0.187, 0.053, 0.026], [1.257, 1.038, 0.911, 0.867, 0.846]),
        ([0.377, 0.998, 1.0, 1.0, 1.0], [0.473, 0.668, 0.722, 0.712, 0.722]),
        ([0.017, 0.022, 0.022, 0.022, 0.022], [0.02, 0.024, 0.024, 0.024, 0.024]),
        ([-3.0, -1.0, 2.0, 5.0, 4.0], [-2.5, 0.0, 1.5, 6.0, 3.0]),  # a signed quantity
    ],
)
def test_epoch_y_ranges_hold_the_values_and_change_at_most_twice(curves):
    from studio.training.plots import widened

    shown, ranges = None, []
    for epoch in range(1, 6):
        values = [v for curve in curves for v in curve[:epoch]]
        low, high = min(values), max(values)
        if shown is None or low < shown[0] or high > shown[1]:
            shown = widened(shown, low, high)
        assert shown[0] <= low and high <= shown[1] and shown[0] < shown[1]
        ranges.append(shown)
    assert len(set(ranges)) <= 3  # the first range and at most two changes
    if min(values) >= 0:
        assert shown[0] >= 0
    if max(values) <= 1:
        assert shown[1] <= 1


def test_a_long_run_draws_a_bounded_number_of_batch_points(qtbot):
    from studio.training.plots import BATCH_POINTS, TrainingPlots

    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.reset(["loss"])
    plots.set_plan(epochs=10, steps_per_epoch=2_345)
    losses = 1 / (1 + np.arange(23_450) / 100)
    for start in range(0, 23_450, 977):
        chunk = losses[start : start + 977]
        plots.add_batches([(start + i + 1, float(v)) for i, v in enumerate(chunk)])
        xs, ys = plots.batch_curve.getData()
        assert len(xs) <= BATCH_POINTS + 1
        assert xs[0] == 1 and xs[-1] == start + len(chunk) and ys[-1] == chunk[-1]
    assert len(plots.batch_x) == 23_450  # every point is kept, fewer are drawn
    assert list(ys) == pytest.approx(losses[np.asarray(xs, dtype=int) - 1])


def test_the_x_axes_span_the_plan_and_fit_a_run_that_ended_early(qtbot):
    from studio.training.plots import TrainingPlots

    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.reset(["loss", "accuracy", "val_loss", "val_accuracy"])
    plots.set_plan(epochs=20, steps_per_epoch=10)
    for epoch in range(3):
        plots.add_batches([(epoch * 10 + i + 1, 1 / (epoch + 1)) for i in range(10)])
        plots.add_epoch(epoch, {"loss": 0.5, "accuracy": 0.7, "val_loss": 0.6, "val_accuracy": 0.6})
        assert plots.followers[BATCH].x == (0, 200)
        assert plots.views["loss"].viewRange()[0] == pytest.approx(epoch_span(20))
    plots.add_batches([(31, 0.2), (32, 0.2)])  # then EarlyStopping, say, ends the run
    plots.finish()
    assert plots.views[BATCH].viewRange()[0] == pytest.approx([0, 32])
    for quantity in ("loss", "accuracy"):
        assert plots.views[quantity].viewRange()[0] == pytest.approx(epoch_span(3))


@pytest.mark.parametrize(
    ("epochs", "ticks"), [(2, [1, 2]), (5, [1, 2, 3, 4, 5]), (30, [5, 10, 15, 20, 25, 30])]
)
def test_epoch_axes_tick_whole_epochs(qtbot, epochs, ticks):
    from studio.training.plots import TrainingPlots

    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.reset(["loss"])
    plots.set_plan(epochs=epochs, steps_per_epoch=10)
    axis = plots.epoch_axes[0]
    shown = [v for _, values in axis.tickValues(*epoch_span(epochs), 300) for v in values]
    assert sorted(shown) == ticks


def test_one_legend_names_the_curves_the_run_draws(qtbot):
    from studio.training.plots import TrainingPlots

    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.reset(["loss", "accuracy", "val_loss", "val_accuracy"])
    legend = plots.getItem(1, 0)
    assert "training" in legend.text and "validation" in legend.text
    assert all(plots.getItem(EPOCH_ROW, col).legend is None for col in (0, 1))
    plots.reset(["loss", "mae"])  # no validation
    legend = plots.getItem(1, 0)
    assert "training" in legend.text and "validation" not in legend.text


def test_the_progress_bar_repaints_with_the_event_loop(qtbot):
    from PySide6.QtCore import QEvent, QObject

    from studio.training.deferred_progress import DeferredProgressBar

    class Paints(QObject):
        count = 0

        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint:
                self.count += 1
            return False

    bar = DeferredProgressBar()
    qtbot.addWidget(bar)
    bar.setRange(0, 100)
    bar.show()
    qtbot.waitExposed(bar)
    qtbot.wait(50)  # its first paint
    paints = Paints()
    bar.installEventFilter(paints)
    bar.setValue(10)
    assert paints.count == 1  # QProgressBar paints inside setValue
    bar.show_value(20)
    assert bar.value() == 20 and paints.count == 1
    qtbot.waitUntil(lambda: paints.count == 2)


@pytest.mark.parametrize(
    ("value", "as_class", "probability", "text"),
    [
        (np.array([0.1, 0.7, 0.2]), True, True, "1 (0.70)"),
        (np.array([0.0, 0.0, 1.0]), True, False, "2"),
        (np.int32(3), True, False, "3"),
        (np.array([0.3951]), False, True, "0.395"),
        (np.arange(6, dtype=np.int64), False, True, "[0, 1, 2, 3, ...]"),
    ],
)
def test_prediction_cells(value, as_class, probability, text):
    from studio.training.results import cell_text

    assert cell_text(value, as_class, probability) == text


def test_the_form_follows_edits_of_the_outputs(qtbot, panel):
    g, form = panel.g, panel.form
    g.rename("predictions", "digit")
    qtbot.waitUntil(lambda: list(form.output_rows) == ["digit"], timeout=2_000)
    g.set_params("predictions", {**g.layer("predictions").params, "activation": "sigmoid"})
    qtbot.waitUntil(
        lambda: form.output_rows["digit"].loss.currentText() == "binary_crossentropy",
        timeout=2_000,
    )
    assert g.training is None  # inferred, not stored


def test_shutdown_mid_run_waits_for_the_thread(qtbot, panel):
    panel.form.epochs.setValue(1000)
    panel.start_button.click()
    job = panel._job
    qtbot.waitUntil(lambda: len(panel.plots.batch_x) > 0, timeout=30_000)
    panel.shutdown()
    assert job.isFinished() and not panel.running
    qtbot.wait(50)  # the run's queued signals arrive after shutdown and are ignored
    assert panel.start_button.isEnabled() and panel.result is None


@pytest.mark.parametrize(
    ("seconds", "text"), [(41.6, "42 s"), (185, "3 min 05 s"), (38_700, "10 h 45 min")]
)
def test_durations(seconds, text):
    from studio.training.panel import duration_text

    assert duration_text(seconds) == text


def test_a_validation_file_replaces_the_split(qtbot, panel, tmp_path):
    use_data(panel, digits(tmp_path / "train.npz", 0, 200), digits(tmp_path / "val.npz", 200, 250))
    form = panel.form
    assert panel.g.training.validation_data.path == str(tmp_path / "val.npz")
    assert not form.validation_split.isEnabled()
    form.epochs.setValue(1)
    panel.start_button.click()
    finish(qtbot, panel)
    assert not panel.message_is_error, panel.message.toPlainText()
    assert panel.result.validation.samples == 50
    assert "val_loss" in panel.result.history
    for _ in range(2):  # epochs, then the validation file
        panel.stack.undo()
    assert panel.g.training.validation_data is None and form.validation_split.isEnabled()


def test_a_run_asks_before_reading_data_the_file_names_outside_its_folder(qtbot, panel, tmp_path):
    """A graph file naming '../' data: Start asks, naming the file; no means no run,
    yes trains on it and is remembered for the session."""
    inside = tmp_path / "project"
    inside.mkdir()
    digits(tmp_path / "elsewhere.npz")
    panel.set_document(panel.g, panel.stack, inside)
    panel.g.training = dataclasses.replace(
        TrainingSetup(), epochs=1, data=DataSource("../elsewhere.npz")
    )
    asked = []
    panel.confirm_outside_data = lambda files: asked.append(files) or answer
    answer = False
    panel.start_button.click()
    assert asked == [[(tmp_path / "elsewhere.npz").resolve()]]
    assert not panel.running and panel.message_is_error
    assert "not confirmed" in panel.message.toPlainText()
    answer = True
    panel.start_button.click()
    finish(qtbot, panel)
    assert panel.result is not None and not panel.message_is_error
    panel.start_button.click()  # confirmed once: not asked again
    finish(qtbot, panel)
    assert len(asked) == 2


def test_before_a_run_one_line_says_so_and_the_bar_and_messages_come_with_the_run(
    qtbot, panel, tmp_path
):
    assert not panel.progress.isVisible() and not panel.message.isVisible()
    assert panel.eta.isVisible() and panel.eta.text() == "Not trained yet: press Start"
    use_data(panel, digits(tmp_path / "few.npz", stop=16))
    panel.form.epochs.setValue(1)
    panel.start_button.click()
    assert panel.progress.isVisible() and panel.message.isVisible()
    finish(qtbot, panel)
    assert panel.progress.isVisible() and panel.message.isVisible()


def test_a_run_asks_before_importing_the_users_code_and_asks_again_once_it_changed(
    qtbot, panel, tmp_path
):
    """A setup with a loss from a user module: Start names the file and its hash; no
    means nothing is imported; yes trains and is remembered for that content only."""
    from graph.training import OutputSetup
    from graph.user_code import CustomObject, file_sha256, record_module
    from tests.user_modules import plant

    module = plant(tmp_path)
    np.savez(tmp_path / "reg.npz", x=np.ones((20, 784), "float32"), y=np.zeros((20, 10)))
    panel.set_document(panel.g, panel.stack, tmp_path)
    loss = CustomObject("mine:halved_mse")
    panel.g.training = TrainingSetup(
        epochs=1,
        data=DataSource("reg.npz"),
        outputs={name: OutputSetup(loss=loss) for name in output_names(panel.g)},
        modules=(record_module(tmp_path, "mine.py"),),
    )
    asked = []
    panel.confirm_code = lambda path, digest, uses: asked.append((path, digest, uses)) or answer
    answer = False
    panel.start_button.click()
    assert asked == [(module.resolve(), file_sha256(module), [f"training.outputs.{n}: "
                      "mine:halved_mse" for n in output_names(panel.g)])]  # fmt: skip
    assert not panel.running and "not trusted" in panel.message.toPlainText()
    assert not (tmp_path / "mine.imported").exists()
    answer = True
    panel.start_button.click()
    finish(qtbot, panel)
    assert panel.result is not None and (tmp_path / "mine.imported").exists()
    panel.start_button.click()  # trusted once, for this content: not asked again
    finish(qtbot, panel)
    assert len(asked) == 2
    module.write_text(module.read_text() + "\n# changed\n")
    panel.start_button.click()  # the graph recorded other content: refused, not asked
    finish(qtbot, panel)
    assert len(asked) == 2 and panel.message_is_error
    assert "content changed" in panel.message.toPlainText()
