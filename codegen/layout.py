"""A layered auto-layout that reads left to right or top to bottom, folded when long.

Imported models come without positions, and the studio's and `kgs plot`'s auto
layout redraw a graph. Every node goes into a rank (a column left to right, a row
top to bottom) by its longest path from the sources, so every connection points
forward; within a rank, grandalf's Sugiyama layout (pure Python, no Graphviz) orders
and spaces the nodes to reduce crossings. A connection that skips ranks gets one of
grandalf's dummy vertices in each rank it passes, as wide as a node: a free lane
that the canvas routes it along (studio/canvas/routing.py), clear of other nodes.

A long model in one row is a ribbon no window shows legibly, so the ranks are
folded into several rows (left to right) or columns (top to bottom) until the
picture is about as wide as a screen is, rows of even length (one rank more or
less), the folds where the fewest connections cross; each row only as deep across
as its own nodes. grandalf slows down quadratically with depth (measured: 0.9 s for a
2,000-node chain), and is a heuristic library that might fail on some graph: beyond
that size, or if it fails, ranks by topological generation (nodes in graph order
within a rank) still read forward. The result depends only on the graph's nodes,
connections and sizes, in their stable order, so the same graph always gets the
same positions.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import networkx as nx
from grandalf.graphs import Edge, Vertex, graph_core
from grandalf.layouts import SugiyamaLayout, VertexViewer

from graph import ModelGraph

Position = tuple[float, float]
#: A node's drawn (width, height).
Size = tuple[float, float]
Direction = Literal["LR", "TB"]
DIRECTIONS: tuple[Direction, ...] = ("LR", "TB")

#: The canvas's box for a node with one input (studio/canvas/items.py), for callers
#: that do not pass sizes (the importer).
DEFAULT_SIZE: Size = (180.0, 82.0)
#: Distance between columns left to right: a 180-wide node plus room for the shape
#: label on the edges between.
COLUMN = 320.0
#: Left to right, distance between the tops of neighbouring one-input nodes in a column.
ROW = 120.0
#: Space between neighbours within a rank, and between ranks (across the flow),
#: by direction: top to bottom a rank gap holds the shape label under a node and
#: the port names over the next one.
RANK_GAP = {"LR": COLUMN - DEFAULT_SIZE[0], "TB": 110.0}
NEIGHBOUR_GAP = {"LR": ROW - DEFAULT_SIZE[1], "TB": 60.0}
#: Space between folded rows (or columns), and the extra per connection crossing it.
FOLD_GAP = 60.0
FOLD_LANE = 24.0
#: Folding aims at this width / height, and starts only for a picture longer than
#: FOLD_LONGER (scene units; screens are less tall than wide) and more than
#: FOLD_ABOVE times as long as it is wide (a model a little wider than a screen
#: reads better unbroken); a fold keeps MIN_FOLD_RANKS ranks.
TARGET_ASPECT = 1.6
FOLD_ABOVE = 2.5
FOLD_LONGER = {"LR": 2_400.0, "TB": 1_500.0}
MIN_FOLD_RANKS = 3
#: Above this many nodes, ranks by topological generation (grandalf would be slow).
SUGIYAMA_LIMIT = 2_000


@dataclass
class _Part:
    """One weakly connected part, before folding: each node's rank and its centre
    across the flow (y left to right, x top to bottom)."""

    nodes: list[str]
    rank: dict[str, int]
    across: dict[str, float]


def layered_layout(
    g: ModelGraph,
    direction: Direction = "LR",
    sizes: Mapping[str, Size] | None = None,
    fold: bool = True,
) -> dict[str, Position]:
    """A top-left position for every node of `g`, each connection pointing forward:
    right ("LR") or down ("TB"). `sizes`: each node's drawn (width, height)
    (DEFAULT_SIZE for those missing). `fold`: fold a long part into rows or columns.

    Weakly connected parts are laid out one beside the other across the flow, in
    the order of their first node.
    """
    if direction not in DIRECTIONS:
        raise ValueError(
            f"direction must be one of {DIRECTIONS}. Received: direction={direction!r}"
        )
    sizes = sizes or {}
    size = {n: sizes.get(n, DEFAULT_SIZE) for n in g.node_ids()}
    digraph = nx.DiGraph()
    digraph.add_nodes_from(g.node_ids())
    digraph.add_edges_from((src, dst) for src, dst, _ in g.edges())
    digraph.remove_edges_from(back_edges(digraph))
    parts = None
    if len(digraph) <= SUGIYAMA_LIMIT:
        try:
            parts = _sugiyama(digraph, size, direction)
        except Exception:  # a cosmetic layout must never fail an import
            parts = None
    if parts is None:
        parts = _generations(digraph, size, direction)
    positions: dict[str, Position] = {}
    start = 0.0
    for part in parts:
        placed, extent = _place(part, digraph, size, direction, fold, start)
        positions.update(placed)
        start += extent + NEIGHBOUR_GAP[direction]
    return {node_id: positions[node_id] for node_id in digraph}


def relaid(
    g: ModelGraph,
    nodes: Sequence[str],
    direction: Direction = "LR",
    sizes: Mapping[str, Size] | None = None,
) -> dict[str, Position]:
    """New positions for `nodes` only, from the auto layout of all of `g`, moved so
    that the first stays where it is: a part laid out afresh (the chain Repeat made
    and what follows it) while the rest of the graph keeps the user's layout."""
    laid = layered_layout(g, direction, sizes)
    (x0, y0), (x1, y1) = g.node(nodes[0]).pos, laid[nodes[0]]
    return {n: (laid[n][0] + x0 - x1, laid[n][1] + y0 - y1) for n in nodes}


def direction_of(g: ModelGraph) -> Direction | None:
    """Which way `g`'s positions read: "TB" when more connections point down than
    right, "LR" when not, None for a graph without connections."""
    right = down = 0
    for src, dst, _ in g.edges():
        (x0, y0), (x1, y1) = g.node(src).pos, g.node(dst).pos
        dx, dy = x1 - x0, y1 - y0
        if dy > abs(dx):
            down += 1
        elif dx > 0 or dy <= 0:
            right += 1
    if not (right or down):
        return None
    return "TB" if down > right else "LR"


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


def _across_size(size: Size, direction: Direction) -> float:
    return size[1] if direction == "LR" else size[0]


def _along_size(size: Size, direction: Direction) -> float:
    return size[0] if direction == "LR" else size[1]


def _parts(digraph: nx.DiGraph) -> list[list[str]]:
    order = {node_id: i for i, node_id in enumerate(digraph)}
    return sorted(
        (sorted(part, key=order.__getitem__) for part in nx.weakly_connected_components(digraph)),
        key=lambda part: order[part[0]],
    )


def _sugiyama(digraph: nx.DiGraph, size: dict[str, Size], direction: Direction) -> list[_Part]:
    parts = []
    for nodes in _parts(digraph):
        core = _grandalf_graph(digraph.subgraph(nodes), nodes[0], size, direction)
        sugiyama = SugiyamaLayout(core)
        sugiyama.xspace = NEIGHBOUR_GAP[direction]
        roots = [v for v in core.sV if not v.e_in()]
        # The graph is acyclic: no edge needs inverting, which also skips grandalf's
        # recursive cycle search (too deep for long chains).
        sugiyama.init_all(roots=roots, inverted_edges=[])
        sugiyama.draw()
        rank = {v.data: sugiyama.grx[v].rank for v in core.sV}
        across = {v.data: v.view.xy[0] for v in core.sV}
        parts.append(_Part(nodes, rank, across))
    return parts


def _grandalf_graph(
    part: nx.DiGraph, first: str, size: dict[str, Size], direction: Direction
) -> graph_core:
    """One connected part as grandalf's graph, built edge by edge breadth-first from
    `first` in stable order (grandalf's own constructors compare vertex sets in a
    quadratic loop and keep edges in a set, whose order varies between runs).

    grandalf lays ranks out top-down: a vertex's width is its extent across a rank.
    """
    vertices = {node_id: Vertex(node_id) for node_id in part}
    for node_id, vertex in vertices.items():
        extent = _across_size(size[node_id], direction)
        vertex.view = VertexViewer(w=extent, h=_along_size(size[node_id], direction))
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


def _generations(digraph: nx.DiGraph, size: dict[str, Size], direction: Direction) -> list[_Part]:
    """Ranks by topological generation; nodes in graph order within a rank."""
    parts = []
    for nodes in _parts(digraph):
        order = {node_id: i for i, node_id in enumerate(nodes)}
        rank: dict[str, int] = {}
        across: dict[str, float] = {}
        for r, generation in enumerate(nx.topological_generations(digraph.subgraph(nodes))):
            edge = 0.0
            for node_id in sorted(generation, key=order.__getitem__):
                extent = _across_size(size[node_id], direction)
                rank[node_id], across[node_id] = r, edge + extent / 2
                edge += extent + NEIGHBOUR_GAP[direction]
        parts.append(_Part(nodes, rank, across))
    return parts


def _place(
    part: _Part,
    digraph: nx.DiGraph,
    size: dict[str, Size],
    direction: Direction,
    fold: bool,
    start: float,
) -> tuple[dict[str, Position], float]:
    """Top-left positions for `part`, its band across the flow starting at `start`;
    and how far across the flow the part reaches from `start`."""
    ranks = max(part.rank.values()) + 1
    along = [0.0] * ranks
    for node_id in part.nodes:
        r = part.rank[node_id]
        along[r] = max(along[r], _along_size(size[node_id], direction))
    edges = [(part.rank[u], part.rank[v]) for u, v in digraph.subgraph(part.nodes).edges()]
    whole = _band(part.nodes, part, size, direction)
    folds = _folds(along, whole[1] - whole[0], edges, direction) if fold else []
    bounds = [0, *folds, ranks]
    # Where each rank starts along the flow (within its fold), and each fold across it:
    # a fold is as wide as its own nodes need, so a row of small nodes packs tight.
    rank_start = [0.0] * ranks
    fold_of = [0] * ranks
    for i, (first, stop) in enumerate(zip(bounds, bounds[1:], strict=False)):
        offset = 0.0
        for r in range(first, stop):
            rank_start[r], fold_of[r] = offset, i
            offset += along[r] + RANK_GAP[direction]
    bands = [
        _band([n for n in part.nodes if fold_of[part.rank[n]] == i], part, size, direction)
        for i in range(len(bounds) - 1)
    ]
    fold_start = [0.0]
    for stop, (low, high) in zip(bounds[1:-1], bands, strict=False):
        crossing = sum(1 for a, b in edges if a < stop <= b)
        fold_start.append(fold_start[-1] + high - low + FOLD_GAP + FOLD_LANE * crossing)
    positions = {}
    for node_id in part.nodes:
        r = part.rank[node_id]
        f = fold_of[r]
        main = rank_start[r] + (along[r] - _along_size(size[node_id], direction)) / 2
        cross = start + fold_start[f] + part.across[node_id] - bands[f][0]
        cross -= _across_size(size[node_id], direction) / 2
        positions[node_id] = (main, cross) if direction == "LR" else (cross, main)
    return positions, fold_start[-1] + bands[-1][1] - bands[-1][0]


def _band(
    nodes: list[str], part: _Part, size: dict[str, Size], direction: Direction
) -> tuple[float, float]:
    """How far across the flow `nodes` reach: (low, high)."""
    half = {n: _across_size(size[n], direction) / 2 for n in nodes}
    return (
        min(part.across[n] - half[n] for n in nodes),
        max(part.across[n] + half[n] for n in nodes),
    )


def _folds(
    along: list[float], width: float, edges: list[tuple[int, int]], direction: Direction
) -> list[int]:
    """The ranks that start a new row (or column): as many folds as bring the
    picture nearest TARGET_ASPECT (`_balanced_folds` places them); none for a
    picture within FOLD_ABOVE."""
    ranks = len(along)
    length = sum(along) + RANK_GAP[direction] * (ranks - 1)

    def aspect(count: int) -> float:
        # Width over height of the picture folded into `count` rows or columns.
        folded = count * width + (count - 1) * FOLD_GAP
        return length / count / folded if direction == "LR" else folded / (length / count)

    if ranks < 2 * MIN_FOLD_RANKS or width <= 0 or length <= FOLD_LONGER[direction]:
        return []
    first = aspect(1) if direction == "LR" else 1 / aspect(1)
    if first <= FOLD_ABOVE:
        return []
    counts = range(1, ranks // MIN_FOLD_RANKS + 1)
    count = min(counts, key=lambda c: abs(math.log(aspect(c) / TARGET_ASPECT)))
    return _balanced_folds(ranks, count, edges)


def _balanced_folds(ranks: int, count: int, edges: list[tuple[int, int]]) -> list[int]:
    """Fold `ranks` ranks into `count` rows as even as they can be (each holds
    ranks // count ranks or one more), the longer rows where the fewest connections
    cross the folds.

    Rows of uneven length leave a picture with holes (the U-Net in 3, 6 and 4 ranks);
    among the even ones, a small dynamic programme over how many long rows have
    been used finds the folds crossed least.
    """
    short, extra = divmod(ranks, count)
    # A connection from rank a to rank b crosses the folds before ranks a+1..b.
    starts = [0] * (ranks + 2)
    for a, b in edges:
        starts[a + 1] += 1
        starts[b + 1] -= 1
    crossing = list(itertools.accumulate(starts))
    # best[k]: (crossings, folds) after some rows, k of them long, keyed by rows used.
    best: dict[int, tuple[int, list[int]]] = {0: (0, [])}
    for row in range(1, count):
        step: dict[int, tuple[int, list[int]]] = {}
        for longs, (crossed, folds) in best.items():
            for long in (0, 1):
                if longs + long > extra or row - longs - long > count - extra:
                    continue
                stop = row * short + longs + long
                option = (crossed + crossing[stop], [*folds, stop])
                if longs + long not in step or option[0] < step[longs + long][0]:
                    step[longs + long] = option
        best = step
    return min((v for k, v in best.items() if extra - k <= 1), key=lambda v: v[0], default=(0, []))[
        1
    ]
