"""A block use's checks: its body validated with the use's inputs and parameter values.

Design. A use's outputs depend on its input shapes and dtypes and on its parameter
values, nothing else, so its body is checked as a concrete graph: a copy of the body
whose Inputs take the use's input shapes and whose parameter references are replaced by
the use's values. That copy is an ordinary ModelGraph, so `validate()` checks it like any
graph (nested uses inside go through here again), and the same copy is what
codegen builds the use's nested model from: what is validated is what is built.

Copies and their reports are kept per (definition, input signature, parameter values)
for as long as the definitions are unchanged (the registry's revision): twelve identical
uses validate their body once. Each problem inside comes back at the use, naming the
inner node as `block/layer` (`block/use/layer` through nested uses) in `Problem.inner`.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from graph.blocks import Blocks, BlockSpec, substitute
from graph.errors import ShapeError
from graph.infer import Inferred
from graph.model import Layer, ModelGraph
from graph.report import ERROR, Problem, Report
from graph.shapes import Shape
from graph.spec import input_spec


class Concrete(NamedTuple):
    """A use's body made concrete for one signature, and its validation report."""

    graph: ModelGraph
    report: Report


class UseCheck(NamedTuple):
    """What a use's body gives it: its result (None when the body has errors) and the
    body's problems, each qualified by the inner node it is about (Problem.inner)."""

    result: Inferred | None
    problems: tuple[Problem, ...]


class _Cache:
    """Concrete bodies of one registry, valid for one revision of it."""

    def __init__(self) -> None:
        self.revision = -1
        self.bodies: dict[tuple, Concrete] = {}
        self.checks: dict[tuple, UseCheck] = {}


_CACHES: weakref.WeakKeyDictionary[Blocks, _Cache] = weakref.WeakKeyDictionary()
#: The uses being checked right now (registry id, block name): a block met again inside
#: itself (only a file edited by hand gets there; edits and loads refuse it) stops there.
_ACTIVE: set[tuple[int, str]] = set()


def _cache(blocks: Blocks) -> _Cache:
    cache = _CACHES.get(blocks)
    if cache is None:
        cache = _CACHES[blocks] = _Cache()
    if cache.revision != blocks.revision:
        cache.revision, cache.bodies, cache.checks = blocks.revision, {}, {}
    return cache


def _signature(spec: BlockSpec, p: Mapping[str, Any], inputs: Sequence[Inferred]) -> tuple:
    """What a use's body result depends on; values keyed by type too (1, 1.0, True)."""
    values = tuple((name, type(value), value) for name, value in sorted(p.items()))
    return (spec.type, tuple((r.shape, r.dtype) for r in inputs), values)


def concrete(spec: BlockSpec, p: Mapping[str, Any], inputs: Sequence[Inferred]) -> Concrete:
    """The use's body made concrete (see the module docstring) and its report.

    `p` are the use's resolved parameter values, `inputs` its input results in port
    order (the body's Input order)."""
    cache = _cache(spec.body.blocks)
    key = _signature(spec, p, inputs)
    made = cache.bodies.get(key)
    if made is None:
        graph = _concrete_graph(spec.body, p, inputs)
        made = cache.bodies[key] = Concrete(graph, _validate_body(graph))
    return made


def _concrete_graph(
    body: ModelGraph, p: Mapping[str, Any], inputs: Sequence[Inferred]
) -> ModelGraph:
    """A copy of `body`, its Inputs of the shapes and dtypes of `inputs`, its references
    replaced by `p`. Not a body itself: editing it changes no definition."""
    graph = ModelGraph(body.name, blocks=body.blocks)
    feeds = dict(zip(body.inputs, inputs, strict=True))
    new_layer: dict[int, int] = {}
    with graph.events.blocked():
        for node_id in body.node_ids():
            node = body.node(node_id)
            if node.layer_id not in new_layer:
                layer = body.layer(node_id)
                feed = feeds.get(node_id)
                if feed is not None:
                    params = input_spec().keras_input_params(feed.shape, feed.dtype)
                else:
                    params = substitute(layer.params, p)
                new_layer[node.layer_id] = graph.restore_layer(
                    Layer(layer.type, layer.name, params, layer.trainable)
                )
            graph.restore_call_site(node_id, new_layer[node.layer_id], node.pos)
        for edge in body.connections():
            graph.restore_edge(*edge)
        graph.set_outputs(body.outputs)
    return graph


def use_body(g: ModelGraph, report: Report, node_id: str) -> Concrete:
    """The concrete body of the block use `node_id` and its report, as validating `g`
    (which gave `report`) made them: what the use is built from, and where its body's
    problems are found at the inner nodes' own ids. The use's inputs must be inferred."""
    spec = g.spec(node_id)
    if not isinstance(spec, BlockSpec):
        raise ValueError(f"{g.label(node_id)} is not a block use")
    sources = report.sources[node_id]
    outputs = g.source_outputs(node_id) or (0,) * len(sources)
    inputs = [report.nodes[s].output(k) for s, k in zip(sources, outputs, strict=True)]
    return concrete(spec, spec.resolve(g.layer(node_id).params), inputs)


def _validate_body(graph: ModelGraph) -> Report:
    """validate() on a concrete body (one call per distinct signature; tests count it)."""
    from graph.validate import validate

    return validate(graph)


def check_use(spec: BlockSpec, p: Mapping[str, Any], inputs: Sequence[Inferred]) -> UseCheck:
    """The use's result and its body's problems, qualified (see UseCheck)."""
    blocks = spec.body.blocks
    cache = _cache(blocks)
    key = _signature(spec, p, inputs)
    check = cache.checks.get(key)
    if check is not None:
        return check
    active = (id(blocks), spec.type)
    if active in _ACTIVE:
        message = f"block '{spec.type}' contains itself"
        return UseCheck(None, (Problem(ERROR, "block-cycle", message, inner=spec.type),))
    _ACTIVE.add(active)
    try:
        made = concrete(spec, p, inputs)
    finally:
        _ACTIVE.discard(active)
    problems = tuple(_qualified(spec.type, made.graph, problem) for problem in made.report.problems)
    check = cache.checks[key] = UseCheck(_result(made), problems)
    return check


def _result(made: Concrete) -> Inferred | None:
    """The use's outputs and its body's weight counts, or None if the body has errors."""
    report = made.report
    if not report.valid:
        return None
    first, *rest = (report.nodes[n] for n in made.graph.outputs)
    return Inferred(
        first.shape,
        first.dtype,
        report.trainable_params,
        report.non_trainable_params,
        tuple(Inferred(r.shape, r.dtype, 0, 0) for r in rest),
    )


def _qualified(block: str, graph: ModelGraph, problem: Problem) -> Problem:
    """A problem of a concrete body as its use reports it (still without the use's
    label, which at_use adds): `inner` names the block and the node inside."""
    if problem.node is None:
        inner = block
    else:
        inner = f"{block}/{graph.layer(problem.node).name}"
        if problem.inner is not None:  # a nested use: block/use/inner...
            inner += "/" + problem.inner.split("/", 1)[1] if "/" in problem.inner else ""
    message = f"in block '{block}': {problem.message}"
    return Problem(problem.severity, problem.code, message, inner=inner)


def at_use(problems: Sequence[Problem], node_id: str, label: str) -> list[Problem]:
    """`problems` of a use's body as reported at the use `node_id` (named `label`)."""
    return [replace(p, node=node_id, message=f"{label}: {p.message}") for p in problems]


def infer_use_shapes(
    spec: BlockSpec, p: Mapping[str, Any], shapes: list[Shape], dtypes: list[str]
) -> Inferred:
    """LayerSpec.infer for a use: its result, or ShapeError with its first error."""
    check = check_use(spec, p, [Inferred(s, d, 0, 0) for s, d in zip(shapes, dtypes, strict=True)])
    if check.result is None:
        first = next(x for x in check.problems if x.severity == ERROR)
        raise ShapeError(f"{first.inner}: {first.message}")
    return check.result
