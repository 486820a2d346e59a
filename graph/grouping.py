"""Grouping by name scope: layers named alike become uses of block definitions.

Most models carry their structure only in their layer names: keras.applications'
ResNet50 names the layers of its 16 residual blocks `conv2_block1_1_conv` ...
`conv5_block3_out`. Split at '_', a name's first d parts are its scope at depth d;
the layers of one scope make a group (the use's name is the scope) when the group can
stand as one node: two layers or more, no path that leaves it and comes back (a
use is called once), every call site of its layers inside, each output it gives
outside a member's only output, and at most one model output among them (a graph
output names a node, so it must be the use's first output).

Groups of one structure (graph.regions: layers, wiring, shared calls, names aside)
with the same params except for numbers are one definition: each number that differs
between them becomes a block parameter (one per distinct column of values: ResNet's
`filters` of the first and second convolutions are one), set by each use. Inside,
layers keep their names without the scope (`conv2_block1_1_conv` -> `_1_conv`, the
'_' because a name starts with a letter or '_'), so scope + '_' + name gives the
original back, and `GroupedUse.members` says it exactly.

Which depth: the one that describes the graph in the fewest nodes, counting every
node left at the top, one per use, and each definition's layers once (a minimum
description length; a tie goes to grouping, the shallower depth first). ResNet50 at
depth 2: a stem of 6 layers, 16 uses of two definitions, a head of 2 (47 nodes for
177), where depth 1 (one use per stage, none alike) or depth 3 (conv-bn-relu triples)
need more. With something to lose, nothing is grouped. Grouping works on a selection
(`nodes`) as well as the whole graph; each use takes its group's place in the graph
order, so a file still reads in the model's order.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from graph.blocks import PARAM_REF, block_param
from graph.model import Layer, ModelGraph
from graph.naming import numbered, valid_name
from graph.params import Param, freeze
from graph.regions import Feed, copy_region, feeds_of, hashable, region_key, replace_by_use
from graph.report import Report
from graph.spec import get_spec, input_spec
from graph.validate import validate
from graph.wording import counted

#: The values a block parameter can take (graph.blocks.PARAM_KINDS), by kind name.
_NUMBER_KINDS = {bool: "bool", int: "int", float: "float"}


@dataclass(frozen=True)
class GroupedUse:
    """One use made by grouping: its node, its block, and for each layer inside (by
    its name in the body) the name the layer had in the graph."""

    node: str
    block: str
    members: Mapping[str, str]


@dataclass(frozen=True)
class Grouping:
    """What group_by_names did: the uses it made, in graph order of their groups."""

    uses: tuple[GroupedUse, ...] = ()

    @property
    def blocks(self) -> list[str]:
        """The definitions made, in the order made."""
        return list(dict.fromkeys(use.block for use in self.uses))

    def summary(self) -> str:
        """One line: how many layers went into how many uses of which blocks."""
        if not self.uses:
            return "grouped nothing: no layer names share a scope that repeats"
        layers = sum(len(use.members) for use in self.uses)
        counts = [(b, sum(use.block == b for use in self.uses)) for b in self.blocks]
        shown = ", ".join(f"{block} ({counted(n, 'use')})" for block, n in counts)
        return (
            f"grouped {counted(layers, 'layer')} into {counted(len(self.uses), 'use')} "
            f"of {counted(len(counts), 'block')}: {shown}"
        )


class _Use(NamedTuple):
    """The use that is to replace a group: its block, ports, values, members' names."""

    block: str
    ports: list[str]
    values: dict[str, Any]
    names: dict[str, str]


@dataclass(frozen=True)
class _Group:
    """A scope's layers that can stand as one use (see the module docstring)."""

    scope: str
    members: tuple[str, ...]
    feeds: tuple[Feed, ...]
    outputs: tuple[str, ...]


def group_by_names(g: ModelGraph, nodes: Iterable[str] | None = None) -> Grouping:
    """Group the layers of `g` (or of its nodes `nodes`) by name scope, in place; see
    the module docstring. The graph computes the same before and after."""
    report = validate(g)
    # Every definition is made before any group is replaced, from the graph as
    # planned; then the groups go in graph order, so the uses follow the model's.
    families = _plan(g, report, nodes)
    planned = [
        (group, use)
        for family, block in zip(families, _block_names(g, families), strict=True)
        for group, use in _define(g, report, family, block)
    ]
    order = {node_id: i for i, node_id in enumerate(g.node_ids())}
    planned.sort(key=lambda item: order[item[0].members[0]])
    uses = []
    for group, (block, ports, values, names) in planned:
        node = _replace(g, group, block, ports, values)
        uses.append(GroupedUse(node, block, names))
    return Grouping(tuple(uses))


def _plan(g: ModelGraph, report: Report, nodes: Iterable[str] | None = None) -> list[list[_Group]]:
    """The groups group_by_names makes, by definition: at the depth that describes
    the selection in the fewest nodes, or none."""
    selected = g.node_ids() if nodes is None else list(dict.fromkeys(nodes))
    selected = [n for n in selected if not g.is_input(n)]
    if len(report.order) != len(g):
        return []  # a cycle (a file edited by hand): no group could be called once
    depths = max((len(g.layer(n).name.split("_")) for n in selected), default=1)
    best: tuple[int, list[list[_Group]]] = (len(selected), [])
    position = {node_id: i for i, node_id in enumerate(report.order)}
    for depth in range(1, depths):
        families = _families(g, report, _groups(g, report, selected, depth, position))
        size = (
            len(selected)
            - sum(len(group.members) - 1 for family in families for group in family)
            + sum(len(family[0].members) for family in families)
        )
        if families and (size < best[0] or (size == best[0] and not best[1])):
            best = (size, families)
    return best[1]


def _groups(
    g: ModelGraph, report: Report, selected: list[str], depth: int, position: dict[str, int]
) -> list[_Group]:
    """The groups of the scopes at `depth`, in graph order of their first layer
    (`position`: each node's in a topological order)."""
    scopes: dict[str, list[str]] = {}
    for node_id in selected:
        parts = g.layer(node_id).name.split("_")
        if len(parts) > depth:
            scopes.setdefault("_".join(parts[:depth]), []).append(node_id)
    found = (_group(g, report, scope, members, position) for scope, members in scopes.items())
    return [group for group in found if group is not None]


def _group(
    g: ModelGraph, report: Report, scope: str, members: list[str], position: dict[str, int]
) -> _Group | None:
    """The group of `members` (named under `scope`), or None if they cannot be one."""
    if len(members) < 2:
        return None
    inside = set(members)
    if any(not set(g.call_sites(n)) <= inside for n in members):
        return None
    feeds = feeds_of(g, members)
    if any(_fed(report, feed) is None for feed in feeds):
        return None
    model_outputs = [n for n in members if n in g.outputs]
    leaving = []
    for node_id in members:
        out = [(dst, port) for dst, port in g.out_edges(node_id) if dst not in inside]
        if any(g.edge_output(node_id, dst, port) for dst, port in out):
            return None  # a later output of a use inside: a body output names a node
        if out and node_id not in model_outputs:
            leaving.append(node_id)
    if len(model_outputs) > 1 or not (model_outputs or leaving):
        return None
    if not _convex(g, inside, position):
        return None
    return _Group(scope, tuple(members), tuple(feeds), (*model_outputs, *leaving))


def _fed(report: Report, feed: Feed) -> Any:
    """The inferred result of `feed`, or None where validation inferred none."""
    src, output = feed
    result = report.nodes.get(src)
    return None if result is None else result.output(output)


def _convex(g: ModelGraph, inside: set[str], position: dict[str, int]) -> bool:
    """Whether no path leaves `inside` and comes back into it. Such a path runs
    through nodes before the last member in a topological order (`position`; a node
    outside it, on a cycle, is walked anyway), so the walk stops past that member."""
    last = max(position.get(n, -1) for n in inside)
    seen: set[str] = set()
    todo = [dst for n in inside for dst, _ in g.out_edges(n) if dst not in inside]
    while todo:
        node_id = todo.pop()
        if node_id in inside:
            return False
        if node_id not in seen and position.get(node_id, -1) < last:
            seen.add(node_id)
            todo.extend(dst for dst, _ in g.out_edges(node_id))
    return True


def _families(g: ModelGraph, report: Report, groups: list[_Group]) -> list[list[_Group]]:
    """`groups` by shared definition: same structure and params but for numbers, and
    the same input dtypes."""
    families: dict[tuple, list[_Group]] = {}
    for group in groups:
        dtypes = tuple(_fed(report, feed).dtype for feed in group.feeds)
        key = (region_key(g, group.members, group.outputs, lambda n: _skeleton(g, n)), dtypes)
        families.setdefault(key, []).append(group)
    return list(families.values())


def _resolved(g: ModelGraph, node_id: str) -> Mapping[str, Any]:
    spec = g.spec(node_id)
    params = g.layer(node_id).params
    return params if spec is None else spec.resolve(params)


def _skeleton(g: ModelGraph, node_id: str) -> Any:
    """A member's params with every number replaced by its type."""

    def blank(value: Any) -> Any:
        if type(value) in _NUMBER_KINDS:
            return ("number", type(value).__name__)
        if isinstance(value, Mapping):
            return ("map", tuple(sorted((k, blank(v)) for k, v in value.items())))
        if isinstance(value, (tuple, list)):
            return ("seq", tuple(blank(v) for v in value))
        return hashable(value)

    return blank(_resolved(g, node_id))


def _numbers(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    """(path, number) for every number in `value`, in the order _skeleton walks them."""
    if type(value) in _NUMBER_KINDS:
        yield path, value
    elif isinstance(value, Mapping):
        for key in sorted(value):
            yield from _numbers(value[key], (*path, key))
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            yield from _numbers(item, (*path, i))


def _with(value: Any, path: Sequence, new: Any) -> Any:
    """`value` with the item at `path` (keys and indexes) replaced by `new`."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, Mapping):
        return {**value, head: _with(value[head], rest, new)}
    items = list(value)
    items[head] = _with(items[head], rest, new)
    return tuple(items)


def _define(
    g: ModelGraph, report: Report, family: list[_Group], block: str
) -> list[tuple[_Group, _Use]]:
    """Define `block` from the first group of `family`; each group with the use that
    is to replace it (see the module docstring)."""
    first = family[0]
    columns = _varying(g, family)
    parameters, refs = _parameters(columns)
    body = g.define_block(block, parameters)
    ports = ["x"] if len(first.feeds) == 1 else [f"x_{i + 1}" for i in range(len(first.feeds))]
    inputs = {}
    for port, feed in zip(ports, first.feeds, strict=True):
        fed = _fed(report, feed)
        params = input_spec().keras_input_params(fed.shape, fed.dtype)
        inputs[feed] = body.add_node(input_spec().type, name=port, params=params)
    inner = {n: _inner_name(first.scope, g.layer(n).name, ports) for n in first.members}
    params = {n: _body_params(g, n, position, refs) for position, n in enumerate(first.members)}
    made = copy_region(g, first.members, body, inputs, inner, params)
    body.set_outputs([made[n] for n in first.outputs])
    uses = []
    for index, group in enumerate(family):
        values = {refs[places[0]]: column[index] for column, places in columns.items()}
        pairs = zip(first.members, group.members, strict=True)
        names = {inner[a]: g.layer(b).name for a, b in pairs}
        uses.append((group, _Use(block, ports, values, names)))
    return uses


#: A number's place in a group: (member position, path into its params).
_Place = tuple[int, tuple]


def _varying(g: ModelGraph, family: list[_Group]) -> dict[tuple, list[_Place]]:
    """The numbers that differ between the groups of `family`: each column of values
    (one per group) with the places that hold it."""
    columns: dict[tuple, list[_Place]] = {}
    for position in range(len(family[0].members)):
        per_group = [list(_numbers(_resolved(g, group.members[position]))) for group in family]
        for i, (path, _) in enumerate(per_group[0]):
            values = tuple(numbers[i][1] for numbers in per_group)
            if len(set(values)) > 1:
                columns.setdefault(values, []).append((position, path))
    return columns


def _parameters(columns: dict[tuple, list[_Place]]) -> tuple[list[Param], dict[_Place, str]]:
    """A block parameter per column, named after its first place's param (filters,
    filters_2, ...), its default the first group's value; and each place's parameter."""
    parameters, refs = [], {}
    for values, places in columns.items():
        stem = str(places[0][1][0])
        name, i = stem, 1
        while name in refs.values():
            i += 1
            name = f"{stem}_{i}"
        parameters.append(block_param(name, _NUMBER_KINDS[type(values[0])], values[0]))
        refs.update({place: name for place in places})
    return parameters, refs


def _body_params(g: ModelGraph, node_id: str, position: int, refs: dict[_Place, str]) -> dict:
    """The params of the body's copy of member `node_id` (at `position`): its own,
    with a reference to its parameter at each place that has one."""
    params = dict(g.layer(node_id).params)
    resolved = _resolved(g, node_id)
    for (where, path), name in refs.items():
        if where == position:
            top = params.get(path[0], resolved[path[0]])
            params[path[0]] = _with(top, path[1:], {PARAM_REF: name})
    return params


def _replace(
    g: ModelGraph, group: _Group, block: str, ports: list[str], values: dict[str, Any]
) -> str:
    """Put a use of `block` with parameter `values` in place of `group`, where its
    first member was in the graph order; its node."""
    # The values are the block's own kinds (numbers read from the graph), the name free.
    layer = Layer(block, group.scope, freeze(values))
    pos = g.node(group.members[0]).pos
    return replace_by_use(g, group.members, group.outputs, layer, ports, pos)


def _inner_name(scope: str, name: str, ports: list[str]) -> str:
    """A member's name in the body: without its scope, made valid, clear of the ports."""
    inner = valid_name(name[len(scope) + 1 :])
    return f"{inner}_" if inner in ports else inner


def _block_names(g: ModelGraph, families: list[list[_Group]]) -> list[str]:
    """A name for each family's definition, from its uses' scopes: the parts they
    share, else a part without its digits where that is shared (conv2_block2,
    conv3_block1 -> conv_block). Families whose scopes give one name are told apart by
    a letter (block_a, block_b); names taken by blocks or layer types get a number."""
    stems = [_stem([group.scope for group in family]) for family in families]
    repeated = {stem for stem in stems if stems.count(stem) > 1}
    letters: dict[str, int] = {}
    names = []
    taken = set(g.blocks.names())
    for stem in stems:
        if stem in repeated:
            letters[stem] = letters.get(stem, 0) + 1
            stem = f"{stem}_{_letter(letters[stem])}"
        name = free_block_name(stem, taken)
        taken.add(name)
        names.append(name)
    return names


def free_block_name(stem: str, taken: Container[str]) -> str:
    """`stem` made a block name: valid, not a layer type, not `taken` (a number added)."""
    stem = valid_name(stem)
    if get_spec(stem) is not None:
        stem = f"{stem}_block"
    return numbered(stem, taken)


def _letter(n: int) -> str:
    """a, b, ..., z, aa, ab, ... for 1, 2, ..."""
    text = ""
    while n:
        n, rest = divmod(n - 1, 26)
        text = chr(ord("a") + rest) + text
    return text


def _stem(scopes: list[str]) -> str:
    split = [scope.split("_") for scope in scopes]
    parts = []
    for column in zip(*split, strict=True):
        if len(set(column)) == 1:
            parts.append(column[0])
            continue
        letters = {part.rstrip("0123456789") for part in column}
        if len(letters) == 1 and next(iter(letters)):
            parts.append(next(iter(letters)))
    return "_".join(parts) or "block"
