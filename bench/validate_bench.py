"""Validation speed: our validate() against Keras's symbolic build of the same model.

Builds a 1,501-node residual graph (Input, then 750 Dense + Add blocks), saves it,
and prints in one run:
  - graph.load() of the file,
  - graph.validate() cold (first validation of a freshly loaded graph) and after an
    edit (one param changed mid-graph, then validate: what the studio does on every
    edit; validate reuses results whose inputs are unchanged),
  - Keras's symbolic build of the same Functional model (codegen.build_model: layers
    from the same specs and params, called on KerasTensors, then keras.Model),
  - their ratios, and the wall time of `kgs validate FILE` as a whole process.
Goals: validation under 5 ms for 1,500 nodes (an edit), a cold one under 10 ms;
`kgs validate` under 1 s.

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

NODES = 1501  # Input + 750 (Dense, Add) blocks


def best_and_median(action, runs: int = 30) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def cold_validations(path: Path, runs: int = 30) -> tuple[float, float, float]:
    """validate() on a graph freshly loaded each time (load not timed): best and median
    wall time, and the best CPU time of this process (less swayed by other processes on
    a shared machine)."""
    times, cpu = [], []
    for _ in range(runs):
        g = graph.load(path)
        start, start_cpu = time.perf_counter(), time.process_time()
        validate(g)
        cpu.append(time.process_time() - start_cpu)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), min(cpu)


def edit_validations(g: graph.ModelGraph) -> tuple[float, float]:
    """Toggle one Dense's activation mid-graph, then validate (edit time included)."""
    validate(g)
    node = [n for n in g.node_ids() if g.layer(n).type == "Dense"][len(g) // 4]

    def edit_and_validate() -> None:
        current = g.layer(node).params["activation"]
        g.set_param(node, "activation", "tanh" if current == "relu" else "relu")
        validate(g)

    return best_and_median(edit_and_validate)


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


def run_cli(path: Path) -> None:
    kgs = Path(sys.executable).with_name("kgs")
    subprocess.run([str(kgs), "validate", str(path)], check=True, capture_output=True)


def main() -> None:
    g = residual((NODES - 1) // 2, width=32)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "residual.graph.json"
        graph.save(g, path)
        load_s = best_and_median(lambda: graph.load(path), runs=5)[1]
        cold = cold_validations(path)
        cli = best_and_median(lambda: run_cli(path), runs=5)
    edit = edit_validations(g)
    keras_s = time_keras_build(g)
    print(f"graph: {len(g)} nodes (Input + residual Dense/Add blocks)")
    print(f"graph.load:                    {load_s * 1e3:8.2f} ms median")
    print(
        f"graph.validate, cold:          {cold[0] * 1e3:8.2f} ms best, {cold[1] * 1e3:.2f} median"
    )
    print(f"  its CPU time:                {cold[2] * 1e3:8.2f} ms best")
    print(
        f"edit one param + validate:     {edit[0] * 1e3:8.2f} ms best, {edit[1] * 1e3:.2f} median"
    )
    print(f"keras symbolic build:          {keras_s * 1e3:8.0f} ms")
    print(f"ratio keras / validate cold:   {keras_s / cold[1]:8.0f}x (medians)")
    print(f"ratio keras / edit + validate: {keras_s / edit[1]:8.0f}x (medians)")
    print(f"kgs validate (whole process):  {cli[0]:8.3f} s best, {cli[1]:.3f} s median")


if __name__ == "__main__":
    main()
