"""Which nodes of a graph cannot go to ONNX as they stand, and what would fix each.

Asked before any export work (and before torch is imported), so the studio can mark
the nodes and `export_onnx` can refuse with a message naming them instead of writing a
file that is wrong or failing deep inside torch. Each rule is a measured failure of
torch's dynamo exporter (keras 3.15, torch 2.13; see the project's field notes):

- A recurrent layer over a free (None) time axis: the exporter unrolls the loop and
  fixes the number of steps to the example's, so the file rejects every other length
  (and Keras's own export silently runs one step).
- A stateful recurrent layer: its state is a variable written in the forward pass,
  which the exporter refuses ("Constant ... is mutated in the forward method").
- A random augmentation layer (RandomFlip, RandomRotation, ...): it draws its
  transform from data-dependent random values even at inference, where it does
  nothing, and the exporter cannot trace that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graph import ModelGraph, validate
from graph.report import Report
from graph.shapes import fmt
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
    report = validate(g)
    problems = []
    for node_id in g.node_ids():
        layer = g.layer(node_id)
        spec = g.spec(node_id)
        if layer.type.startswith("Random"):
            problems.append(_random_augmentation(g, node_id))
        elif spec is not None and spec.category == "Recurrent":
            problems.extend(_recurrent_problems(g, report, node_id))
    return problems


def _random_augmentation(g: ModelGraph, node_id: str) -> OnnxProblem:
    return OnnxProblem(
        node_id,
        g.label(node_id),
        "random augmentation layers cannot be traced by torch's exporter (they draw "
        "data-dependent random transforms, even at inference where they do nothing)",
        "export a copy of the graph without this layer (it only acts while training)",
    )


def _recurrent_problems(g: ModelGraph, report: Report, node_id: str) -> list[OnnxProblem]:
    problems = []
    if _recurrent_params(g.layer(node_id).type, g.layer(node_id).params).get("stateful"):
        problems.append(
            OnnxProblem(
                node_id,
                g.label(node_id),
                "a stateful recurrent layer keeps its state in a variable written by the "
                "forward pass, which ONNX export refuses",
                "set stateful=False",
            )
        )
    shape = _input_shape(report, node_id)
    if shape is not None and len(shape) > 1 and shape[1] is None:
        problems.append(
            OnnxProblem(
                node_id,
                g.label(node_id),
                f"runs over a free time axis (input shape {fmt(shape)}): torch's exporter "
                "fixes the number of steps to the example's and the file then rejects "
                "every other length",
                _time_axis_fix(g, report, node_id),
            )
        )
    return problems


def _recurrent_params(layer_type: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """The params of the recurrent layer itself (Bidirectional's wrapped one)."""
    if layer_type == "Bidirectional":
        return params.get("layer", {}).get("params", {})
    return params


def _input_shape(report: Report, node_id: str) -> tuple | None:
    sources = report.sources.get(node_id)
    if not sources or sources[0] not in report.nodes:
        return None
    return report.nodes[sources[0]].shape


def _time_axis_fix(g: ModelGraph, report: Report, node_id: str) -> str:
    """Name the Inputs upstream of `node_id` that have a free axis, if any."""
    free = [
        g.layer(n).name
        for n in _upstream(report, node_id)
        if isinstance(spec := g.spec(n), InputSpec) and None in spec.sample_shape(g.layer(n).params)
    ]
    if not free:
        return "give the sequence a fixed number of time steps upstream of this layer"
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
