"""The training panel, driven offscreen: the form edits the setup through undo, a run
trains in the background with live plots, Stop ends it, results and exports follow,
and bad data or a bad setup shows its message with the panel ready again."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QUndoStack

from graph import dumps, load
from graph.training import EarlyStopping
from studio.training_panel import TrainingPanel

ROOT = Path(__file__).parents[1]
TEMPLATES = ROOT / "resources" / "templates"
ARTIFACTS = Path("/tmp/kgs_artifacts")


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


def grab(panel, name):
    ARTIFACTS.mkdir(exist_ok=True)
    panel.grab().save(str(ARTIFACTS / f"training_panel_{name}.png"))


def finish(qtbot, panel, timeout=30_000):
    qtbot.waitUntil(lambda: not panel.running, timeout=timeout)


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


def test_start_plots_batches_and_stop_ends_the_run(qtbot, panel):
    panel.form.epochs.setValue(1000)
    panel.form.batch_size.setValue(8)
    panel.start_button.click()
    assert panel.running and not panel.start_button.isEnabled()
    qtbot.waitUntil(
        lambda: len(panel.plots.batch_x) >= 5 and panel.progress.value() >= 5, timeout=30_000
    )
    assert panel.progress.maximum() == 1000 * 180  # 1,437 training samples in batches of 8
    assert panel.eta.text().startswith("epoch 1/1000, batch ")
    assert panel.eta.text().endswith(" min left")  # hours and minutes
    grab(panel, "running")
    panel.stop_button.click()
    finish(qtbot, panel, timeout=5_000)
    assert panel.result.stopped
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()
    assert panel.message.toPlainText().startswith("Stopped after")
    assert panel.g.training.epochs == 1000  # the graph is untouched by the run


def test_a_full_run_shows_evaluation_predictions_and_exports(qtbot, panel, tmp_path):
    from codegen.keras_env import import_keras

    panel.form.epochs.setValue(2)
    before = dumps(panel.g)
    panel.start_button.click()
    panel.g.rename("dense", "hidden")  # the user keeps editing; the run trained a copy
    finish(qtbot, panel)
    grab(panel, "finished")
    result = panel.result
    assert not result.stopped and not panel.message_is_error
    assert result.evaluation["accuracy"] > 0.6
    assert "accuracy: " in panel.results.evaluation.text()
    assert [len(panel.plots.epochs[n][1]) for n in ("loss", "val_loss", "val_accuracy")] == [2] * 3
    table = panel.results.table
    assert (table.rowCount(), table.columnCount()) == (5, 3)
    targets = result.validation.targets["predictions"][:5]
    assert [table.item(r, 1).text() for r in range(5)] == [str(t) for t in targets]
    assert before != dumps(panel.g)

    panel.ask_export_path = lambda target: tmp_path / "trained"
    panel.export_keras_button.click()
    finish(qtbot, panel)
    qtbot.waitUntil(lambda: panel.export_keras_button.isEnabled(), timeout=30_000)
    assert panel.message.toPlainText() == "Wrote trained.keras: the trained Keras model"
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
    panel.form.ask_data_path = lambda title: bad
    panel.form.data.browse_button.click()
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


def test_an_exception_inside_training_shows_and_the_panel_stays_usable(qtbot, panel, monkeypatch):
    from codegen.training import Trainer

    def broken_layer(self):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied (32x784 and 10x512)")

    monkeypatch.setattr(Trainer, "run", broken_layer)
    before = dumps(panel.g)
    panel.start_button.click()
    finish(qtbot, panel)
    assert panel.message.toPlainText() == (
        "Training failed: RuntimeError: mat1 and mat2 shapes cannot be multiplied "
        "(32x784 and 10x512)"
    )
    assert panel.message_is_error and panel.start_button.isEnabled()
    assert dumps(panel.g) == before


def test_the_batch_plot_axes_move_rarely_and_always_hold_the_data(qtbot):
    from studio.training_plots import TrainingPlots

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
    from studio.training_results import cell_text

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
    from studio.training_panel import duration_text

    assert duration_text(seconds) == text


def test_a_validation_file_replaces_the_split(qtbot, panel, tmp_path):
    with np.load(ROOT / "resources" / "data" / "digits_mlp.npz") as digits:
        arrays = {name: digits[name] for name in digits.files}
    np.savez(tmp_path / "train.npz", **{k: v[:200] for k, v in arrays.items()})
    np.savez(tmp_path / "val.npz", **{k: v[200:250] for k, v in arrays.items()})
    form = panel.form
    form.ask_data_path = lambda title: tmp_path / ("val.npz" if "Valid" in title else "train.npz")
    form.data.browse_button.click()
    form.validation_data.browse_button.click()
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
