"""Levels: which graph of a document the canvas shows, the top graph or a block's body.

Design. Entering a block use shows its definition's body: a `Level` is a graph drawn
(the top graph, or a body) and the use it was entered through (a node id of the level
above). A body is one definition whatever use it was entered from, so every edit made
there is an edit of the definition, through the same undo stack as the top graph's
(each command holds the graph it changes), and every use follows.

What a body's nodes show (shapes, params, problems) is what they are inside the use
entered: its body made concrete for that use's input shapes and parameter values
(graph.block_validate.use_body), found by walking the levels from the top. A use whose
inputs are not known yet shows its body with the body's own Input shapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from graph import ModelGraph, Report, validate
from graph.block_validate import concrete, use_body
from graph.blocks import BlockSpec


class Level(NamedTuple):
    """One level shown: `graph` (the top graph, or a block's body) and `use`, the node
    of the level above it was entered through (None at the top)."""

    graph: ModelGraph
    use: str | None = None


def entered(levels: Sequence[Level], use: str) -> tuple[Level, ...]:
    """`levels` with the body of the use `use` (a node of the innermost level) inside.

    Raises ValueError when `use` is no block use."""
    g = levels[-1].graph
    spec = g.spec(use)
    if not isinstance(spec, BlockSpec):
        raise ValueError(f"{g.label(use)} is not a block use")
    return (*levels, Level(spec.body, use))


def crumb(levels: Sequence[Level], depth: int) -> str:
    """How the breadcrumb names level `depth`: the model's name at the top, inside a
    use its name and its block's ("enc: encoder"), or the block's alone when alike."""
    level = levels[depth]
    if level.use is None:
        return level.graph.name
    name = levels[depth - 1].graph.layer(level.use).name
    block = level.graph.name
    return block if name == block else f"{name}: {block}"


def level_view(levels: Sequence[Level]) -> tuple[ModelGraph, Report]:
    """The innermost level as the use entered at each level sees it (see the module
    docstring): its graph made concrete (the top graph itself at the top; a body's
    node ids and names, its parameters' values in place) and that graph's report.
    Summaries and costs read the graph; the canvas draws the body with the report."""
    g = levels[0].graph
    report = validate(g)
    for level in levels[1:]:
        g, report = _inside(g, report, level)
    return g, report


def _inside(outer: ModelGraph, report: Report, level: Level) -> tuple[ModelGraph, Report]:
    """The concrete body of `level`'s use in `outer` (the level above, as validated
    in `report`) and its report; the body's own Input shapes when the use's inputs
    are unknown (or its body has none to take)."""
    body = level.graph
    sources = report.sources.get(level.use)
    if sources is not None and all(report.nodes.get(s) is not None for s in sources):
        made = use_body(outer, report, level.use)
        return made.graph, made.report
    alone = validate(body)
    inputs = [alone.nodes.get(n) for n in body.inputs]
    if not inputs or any(i is None for i in inputs):
        return body, alone
    spec = outer.spec(level.use)
    made = concrete(spec, spec.resolve(outer.layer(level.use).params), inputs)
    return made.graph, made.report
