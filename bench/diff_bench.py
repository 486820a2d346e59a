"""Diff speed on a 1,501-node residual graph (Input, then 750 Dense + Add blocks) and
a copy with one Dense changed: graph.diff.diff_structure alone (nodes, wiring,
outputs); diff() as the studio's Compare runs it after each edit (the other
version's cost computed once, the edited graph's each time); and `kgs diff --json`
as a whole process (both files loaded, validated and costed).

Run: .venv/bin/python bench/diff_bench.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import graph  # noqa: E402
from bench.validate_bench import best_and_median  # noqa: E402
from graph.diff import cost_totals, diff, diff_structure  # noqa: E402
from tests.graphs import residual  # noqa: E402


def main() -> None:
    old = residual(750)
    new = graph.loads(graph.dumps(old))
    new.set_param(new.node_ids()[1], "activation", "tanh")
    old_cost = cost_totals(old, 1)
    assert cost_totals(new, 1).problem is None  # valid: its cost is part of the diff
    print(f"graph: {len(new)} nodes (Input + residual Dense/Add blocks), one Dense changed")
    for title, action in (
        ("diff_structure", lambda: diff_structure(old, new)),
        ("diff, old cost known (studio)", lambda: diff(old, new, old_cost=old_cost)),
    ):
        best, median = best_and_median(action)
        print(f"{title + ':':32} {best * 1e3:7.2f} ms best, {median * 1e3:.2f} median")
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / "old.graph.json", Path(folder) / "new.graph.json"]
        graph.save(old, paths[0])
        graph.save(new, paths[1])
        root = Path(__file__).resolve().parents[1]

        def whole_process() -> None:
            command = [sys.executable, "-m", "kgs", "diff", "--json", *map(str, paths)]
            done = subprocess.run(command, capture_output=True, cwd=root)
            assert done.returncode == 1, done.stderr  # they differ

        best, median = best_and_median(whole_process, runs=5)
    print(f"kgs diff --json (whole process): {best:.3f} s best, {median:.3f} s median")


if __name__ == "__main__":
    main()
