"""Which nodes of a graph cannot go to ONNX as they stand, and what would fix each.

Asked before any export work (and before torch is imported), so the studio can mark
the nodes and `export_onnx` can refuse with a message naming them instead of writing a
file that is wrong or failing deep inside torch. Each limit is a fact of the node's
layer spec (`LayerSpec.onnx_limits`, a measured failure of torch's dynamo exporter):
a recurrent layer over a free time axis or stateful (graph/layers/recurrent.py), a
random augmentation layer (graph/layers/keras_backed.py). Here they are gathered per
node, and a free time axis's fix names the graph's Inputs that leave it free. A block
use's problems are its body's (made concrete for the use), reported at the use.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph import ModelGraph, validate
from graph.block_validate import use_body
from graph.blocks import BlockSpec
from graph.report import Report
from graph.shapes import Shape
from graph.spec import InputSpec


@dataclass(frozen=True)
class OnnxProblem:
    """One node that cannot be exported: what is wrong with it and what would fix it."""

    node: str
    #: How messages name the node: LSTM 'encoder'.
    label: str
    reason: str
    fix: str

    @property
    def message(self) -> str:
        return f"{self.label}: {self.reason}. Fix: {self.fix}"


def onnx_problems(g: ModelGraph) -> list[OnnxProblem]:
    """Every node of `g` that torch's exporter cannot turn into a correct ONNX graph.

    Nodes whose shapes cannot be inferred (an invalid graph) are judged on their
    params alone; building the model reports the rest.
    """
    return _problems(g, validate(g))


def _problems(g: ModelGraph, report: Report) -> list[OnnxProblem]:
    """onnx_problems of `g` validated as `report`; a block use's come from its
    concrete body, at the use, labelled with the path to the inner node."""
    problems = []
    for node_id in g.node_ids():
        spec = g.spec(node_id)
        if spec is None:
            continue
        shapes = _input_shapes(report, node_id)
        for limit in spec.onnx_limits(shapes, g.layer(node_id).params):
            fix = limit.fix
            if limit.free_time_axis:
                fix = _time_axis_fix(g, report, node_id) or fix
            problems.append(OnnxProblem(node_id, g.label(node_id), limit.reason, fix))
        if isinstance(spec, BlockSpec) and shapes is not None:
            made = use_body(g, report, node_id)
            for inner in _problems(made.graph, made.report):
                label = f"{g.label(node_id)} > {inner.label}"
                problems.append(OnnxProblem(node_id, label, inner.reason, inner.fix))
    return problems


def _input_shapes(report: Report, node_id: str) -> list[Shape] | None:
    """The node's input shapes, in port order; None unless every one is inferred."""
    sources = report.sources.get(node_id)
    if not sources or any(src not in report.nodes for src in sources):
        return None
    return [report.nodes[src].shape for src in sources]


def _time_axis_fix(g: ModelGraph, report: Report, node_id: str) -> str | None:
    """The fix naming the Inputs upstream of `node_id` that have a free axis, if any."""
    free = [
        g.layer(n).name
        for n in _upstream(report, node_id)
        if isinstance(spec := g.spec(n), InputSpec) and None in spec.sample_shape(g.layer(n).params)
    ]
    if not free:
        return None
    names = ", ".join(f"'{name}'" for name in free)
    return f"set a fixed number of time steps on input{'s' if len(free) > 1 else ''} {names}"


def _upstream(report: Report, node_id: str) -> list[str]:
    """The nodes `node_id` depends on, in the graph's topological order."""
    seen: set[str] = set()
    stack = list(report.sources.get(node_id, ()))
    while stack:
        src = stack.pop()
        if src not in seen:
            seen.add(src)
            stack.extend(report.sources.get(src, ()))
    return [n for n in report.order if n in seen]
