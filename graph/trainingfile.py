"""The optional "training" object of a graph file: a TrainingSetup as JSON.

    "training": {
      "optimizer": "adam", "learning_rate": 0.001, "batch_size": 32, "epochs": 10,
      "validation_split": 0.2, "seed": 1, "export_onnx": true, "memory_budget": 8589934592,
      "data": {"path": "digits.npz"},
      "outputs": {"predictions": {"loss": "sparse_categorical_crossentropy",
                                  "metrics": ["accuracy"], "loss_weight": 1.0}},
      "callbacks": [{"type": "EarlyStopping", "monitor": "val_loss", "patience": 3},
                    {"type": "custom", "ref": "my_callbacks:LossHistory", "args": {}}],
      "modules": [{"path": "my_callbacks.py", "sha256": "<64 hex digits>"}]
    }

A loss or metric may name a user module's object: "my_metrics:RootMeanSquaredError",
or {"ref": "my_metrics:RootMeanSquaredError", "args": {"name": "rmse"}} to give it
arguments (graph.user_code). Reading never imports a module.

Unset values (an output's inferred loss or metrics, no seed, no data, no memory
budget) are left out, and so is `export_onnx` when false (files from before it existed
read as before).
Reading checks structure and types only, with errors naming the field's path
(`training.outputs.priority.loss: ...`); names and ranges are `setup_problems`'s job,
so a file with a bad setup still opens.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any, Protocol

from graph.errors import GraphFileError
from graph.training import (
    CALLBACKS,
    Callback,
    CustomCallback,
    DataSource,
    OutputSetup,
    TrainingSetup,
)
from graph.user_code import CodeModule, CustomObject, is_ref

#: Scalar fields of TrainingSetup and their JSON types.
_SCALARS = {
    "optimizer": str,
    "learning_rate": float,
    "batch_size": int,
    "epochs": int,
    "validation_split": float,
    "seed": int,
    "export_onnx": bool,
    "memory_budget": int,
}
#: Scalars written only when they differ from these (None: unset).
_LEFT_OUT = {"seed": None, "export_onnx": False, "memory_budget": None}
_TRAINING_KEYS = {*_SCALARS, "outputs", "data", "validation_data", "callbacks", "modules"}
_OUTPUT_KEYS = {"loss", "metrics", "loss_weight"}
_DATA_KEYS = {"path", "arrays", "columns"}
_CUSTOM_KEYS = {"ref", "args"}
_MODULE_KEYS = {"path", "sha256"}


class Reader(Protocol):
    """What this module needs of graph.fileformat's field-checking reader."""

    def fail(self, where: str, message: str) -> GraphFileError: ...
    def object(self, value: Any, where: str, allowed: set[str], required: set[str]) -> dict: ...
    def string(self, value: Any, where: str) -> str: ...
    def array(self, value: Any, where: str) -> list: ...


def _scalar(reader: Reader, value: Any, kind: type, where: str) -> Any:
    if kind is str:
        return reader.string(value, where)
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise reader.fail(where, f"must be true or false. Received: {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise reader.fail(where, f"must be a number. Received: {value!r}")
    if kind is int:
        if not isinstance(value, int):
            raise reader.fail(where, f"must be an integer. Received: {value!r}")
        return value
    if not math.isfinite(value):
        raise reader.fail(where, f"must be a finite number. Received: {value!r}")
    return float(value)


def _strings(reader: Reader, value: Any, where: str) -> tuple[str, ...]:
    items = reader.array(value, where)
    return tuple(reader.string(item, f"{where}[{i}]") for i, item in enumerate(items))


def _names(reader: Reader, value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise reader.fail(where, "must be an object keyed by name")
    return value


def _identifier(reader: Reader, value: Any, where: str) -> str | CustomObject:
    """A loss or metric: a Keras name, "module:Name", or {"ref": ..., "args": {...}}."""
    if isinstance(value, dict):
        value = reader.object(value, where, _CUSTOM_KEYS, {"ref"})
        args = _names(reader, value.get("args", {}), f"{where}.args")
        return CustomObject(reader.string(value["ref"], f"{where}.ref"), args)
    text = reader.string(value, where)
    return CustomObject(text) if is_ref(text) else text


def _output(reader: Reader, value: Any, where: str) -> OutputSetup:
    value = reader.object(value, where, _OUTPUT_KEYS, set())
    loss = value.get("loss")
    metrics = value.get("metrics")
    if metrics is not None:
        items = reader.array(metrics, f"{where}.metrics")
        metrics = tuple(
            _identifier(reader, m, f"{where}.metrics[{i}]") for i, m in enumerate(items)
        )
    return OutputSetup(
        loss=None if loss is None else _identifier(reader, loss, f"{where}.loss"),
        metrics=metrics,
        loss_weight=_scalar(reader, value.get("loss_weight", 1.0), float, f"{where}.loss_weight"),
    )


def _data(reader: Reader, value: Any, where: str) -> DataSource:
    value = reader.object(value, where, _DATA_KEYS, set())
    arrays = _names(reader, value.get("arrays", {}), f"{where}.arrays")
    columns = _names(reader, value.get("columns", {}), f"{where}.columns")
    return DataSource(
        path=reader.string(value["path"], f"{where}.path") if "path" in value else None,
        arrays={k: reader.string(v, f"{where}.arrays.{k}") for k, v in arrays.items()},
        columns={k: _strings(reader, v, f"{where}.columns.{k}") for k, v in columns.items()},
    )


def _callback(reader: Reader, value: Any, where: str) -> Callback:
    if not isinstance(value, dict) or "type" not in value:
        raise reader.fail(where, "must be an object with a 'type'")
    kind = value["type"]
    if kind == CustomCallback.type:
        value = reader.object(value, where, {"type", *_CUSTOM_KEYS}, {"type", "ref"})
        args = _names(reader, value.get("args", {}), f"{where}.args")
        return CustomCallback(reader.string(value["ref"], f"{where}.ref"), args)
    if kind not in CALLBACKS:
        kinds = ", ".join([*CALLBACKS, CustomCallback.type])
        raise reader.fail(f"{where}.type", f"must be one of {kinds}. Received: {kind!r}")
    cls = CALLBACKS[kind]
    names = {f.name: type(f.default) for f in fields(cls)}
    value = reader.object(value, where, {"type", *names}, {"type", *cls.required})
    return cls(**{k: _scalar(reader, v, names[k], f"{where}.{k}") for k, v in value.items()
                  if k != "type"})  # fmt: skip


def read_training(reader: Reader, value: Any, where: str = "training") -> TrainingSetup:
    """The TrainingSetup in a graph file's "training" object."""
    value = reader.object(value, where, _TRAINING_KEYS, set())
    kwargs: dict[str, Any] = {
        k: _scalar(reader, value[k], kind, f"{where}.{k}")
        for k, kind in _SCALARS.items()
        if k in value and not (value[k] is None and k in _LEFT_OUT and _LEFT_OUT[k] is None)
    }
    outputs = _names(reader, value.get("outputs", {}), f"{where}.outputs")
    kwargs["outputs"] = {
        name: _output(reader, out, f"{where}.outputs.{name}") for name, out in outputs.items()
    }
    for key in ("data", "validation_data"):
        if value.get(key) is not None:
            kwargs[key] = _data(reader, value[key], f"{where}.{key}")
    callbacks = reader.array(value.get("callbacks", []), f"{where}.callbacks")
    kwargs["callbacks"] = tuple(
        _callback(reader, c, f"{where}.callbacks[{i}]") for i, c in enumerate(callbacks)
    )
    modules = reader.array(value.get("modules", []), f"{where}.modules")
    kwargs["modules"] = tuple(
        _module(reader, m, f"{where}.modules[{i}]") for i, m in enumerate(modules)
    )
    return TrainingSetup(**kwargs)


def _module(reader: Reader, value: Any, where: str) -> CodeModule:
    value = reader.object(value, where, _MODULE_KEYS, _MODULE_KEYS)
    return CodeModule(
        reader.string(value["path"], f"{where}.path"),
        reader.string(value["sha256"], f"{where}.sha256"),
    )


def _identifier_json(item: str | CustomObject) -> Any:
    if not isinstance(item, CustomObject):
        return item
    return {"ref": item.ref, "args": dict(item.args)} if item.args else item.ref


def _data_json(source: DataSource) -> dict:
    doc: dict[str, Any] = {}
    if source.path is not None:
        doc["path"] = source.path
    if source.arrays:
        doc["arrays"] = dict(source.arrays)
    if source.columns:
        doc["columns"] = {k: list(v) for k, v in source.columns.items()}
    return doc


def _output_json(out: OutputSetup) -> dict:
    doc: dict[str, Any] = {}
    if out.loss is not None:
        doc["loss"] = _identifier_json(out.loss)
    if out.metrics is not None:
        doc["metrics"] = [_identifier_json(m) for m in out.metrics]
    doc["loss_weight"] = out.loss_weight
    return doc


def training_json(setup: TrainingSetup) -> dict[str, Any]:
    """`setup` as the JSON object `read_training` reads back to an equal setup."""
    doc: dict[str, Any] = {
        k: getattr(setup, k)
        for k in _SCALARS
        if k not in _LEFT_OUT or getattr(setup, k) != _LEFT_OUT[k]
    }
    for key in ("data", "validation_data"):
        source = getattr(setup, key)
        if source is not None:
            doc[key] = _data_json(source)
    doc["outputs"] = {name: _output_json(out) for name, out in setup.outputs.items()}
    doc["callbacks"] = [_callback_json(c) for c in setup.callbacks]
    if setup.modules:
        doc["modules"] = [{"path": m.path, "sha256": m.sha256} for m in setup.modules]
    return doc


def _callback_json(callback: Callback) -> dict[str, Any]:
    if isinstance(callback, CustomCallback):
        return {"type": callback.type, "ref": callback.ref, "args": dict(callback.args)}
    return {"type": callback.type, **callback.kwargs()}
