"""The setup's callbacks do what Keras's do, in a Trainer run: EarlyStopping ends it,
ModelCheckpoint keeps the best model only, ReduceLROnPlateau lowers the learning rate,
CSVLogger writes every epoch. `line` makes the curve certain: val_loss falls for two
epochs, then rises; what each callback did is checked against the values Keras logged."""

import csv
from pathlib import Path

import numpy as np
import pytest

from codegen.keras_env import import_keras
from codegen.training import Trainer
from graph.training import CSVLogger, EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from tests.test_training_run import line


@pytest.fixture
def spy(monkeypatch):
    """After the setup's callbacks, at each epoch's end: the model's weights, its
    optimizer's learning rate and the bytes of the checkpoint file, if any."""
    keras = import_keras()
    from codegen.training import compiling

    seen = {"weights": [], "learning_rate": [], "checkpoint": []}

    class Spy(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen["weights"].append(self.model.get_weights())
            rate = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
            seen["learning_rate"].append(float(rate))
            path = self.path
            seen["checkpoint"].append(path.read_bytes() if path and path.exists() else None)

    made = compiling.make_callbacks

    def with_spy(setup, base=".", modules=None):
        callbacks = made(setup, base, modules)
        spy = Spy()
        paths = [c.filepath for c in callbacks if isinstance(c, keras.callbacks.ModelCheckpoint)]
        spy.path = Path(paths[0]) if paths else None
        return [*callbacks, spy]

    monkeypatch.setattr(compiling, "make_callbacks", with_spy)
    return seen


def improvements(values):
    """The epochs whose value beat every earlier one (np.less, as Keras's "min" mode)."""
    return [i for i, v in enumerate(values) if all(v < earlier for earlier in values[:i])]


def assert_weights_equal(actual, expected):
    for a, b in zip(actual, expected, strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_curve_falls_then_rises(tmp_path):
    g, setup = line(tmp_path)
    val_loss = Trainer(g, setup).run().history["val_loss"]
    assert improvements(val_loss) == [0, 1]
    assert all(a < b for a, b in zip(val_loss[1:], val_loss[2:], strict=False))


def test_early_stopping_with_no_improvement_stops_after_patience_epochs(tmp_path):
    """With a min_delta no change can meet, only the first epoch (against an infinite
    best) counts: the run ends `patience` epochs later."""
    g, setup = line(tmp_path, epochs=10, callbacks=(EarlyStopping(patience=2, min_delta=1e9),))
    history = Trainer(g, setup).run().history
    assert len(history["loss"]) == len(history["val_loss"]) == 2 + 1 < setup.epochs


def test_early_stopping_ends_the_run_and_restores_the_best_weights(tmp_path, spy):
    stopping = EarlyStopping(patience=2, restore_best_weights=True)
    g, setup = line(tmp_path, epochs=10, callbacks=(stopping,))
    result = Trainer(g, setup).run()
    val_loss = result.history["val_loss"]
    best = improvements(val_loss)[-1]
    assert len(val_loss) == best + 2 + 1 < setup.epochs  # patience epochs after the best
    assert not result.stopped  # an early stop is a normal end
    assert_weights_equal(result.model.get_weights(), spy["weights"][best])
    with pytest.raises(AssertionError):
        assert_weights_equal(result.model.get_weights(), spy["weights"][-1])


def test_model_checkpoint_saves_only_on_improvement(tmp_path, spy):
    keras = import_keras()
    g, setup = line(tmp_path, callbacks=(ModelCheckpoint("best.keras", save_best_only=True),))
    result = Trainer(g, setup, base=tmp_path).run()
    val_loss = result.history["val_loss"]
    saved = spy["checkpoint"]
    before = [None, *saved[:-1]]
    written = [i for i, (now, then) in enumerate(zip(saved, before, strict=True)) if now != then]
    assert written == improvements(val_loss) == [0, 1]
    best = keras.models.load_model(tmp_path / "best.keras", safe_mode=True)
    assert_weights_equal(best.get_weights(), spy["weights"][1])


def test_reduce_lr_on_plateau_lowers_the_rate_by_its_factor(tmp_path, spy):
    factor = 0.5
    g, setup = line(tmp_path, callbacks=(ReduceLROnPlateau(factor=factor, patience=1),))
    result = Trainer(g, setup).run()
    logged = result.history["learning_rate"]  # the rate each epoch trained with
    assert logged[0] == setup.learning_rate
    # The optimizer's rate after each epoch is the one the next epoch logs.
    assert spy["learning_rate"][:-1] == logged[1:]
    assert float(result.model.optimizer.learning_rate) == spy["learning_rate"][-1]
    rates = [*logged, spy["learning_rate"][-1]]
    steps = [after / before for before, after in zip(rates, rates[1:], strict=False)]
    assert set(steps) == {1.0, factor}
    # Lowered after each epoch that did not improve val_loss, patience 1: from the third.
    val_loss = result.history["val_loss"]
    lowered = [i for i, step in enumerate(steps) if step == factor]
    assert lowered == [i for i in range(len(val_loss)) if i not in improvements(val_loss)]
    assert lowered == list(range(2, setup.epochs))


def test_csv_logger_writes_one_row_per_epoch_with_the_logged_values(tmp_path):
    g, setup = line(tmp_path, callbacks=(ReduceLROnPlateau(), CSVLogger(filename="log.csv")))
    history = Trainer(g, setup, base=tmp_path).run().history
    with open(tmp_path / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["epoch", *sorted(history)]
    assert "learning_rate" in rows[0] and "val_loss" in rows[0]
    assert [int(row["epoch"]) for row in rows] == list(range(setup.epochs))
    for key, values in history.items():
        assert [float(row[key]) for row in rows] == pytest.approx(values, rel=1e-12)
