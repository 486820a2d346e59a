"""A layered auto-layout that makes a graph read left to right.

Imported models come without positions. Every node goes into a column by its longest
path from the sources, so every connection points right; within a column, grandalf's
Sugiyama layout (pure Python, no Graphviz) orders and spaces the nodes to reduce
crossings. grandalf slows down quadratically with depth (measured: 0.9 s for a
2,000-node chain), and is a heuristic library that might fail on some graph: beyond
that size, or if it fails, columns by topological generation (nodes in graph order
within a column) still read left to right. The result depends only on the graph's
nodes and connections, in their stable order, so the same graph always gets the same
positions.
"""

from __future__ import annotations

from collections import deque

import networkx as nx
from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import SugiyamaLayout, VertexViewer

from graph import ModelGraph

Position = tuple[float, float]

#: Distance between columns (x), and between neighbouring nodes in a column (y):
#: a column is a 180-wide node plus room for the shape label on the edges between.
COLUMN = 320.0
ROW = 120.0
#: Above this many nodes, columns by topological generation (grandalf would be slow).
SUGIYAMA_LIMIT = 2_000
#: grandalf lays layers out top-down: a node's "width" is its extent across a layer,
#: which becomes our vertical extent; with the gap, neighbours sit one ROW apart.
_NODE_EXTENT = 80.0
_GAP = ROW - _NODE_EXTENT


def layered_layout(g: ModelGraph) -> dict[str, Position]:
    """A position for every node of `g`: x by column, each connection pointing right.

    Weakly connected parts of the graph are laid out one below the other, in the
    order of their first node.
    """
    digraph = nx.DiGraph()
    digraph.add_nodes_from(g.node_ids())
    digraph.add_edges_from((src, dst) for src, dst, _ in g.edges())
    digraph.remove_edges_from(back_edges(digraph))
    if len(digraph) <= SUGIYAMA_LIMIT:
        try:
            return _sugiyama(digraph)
        except Exception:  # a cosmetic layout must never fail an import
            pass
    return _generations(digraph)


def back_edges(digraph: nx.DiGraph) -> list[tuple[str, str]]:
    """Edges whose removal leaves `digraph` acyclic: those a depth-first search meets
    going back to a node still on its path (self-loops included).

    The search starts from the sources, then any node not yet reached, each in graph
    order, so on a graph that flows from its inputs the edges closing a loop are the
    ones found. Iterative: a long chain must not hit Python's recursion limit.
    """
    on_path: set[str] = set()
    done: set[str] = set()
    found: list[tuple[str, str]] = []
    starts = [n for n in digraph if not digraph.in_degree(n)] + list(digraph)
    for start in starts:
        if start in done:
            continue
        on_path.add(start)
        stack = [(start, iter(digraph.succ[start]))]
        while stack:
            node, successors = stack[-1]
            child = next(successors, None)
            if child is None:
                stack.pop()
                on_path.discard(node)
                done.add(node)
            elif child in on_path:
                found.append((node, child))
            elif child not in done:
                on_path.add(child)
                stack.append((child, iter(digraph.succ[child])))
    return found


def _sugiyama(digraph: nx.DiGraph) -> dict[str, Position]:
    order = {node_id: i for i, node_id in enumerate(digraph)}
    parts = sorted(
        (sorted(part, key=order.__getitem__) for part in nx.weakly_connected_components(digraph)),
        key=lambda part: order[part[0]],
    )
    positions: dict[str, Position] = {}
    top = 0.0
    for part in parts:
        core = _grandalf_graph(digraph.subgraph(part), part[0])
        sugiyama = SugiyamaLayout(core)
        sugiyama.xspace = _GAP
        roots = [v for v in core.sV if not v.e_in()]
        # The graph is acyclic: no edge needs inverting, which also skips grandalf's
        # recursive cycle search (too deep for long chains).
        sugiyama.init_all(roots=roots, inverted_edges=[])
        sugiyama.draw()
        shift = top - min(v.view.xy[0] for v in core.sV)
        for v in core.sV:
            positions[v.data] = (sugiyama.grx[v].rank * COLUMN, v.view.xy[0] + shift)
        top = max(positions[node_id][1] for node_id in part) + ROW
    return {node_id: positions[node_id] for node_id in digraph}


def _grandalf_graph(part: nx.DiGraph, first: str) -> graph_core:
    """One connected part as grandalf's graph, built edge by edge breadth-first from
    `first` in stable order (grandalf's own constructors compare vertex sets in a
    quadratic loop and keep edges in a set, whose order varies between runs)."""
    vertices = {node_id: Vertex(node_id) for node_id in part}
    for vertex in vertices.values():
        vertex.view = VertexViewer(w=_NODE_EXTENT, h=_NODE_EXTENT)
    core = graph_core([vertices[first]])
    seen = {first}
    done: set[str] = set()
    queue = deque([first])
    while queue:
        node_id = queue.popleft()
        outgoing = [(node_id, dst) for dst in part.succ[node_id]]
        incoming = [(src, node_id) for src in part.pred[node_id]]
        for src, dst in outgoing + incoming:
            other = dst if src == node_id else src
            if other in done:
                continue  # that node added this edge
            core.add_edge(Edge(vertices[src], vertices[dst]))
            if other not in seen:
                seen.add(other)
                queue.append(other)
        done.add(node_id)
    return core


def _generations(digraph: nx.DiGraph) -> dict[str, Position]:
    """Columns by topological generation; nodes in graph order within a column."""
    order = {node_id: i for i, node_id in enumerate(digraph)}
    positions: dict[str, Position] = {}
    for column, generation in enumerate(nx.topological_generations(digraph)):
        for row, node_id in enumerate(sorted(generation, key=order.__getitem__)):
            positions[node_id] = (column * COLUMN, row * ROW)
    return {node_id: positions[node_id] for node_id in digraph}
