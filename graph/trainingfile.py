"""The optional "training" object of a graph file: a TrainingSetup as JSON.

    "training": {
      "optimizer": "adam", "learning_rate": 0.001, "batch_size": 32, "epochs": 10,
      "validation_split": 0.2, "seed": 1, "export_onnx": true, "memory_budget": 8589934592,
      "data": {"path": "digits.npz"},
      "outputs": {"predictions": {"loss": "sparse_categorical_crossentropy",
                                  "metrics": ["accuracy"], "loss_weight": 1.0}},
      "callbacks": [{"type": "EarlyStopping", "monitor": "val_loss", "patience": 3}]
    }

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
    DataSource,
    OutputSetup,
    TrainingSetup,
)

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
_TRAINING_KEYS = {*_SCALARS, "outputs", "data", "validation_data", "callbacks"}
_OUTPUT_KEYS = {"loss", "metrics", "loss_weight"}
_DATA_KEYS = {"path", "arrays", "columns"}


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


def _output(reader: Reader, value: Any, where: str) -> OutputSetup:
    value = reader.object(value, where, _OUTPUT_KEYS, set())
    loss = value.get("loss")
    metrics = value.get("metrics")
    return OutputSetup(
        loss=None if loss is None else reader.string(loss, f"{where}.loss"),
        metrics=None if metrics is None else _strings(reader, metrics, f"{where}.metrics"),
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
    if kind not in CALLBACKS:
        raise reader.fail(
            f"{where}.type", f"must be one of {', '.join(CALLBACKS)}. Received: {kind!r}"
        )
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
    return TrainingSetup(**kwargs)


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
        doc["loss"] = out.loss
    if out.metrics is not None:
        doc["metrics"] = list(out.metrics)
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
    doc["callbacks"] = [{"type": c.type, **c.kwargs()} for c in setup.callbacks]
    return doc
