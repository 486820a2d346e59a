"""Quick fixes: for a validation problem, the edits that would mend it.

Qt-free, so that the studio offers them as one undoable step and tests check them
headless. A fix is a description that says what changes and a function that makes
the edits through an `Editor` (a ModelGraph is one; the studio passes one that does
each edit as an undo command). Candidates are guessed from the shapes around the
node: a Flatten or Reshape where a layer needs another rank, the units of the layer
feeding a merge set to its other inputs' size, a Dense projecting to that size. Each
is then tried on a copy of the graph and kept only if it removes the problem and
breaks nothing that worked: a fix offered is a fix that works.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from graph.errors import GraphEditError
from graph.fileformat import dumps, loads
from graph.model import ModelGraph, Position
from graph.report import Problem, Report
from graph.shapes import Shape, fmt
from graph.validate import validate

#: The problem codes quick fixes know about: a layer's shape rule refused its inputs.
FIXABLE_CODES = frozenset({"shape"})
#: Params that set the size of a layer's output's last axis, in the order looked for.
WIDTH_PARAMS = ("units", "filters", "output_dim")


class Editor(Protocol):
    """The edits a fix makes: ModelGraph's own methods of these names."""

    def add_node(
        self, layer_type: str, *, params: Mapping[str, Any], pos: Position
    ) -> str: ...  # pragma: no cover - a protocol

    def connect(self, src: str, dst: str, port: str) -> None: ...  # pragma: no cover

    def disconnect(self, src: str, dst: str, port: str) -> None: ...  # pragma: no cover

    def set_params(self, node_id: str, params: Mapping[str, Any]) -> None: ...  # pragma: no cover


@dataclass(frozen=True)
class QuickFix:
    """One way to mend a problem: what it changes, in words, and the edits."""

    description: str
    apply: Callable[[Editor], None]


class _Input(NamedTuple):
    """One input of the node with the problem: its port, source and shape."""

    port: str
    src: str
    shape: Shape


def quick_fixes(g: ModelGraph, report: Report, problem: Problem) -> list[QuickFix]:
    """The fixes for `problem` (of `report`, `g`'s latest validation) that work,
    those on the problem's port first; none for problems of other kinds."""
    node = problem.node
    if problem.code not in FIXABLE_CODES or node is None or node not in g:
        return []
    inputs = _inputs(g, report, node, problem.port)
    if inputs is None:
        return []
    seen: set[str] = set()
    fixes = []
    for fix in _candidates(g, node, inputs):
        if fix.description not in seen and _works(g, report, node, fix):
            seen.add(fix.description)
            fixes.append(fix)
    return fixes


def _inputs(g: ModelGraph, report: Report, node: str, blamed: str | None) -> list[_Input] | None:
    """The node's inputs in port order, the blamed port's first; None when a shape
    is unknown (the problem then lies upstream)."""
    spec = g.spec(node)
    inputs = []
    for port, src in sorted(g.in_edges(node), key=lambda e: spec.ports.index(e[0])):
        inferred = report.nodes.get(src)
        if inferred is None:
            return None
        inputs.append(_Input(port, src, inferred.shape))
    inputs.sort(key=lambda i: i.port != blamed)
    return inputs


def _candidates(g: ModelGraph, node: str, inputs: list[_Input]) -> Iterator[QuickFix]:
    """Every fix worth trying, the least intrusive first: a param changed, then a
    layer inserted to change the rank (a Reshape only where a layer of one input
    needs another rank: on a merge it would broadcast to nonsense), then one to
    project to the other inputs' size."""
    label = _quoted(g, node)
    widths = [i.shape[-1] for i in inputs if len(i.shape) > 1 and isinstance(i.shape[-1], int)]
    sizes = [[w for w in dict.fromkeys(widths) if w != i.shape[-1]] for i in inputs]
    for i, others in zip(inputs, sizes, strict=True):
        for width in others:
            yield from _set_width(g, i, width)
    for i in inputs:
        rest = i.shape[1:]
        if len(rest) > 1:
            flat = (i.shape[0], None if None in rest else math.prod(rest))
            yield _insert(g, node, i, "Flatten", {}, f"a Flatten before {label}", flat)
        if len(inputs) == 1 and None not in rest:
            for target in _reranked(rest):
                yield _insert(
                    g,
                    node,
                    i,
                    "Reshape",
                    {"target_shape": target},
                    f"a Reshape before {label}",
                    (i.shape[0], *target),
                )
    for i, others in zip(inputs, sizes, strict=True):
        for width in others:
            projected = (*i.shape[:-1], width)
            what = f"a Dense of {width} units before {label}"
            yield _insert(g, node, i, "Dense", {"units": width}, what, projected)


def _reranked(rest: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Sample shapes of one axis more (a trailing 1: a sequence of scalars, an image
    of one channel), of one axis less (the first two merged) than `rest`, and for a
    flat sample of a square size, a square image of one channel (784: 28x28x1)."""
    shapes = [(*rest, 1)]
    if len(rest) > 1:
        shapes.append((rest[0] * rest[1], *rest[2:]))
    elif len(rest) == 1 and rest[0] > 1 and math.isqrt(rest[0]) ** 2 == rest[0]:
        side = math.isqrt(rest[0])
        shapes.append((side, side, 1))
    return shapes


def _insert(
    g: ModelGraph,
    node: str,
    i: _Input,
    layer_type: str,
    params: Mapping[str, Any],
    what: str,
    new_shape: Shape,
) -> QuickFix:
    """Put a new `layer_type` node on the connection into `i.port`."""
    (x1, y1), (x2, y2) = g.node(i.src).pos, g.node(node).pos
    pos = ((x1 + x2) / 2, (y1 + y2) / 2)

    def apply(editor: Editor) -> None:
        editor.disconnect(i.src, node, i.port)
        new = editor.add_node(layer_type, params=params, pos=pos)
        editor.connect(i.src, new, "input")
        editor.connect(new, node, i.port)

    return QuickFix(f"Insert {what} ({i.port}: {fmt(i.shape)} to {fmt(new_shape)})", apply)


def _set_width(g: ModelGraph, i: _Input, width: int) -> Iterator[QuickFix]:
    """Set the param that sizes the source's output to `width`, if it has one."""
    spec = g.spec(i.src)
    name = next((n for n in WIDTH_PARAMS if spec and n in spec.param_by_name), None)
    if name is None:
        return
    params = {**g.layer(i.src).params, name: width}
    new_shape = fmt((*i.shape[:-1], width))

    def apply(editor: Editor) -> None:
        editor.set_params(i.src, params)

    yield QuickFix(
        f"Set {name} of {_quoted(g, i.src)} to {width} (its output {fmt(i.shape)} "
        f"becomes {new_shape})",
        apply,
    )


def _works(g: ModelGraph, before: Report, node: str, fix: QuickFix) -> bool:
    """Whether `fix`, made on a copy of `g`, leaves `node` without a shape error and
    gives no error to a node that had none (new nodes included). Nodes downstream
    that could not be inferred before may show errors of their own now."""
    trial = loads(dumps(g))
    try:
        fix.apply(trial)
    except GraphEditError:
        return False
    after = validate(trial)
    worked = before.nodes.keys()
    graph_wide = sum(p.node is None for p in before.errors)
    for p in after.errors:
        if p.node is None:
            graph_wide -= 1
            if graph_wide < 0:
                return False
        elif p.node == node or p.node in worked or p.node not in g:
            if p.node == node and p.code not in FIXABLE_CODES and _had(before, p):
                continue  # a problem of its own that the fix did not touch
            return False
    return True


def _had(report: Report, problem: Problem) -> bool:
    return any(p.node == problem.node and p.code == problem.code for p in report.errors)


def _quoted(g: ModelGraph, node_id: str) -> str:
    return f"'{g.layer(node_id).name}'"
