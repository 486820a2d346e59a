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


def _edit_pairs(g: graph.ModelGraph) -> dict[str, tuple]:
    """Per kind of structural edit: (do, undo), each a function making that edit on `g`
    (a 1,501-node residual graph), so that do/undo repeat on the same graph."""
    ids = g.node_ids()
    last = ids[-1]
    dense = [n for n in ids if g.layer(n).type == "Dense"]
    middle = dense[len(dense) // 2]
    ((_, feed),) = g.in_edges(middle)
    side = g.add_node("Dense", params={"units": 4})  # a branch no output depends on
    state: dict[str, str] = {}

    def add_end() -> None:
        state["end"] = g.add_node("Dense", params={"units": 4})
        g.connect(last, state["end"], "input")

    def insert_middle() -> None:
        g.disconnect(feed, middle, "input")
        state["mid"] = g.add_node("Dense", params={"units": 16})
        g.connect(feed, state["mid"], "input")
        g.connect(state["mid"], middle, "input")

    def uninsert_middle() -> None:
        g.remove_node(state["mid"])
        g.connect(feed, middle, "input")

    def remove_middle() -> None:
        node = g.node(middle)
        state["removed"] = (node, g.layer(middle), g.node_ids().index(middle), g.out_edges(middle))
        g.remove_node(middle)

    def restore_middle() -> None:  # as undo puts it back
        node, layer, index, out = state["removed"]
        g.restore_call_site(middle, g.restore_layer(layer), node.pos, index)
        g.restore_edge(feed, middle, "input")
        for dst, port in out:
            g.restore_edge(middle, dst, port)

    return {
        "add a Dense at the end": (add_end, lambda: g.remove_node(state["end"])),
        "insert a Dense mid-graph": (insert_middle, uninsert_middle),
        "remove/restore a mid Dense": (remove_middle, restore_middle),
        "connect/disconnect a branch": (
            lambda: g.connect(feed, side, "input"),
            lambda: g.disconnect(feed, side, "input"),
        ),
        "cut/restore a mid connection": (
            lambda: g.disconnect(feed, middle, "input"),
            lambda: g.connect(feed, middle, "input"),
        ),
        "rename a layer": (
            lambda: g.rename(middle, "renamed_layer"),
            lambda: g.rename(middle, "dense_renamed_back"),
        ),
        "mark/unmark an output": (
            lambda: g.set_output(middle, True),
            lambda: g.set_output(middle, False),
        ),
    }


def structural_edits(runs: int = 40) -> dict[str, tuple[float, float, float]]:
    """Per kind of structural edit on a fresh 1,501-node residual graph: the median of
    (edit + validate + cost), of validate alone and of cost alone, over `runs` edits
    (do and undo alternate; both are timed)."""
    figures = {}
    for kind in _edit_pairs(residual(750)):
        g = residual(750)
        do, undo = _edit_pairs(g)[kind]
        cost(g, validate(g), batch=32)
        totals, validations, costs = [], [], []
        for step in range(2 * runs):
            start = time.perf_counter()
            (do if step % 2 == 0 else undo)()
            edited = time.perf_counter()
            report = validate(g)
            validated = time.perf_counter()
            cost(g, report, batch=32)
            end = time.perf_counter()
            totals.append(end - start)
            validations.append(validated - edited)
            costs.append(end - validated)
        figures[kind] = tuple(map(statistics.median, (totals, validations, costs)))
    return figures


def profile_structural(kind: str, runs: int = 200) -> None:
    """cProfile of `runs` edits of one kind, each followed by validate and cost."""
    import cProfile
    import pstats

    g = residual(750)
    do, undo = _edit_pairs(g)[kind]
    cost(g, validate(g), batch=32)
    profiler = cProfile.Profile()
    profiler.enable()
    for step in range(runs):
        (do if step % 2 == 0 else undo)()
        cost(g, validate(g), batch=32)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


def main() -> None:
    if sys.argv[1:2] == ["--profile"]:
        profile_structural(" ".join(sys.argv[2:]))
        return
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
    print("structural edit (medians, ms):  edit+validate+cost  validate  cost")
    for kind, (total, validation, alone) in structural_edits().items():
        print(f"  {kind:30} {total * 1e3:8.3f} {validation * 1e3:9.3f} {alone * 1e3:6.3f}")
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
