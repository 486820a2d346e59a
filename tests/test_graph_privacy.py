"""Code outside graph/ uses only ModelGraph's public methods.

Undo once called the graph's private helpers, so a change of the graph's inside could
silently break undo. This scan reads the source of every package outside graph/ and
refuses any use of a name private to ModelGraph (its underscore methods and instance
attributes) on an object other than `self` or `cls`: `g._add_edge(...)`,
`self.graph._tables()`, `getattr(g, "_layers")`. A class's own `self._name` is its own
business and is not flagged.
"""

from __future__ import annotations

import ast
from pathlib import Path

from graph.model import ModelGraph

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE_GRAPH = ("studio", "codegen", "kgs", "tests", "bench", "scripts")


def graph_private_names() -> frozenset[str]:
    """The underscore names of ModelGraph's methods and of a fresh graph's attributes."""
    names = {*dir(ModelGraph), *vars(ModelGraph())}
    return frozenset(n for n in names if n.startswith("_") and not n.endswith("__"))


def private_uses(source: str, private: frozenset[str]) -> list[tuple[int, str]]:
    """(line, expression) for each use of a `private` name on an object not self/cls."""
    uses = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in private:
            owner = node.value
            if not (isinstance(owner, ast.Name) and owner.id in ("self", "cls")):
                uses.append((node.lineno, ast.unparse(node)))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in private
        ):
            uses.append((node.lineno, ast.unparse(node)))
    return sorted(uses)


def test_the_scan_finds_private_graph_use_and_spares_a_class_of_its_own():
    private = graph_private_names()
    assert {"_add_edge", "_tables", "_layers", "_g"} <= private
    source = (
        "def restore(g, doc):\n"
        "    g._add_edge('a', 'b', 'input')\n"
        "    doc.graph._tables()\n"
        "    getattr(g, '_layers')\n"
        "class Panel:\n"
        "    def __init__(self):\n"
        "        self._name = 'panel'\n"
    )
    assert private_uses(source, private) == [
        (2, "g._add_edge"),
        (3, "doc.graph._tables"),
        (4, "getattr(g, '_layers')"),
    ]


def test_no_code_outside_graph_uses_a_private_modelgraph_name():
    private = graph_private_names()
    found = [
        f"{path.relative_to(ROOT)}:{line}: {expression}"
        for package in OUTSIDE_GRAPH
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, expression in private_uses(path.read_text(encoding="utf-8"), private)
    ]
    assert found == [], "private ModelGraph use outside graph/:\n" + "\n".join(found)
