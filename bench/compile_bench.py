"""Compiler speed and fidelity: graph -> keras.Model against the same model by hand.

Prints, in one run, for each model:
  - time to build the keras.Model from the graph (codegen.build_model, validation
    included) against the same model written by hand in Keras (goal: ratio <= 1.1),
  - ONNX export time and the parity against Keras (max abs difference at batch 2 and 5).

Run: .venv/bin/python bench/compile_bench.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import graph  # noqa: E402
from codegen.build import build_model  # noqa: E402
from codegen.export import export_onnx  # noqa: E402
from codegen.keras_env import import_keras  # noqa: E402

keras = import_keras()
layers = keras.layers


def mnist_mlp_by_hand():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(512, activation="relu", name="dense")(inputs)
    x = layers.Dropout(0.5, name="dropout")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="mnist_mlp")


def customer_tickets_by_hand():
    title = keras.Input(shape=(10000,), name="title")
    text_body = keras.Input(shape=(10000,), name="text_body")
    tags = keras.Input(shape=(100,), name="tags")
    features = layers.Concatenate(name="concatenate")([title, text_body, tags])
    features = layers.Dense(64, activation="relu", name="dense_features")(features)
    priority = layers.Dense(1, activation="sigmoid", name="priority")(features)
    department = layers.Dense(4, activation="softmax", name="department")(features)
    return keras.Model([title, text_body, tags], [priority, department], name="customer_tickets")


def residual_by_hand(blocks: int = 100, width: int = 32):
    """tests.graphs.bounded_residual, written in Keras."""
    inputs = keras.Input(shape=(width,), name="input")
    x = inputs
    for i in range(blocks):
        suffix = f"_{i}" if i else ""
        dense = layers.Dense(
            width,
            activation="tanh",
            kernel_initializer="zeros",
            bias_initializer="random_normal",
            name=f"dense{suffix}",
        )(x)
        x = layers.Add(name=f"add{suffix}")([x, dense])
    return keras.Model(inputs, x, name="bounded_residual")


def residual_graph(blocks: int = 100, width: int = 32) -> graph.ModelGraph:
    from tests.graphs import bounded_residual

    return bounded_residual(blocks, width)


MODELS = [
    ("mnist_mlp", lambda: graph.load(ROOT / "resources/templates/mnist_mlp.graph.json"),
     mnist_mlp_by_hand),
    ("customer_tickets",
     lambda: graph.load(ROOT / "resources/templates/customer_tickets.graph.json"),
     customer_tickets_by_hand),
    ("residual_100_blocks", residual_graph, residual_by_hand),
]  # fmt: skip


def interleaved_medians(first, second, runs: int = 21) -> tuple[float, float]:
    """Median times of two actions run alternately, so that drifts in machine load
    (seen here: +-30% from one batch of runs to the next) hit both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for action, bucket in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            action()
            bucket.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    print(f"{'model':<22} {'graph build':>12} {'by hand':>10} {'ratio':>6} "
          f"{'onnx export':>12}  parity (max abs diff, batch 2 / 5)")  # fmt: skip
    for name, make_graph, by_hand in MODELS:
        g = make_graph()
        ours, theirs = interleaved_medians(lambda g=g: build_model(g), by_hand)
        model = build_model(g)
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            parity = export_onnx(model, g, Path(tmp) / f"{name}.onnx", check=True)
            export_s = time.perf_counter() - start
        print(
            f"{name:<22} {ours * 1e3:10.1f}ms {theirs * 1e3:8.1f}ms "
            f"{ours / theirs:6.2f} {export_s:11.1f}s  {parity}"
        )
    print("build times: medians of 21 builds each, graph and by hand alternating;")
    print("ONNX export time includes the parity check")


if __name__ == "__main__":
    main()
