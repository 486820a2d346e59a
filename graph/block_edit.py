"""Editing with blocks: group a selection into a block, ungroup a use, make a use's
definition its own, repeat a use into a chain, remove a definition.

Each operation edits one graph (the top graph or a body) in place through its
public methods, refuses what it cannot do with a GraphEditError that names the nodes,
and leaves the graph computing what it computed: grouping then building gives the
same outputs and weights as before (tests/test_block_edit_keras.py holds that against
Keras). Undo is not theirs: the studio snapshots the graph (graph.snapshot).

Grouping. The selection's layers are copied into a new body (graph.regions); what
feeds it from outside, in the order the members first take it, becomes the block's
Inputs (ports `x`, or `x_1`, `x_2`, ...), each with the shape validation inferred for
it; the members with connections leaving the selection, in graph order, become its
outputs (a member that is a model output comes first: a model output names a node,
so it is the use's first output). A selection is refused when a use could not stand
for it: an Input inside, a shared layer called from outside it, a path that leaves it
and comes back (the use would feed itself), a later output of a use inside that
leaves it, nothing leaving it, or two model outputs.

Ungrouping copies a use's body into its place: each inner layer named `use_inner`
(so ungrouping what group_by_names made gives the names back), parameter references
replaced by the use's values, fed by what fed the use. A use called again (shared
weights) is refused: inlining one call would part the weights.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import replace

from graph.blocks import PARAM_REF, BlockSpec, refs_in, substitute
from graph.errors import GraphEditError
from graph.grouping import free_block_name
from graph.model import Layer, ModelGraph, Position
from graph.naming import numbered, valid_name
from graph.params import freeze
from graph.regions import Feed, copy_region, feeds_of, replace_by_use
from graph.spec import input_spec
from graph.validate import validate

#: How far apart Repeat puts the uses of a chain, along x (scene units).
REPEAT_STEP = 240.0


def group_into_block(g: ModelGraph, nodes: Iterable[str], name: str | None = None) -> str:
    """Replace the nodes `nodes` of `g` by one use of a new block `name` (by default
    `block`, numbered when taken); returns the use's node. See the module docstring."""
    members = _selection(g, nodes)
    inside = set(members)
    feeds = feeds_of(g, members)
    outputs = _outputs(g, members)
    _check_groupable(g, members, inside, outputs)
    report = validate(g)
    shapes = []
    for src, output in feeds:
        result = report.nodes.get(src)
        fed = None if result is None else result.output(output)
        if fed is None:
            raise GraphEditError(
                f"cannot group: the shape that {g.label(src)} feeds in is not known; "
                "fix its problems first"
            )
        shapes.append(input_spec().keras_input_params(fed.shape, fed.dtype))
    block = name if name is not None else free_block_name("block", _taken(g))
    # In a body, the members' references to its parameters become the new block's
    # own parameters, which the use sets to those references.
    refs = {ref for n in members for ref in refs_in(g.layer(n).params)}
    parameters = [p for p in g.parameters if p.name in refs]
    body = g.define_block(block, parameters)
    ports = ["x"] if len(feeds) == 1 else [f"x_{i + 1}" for i in range(len(feeds))]
    left = min(g.node(n).pos[0] for n in members) - REPEAT_STEP
    made_inputs = {
        feed: body.add_node(
            input_spec().type, name=port, params=params, pos=(left, g.node(feed[0]).pos[1])
        )
        for port, feed, params in zip(ports, feeds, shapes, strict=True)
    }
    names = {n: _clear_of(g.layer(n).name, ports) for n in members}
    made = copy_region(g, members, body, made_inputs, names)
    body.set_outputs([made[n] for n in outputs])
    layer = Layer(block, block, freeze({p.name: {PARAM_REF: p.name} for p in parameters}))
    pos = _centre(g.node(n).pos for n in members)
    return replace_by_use(g, members, outputs, layer, ports, pos)


def ungroup(g: ModelGraph, use: str) -> list[str]:
    """Inline the use `use` of `g`: its body's layers in its place; returns their nodes
    in order. See the module docstring."""
    spec = _use_spec(g, use)
    sites = g.call_sites(use)
    if len(sites) > 1:
        raise GraphEditError(
            f"cannot ungroup {g.label(use)}: it is called {len(sites)} times (shared "
            "weights); ungrouping one call would part them"
        )
    body = spec.body
    layer = g.layer(use)
    values = spec.resolve(layer.params)
    feeds: dict[str, Feed] = {}
    for port, src in g.in_edges(use):
        feeds[port] = (src, g.edge_output(src, use, port))
    ends: dict[str, Feed | None] = {}
    for node_id in body.inputs:
        ends[node_id] = feeds.get(body.layer(node_id).name)
    leaving = [(d, p, g.edge_output(use, d, p)) for d, p in g.out_edges(use)]
    was_output = use in g.outputs
    index = g.node_ids().index(use)
    offset = _offset(body, g.node(use).pos)
    model_outputs = g.outputs
    g.remove_node(use)
    copied: dict[int, tuple[int, str]] = {}  # body layer -> (its copy, the copy's name)
    taken = set(g.names())
    made: list[str] = []
    for node_id in body.node_ids():
        if node_id in ends:
            continue
        node, inner = body.node(node_id), body.layer(node_id)
        if node.layer_id not in copied:
            inner_name = numbered(valid_name(f"{layer.name}_{inner.name.lstrip('_')}"), taken)
            taken.add(inner_name)
            params = freeze(dict(substitute(inner.params, values)))
            trainable = inner.trainable and layer.trainable
            copy = replace(inner, name=inner_name, params=params, trainable=trainable)
            copied[node.layer_id] = (g.restore_layer(copy), inner_name)
        layer_id, stem = copied[node.layer_id]
        pos = (node.pos[0] + offset[0], node.pos[1] + offset[1])
        new = numbered(stem, g)
        made.append(g.restore_call_site(new, layer_id, pos, index + len(made)))
        ends[node_id] = (new, 0)
    for edge in body.connections():
        if edge.src in body.inputs:
            source = ends[edge.src]
            if source is None:
                continue  # the use's port was not connected
            src, output = source
        else:
            src, output = ends[edge.src][0], edge.output
        g.connect(src, ends[edge.dst][0], edge.port, output)
    for dst, port, output in leaving:
        source = ends[body.outputs[output]]
        if source is not None:
            g.connect(source[0], dst, port, source[1])
    if was_output:
        first = ends[body.outputs[0]]
        instead = first[0] if first is not None and first[1] == 0 else None
        kept = [instead if n == use else n for n in model_outputs]
        g.set_outputs(dict.fromkeys(n for n in kept if n is not None))
    return made


def make_unique(g: ModelGraph, use: str, name: str | None = None) -> str:
    """Give the use `use` (and the calls sharing its layer) a copy of its definition
    of its own, named `name` (by default the old name numbered); returns that name."""
    spec = _use_spec(g, use)
    new = free_block_name(spec.type, _taken(g)) if name is None else name
    copy = g.define_block(new, spec.body.parameters)
    copy_graph(spec.body, copy)
    g.replace_layer(use, replace(g.layer(use), type=new))
    return new


def repeat(g: ModelGraph, use: str, count: int) -> list[str]:
    """Make the use `use` the first of a chain of `count` uses of its block (the
    same parameter values, weights of their own), each feeding the next; what `use`
    fed, the last one feeds. Returns the chain's nodes. The block must take one input
    and give one output of the same shape and dtype."""
    spec = _use_spec(g, use)
    label = g.label(use)
    if not isinstance(count, int) or count < 2:
        raise GraphEditError(
            f"cannot repeat {label}: a chain needs 2 uses or more. Received: {count!r}"
        )
    if len(spec.ports.names) != 1 or spec.output_count != 1:
        raise GraphEditError(
            f"cannot repeat {label}: block '{spec.type}' takes {len(spec.ports.names)} "
            f"inputs and gives {spec.output_count} outputs; a chain needs one of each"
        )
    report = validate(g)
    result = report.nodes.get(use)
    sources = report.sources.get(use)
    if result is None or not sources:
        raise GraphEditError(
            f"cannot repeat {label}: its shapes are not known; fix its problems first"
        )
    got, fed = result.output(0), report.nodes[sources[0]].output((g.source_outputs(use) or (0,))[0])
    if (got.shape, got.dtype) != (fed.shape, fed.dtype):
        raise GraphEditError(
            f"cannot repeat {label}: its output {got.shape} {got.dtype} does not fit its "
            f"input {fed.shape} {fed.dtype}"
        )
    leaving = g.out_edges(use)
    model_outputs = g.outputs
    layer = g.layer(use)
    x, y = g.node(use).pos
    chain = [use]
    for i in range(1, count):
        node = g.add_node(layer.type, params=layer.params, pos=(x + REPEAT_STEP * i, y))
        chain.append(node)
    for dst, port in leaving:
        g.disconnect(use, dst, port)
    for src, dst in zip(chain[:-1], chain[1:], strict=True):
        g.connect(src, dst, spec.ports.names[0])
    for dst, port in leaving:
        g.connect(chain[-1], dst, port)
    g.set_outputs([chain[-1] if n == use else n for n in model_outputs])
    return chain


def remove_block(g: ModelGraph, name: str) -> None:
    """Remove the definition `name`; refused while anything uses it, naming the uses."""
    g.blocks.body(name)
    users = uses_of(g, name)
    if users:
        raise GraphEditError(f"cannot remove block '{name}': it is used by {', '.join(users)}")
    g.blocks.remove(name)


def uses_of(g: ModelGraph, name: str) -> list[str]:
    """Every use of block `name` in `g` (the top graph) and in the bodies, as messages
    name them: 'enc' in the model, 'enc' in block 'stage'."""
    found = []
    for graph in (g, *g.blocks.bodies()):
        found += [
            f"'{layer.name}' in {_where(graph)}"
            for _, layer in graph.layers()
            if layer.type == name
        ]
    return found


def copy_graph(
    source: ModelGraph, into: ModelGraph, types: Mapping[str, str] | None = None
) -> None:
    """Copy every node (same ids), connection and output of `source` into the empty
    graph `into`; shared calls stay shared. A use of a block named in `types` becomes
    a use of the block it maps to (a definition copied in under another name)."""
    types = types or {}
    copied: dict[int, int] = {}
    for node_id in source.node_ids():
        node = source.node(node_id)
        if node.layer_id not in copied:
            layer = source.layer(node_id)
            layer = replace(layer, type=types.get(layer.type, layer.type))
            copied[node.layer_id] = into.restore_layer(layer)
        into.restore_call_site(node_id, copied[node.layer_id], node.pos)
    for edge in source.connections():
        into.restore_edge(*edge)
    into.set_outputs(source.outputs)


# ------------------------------------------------------------------ helpers


def _selection(g: ModelGraph, nodes: Iterable[str]) -> list[str]:
    """The selected nodes in graph order; refused empty or with an Input."""
    chosen = set(nodes)
    for node_id in chosen:
        g.node(node_id)
    members = [n for n in g.node_ids() if n in chosen]
    if not members:
        raise GraphEditError("cannot group: nothing is selected")
    inputs = [g.layer(n).name for n in members if g.is_input(n)]
    if inputs:
        raise GraphEditError(
            f"cannot group: Input {_names(inputs)} would be inside the block; "
            "its inputs are the connections into the selection"
        )
    return members


def _outputs(g: ModelGraph, members: Sequence[str]) -> list[str]:
    """The members that become the block's outputs: a model output first, then the
    others with connections leaving the selection, in graph order."""
    inside = set(members)
    model = [n for n in members if n in g.outputs]
    leaving = [
        n for n in members if n not in model and any(d not in inside for d, _ in g.out_edges(n))
    ]
    return model + leaving


def _check_groupable(
    g: ModelGraph, members: Sequence[str], inside: set[str], outputs: Sequence[str]
) -> None:
    """Raise GraphEditError naming the nodes if one use cannot stand for `members`."""
    shared = [g.layer(n).name for n in members if not set(g.call_sites(n)) <= inside]
    if shared:
        raise GraphEditError(
            f"cannot group: {_names(shared)} shares weights with calls outside the "
            "selection; select every call or none"
        )
    later = [
        g.layer(n).name
        for n in members
        if any(g.edge_output(n, d, p) for d, p in g.out_edges(n) if d not in inside)
    ]
    if later:
        raise GraphEditError(
            f"cannot group: a later output of {_names(later)} leaves the selection; "
            "a block's output takes a node's first output"
        )
    model = [g.layer(n).name for n in members if n in g.outputs]
    if len(model) > 1:
        raise GraphEditError(
            f"cannot group: {_names(model)} are each an output of {_where(g)}; "
            "a use can stand for one of them only"
        )
    if not outputs:
        raise GraphEditError("cannot group: nothing leaves the selection; it would have no output")
    through = _outside_paths(g, inside)
    if through:
        raise GraphEditError(
            f"cannot group: the path through {_names(g.layer(n).name for n in through)} "
            "leaves the selection and comes back; the block would feed itself (a cycle)"
        )


def _outside_paths(g: ModelGraph, inside: set[str]) -> list[str]:
    """The outside nodes on paths that leave `inside` and come back into it, in graph
    order (none when the selection is convex)."""

    def walk(starts: Iterable[str], step) -> set[str]:
        seen: set[str] = set()
        todo = [n for n in starts if n not in inside]
        while todo:
            node_id = todo.pop()
            if node_id not in seen and node_id not in inside:
                seen.add(node_id)
                todo.extend(step(node_id))
        return seen

    def downstream(n: str) -> list[str]:
        return [d for d, _ in g.out_edges(n)]

    def upstream(n: str) -> list[str]:
        return [s for _, s in g.in_edges(n)]

    after = walk((d for n in inside for d in downstream(n)), downstream)
    before = walk((s for n in inside for s in upstream(n)), upstream)
    return [n for n in g.node_ids() if n in after and n in before]


def _use_spec(g: ModelGraph, use: str) -> BlockSpec:
    spec = g.spec(use)
    if not isinstance(spec, BlockSpec):
        raise GraphEditError(f"{g.label(use)} is not a block use")
    return spec


def _taken(g: ModelGraph) -> set[str]:
    return set(g.blocks.names())


def _where(g: ModelGraph) -> str:
    return f"block '{g.name}'" if g.is_body else "the model"


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def _clear_of(name: str, ports: Container[str]) -> str:
    """A member's name in the body: its own, unless a port is called that."""
    return f"{name}_" if name in ports else name


def _centre(positions: Iterable[Position]) -> Position:
    points = list(positions)
    return (
        sum(p[0] for p in points) / len(points),
        sum(p[1] for p in points) / len(points),
    )


def _offset(body: ModelGraph, at: Position) -> Position:
    """What moves the body's layers (Inputs aside) to be centred on `at`."""
    inner = [body.node(n).pos for n in body.node_ids() if not body.is_input(n)]
    centre = _centre(inner) if inner else at
    return (at[0] - centre[0], at[1] - centre[1])
