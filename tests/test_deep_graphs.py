"""A graph 2,000 layers deep goes through every path: compile to .keras, ONNX and
Python source, and import back. Keras recurses once per layer in each of them, and
fails past about 1,400 layers under Python's default recursion limit.

Slow (the ONNX export of 2,000 layers takes minutes on 2 cores): marked `slow`, run
by CI; skip it locally with -m "not slow".
"""

import pytest

from graph import load, save, validate
from kgs.cli import main
from tests.graphs import bounded_residual

pytestmark = pytest.mark.slow

BLOCKS = 1000  # Dense and Average per block: 2,001 layers with the Input


def test_deep_graph_compiles_to_every_target_and_imports_back(tmp_path):
    g = bounded_residual(BLOCKS)
    g.name = "deep"
    assert len(g) == 2 * BLOCKS + 1 and validate(g).valid
    path = tmp_path / "deep.graph.json"
    save(g, path)
    out = tmp_path / "out"
    targets = ["--to", "keras", "--to", "onnx", "--to", "functional"]
    seeded = ["--seed", "0"]  # fixed weights: the parity figure is the same every run
    assert main(["compile", str(path), *targets, "-o", str(out), *seeded, "--check"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "deep.keras",
        "deep.onnx",
        "deep_functional.py",
    ]
    imported = tmp_path / "imported.graph.json"
    assert main(["import", str(out / "deep.keras"), "-o", str(imported)]) == 0
    back = load(imported)
    assert len(back) == len(g)
    assert validate(back).total_params == validate(g).total_params
