"""Cost speed: graph.cost.cost() on a 1,501-node residual graph (Input, then 750
Dense + Add blocks), given validate()'s report, as the studio would call it after
each edit's validation; and `kgs cost --json FILE` as a whole process.

cost() is one pass over the nodes (no incremental reuse yet); the issue's goal for
the studio is validation plus cost under 1 ms per edit on 1,501 nodes.

Run: .venv/bin/python bench/cost_bench.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import graph  # noqa: E402
from bench.validate_bench import best_and_median  # noqa: E402
from graph.cost import cost  # noqa: E402
from graph.validate import validate  # noqa: E402
from tests.graphs import residual  # noqa: E402


def main() -> None:
    g = residual(750)
    report = validate(g)
    best, median = best_and_median(lambda: cost(g, report, batch=32))
    print(f"graph: {len(g)} nodes (Input + residual Dense/Add blocks)")
    print(f"graph.cost, given the report:   {best * 1e3:7.2f} ms best, {median * 1e3:.2f} median")
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
    print(f"kgs cost --json (whole process): {best:.3f} s best, {median:.3f} s median")


if __name__ == "__main__":
    main()
