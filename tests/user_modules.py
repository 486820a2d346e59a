"""Graphs whose training setup uses the user's own modules, written into a folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from graph import save
from graph.training import DataSource, TrainingSetup
from graph.user_code import record_module
from tests.graphs import chain

#: A module that leaves a mark when it is imported, and defines a loss, a metric
#: class and a callback.
PLANTED = """
from pathlib import Path

import keras

Path(__file__).with_name("{mark}").write_text("imported")


def halved_mse(y_true, y_pred):
    return keras.ops.mean(keras.ops.square(y_true - y_pred)) / 2


class MeanError(keras.metrics.Mean):
    def __init__(self, name="mean_error", **kwargs):
        super().__init__(name=name, **kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(y_pred - y_true, sample_weight=sample_weight)


class Logs(keras.callbacks.Callback):
    seen = []

    def __init__(self, tag="logs"):
        super().__init__()
        self.tag = tag

    def on_train_batch_end(self, batch, logs=None):
        Logs.seen.append(("batch", batch, dict(logs)))

    def on_epoch_end(self, epoch, logs=None):
        Logs.seen.append(("epoch", epoch, dict(logs)))
"""


def plant(folder: Path, name: str = "mine") -> Path:
    """`folder/<name>.py`, which writes `folder/<name>.imported` when imported. Its
    text names `folder`, so that each test's module has content of its own: a module is
    run once per process and content (codegen.module_loading), and one planted alike by
    an earlier test would leave its mark in that test's folder, not this one's."""
    path = folder / f"{name}.py"
    text = f"# planted in {folder}\n" + PLANTED.format(mark=f"{name}.imported")
    path.write_text(text, encoding="utf-8")
    return path


def regression_graph(folder: Path, setup: TrainingSetup, modules: tuple[str, ...]) -> Path:
    """A small regression graph in `folder` trained with `setup` on data beside it,
    the module files `modules` recorded with their content now."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype("float32")
    np.savez(folder / "data.npz", x=x, y=x[:, :1] * 2.0)
    g = chain(("Dense", {"units": 1}), input_shape=(4,))
    recorded = tuple(record_module(folder, m) for m in modules)
    g.training = replace(
        setup,
        data=DataSource("data.npz"),
        epochs=1,
        batch_size=8,
        seed=1,
        modules=recorded,
    )
    path = folder / "model.graph.json"
    save(g, path)
    return path
