"""A graph 2,000 layers deep goes through every path: compile to .keras, ONNX and
Python source, and import back. Keras recurses once per layer in each of them, and
fails past about 1,400 layers under Python's default recursion limit.

Slow (the ONNX export of 2,000 layers takes minutes on 2 cores): marked `slow`, run
by CI; skip it locally with -m "not slow".
"""

import pytest

from graph import ModelGraph, load, save, validate
from kgs.cli import main

pytestmark = pytest.mark.slow

BLOCKS = 667  # Dense, Add, LayerNormalization per block: 2,001 layers with the Input


def deep_graph() -> ModelGraph:
    """Residual blocks with LayerNormalization, so activations stay finite and ONNX
    parity means something at any depth."""
    g = ModelGraph("deep")
    prev = g.add_node("Input", params={"shape": [8]})
    for _ in range(BLOCKS):
        dense = g.add_node("Dense", params={"units": 8, "activation": "tanh"})
        add = g.add_node("Add")
        norm = g.add_node("LayerNormalization")
        g.connect(prev, dense, "input")
        g.connect(prev, add, "input_0")
        g.connect(dense, add, "input_1")
        g.connect(add, norm, "input")
        prev = norm
    g.set_output(prev)
    return g


def test_deep_graph_compiles_to_every_target_and_imports_back(tmp_path):
    g = deep_graph()
    assert len(g) == 3 * BLOCKS + 1 and validate(g).valid
    path = tmp_path / "deep.graph.json"
    save(g, path)
    out = tmp_path / "out"
    targets = ["--to", "keras", "--to", "onnx", "--to", "functional"]
    assert main(["compile", str(path), *targets, "-o", str(out), "--check"]) == 0
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
