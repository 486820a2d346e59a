"""Validation speed: our validate() against Keras's symbolic build of the same model.

Builds a 1,500-node residual graph (Input, then Dense + Add blocks), saves it, and
prints in one run:
  - graph.validate() time (best and median of repeated runs on the loaded graph),
  - Keras's symbolic build of the same Functional model (layers built from the same
    specs and params, called on KerasTensors, then keras.Model(...)),
  - their ratio, and the wall time of `kgs validate FILE` as a whole process.
Goals: validation under 5 ms for 1,500 nodes; `kgs validate` under 1 s.

Run: .venv/bin/python bench/validate_bench.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import graph  # noqa: E402
from graph.validate import validate  # noqa: E402
from tests.graphs import residual  # noqa: E402

NODES = 1500


def time_validate(g: graph.ModelGraph, runs: int = 30) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        validate(g)
        times.append(time.perf_counter() - start)
    return times


def time_keras_build(g: graph.ModelGraph) -> float:
    """Seconds for Keras to build the same Functional model symbolically."""
    from codegen.build import build_model
    from codegen.keras_env import import_keras

    import_keras()
    sys.setrecursionlimit(100_000)  # keras.Model recurses once per layer
    start = time.perf_counter()
    model = build_model(g)
    elapsed = time.perf_counter() - start
    assert model.count_params() == validate(g).total_params
    return elapsed


def time_cli(path: Path, runs: int = 5) -> list[float]:
    kgs = Path(sys.executable).with_name("kgs")
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([str(kgs), "validate", str(path)], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    g = residual((NODES - 1) // 2, width=32)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "residual.graph.json"
        graph.save(g, path)
        start = time.perf_counter()
        loaded = graph.load(path)
        load_s = time.perf_counter() - start
        ours = time_validate(loaded)
        cli = time_cli(path)
    keras_s = time_keras_build(loaded)
    best, median = min(ours), statistics.median(ours)
    print(f"graph: {len(loaded)} nodes (residual Dense + Add blocks)")
    print(f"graph.load:              {load_s * 1e3:8.2f} ms")
    print(f"graph.validate:          {best * 1e3:8.2f} ms best, {median * 1e3:.2f} ms median")
    print(f"keras symbolic build:    {keras_s * 1e3:8.0f} ms")
    print(f"ratio keras / validate:  {keras_s / median:8.0f}x (median)")
    print(f"kgs validate (process):  {min(cli):8.3f} s best, {statistics.median(cli):.3f} s median")


if __name__ == "__main__":
    main()
