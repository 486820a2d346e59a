"""Regions of a graph: their structure as a key that ignores names, and their copy
into another graph (a block body).

A region is an ordered list of member nodes; what feeds it from outside are its
`feeds`, each (source node, source output) numbered in the order the members first
take it. Two regions have the same key exactly when they are the same layers, params,
shared call sites and wiring, member by member in their order, whatever the layers
are called: one block definition can stand for both (codegen.import_blocks for nested
Keras models, graph.grouping for runs of layers named alike).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from graph.model import Layer, ModelGraph, Position
from graph.naming import numbered
from graph.params import freeze

#: (source node, source output): one tensor that feeds a region from outside it.
Feed = tuple[str, int]


def hashable(value: Any) -> Any:
    """`value` (a frozen param value) as something hashable, equal exactly when the
    values are equal and of the same types (1, 1.0 and True stay apart)."""
    if isinstance(value, Mapping):
        return ("map", tuple(sorted((k, hashable(v)) for k, v in value.items())))
    if isinstance(value, (tuple, list)):
        return ("seq", tuple(hashable(v) for v in value))
    return (type(value).__name__, value)


def in_connections(g: ModelGraph, node_id: str) -> list[tuple[str, str, int]]:
    """(port, source, source output) for every connection into `node_id`."""
    return [(port, src, g.edge_output(src, node_id, port)) for port, src in g.in_edges(node_id)]


def feeds_of(g: ModelGraph, members: Sequence[str]) -> list[Feed]:
    """What feeds `members` from outside them, in the order they first take it."""
    inside = set(members)
    feeds: dict[Feed, None] = {}
    for node_id in members:
        for _, src, output in in_connections(g, node_id):
            if src not in inside:
                feeds[(src, output)] = None
    return list(feeds)


def region_key(
    g: ModelGraph,
    members: Sequence[str],
    outputs: Sequence[str],
    params_key: Callable[[str], Any] | None = None,
) -> tuple:
    """The structure of the region `members` whose outputs are `outputs` (members), as
    a hashable key without names (see the module docstring). `params_key(node)` says
    what of a member's params counts (by default all of them, exactly)."""
    if params_key is None:
        params_key = lambda node_id: hashable(g.layer(node_id).params)  # noqa: E731
    index = {node_id: i for i, node_id in enumerate(members)}
    feeds = {feed: i for i, feed in enumerate(feeds_of(g, members))}
    first_of_layer: dict[int, int] = {}
    entries = []
    for i, node_id in enumerate(members):
        shares = first_of_layer.setdefault(g.node(node_id).layer_id, i)
        wires = tuple(
            sorted(
                (port, ("node", index[src], k) if src in index else ("feed", feeds[src, k]))
                for port, src, k in in_connections(g, node_id)
            )
        )
        layer = g.layer(node_id)
        # The layer's every field but its name and params (its type, and whatever else
        # a Layer holds), then its params as `params_key` says.
        fields = replace(layer, name="", params=())
        entries.append((fields, params_key(node_id), shares, wires))
    return tuple(entries), tuple(index[n] for n in outputs)


def copy_region(
    g: ModelGraph,
    members: Sequence[str],
    into: ModelGraph,
    feeds: Mapping[Feed, str] | None = None,
    names: Mapping[str, str] | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, str]:
    """Copy `members` of `g` into `into` with their connections among them; returns
    the new node of each member. Connections from outside go from the node `feeds`
    gives for their feed (an Input of a body); `names` and `params` replace a
    member's layer name and params (by member), which the caller keeps unique and
    valid (references to declared parameters only). Each layer is copied whole, so
    whatever else a Layer holds goes with it; shared call sites stay shared."""
    feeds = feeds or {}
    names = names or {}
    params = params or {}
    made: dict[str, str] = {}
    copied: dict[int, int] = {}
    for node_id in members:
        node, layer = g.node(node_id), g.layer(node_id)
        if node.layer_id not in copied:
            copy = replace(
                layer,
                name=names.get(node_id, layer.name),
                params=freeze(dict(params.get(node_id, layer.params))),
            )
            copied[node.layer_id] = into.restore_layer(copy)
        new_id = _free_id(into, names.get(node_id, layer.name))
        made[node_id] = into.restore_call_site(new_id, copied[node.layer_id], node.pos)
    for node_id in members:
        for port, src, output in in_connections(g, node_id):
            if src in made:
                into.connect(made[src], made[node_id], port, output)
            else:
                into.connect(feeds[src, output], made[node_id], port)
    return made


def replace_by_use(
    g: ModelGraph,
    members: Sequence[str],
    outputs: Sequence[str],
    layer: Layer,
    ports: Sequence[str],
    pos: Position,
) -> str:
    """Put a use (a call of `layer`, its name numbered if taken) in place of `members` of `g`,
    where the first of them was in the graph order, at `pos`: fed into `ports` by the
    region's feeds in order, its output k feeding what `outputs[k]` fed outside, a
    model output where a member was one. Returns the use's node."""
    inside = set(members)
    leaving = [[(d, p) for d, p in g.out_edges(n) if d not in inside] for n in outputs]
    feeds = feeds_of(g, members)
    model_outputs = g.outputs
    index = g.node_ids().index(members[0])
    for node_id in members:
        g.remove_node(node_id)
    layer = replace(layer, name=numbered(layer.name, g.names()))  # members' names now free
    use = g.restore_call_site(numbered(layer.name, g), g.restore_layer(layer), pos, index)
    for port, (src, output) in zip(ports, feeds, strict=True):
        g.connect(src, use, port, output)
    for output, edges in enumerate(leaving):
        for dst, port in edges:
            g.connect(use, dst, port, output)
    g.set_outputs([use if n in inside else n for n in model_outputs])
    return use


def _free_id(g: ModelGraph, stem: str) -> str:
    """`stem`, or stem_1, stem_2, ...: the first that is no node of `g`."""
    node_id, i = stem, 0
    while node_id in g:
        i += 1
        node_id = f"{stem}_{i}"
    return node_id
