"""A resolved TrainingSetup as Keras objects: compile arguments and callbacks.

Losses, metrics and loss weights are given as lists in the model's output order,
which Keras matches to outputs without relying on output names.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

from codegen.keras_env import import_keras
from codegen.trusted_code import user_object
from graph.training import (
    NO_LOSS,
    SPARSE_RMSE,
    CSVLogger,
    CustomCallback,
    ModelCheckpoint,
    TensorBoard,
    TrainingSetup,
)
from graph.user_code import CustomObject

#: Callback arguments that are file paths, relative to the graph file's folder.
_PATH_ARGS = {ModelCheckpoint: "filepath", CSVLogger: "filename", TensorBoard: "log_dir"}

#: The user's modules by name (codegen.trusted_code.import_modules).
Modules = dict[str, types.ModuleType]


def make_loss(loss: str | CustomObject, modules: Modules) -> Any:
    """A Keras loss identifier, None for no loss, or the user's loss object."""
    if isinstance(loss, CustomObject):
        return user_object(loss, modules)
    return None if loss == NO_LOSS else loss


def make_metric(name: str | CustomObject, modules: Modules | None = None) -> Any:
    """A Keras metric identifier, an instance of the custom metric for its name, or the
    user's metric object."""
    if isinstance(name, CustomObject):
        return user_object(name, modules or {})
    if name == SPARSE_RMSE:
        from codegen.training.custom_metrics import SparseRootMeanSquaredError

        return SparseRootMeanSquaredError()
    return name


def compile_arguments(setup: TrainingSetup, modules: Modules | None = None) -> dict[str, Any]:
    """`model.compile(**compile_arguments(setup, modules))` for a resolved setup whose
    user objects come from `modules`."""
    modules = modules or {}
    keras = import_keras()
    outputs = list(setup.outputs.values())
    optimizer = keras.optimizers.get(
        {"class_name": setup.optimizer, "config": {"learning_rate": setup.learning_rate}}
    )
    return {
        "optimizer": optimizer,
        "loss": [make_loss(out.loss, modules) for out in outputs],
        "metrics": [[make_metric(m, modules) for m in out.metrics] for out in outputs],
        "loss_weights": [out.loss_weight for out in outputs],
    }


def make_callbacks(
    setup: TrainingSetup, base: str | Path = ".", modules: Modules | None = None
) -> list[Any]:
    """The setup's Keras callbacks, with file paths relative to `base`; TensorBoard is
    codegen.training.tensorboard's, custom ones come from `modules`."""
    keras = import_keras()
    callbacks = []
    for callback in setup.callbacks:
        kwargs = callback.kwargs()
        path_arg = _PATH_ARGS.get(type(callback))
        if path_arg is not None:
            kwargs[path_arg] = str(Path(base) / kwargs[path_arg])
        if isinstance(callback, CustomCallback):
            made = user_object(CustomObject(callback.ref, kwargs), modules or {})
        elif isinstance(callback, TensorBoard):
            from codegen.training.tensorboard import TorchTensorBoard

            made = TorchTensorBoard(**kwargs)
        else:
            made = getattr(keras.callbacks, callback.type)(**kwargs)
        callbacks.append(made)
    return callbacks
