"""A resolved TrainingSetup as Keras objects: compile arguments and callbacks.

Losses, metrics and loss weights are given as lists in the model's output order,
which Keras matches to outputs without relying on output names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codegen.keras_env import import_keras
from graph.training import NO_LOSS, SPARSE_RMSE, CSVLogger, ModelCheckpoint, TrainingSetup

#: Callback arguments that are file paths, relative to the graph file's folder.
_PATH_ARGS = {ModelCheckpoint: "filepath", CSVLogger: "filename"}


def make_metric(name: str) -> Any:
    """A Keras metric identifier, or an instance of the custom metric for its name."""
    if name == SPARSE_RMSE:
        from codegen.training.custom_metrics import SparseRootMeanSquaredError

        return SparseRootMeanSquaredError()
    return name


def compile_arguments(setup: TrainingSetup) -> dict[str, Any]:
    """`model.compile(**compile_arguments(setup))` for a resolved setup."""
    keras = import_keras()
    outputs = list(setup.outputs.values())
    optimizer = keras.optimizers.get(
        {"class_name": setup.optimizer, "config": {"learning_rate": setup.learning_rate}}
    )
    return {
        "optimizer": optimizer,
        "loss": [None if out.loss == NO_LOSS else out.loss for out in outputs],
        "metrics": [[make_metric(m) for m in out.metrics] for out in outputs],
        "loss_weights": [out.loss_weight for out in outputs],
    }


def make_callbacks(setup: TrainingSetup, base: str | Path = ".") -> list[Any]:
    """The setup's Keras callbacks, with file paths relative to `base`."""
    keras = import_keras()
    callbacks = []
    for callback in setup.callbacks:
        kwargs = callback.kwargs()
        path_arg = _PATH_ARGS.get(type(callback))
        if path_arg is not None:
            kwargs[path_arg] = str(Path(base) / kwargs[path_arg])
        callbacks.append(getattr(keras.callbacks, callback.type)(**kwargs))
    return callbacks
