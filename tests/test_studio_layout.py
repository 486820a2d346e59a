"""codegen.layout on graphs a file may hold but the editor refuses: cycles.

A cycle's back edges are left out of the layout (as in Sugiyama's method): every node
still gets a position, and every other connection points right.
"""

from __future__ import annotations

import json

import networkx as nx
import pytest

from codegen import layout
from codegen.layout import back_edges, layered_layout
from graph import validate
from graph.fileformat import dumps, loads
from tests.graphs import chain


def digraph_of(g) -> nx.DiGraph:
    return nx.DiGraph([(src, dst) for src, dst, _ in g.edges()])


@pytest.mark.parametrize("limit", [layout.SUGIYAMA_LIMIT, 0], ids=["sugiyama", "generations"])
def test_a_cycle_is_laid_out_with_its_closing_edge_ignored(cyclic_graph, monkeypatch, limit):
    monkeypatch.setattr(layout, "SUGIYAMA_LIMIT", limit)
    g = cyclic_graph
    assert any(p.code == "cycle" for p in validate(g).problems)
    positions = layered_layout(g)
    assert list(positions) == g.node_ids()
    x = {n: positions[n][0] for n in positions}
    assert x["n1"] < x["n2"] < x["n3"]  # input, dense, add: the closing add -> dense left out
    assert len(set(positions.values())) == len(g)
    assert layered_layout(g) == positions  # deterministic


def test_back_edges_are_those_closing_loops_self_loops_included(cyclic_graph):
    g = cyclic_graph
    data = json.loads(dumps(g))
    data["edges"].append({"from": "n3", "to": "n3", "port": "input_2"})
    g = loads(json.dumps(data))
    digraph = digraph_of(g)
    found = back_edges(digraph)
    assert sorted(found) == [("n3", "n2"), ("n3", "n3")]
    digraph.remove_edges_from(found)
    assert nx.is_directed_acyclic_graph(digraph)
    positions = layered_layout(g)
    assert set(positions) == set(g.node_ids())


def test_a_long_loop_needs_no_recursion(monkeypatch):
    """A chain longer than Python's recursion limit, closed into a loop: one column
    per node (by generation: the long graphs' layout)."""
    monkeypatch.setattr(layout, "SUGIYAMA_LIMIT", 0)
    g = chain(*[("Dropout", {"rate": 0.1})] * 1_499)
    ids = g.node_ids()
    data = json.loads(dumps(g))
    data["edges"].append({"from": ids[-1], "to": ids[0], "port": "input"})
    g = loads(json.dumps(data))
    positions = layered_layout(g, fold=False)
    assert [positions[n][0] for n in ids] == [i * layout.COLUMN for i in range(len(ids))]


def test_an_acyclic_graph_has_no_back_edges():
    g = chain(("Dense", {"units": 4}), ("Dense", {"units": 2}))
    assert back_edges(digraph_of(g)) == []
    positions = layered_layout(g)
    assert all(positions[src][0] < positions[dst][0] for src, dst, _ in g.edges())
