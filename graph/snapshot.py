"""Snapshots of one graph's structure and of its block definitions, to return to.

An edit that rewrites a region (grouping a selection into a block, inlining a use,
repeating one) touches many nodes, connections and definitions at once; undoing it
piece by piece would repeat the edit's own logic backwards. A `Snapshot` instead
remembers what the graph held (every node in order, with its layer, position and
shared calls; every source's connections in order; the outputs; the definitions, as
the same body objects) and `restore` brings the graph back to it through the graph's
own methods, so every change is announced as usual and the saved text comes back
byte for byte. Bodies are kept as objects, not copied: undo stacks only return to a
state whose later edits were undone, so a body is as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.model import Connection, Layer, ModelGraph, Position


@dataclass(frozen=True)
class _Node:
    id: str
    layer: Layer
    pos: Position
    #: The node of this snapshot whose layer it shares (its layer's first call site).
    shares: str


@dataclass(frozen=True)
class Snapshot:
    """What `restore` returns a graph to; take one with `Snapshot.of(g)`."""

    nodes: tuple[_Node, ...]
    connections: tuple[Connection, ...]
    outputs: tuple[str, ...]
    bodies: tuple[ModelGraph, ...]

    @classmethod
    def of(cls, g: ModelGraph) -> Snapshot:
        nodes = tuple(_Node(n, g.layer(n), g.node(n).pos, g.call_sites(n)[0]) for n in g.node_ids())
        return cls(nodes, tuple(g.connections()), tuple(g.outputs), tuple(g.blocks.bodies()))

    def restore(self, g: ModelGraph) -> None:
        """Make `g` (the graph this was taken of) and its definitions as they were.

        Nodes that changed layer grouping or were not there are rebuilt; nodes
        that stayed keep their ids and layers (their layer replaced if it changed).
        """
        wanted = {node.id: node for node in self.nodes}
        sharing = {node.id: node.shares for node in self.nodes}
        for node_id in g.node_ids():
            node = wanted.get(node_id)
            if node is None or sharing.get(g.call_sites(node_id)[0]) != node.shares:
                g.remove_node(node_id)
        if g.blocks.bodies() != list(self.bodies):
            g.blocks.restore(list(self.bodies))
        for index, node in enumerate(self.nodes):
            if node.id in g:  # a node the edit kept
                if g.layer(node.id) != node.layer:
                    g.replace_layer(node.id, node.layer)
                if g.node(node.id).pos != node.pos:
                    g.move(node.id, node.pos)
                continue
            if node.shares != node.id:
                layer_id = g.node(node.shares).layer_id
            else:
                layer_id = g.restore_layer(node.layer)
            g.restore_call_site(node.id, layer_id, node.pos, index)
        self._restore_connections(g)
        g.set_outputs(self.outputs)

    def _restore_connections(self, g: ModelGraph) -> None:
        wanted = set(self.connections)
        for edge in g.connections():
            if edge not in wanted:
                g.disconnect(edge.src, edge.dst, edge.port)
        # Each source's connections in their order: the ones still there are in it.
        by_source: dict[str, list[Connection]] = {}
        for edge in self.connections:
            by_source.setdefault(edge.src, []).append(edge)
        for src, edges in by_source.items():
            now = set(g.out_edges(src))
            for index, edge in enumerate(edges):
                if (edge.dst, edge.port) not in now:
                    g.restore_edge(src, edge.dst, edge.port, edge.output, index=index)
