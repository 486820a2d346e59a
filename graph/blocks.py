"""Blocks: named sub-graphs defined once per graph file and used as nodes.

Design. A block definition is a plain `ModelGraph` (its body): its Input nodes are the
block's inputs (their layer names are the use's port names), its outputs, in order, the
block's outputs. Keeping the body a ModelGraph means everything that works on a graph
(validation, the canvas, undo commands, the file's node and edge lines) works on a body
unchanged, and a body is what the studio shows when it enters a use.

A use is an ordinary node whose layer's `type` is the definition's name: layers and
call sites already give each use its own layer (its own weights) and "call again" its
shared calls, so a siamese pair is one layer with two call sites, as for a Dense. The
use's params are its values for the block's parameters. What a type name gives the rest
of the project (ports, params, call style, rules) a `BlockSpec` gives for a use, made by
the graph's `Blocks` registry, so code that asks `g.spec(node)` needs nothing new.

The registry is one object shared by the top graph and every body (a body's uses
resolve against the same definitions), so a definition is stored once however deep it
is used. A block's parameters are `Param`s like a layer's, and params inside the body
refer to them as {"$param": "filters"}; a use's values replace the references when its
body is validated or built (graph.block_validate). Block names may not be layer types.

Every edit of a body bumps the registry's `revision`; specs (and what validation keeps
per body) are made again after one, so a use's checks follow its definition. Every event
of a body is also announced, after the change, as the registry's `body_changed` (the
block's name), which the top graph that made the registry passes on as its own
`block_changed` event: views of the top level learn that their uses' insides changed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from weakref import WeakSet

from graph.errors import GraphEditError
from graph.events import Event
from graph.params import Bool, Float, Int, Kind, Param
from graph.spec import LayerSpec, Ports

if TYPE_CHECKING:
    from graph.model import ModelGraph

#: The key of a reference to a block parameter in a param value: {"$param": "filters"}.
PARAM_REF = "$param"

#: The kinds a block parameter may have, by the name a graph file gives them.
PARAM_KINDS: Mapping[str, Kind] = MappingProxyType({"int": Int(), "float": Float(), "bool": Bool()})


#: How deep blocks may nest (a block holding uses of blocks holding uses ...): far more
#: than any model has, few enough that every recursive walk of a graph stays shallow.
MAX_NESTING = 32


class BlockCycleError(GraphEditError):
    """A block would contain itself, directly or through other blocks, or nest too deep."""


def param_ref(value: Any) -> str | None:
    """The block parameter `value` refers to ({"$param": name}), or None."""
    if isinstance(value, Mapping) and len(value) == 1:
        name = value.get(PARAM_REF)
        if isinstance(name, str):
            return name
    return None


def refs_in(value: Any) -> Iterator[str]:
    """Every block parameter referred to anywhere in `value` (lists, nested configs)."""
    name = param_ref(value)
    if name is not None:
        yield name
    elif isinstance(value, tuple):
        for item in value:
            yield from refs_in(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from refs_in(item)


def substitute(value: Any, values: Mapping[str, Any]) -> Any:
    """`value` with each reference replaced by its parameter's value in `values`
    (references to a parameter missing there are left as they are)."""
    name = param_ref(value)
    if name is not None:
        return values.get(name, value)
    if isinstance(value, tuple):
        return tuple(substitute(item, values) for item in value)
    if isinstance(value, Mapping):
        return MappingProxyType({k: substitute(v, values) for k, v in value.items()})
    return value


def kind_name(kind: Kind) -> str:
    """The name a graph file gives `kind` (one of PARAM_KINDS)."""
    return next(name for name, known in PARAM_KINDS.items() if known == kind)


class BlockSpec(LayerSpec):
    """What a use of one block definition is, in a spec's terms: ports from the body's
    Inputs, params from the block's parameters, as many outputs as the body has.

    Made by `Blocks.spec` for one revision of the definitions; its rules run the body
    (graph.block_validate), which needs the use's input shapes and parameter values.
    """

    category = "Blocks"

    def __init__(self, body: ModelGraph) -> None:
        self.type = body.name
        self.body = body
        self.params = body.parameters
        names = tuple(body.layer(n).name for n in body.inputs)
        self.ports = Ports.fixed(names)
        self.call_style = "single" if len(names) == 1 else "list"
        self.output_count = len(body.outputs)
        super().__init__()

    @property
    def doc(self) -> str:
        return f"A use of block '{self.type}'."

    def infer(self, shapes, dtypes, p):
        from graph.block_validate import infer_use_shapes

        return infer_use_shapes(self, p, shapes, dtypes)

    def weight_signature(self, shapes, p):
        """A nested model is built on its first call's inputs: later calls must match."""
        return tuple(shapes)


class Blocks:
    """The block definitions of one graph file, by name, in the order they were defined.

    Shared by the top graph and every body; see the module docstring.
    """

    def __init__(self) -> None:
        self._bodies: dict[str, ModelGraph] = {}
        self._specs: dict[str, BlockSpec] = {}
        self._spec_revision = 0
        #: Bumped by every edit of any body (and each definition added).
        self.revision = 0
        #: Any event of a body, announced after it with the block's name (see the
        #: module docstring).
        self.body_changed = Event("body_changed")
        #: A definition was added, removed or renamed: ().
        self.changed = Event("blocks_changed")
        #: The bodies whose events are passed on as `body_changed` (each body is
        #: wired once, however often undo puts it back).
        self._wired: WeakSet[ModelGraph] = WeakSet()

    def __contains__(self, name: object) -> bool:
        return name in self._bodies

    def __len__(self) -> int:
        return len(self._bodies)

    def names(self) -> list[str]:
        return list(self._bodies)

    def body(self, name: str) -> ModelGraph:
        try:
            return self._bodies[name]
        except KeyError:
            raise GraphEditError(f"no block named {name!r}") from None

    def add(self, body: ModelGraph, index: int | None = None) -> None:
        """Register `body` as the definition named after it (ModelGraph.define_block),
        at `index` in the definitions' order (last by default: undo puts a removed
        definition back in its place)."""
        if body.name in self._bodies:
            raise GraphEditError(f"a block named {body.name!r} is already defined")
        items = list(self._bodies.items())
        items.insert(len(items) if index is None else index, (body.name, body))
        self._put(items)

    def remove(self, name: str) -> int:
        """Drop the definition `name` (its uses are the caller's to have removed);
        returns its index in the definitions' order."""
        self.body(name)
        index = list(self._bodies).index(name)
        self._put([item for item in self._bodies.items() if item[0] != name])
        return index

    def renamed(self, old: str, body: ModelGraph) -> None:
        """Re-key the definition `old` under its body's new name, in its place (see
        ModelGraph.rename_block, which renames the body and the uses)."""
        self._put([(body.name, body) if k == old else (k, b) for k, b in self._bodies.items()])

    def restore(self, bodies: list[ModelGraph]) -> None:
        """Make `bodies`, in order, the definitions (undo returns the registry to a
        state it was in, with the same body objects)."""
        self._put([(body.name, body) for body in bodies])

    def bodies(self) -> list[ModelGraph]:
        """Every definition's body, in order."""
        return list(self._bodies.values())

    def _put(self, items: list[tuple[str, ModelGraph]]) -> None:
        self._bodies = dict(items)
        self.revision += 1
        for body in self._bodies.values():
            self._wire(body)
        self.changed.emit()

    def _wire(self, body: ModelGraph) -> None:
        """Pass `body`'s events on as `body_changed` with its current name, while it
        is one of the definitions."""
        if body in self._wired:
            return
        self._wired.add(body)

        def announce(*_: Any) -> None:
            if self._bodies.get(body.name) is body:
                self.body_changed.emit(body.name)

        for event in body.events.all():
            event.connect(announce)

    def spec(self, name: str) -> BlockSpec | None:
        """The spec of uses of block `name` at this revision, or None if no such block."""
        if self._spec_revision != self.revision:
            self._specs, self._spec_revision = {}, self.revision
        spec = self._specs.get(name)
        if spec is None and name in self._bodies:
            spec = self._specs[name] = BlockSpec(self._bodies[name])
        return spec

    def used_by(self, name: str) -> list[str]:
        """The blocks that block `name`'s body uses directly, in its layer order."""
        body = self._bodies[name]
        types = (layer.type for _, layer in body.layers())
        return list(dict.fromkeys(t for t in types if t in self._bodies))

    def chain(self, outer: str, inner: str) -> list[str] | None:
        """The blocks from `outer` down to a use of `outer` again if `outer`'s body used
        block `inner` (e.g. ['a', 'b', 'a']), or None when that makes no cycle. A walk
        with its own stack: a hostile file's chain of blocks is as long as it likes."""
        seen: set[str] = set()
        stack = [[outer, inner]]
        while stack:
            path = stack.pop()
            name = path[-1]
            if name == outer:
                return path
            if name in seen or name not in self._bodies:
                continue
            seen.add(name)
            stack.extend([*path, used] for used in reversed(self.used_by(name)))
        return None

    def check_use(self, outer: str, inner: str) -> None:
        """Raise BlockCycleError naming the chain if `outer`'s body may not use `inner`:
        the use would make a block contain itself, or nest blocks deeper than
        MAX_NESTING levels."""
        chain = self.chain(outer, inner)
        if chain is not None:
            raise BlockCycleError(f"block '{outer}' cannot contain itself: {' -> '.join(chain)}")
        depth = self._levels_above(outer) + self._levels_below(inner)
        if depth > MAX_NESTING:
            raise BlockCycleError(
                f"block '{outer}' cannot use block '{inner}': blocks would nest {depth} "
                f"levels deep, more than the {MAX_NESTING} allowed"
            )

    def _levels_below(self, name: str) -> int:
        """How many levels of blocks a use of `name` holds, itself included (no cycles)."""
        levels: dict[str, int] = {}
        stack = [name]
        while stack:
            top = stack[-1]
            pending = [u for u in self.used_by(top) if u not in levels]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            levels[top] = 1 + max((levels[u] for u in self.used_by(top)), default=0)
        return levels[name]

    def _levels_above(self, name: str) -> int:
        """The longest chain of blocks whose bodies lead down to a use of `name`, `name`
        itself included."""
        users: dict[str, list[str]] = {}
        for outer in self._bodies:
            for used in self.used_by(outer):
                users.setdefault(used, []).append(outer)
        levels = {name: 1}
        frontier = [name]
        while frontier:  # no cycles: every chain ends; MAX_NESTING bounds them
            nxt = []
            for block in frontier:
                for outer in users.get(block, ()):
                    if levels.get(outer, 0) < levels[block] + 1:
                        levels[outer] = levels[block] + 1
                        nxt.append(outer)
            frontier = nxt
        return max(levels.values())


def block_param(name: str, kind: str, default: Any) -> Param:
    """A block parameter of the kind named `kind` (see PARAM_KINDS); its default is
    checked against the kind. Raises GraphEditError naming the parameter."""
    known = PARAM_KINDS.get(kind)
    if known is None:
        raise GraphEditError(
            f"block parameter {name!r}: unknown kind {kind!r}. Expected one of: "
            + ", ".join(PARAM_KINDS)
        )
    reason = known.problem(default)
    if reason is not None:
        raise GraphEditError(f"block parameter {name!r}: default {reason}. Received: {default!r}")
    return Param(name, known, default)


def wired_outputs(wiring: Mapping[str, Mapping[str, Mapping]], ports: Ports) -> tuple | None:
    """Which output of its source each input takes, in port order, from a node's
    wiring (source -> port -> edge data); None when every input takes a first output
    (every edge to a layer's single output, the common case)."""
    if not any(data for keys in wiring.values() for data in keys.values()):
        return None
    by_port = sorted(
        (ports.index(port), data.get("output", 0))
        for keys in wiring.values()
        for port, data in keys.items()
        if ports.index(port) is not None
    )
    return tuple(output for _, output in by_port)


def use_counts(top: ModelGraph) -> dict[str, int]:
    """How many uses (call sites) each block has in the file of `top`: in the top
    graph and in every body (a use inside a body counts once, however often that
    body is used), by block name; blocks never used are left out."""
    blocks = top.blocks
    counts: dict[str, int] = {}
    for g in (top, *(blocks.body(name) for name in blocks.names())):
        for layer_id, layer in g.layers():
            if layer.type in blocks:
                counts[layer.type] = counts.get(layer.type, 0) + len(g.layer_sites(layer_id))
    return counts
