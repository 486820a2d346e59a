"""Cost speed on a 1,501-node residual graph (Input, then 750 Dense + Add blocks):
graph.cost.cost() cold (a graph it has not costed), given validate()'s report; an edit
then validate and cost, as the studio does on every edit (both reuse their last run's
work); and `kgs cost --json FILE` as a whole process.

The issue's goal for the studio: validation plus cost under 1 ms per edit on 1,501 nodes.

Run: .venv/bin/python bench/cost_bench.py
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
from bench.validate_bench import best_and_median  # noqa: E402
from graph.cost import cost  # noqa: E402
from graph.validate import validate  # noqa: E402
from tests.graphs import residual  # noqa: E402


def cold_costs(g: graph.ModelGraph) -> tuple[float, float]:
    """cost() of a fresh copy of `g` each time (the copy and its validation not timed)."""
    times = []
    for _ in range(30):
        fresh = graph.loads(graph.dumps(g))
        report = validate(fresh)
        start = time.perf_counter()
        cost(fresh, report, batch=32)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def edit_costs(g: graph.ModelGraph) -> tuple[float, float]:
    """Toggle one Dense's activation mid-graph, then validate and cost (all timed)."""
    cost(g, validate(g), batch=32)
    node = [n for n in g.node_ids() if g.layer(n).type == "Dense"][len(g) // 4]

    def edit_validate_and_cost() -> None:
        current = g.layer(node).params["activation"]
        g.set_param(node, "activation", "tanh" if current == "relu" else "relu")
        cost(g, validate(g), batch=32)

    return best_and_median(edit_validate_and_cost, runs=200)


def structural_edits(g: graph.ModelGraph, runs: int = 20) -> tuple[float, float]:
    """Add a Dense on the last node and remove it, each followed by validate and cost:
    the order changes, so validate runs in full; cost visits only what the edit
    reaches. Best of (edit + validate + cost) and of cost alone, per edit."""
    cost(g, validate(g), batch=32)
    last = g.node_ids()[-1]
    totals, costs = [], []
    for step in range(2 * runs):
        start = time.perf_counter()
        if step % 2 == 0:
            added = g.add_node("Dense", params={"units": 4})
            g.connect(last, added, "input")
        else:
            g.remove_node(added)
        report = validate(g)
        middle = time.perf_counter()
        cost(g, report, batch=32)
        end = time.perf_counter()
        totals.append(end - start)
        costs.append(end - middle)
    return min(totals), min(costs)


def main() -> None:
    g = residual(750)
    print(f"graph: {len(g)} nodes (Input + residual Dense/Add blocks)")
    best, median = cold_costs(g)
    print(
        f"graph.cost cold, given the report:  {best * 1e3:7.2f} ms best, {median * 1e3:.2f} median"
    )
    best, median = edit_costs(g)
    print(
        f"edit + validate + cost:             {best * 1e3:7.3f} ms best, {median * 1e3:.3f} median"
    )
    total, alone = structural_edits(g)
    print(
        f"add/remove a node + validate + cost: {total * 1e3:6.2f} ms best; "
        f"cost alone {alone * 1e3:.2f} ms best"
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "residual.graph.json"
        graph.save(g, path)
        root = Path(__file__).resolve().parents[1]

        def whole_process() -> None:
            subprocess.run(
                [sys.executable, "-m", "kgs", "cost", "--json", str(path)],
                check=True,
                capture_output=True,
                cwd=root,
            )

        best, median = best_and_median(whole_process, runs=5)
    print(f"kgs cost --json (whole process):    {best:.3f} s best, {median:.3f} s median")


if __name__ == "__main__":
    main()
