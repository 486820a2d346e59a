"""Custom metrics and callbacks from a trusted user module train as plain Keras does: the
logs a callback gets and a metric class's values equal model.fit() by hand."""

import dataclasses
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from codegen.keras_env import import_keras
from codegen.training import Trainer
from codegen.trusted_code import Trust
from graph import save
from graph.training import CustomCallback, DataSource, OutputSetup, TensorBoard, TrainingSetup
from graph.user_code import CustomObject, record_module
from kgs.cli import main
from tests.book_code import BOOK_MODULE
from tests.graphs import chain
from tests.test_tensorboard import scalars

SEED, EPOCHS, BATCH = 3, 2, 16


def _book(folder: Path) -> Path:
    path = folder / "book.py"
    path.write_text(BOOK_MODULE, encoding="utf-8")
    return path


def _data(folder: Path) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(100, 8)).astype("float32")
    y = rng.integers(0, 3, size=(100,))
    np.savez(folder / "train.npz", x=x[:80], y=y[:80])
    np.savez(folder / "val.npz", x=x[80:], y=y[80:])
    return x[:80], y[:80], x[80:], y[80:]


def _graph():
    return chain(("Dense", {"units": 16, "activation": "relu"}),
                 ("Dense", {"units": 3, "activation": "softmax"}), input_shape=(8,))  # fmt: skip


def _setup(folder: Path, history: Path) -> TrainingSetup:
    return TrainingSetup(
        outputs={
            "dense_1": OutputSetup(
                loss="sparse_categorical_crossentropy",
                metrics=("accuracy", CustomObject("book:SparseRootMeanSquaredError")),
            )
        },
        callbacks=(CustomCallback("book:LossHistory", {"file": str(history)}),),
        data=DataSource("train.npz"),
        validation_data=DataSource("val.npz"),
        epochs=EPOCHS,
        batch_size=BATCH,
        seed=SEED,
        modules=(record_module(folder, "book.py"),),
    )


def _by_hand(module_path: Path, x, y, xv, yv, history: Path, batch_size: int = BATCH) -> None:
    """What a user writes with Keras alone: the module imported, the same model, fit()."""
    keras = import_keras()
    spec = importlib.util.spec_from_file_location("book_by_hand", module_path)
    book = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(book)
    keras.utils.set_random_seed(SEED)
    inputs = keras.Input((8,))
    hidden = keras.layers.Dense(16, activation="relu")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(hidden))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.001),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy", book.SparseRootMeanSquaredError()],
    )
    model.fit(
        x,
        y,
        batch_size=batch_size,
        epochs=EPOCHS,
        validation_data=(xv, yv),
        callbacks=[book.LossHistory(file=str(history))],
        verbose=0,
    )


def _same_records(ours: list, theirs: list) -> None:
    assert [r[:2] for r in ours] == [r[:2] for r in theirs]
    for mine, hand in zip(ours, theirs, strict=True):
        assert mine[2].keys() == hand[2].keys(), mine[:2]
        for key in hand[2]:
            assert mine[2][key] == pytest.approx(hand[2][key], rel=1e-6, abs=1e-7), (mine[:2], key)


def test_custom_callback_and_metric_see_what_fit_gives(tmp_path):
    book = _book(tmp_path)
    x, y, xv, yv = _data(tmp_path)
    ours, theirs = tmp_path / "ours.json", tmp_path / "theirs.json"
    g = _graph()
    result = Trainer(g, _setup(tmp_path, ours), base=tmp_path, trust=Trust.of_files([book])).run()
    _by_hand(book, x, y, xv, yv, theirs)
    mine, hand = json.loads(ours.read_text()), json.loads(theirs.read_text())
    assert len([r for r in hand if r[0] == "batch"]) == EPOCHS * 5
    assert {"rmse", "val_rmse", "accuracy", "loss"} <= hand[-1][2].keys()
    _same_records(mine, hand)
    assert result.history["val_rmse"] == pytest.approx([r[2]["val_rmse"] for r in hand
                                                        if r[0] == "epoch"])  # fmt: skip


def _graph_file(folder: Path, setup: TrainingSetup) -> Path:
    g = _graph()
    g.training = setup
    path = folder / "model.graph.json"
    save(g, path)
    return path


def test_export_training_refuses_untrusted_code_and_writes_nothing(tmp_path, capsys):
    _book(tmp_path)
    _data(tmp_path)
    path = _graph_file(tmp_path, _setup(tmp_path, Path("history.json")))
    out = tmp_path / "script" / "train.py"
    assert main(["export-training", str(path), "--style", "fit", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "training.modules[0] 'book.py' (needed by training.outputs.dense_1: " in err
    assert "training.callbacks[0]: book:LossHistory" in err and "not trusted" in err
    assert not out.parent.exists() or not any(out.parent.iterdir())


@pytest.mark.slow
def test_fit_and_loop_scripts_give_user_code_what_fit_gives(tmp_path):
    """The scripts import the copied module (its hash checked) and their callbacks get
    fit()'s logs: the fit script's equal model.fit() by hand; so do the loop script's
    with one batch per epoch (its shuffling is its own). Their TensorBoard logs too."""
    book = _book(tmp_path)
    x, y, xv, yv = _data(tmp_path)
    setup = _setup(tmp_path, Path("history.json"))
    setup = dataclasses.replace(setup, batch_size=80, callbacks=(*setup.callbacks, TensorBoard()))
    path = _graph_file(tmp_path, setup)
    _by_hand(book, x, y, xv, yv, tmp_path / "theirs.json", batch_size=80)
    hand = json.loads((tmp_path / "theirs.json").read_text())
    for style in ("fit", "loop"):
        out = tmp_path / style / "train.py"
        out.parent.mkdir()
        argv = ["export-training", str(path), "--style", style, "-o", str(out)]
        assert main([*argv, "--trust-code", str(book)]) == 0
        assert (out.parent / "book.py").read_bytes() == book.read_bytes()
        assert "USER_MODULES = " in out.read_text()
        done = subprocess.run(
            [sys.executable, "train.py", "--out", "m.keras"],
            cwd=out.parent,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        _same_records(json.loads((out.parent / "history.json").read_text()), hand)
        epochs = [r[2]["val_rmse"] for r in hand if r[0] == "epoch"]
        written = scalars(out.parent / "logs" / "validation")["epoch_rmse"]
        assert [v for _, v in written] == pytest.approx(epochs)
    # A copy changed beside the script is not imported.
    changed = tmp_path / "fit" / "book.py"
    changed.write_text(changed.read_text() + "\nraise SystemExit('ran')\n")
    done = subprocess.run(
        [sys.executable, "train.py"], cwd=changed.parent, capture_output=True, text=True
    )
    assert done.returncode != 0 and "its content changed" in done.stderr
    assert "ran" not in done.stderr.splitlines()[-1]
