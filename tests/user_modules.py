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


#: A module that leaves a mark when imported and defines custom layers: a Layer
#: subclass with a weight, and the book's subclassed Classifier model (listing 7.15),
#: given the get_config a .keras file needs to keep its num_classes.
PLANTED_LAYERS = """
from pathlib import Path

import keras

Path(__file__).with_name("{mark}").write_text("imported")


class Scale(keras.layers.Layer):
    \"\"\"Multiplies each feature by a learned factor.\"\"\"

    def __init__(self, init=1.0, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1],), initializer=keras.initializers.Constant(self.init)
        )

    def call(self, x):
        return x * self.w

    def get_config(self):
        return {{**super().get_config(), "init": self.init}}


class Classifier(keras.Model):
    def __init__(self, num_classes=2, **kwargs):
        super().__init__(**kwargs)
        if num_classes == 2:
            num_units, activation = 1, "sigmoid"
        else:
            num_units, activation = num_classes, "softmax"
        self.num_classes = num_classes
        self.dense = keras.layers.Dense(num_units, activation=activation)

    def call(self, inputs):
        return self.dense(inputs)

    def get_config(self):
        return {{**super().get_config(), "num_classes": self.num_classes}}
"""


def plant_layers(folder: Path, name: str = "my_layers") -> Path:
    """`folder/<name>.py` defining Scale and Classifier, which writes
    `folder/<name>.imported` when imported (content of its own per folder, as plant's)."""
    path = folder / f"{name}.py"
    text = f"# planted in {folder}\n" + PLANTED_LAYERS.format(mark=f"{name}.imported")
    path.write_text(text, encoding="utf-8")
    return path


def custom_layer_graph(folder: Path, module: str = "my_layers") -> Path:
    """`folder/custom.graph.json`: Input(4) -> Dense(8) -> module:Scale(init=2) ->
    module:Classifier(num_classes=3), recording `folder/<module>.py` as it is now."""
    from graph import ModelGraph

    g = ModelGraph("custom")
    g.training = TrainingSetup(modules=(record_module(folder, f"{module}.py"),))
    x = g.add_node("Input", params={"shape": (4,)}, node_id="input")
    dense = g.add_node("Dense", params={"units": 8}, node_id="dense")
    scale = g.add_node(f"{module}:Scale", params={"init": 2.0}, node_id="scale")
    head = g.add_node(f"{module}:Classifier", params={"num_classes": 3}, node_id="classifier")
    g.connect(x, dense, "input")
    g.connect(dense, scale, "input")
    g.connect(scale, head, "input")
    g.set_outputs([head])
    path = folder / "custom.graph.json"
    save(g, path)
    return path
