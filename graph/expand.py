"""A graph with every block use replaced by the layers inside it: the nested view.

`kgs plot --expand` draws this, as Keras's plot_model(expand_nested=True) draws the
layers of nested models. Each use is inlined from its body made concrete for it
(graph.block_validate: the use's input shapes, its parameter values), so the shapes
shown are the use's own; a use called again inlines to call sites of the same layers
(its weights are shared, as they are in the model). An inner layer is named after the
path of uses down to it (`enc-dense`: layer dense of use enc; '/' is not allowed in
a layer name). A use whose inputs cannot be inferred stays a use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.block_validate import use_body
from graph.blocks import BlockSpec
from graph.model import Layer, ModelGraph
from graph.report import Report
from graph.validate import validate

#: What joins the names on the path to an inner layer.
SEPARATOR = "-"

#: Where a node's output is in the expanded graph: (node id, output index).
End = tuple[str, int]


@dataclass(frozen=True)
class Group:
    """What one inlined use call became: its block's name and the ids of the nodes
    (those of uses inside it included)."""

    block: str
    nodes: tuple[str, ...]


@dataclass
class Expanded:
    """The expanded graph, and per inlined use call, by the use's path label
    (`o1-inner_enc`, `enc (call 2)`), what it became, inner uses before outer ones."""

    graph: ModelGraph
    groups: dict[str, Group] = field(default_factory=dict)


def expanded(g: ModelGraph) -> Expanded:
    """`g` with every use whose inputs are inferred inlined, at every depth (see the
    module docstring). Positions are left at the origin: lay the result out."""
    result = Expanded(ModelGraph(g.name, blocks=g.blocks))
    with result.graph.events.blocked():
        ends = _Inliner(result).inline(g, validate(g), "", "", {})
        result.graph.set_outputs([ends[n][0][0] for n in g.outputs])
    return result


class _Inliner:
    def __init__(self, result: Expanded) -> None:
        self.result = result
        #: Per layer path (the names down to it), its layer id: a use called again
        #: reuses the layers its first call made.
        self.layers: dict[str, int] = {}

    def inline(
        self,
        graph: ModelGraph,
        report: Report,
        names: str,
        ids: str,
        feeds: dict[str, End],
    ) -> dict[str, list[End]]:
        """Copy `graph` (validated as `report`) into the result: its nodes' ids get
        the prefix `ids`, its layers' names `names`; its Inputs in `feeds` are not
        copied but stand for the ends that feed them. Returns each node's outputs."""
        out = self.result.graph
        in_order = set(report.order)
        ends: dict[str, list[End]] = {}
        copied: set[str] = set()
        for node in report.order + [n for n in graph.node_ids() if n not in in_order]:
            layer = graph.layer(node)
            if node in feeds:
                ends[node] = [feeds[node]]
                continue
            if isinstance(graph.spec(node), BlockSpec) and node in report.nodes:
                made = use_body(graph, report, node)
                sources = report.sources[node]
                taken = graph.source_outputs(node) or (0,) * len(sources)
                inner_feeds = {
                    body_input: ends[src][k]
                    for body_input, src, k in zip(made.graph.inputs, sources, taken, strict=True)
                }
                label = f"{names}{layer.name}"
                before = len(out)
                inner = self.inline(
                    made.graph, made.report, label + SEPARATOR, f"{ids}{node}/", inner_feeds
                )
                ends[node] = [inner[o][0] for o in made.graph.outputs]
                call = graph.call_index(node)
                key = label if call == 1 else f"{label} (call {call})"
                self.result.groups[key] = Group(layer.type, tuple(out.node_ids()[before:]))
                continue
            name = f"{names}{layer.name}"
            if name not in self.layers:
                self.layers[name] = out.restore_layer(Layer(layer.type, name, layer.params))
            out.restore_call_site(f"{ids}{node}", self.layers[name], (0.0, 0.0))
            ends[node] = [(f"{ids}{node}", k) for k in range(graph.output_count(node))]
            copied.add(node)
        for src, dst, port, output in graph.connections():
            if dst in copied and output < len(ends.get(src, ())):
                end_node, end_output = ends[src][output]
                out.restore_edge(end_node, f"{ids}{dst}", port, output=end_output)
        return ends
