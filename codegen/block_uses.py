"""What the source of a model's block uses is written from: each definition's versions.

A definition's source is written once (a function or a Layer subclass) from its body,
while every use is built from a concrete copy of that body (graph.block_validate: the
use's input shapes and dtypes, its parameter values). Parameter values are already
arguments of the written definition; of its Inputs' params (shape, batch size, dtype),
those that differ between the concrete versions become arguments too, and those that
agree are written as they are (the common case: every use fed the same shape). So the
written model is built from exactly what `build_model` builds, whatever the uses feed.

Keras-free: only graphs and reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from codegen.pyexpr import SourceText
from graph import ModelGraph, Report
from graph.block_validate import Concrete, use_body
from graph.blocks import BlockSpec

#: How each Input param a use's body takes from the use is read off the tensor that
#: feeds the use, where a use's enclosing body is written for several versions.
_FROM_TENSOR = {"shape": "{}.shape[1:]", "batch_size": "{}.shape[0]", "dtype": "{}.dtype"}


def written_nodes(g: ModelGraph, report: Report) -> list[str]:
    """The nodes a model's source writes, in the validated order: Inputs and nodes that
    lead to an output (Keras drops the others from a Functional model too). A block
    use's own body warnings come back at the use (`inner` set): they drop nothing here."""
    dropped = {p.node for p in report.warnings if p.code == "unreachable" and p.inner is None}
    return [n for n in report.order if n not in dropped or g.is_input(n)]


def is_use(g: ModelGraph, node_id: str) -> bool:
    return isinstance(g.spec(node_id), BlockSpec)


def block_versions(g: ModelGraph, report: Report) -> dict[str, list[Concrete]]:
    """Per definition the model uses (through written nodes, at any depth), in the
    definitions' order, its distinct concrete bodies in the order first met."""
    found: dict[str, dict[int, Concrete]] = {}

    def walk(graph: ModelGraph, graph_report: Report) -> None:
        for node in written_nodes(graph, graph_report):
            if is_use(graph, node):
                made = use_body(graph, graph_report, node)
                versions = found.setdefault(graph.layer(node).type, {})
                if id(made) not in versions:
                    versions[id(made)] = made
                    walk(made.graph, made.report)

    walk(g, report)
    return {name: list(found[name].values()) for name in g.blocks.names() if name in found}


def varying_input_params(versions: Sequence[Concrete]) -> dict[str, list[str]]:
    """Per body Input (node id), the names of its params that differ between
    `versions` (a param one version lacks counts as None, Keras's default)."""
    first = versions[0].graph
    varying = {}
    for node in first.inputs:
        keys = dict.fromkeys(k for v in versions for k in v.graph.layer(node).params)
        varying[node] = [
            k for k in keys if len({repr(v.graph.layer(node).params.get(k)) for v in versions}) > 1
        ]
    return varying


def input_param_values(
    contexts: Sequence[tuple[ModelGraph, Report]],
    node_id: str,
    varying: Mapping[str, list[str]],
    feeds: Sequence[str],
) -> list[tuple[str, str, Any]]:
    """What the use `node_id` passes for each varying Input param of its definition
    (see varying_input_params), as (body Input, param, value): the value itself where
    it is the same in every version of the enclosing graph (`contexts`: its concrete
    versions, or the model alone), else `SourceText` reading it off the feeding tensor
    (`feeds`: the expressions of the use's inputs, in port order)."""
    bodies = [use_body(graph, report, node_id).graph for graph, report in contexts]
    values = []
    for port, (node, keys) in enumerate(varying.items()):
        for key in keys:
            seen = [body.layer(node).params.get(key) for body in bodies]
            if all(repr(v) == repr(seen[0]) for v in seen):
                values.append((node, key, seen[0]))
            else:
                values.append((node, key, SourceText(_FROM_TENSOR[key].format(feeds[port]))))
    return values
