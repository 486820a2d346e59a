"""The graph file's record of its weights sidecar (the `weights` key), keras-free.

A graph may carry trained weights in a sidecar file beside it (graph.weightsfile
writes and reads it). The graph file records which file, the sha256 of its bytes (a
sidecar that does not match is refused, never used) and, per layer name, the shapes
of the layer's weights in Keras's order (`layer.weights`). Those shapes are what a
sidecar is checked against before any of its data is read, and what compiling
compares with the layers as they are now (a layer whose shapes changed starts fresh).
The layers of a block use are keyed by path, the use's name then theirs inside
(`enc/dense`, deeper uses alike), so each gets back its own weights by name however
its body is edited:

    "weights": {
      "file": "model.weights.h5",
      "sha256": "9f86d08...",
      "layers": {
        "dense": [[784, 512], [512]],
        "batch_normalization": [[512], [512], [512], [512]],
        "enc/dense": [[512, 64], [64]]
      }
    }
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graph.naming import name_problem
from graph.trainingfile import Reader

Shapes = tuple[tuple[int, ...], ...]

_KEYS = {"file", "sha256", "layers"}
_SHA256 = re.compile(r"[0-9a-f]{64}")
#: Sidecar names: a plain file name in the graph file's folder (no path, no "..").
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}")
#: More axes than any Keras weight has; more would only be a hostile file's.
MAX_RANK = 8


#: Between a block use's name and the name of a layer inside it, in a layer's key.
PATH_SEPARATOR = "/"


def top_name(key: str) -> str:
    """The graph layer a key's weights belong to: `enc/dense` -> `enc`."""
    return key.split(PATH_SEPARATOR, 1)[0]


@dataclass(frozen=True)
class WeightsRecord:
    """Which sidecar holds the graph's weights, its content hash, and per layer name
    the shapes of its weights (Keras's `layer.weights` order)."""

    file: str
    sha256: str
    layers: Mapping[str, Shapes]


def file_name_problem(name: str) -> str | None:
    """Why `name` cannot name a sidecar (it must be a plain file name), or None."""
    if not _FILE_NAME.fullmatch(name) or ".." in name:
        return (
            "must be a plain file name in the graph file's folder (letters, digits, "
            f"'_', '-', '.'; no path). Received: {name!r}"
        )
    return None


def read_weights_record(reader: Reader, raw: Any) -> WeightsRecord:
    """The record in the graph file's `weights` field; errors name the bad field."""
    raw = reader.object(raw, "weights", _KEYS, _KEYS)
    file = reader.string(raw["file"], "weights.file")
    problem = file_name_problem(file)
    if problem is not None:
        raise reader.fail("weights.file", problem)
    sha = reader.string(raw["sha256"], "weights.sha256")
    if not _SHA256.fullmatch(sha):
        raise reader.fail(
            "weights.sha256", f"must be 64 lowercase hex digits. Received: {sha[:80]!r}"
        )
    layers = raw["layers"]
    if not isinstance(layers, dict):
        raise reader.fail("weights.layers", "must be an object keyed by layer name")
    shapes = {}
    for name, value in layers.items():
        where = f"weights.layers.{name}"
        for part in name.split(PATH_SEPARATOR):
            problem = name_problem(part)
            if problem is not None:
                raise reader.fail(where, f"layer name {problem}")
        shapes[name] = tuple(
            _shape(reader, item, f"{where}[{i}]")
            for i, item in enumerate(reader.array(value, where))
        )
    return WeightsRecord(file, sha, shapes)


def saved_sizes(record: WeightsRecord) -> dict[str, int]:
    """Per graph layer (top_name), how many weights the record saved of it: a block
    use's, those of every layer inside it."""
    sizes: dict[str, int] = {}
    for key, shapes in record.layers.items():
        name = top_name(key)
        sizes[name] = sizes.get(name, 0) + sum(math.prod(s) for s in shapes)
    return sizes


def _shape(reader: Reader, value: Any, where: str) -> tuple[int, ...]:
    dims = reader.array(value, where)
    if len(dims) > MAX_RANK or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in dims
    ):
        shown = repr(dims)[:80]
        raise reader.fail(
            where, f"must be a weight shape: at most {MAX_RANK} integers >= 0. Received: {shown}"
        )
    return tuple(dims)


def weights_record_json(record: WeightsRecord) -> dict[str, Any]:
    """The record as the graph file's `weights` field."""
    return {
        "file": record.file,
        "sha256": record.sha256,
        "layers": {name: [list(s) for s in shapes] for name, shapes in record.layers.items()},
    }
