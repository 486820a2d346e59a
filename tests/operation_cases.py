"""Functional models that call Keras operations, each as a graph and as the same
model written by hand in Keras: shared by the build, import and source tests.

Every case starts from inputs `x` and `y` of shape (4, 3) and a Dense `d` on x (so
weights are copied by name); a step is (op type, params, source names) in the graph
and the expression a person writes in Keras.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from graph import ModelGraph


@dataclass(frozen=True)
class OpCase:
    """Graph steps (name, type, params, {port: source}) and the hand-written model."""

    steps: tuple[tuple[str, str, dict, dict], ...]
    keras: Callable[[Any, Any, Any], Any]  # (ops, x, h) -> output; y is x's sibling
    dtype: str = "float32"


CASES: dict[str, OpCase] = {
    "x_plus_y": OpCase((("out", "ops.add", {}, {"x": "d", "y": "y"}),), lambda o, d, y: d + y),
    "times_number": OpCase(
        (("out", "ops.multiply", {"x2": 2.0}, {"x": "d"}),), lambda o, d, y: d * 2.0
    ),
    "number_minus": OpCase(
        (("out", "ops.subtract", {"x1": 2.0}, {"x": "d"}),), lambda o, d, y: 2.0 - d
    ),
    "divide_number": OpCase(
        (("out", "ops.true_divide", {"x2": 3.0}, {"x": "d"}),), lambda o, d, y: d / 3.0
    ),
    "power": OpCase((("out", "ops.power", {"x2": 2}, {"x": "d"}),), lambda o, d, y: d**2),
    "maximum": OpCase(
        (("out", "ops.maximum", {"x2": 0.5}, {"x": "d"}),), lambda o, d, y: o.maximum(d, 0.5)
    ),
    "tanh_times_two": OpCase(
        (
            ("t", "ops.tanh", {}, {"x": "d"}),
            ("out", "ops.multiply", {"x2": 2.0}, {"x": "t"}),
        ),
        lambda o, d, y: o.tanh(d) * 2.0,
    ),
    "functions": OpCase(
        (
            ("a", "ops.abs", {}, {"x": "d"}),
            ("b", "ops.sqrt", {}, {"x": "a"}),
            ("c", "ops.exp", {}, {"x": "b"}),
            ("e", "ops.log", {}, {"x": "c"}),
            ("f", "ops.relu", {}, {"x": "e"}),
            ("g", "ops.sigmoid", {}, {"x": "f"}),
            ("h", "ops.negative", {}, {"x": "g"}),
            ("out", "ops.square", {}, {"x": "h"}),
        ),
        lambda o, d, y: o.square(-o.sigmoid(o.relu(o.log(o.exp(o.sqrt(o.abs(d))))))),
    ),
    "mean_keepdims": OpCase(
        (("out", "ops.mean", {"axis": (1, 2), "keepdims": True}, {"x": "d"}),),
        lambda o, d, y: o.mean(d, axis=(1, 2), keepdims=True),
    ),
    "max_sum_min": OpCase(
        (
            ("m", "ops.max", {"axis": -1}, {"x": "d"}),
            ("s", "ops.sum", {"axis": 2}, {"x": "d"}),
            ("n", "ops.min", {}, {"x": "d"}),
            ("mn", "ops.add", {}, {"x": "m", "y": "n"}),
            ("out", "ops.concatenate", {"axis": -1}, {"input_0": "mn", "input_1": "s"}),
        ),
        lambda o, d, y: o.concatenate([o.max(d, axis=-1) + o.min(d), o.sum(d, axis=2)], axis=-1),
    ),
    "concatenate_reshape": OpCase(
        (
            ("c", "ops.concatenate", {"axis": -1}, {"input_0": "d", "input_1": "y"}),
            ("out", "ops.reshape", {"newshape": (-1, 24)}, {"x": "c"}),
        ),
        lambda o, d, y: o.reshape(o.concatenate([d, y], axis=-1), (-1, 24)),
    ),
    "transpose_matmul": OpCase(
        (
            ("t", "ops.transpose", {"axes": (0, 2, 1)}, {"x": "y"}),
            ("out", "ops.matmul", {}, {"x1": "d", "x2": "t"}),
        ),
        lambda o, d, y: o.matmul(d, o.transpose(y, (0, 2, 1))),
    ),
    "slices": OpCase(
        (
            ("first", "ops.get_item", {"key": ":, 0"}, {"x": "d"}),
            ("middle", "ops.get_item", {"key": ":, 1:3"}, {"x": "d"}),
            ("m", "ops.mean", {"axis": 1}, {"x": "middle"}),
            ("s", "ops.add", {}, {"x": "first", "y": "m"}),
            ("out", "ops.get_item", {"key": "..., None"}, {"x": "s"}),
        ),
        lambda o, d, y: (d[:, 0] + o.mean(d[:, 1:3], axis=1))[..., None],
    ),
}


def op_graph(case: OpCase) -> ModelGraph:
    g = ModelGraph("ops_model")
    nodes = {
        "x": g.add_node("Input", name="x", params={"shape": (4, 3)}),
        "y": g.add_node("Input", name="y", params={"shape": (4, 3)}),
    }
    nodes["d"] = g.add_node("Dense", name="d", params={"units": 3})
    g.connect(nodes["x"], nodes["d"], "input")
    for name, op_type, params, wiring in case.steps:
        nodes[name] = g.add_node(op_type, name=name, params=params)
        for port, source in wiring.items():
            g.connect(nodes[source], nodes[name], port)
    g.set_outputs([nodes["out"]])
    return g


def op_model(keras: Any, case: OpCase) -> Any:
    """The same model written by hand with keras.ops and Python operators."""
    x = keras.Input((4, 3), name="x")
    y = keras.Input((4, 3), name="y")
    d = keras.layers.Dense(3, name="d")(x)
    return keras.Model([x, y], case.keras(keras.ops, d, y), name="ops_model")


def sample(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((5, 4, 3)).astype("float32") for _ in range(2)]
