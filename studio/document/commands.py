"""Undo commands: every user edit of the graph, as one QUndoCommand.

Commands change the graph only through `ModelGraph`; the scene and panels catch up
through the graph's events, so model and view never drift apart. Undo returns the
graph to exactly the state before the command (its saved text byte-identical, node
ids included), because later commands on the stack refer to node ids.

Refused edits: push commands with `push_checked(stack, command)`. It runs the
command's first `redo()` itself, so a refused edit raises the graph's typed error
(CycleError, PortError, ParamError, LayerNameError, ...) to the caller, the graph is
unchanged, and nothing lands on the stack. (QUndoStack.push cannot refuse: it calls
redo() from C++ and keeps the command whatever happens.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from graph.model import Layer, ModelGraph, Position
from graph.params import freeze


class GraphCommand(QUndoCommand):
    """A command on one graph; `push_checked` runs its first redo outside the stack.

    A command on a block's body (the studio shows one entered) says so in its text:
    the undo history then tells an edit of a definition from one of the model."""

    def __init__(self, g: ModelGraph, text: str) -> None:
        super().__init__(f"{text} in block '{g.name}'" if g.is_body else text)
        self.g = g
        self._done_by_push_checked = False

    def redo(self) -> None:
        if self._done_by_push_checked:
            self._done_by_push_checked = False
            return
        self.do()

    def do(self) -> None:
        """Make the change with graph methods; raise the graph's error to refuse it."""
        raise NotImplementedError


def push_checked(stack: QUndoStack, command: GraphCommand) -> None:
    """Do `command`, then put it on `stack`; a refused edit raises and is not pushed."""
    command.do()
    command._done_by_push_checked = True
    stack.push(command)


def _quoted(g: ModelGraph, node_id: str) -> str:
    return f"'{g.layer(node_id).name}'"


def _nodes_text(g: ModelGraph, node_ids: Sequence[str]) -> str:
    """'dense' for one node, '3 nodes' for several."""
    return _quoted(g, node_ids[0]) if len(node_ids) == 1 else f"{len(node_ids)} nodes"


# --------------------------------------------------------------------- nodes


class AddNode(GraphCommand):
    """Add a layer with one call site; redo after undo recreates the same id and name."""

    def __init__(
        self,
        g: ModelGraph,
        layer_type: str,
        params: Mapping[str, Any] | None = None,
        pos: Position = (0.0, 0.0),
        name: str | None = None,
    ) -> None:
        super().__init__(g, f"Add {layer_type}")
        self._type = layer_type
        self._params = params
        self._pos = pos
        self._name = name
        self.node_id: str | None = None

    def do(self) -> None:
        self.node_id = self.g.add_node(
            self._type, name=self._name, params=self._params, pos=self._pos, node_id=self.node_id
        )
        layer = self.g.layer(self.node_id)
        self._name, self._params = layer.name, layer.params

    def undo(self) -> None:
        self.g.remove_node(self.node_id)


class CallAgain(GraphCommand):
    """Add another call site of a node's layer (shared weights)."""

    def __init__(self, g: ModelGraph, node_id: str, pos: Position | None = None) -> None:
        super().__init__(g, f"Call {_quoted(g, node_id)} again")
        self._of = node_id
        self._pos = pos
        self.node_id: str | None = None

    def do(self) -> None:
        new = self.g.call_again(self._of, self._pos)
        # The graph picks fresh ids from its node set alone, and undo restores that set
        # exactly, so every redo gets the id of the first.
        assert self.node_id in (None, new), (self.node_id, new)
        self.node_id = new
        self._pos = self.g.node(new).pos

    def undo(self) -> None:
        self.g.remove_node(self.node_id)


class RemoveNodes(GraphCommand):
    """Delete nodes (a selection) with their connections; undo restores them exactly.

    A removed call site of a layer that keeps other call sites comes back as a call
    site of that same layer. Undo restores the node order and each source's
    connection order, since both show in the saved file.
    """

    def __init__(self, g: ModelGraph, node_ids: Iterable[str]) -> None:
        node_ids = list(dict.fromkeys(node_ids))
        for node_id in node_ids:
            g.node(node_id)  # refuse unknown ids before anything changes
        super().__init__(g, f"Delete {_nodes_text(g, node_ids)}")
        self._removed = node_ids
        self._before: _Wiring | None = None

    def do(self) -> None:
        self._before = _Wiring(self.g, self._removed)
        for node_id in self._removed:
            self.g.remove_node(node_id)

    def undo(self) -> None:
        self._before.restore(self.g)


# --------------------------------------------------------------------- edges


class Connect(GraphCommand):
    """Connect a source's output (`output`: which one, for a block use) to an input port."""

    def __init__(self, g: ModelGraph, src: str, dst: str, port: str, output: int = 0) -> None:
        super().__init__(g, f"Connect {g.layer(src).name} -> {g.layer(dst).name}")
        self._edge = (src, dst, port)
        self._output = output

    def do(self) -> None:
        self.g.connect(*self._edge, output=self._output)

    def undo(self) -> None:
        self.g.disconnect(*self._edge)


class Disconnect(GraphCommand):
    """Remove one connection; undo puts it back in its place in the source's order."""

    def __init__(self, g: ModelGraph, src: str, dst: str, port: str) -> None:
        super().__init__(g, f"Disconnect {g.layer(src).name} -> {g.layer(dst).name}")
        self._edge = (src, dst, port)
        self._out_before = _out_connections(g, src)

    def do(self) -> None:
        self.g.disconnect(*self._edge)

    def undo(self) -> None:
        _restore_out(self.g, self._edge[0], self._out_before)


# ------------------------------------------------------------------- layers


class SetParams(GraphCommand):
    """Replace a layer's params; consecutive edits of the same param merge into one."""

    def __init__(self, g: ModelGraph, node_id: str, params: Mapping[str, Any]) -> None:
        self._old_layer = g.layer(node_id)
        old = self._old_layer.params
        new = freeze(dict(params))
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        what = changed[0] if len(changed) == 1 else "params"
        super().__init__(g, f"Edit {what} of {_quoted(g, node_id)}")
        self._node = node_id
        self._new = dict(params)
        self._changed = changed

    @classmethod
    def one(cls, g: ModelGraph, node_id: str, name: str, value: Any) -> SetParams:
        """The edit of one param, as an inspector's editor makes it."""
        return cls(g, node_id, {**g.layer(node_id).params, name: value})

    def id(self) -> int:
        return 1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not (
            isinstance(other, SetParams)
            and other._node == self._node
            and len(self._changed) == 1
            and other._changed == self._changed
        ):
            return False
        self._new = other._new
        self.setObsolete(self.g.layer(self._node) == self._old_layer)
        return True

    def do(self) -> None:
        self.g.set_params(self._node, self._new)

    def undo(self) -> None:
        _restore_layer(self.g, self._node, self._old_layer)


class Rename(GraphCommand):
    """Rename a node's layer (every call site shows the new name)."""

    def __init__(self, g: ModelGraph, node_id: str, name: str) -> None:
        self._old_layer = g.layer(node_id)
        super().__init__(g, f"Rename '{self._old_layer.name}' to '{name}'")
        self._node = node_id
        self._name = name

    def do(self) -> None:
        self.g.rename(self._node, self._name)

    def undo(self) -> None:
        _restore_layer(self.g, self._node, self._old_layer)


class SetTrainable(GraphCommand):
    """Freeze (False) or unfreeze a node's layer; every call site shares the flag."""

    def __init__(self, g: ModelGraph, node_id: str, trainable: bool) -> None:
        verb = "Unfreeze" if trainable else "Freeze"
        super().__init__(g, f"{verb} {_quoted(g, node_id)}")
        self._node = node_id
        self._trainable = trainable
        self._old = g.layer(node_id).trainable

    def do(self) -> None:
        self.g.set_trainable(self._node, self._trainable)

    def undo(self) -> None:
        self.g.set_trainable(self._node, self._old)


# ---------------------------------------------------------- placement, outputs


class MoveNodes(GraphCommand):
    """Move nodes: a drag of several nodes is one command, pushed at mouse release.

    `old` defaults to the graph's positions now; a view that moved the graph live
    during the drag passes the positions from before the drag.
    """

    def __init__(
        self,
        g: ModelGraph,
        new: Mapping[str, Position],
        old: Mapping[str, Position] | None = None,
    ) -> None:
        node_ids = list(new)
        super().__init__(g, f"Move {_nodes_text(g, node_ids)}")
        self._new = dict(new)
        self._old = {n: g.node(n).pos for n in node_ids} if old is None else dict(old)

    def do(self) -> None:
        self._move_to(self._new)

    def undo(self) -> None:
        self._move_to(self._old)

    def _move_to(self, positions: Mapping[str, Position]) -> None:
        for node_id, pos in positions.items():
            self.g.move(node_id, pos)


class SetOutput(GraphCommand):
    """Mark a node as a model output (appended), or unmark it."""

    def __init__(self, g: ModelGraph, node_id: str, is_output: bool = True) -> None:
        verb = "Mark" if is_output else "Unmark"
        super().__init__(g, f"{verb} {_quoted(g, node_id)} as output")
        self._node = node_id
        self._is_output = is_output
        self._old = g.outputs

    def do(self) -> None:
        self.g.set_output(self._node, self._is_output)

    def undo(self) -> None:
        self.g.set_outputs(self._old)


# ------------------------------------------------------------- exact restore


class _Wiring:
    """What undoing a removal needs: each removed node's place in the graph order, its
    layer, position and call sites; the connections, in order, of every node that
    loses one; and the outputs. Undo puts each node and connection back in its place.
    """

    def __init__(self, g: ModelGraph, removed: Iterable[str]) -> None:
        removed = set(removed)
        order = g.node_ids()
        self.nodes = [
            (index, n, g.layer(n), g.node(n).pos, g.call_sites(n))
            for index, n in enumerate(order)
            if n in removed
        ]
        sources = {src for n in removed for _, src in g.in_edges(n)} | removed
        self.out = {n: _out_connections(g, n) for n in order if n in sources}
        self.outputs = g.outputs

    def restore(self, g: ModelGraph) -> None:
        """Bring the removed nodes back into the graph that lacks just them."""
        for index, node_id, layer, pos, sites in self.nodes:  # first places first
            anchor = next((s for s in sites if s in g), None)
            _restore_call_site(g, node_id, layer, anchor, pos, index)
        for node_id, out in self.out.items():
            _restore_out(g, node_id, out)
        g.set_outputs(self.outputs)


def _out_connections(g: ModelGraph, src: str) -> list[tuple[str, str, int]]:
    """(destination, port, which output of `src`) of src's connections, in order."""
    return [(dst, port, g.edge_output(src, dst, port)) for dst, port in g.out_edges(src)]


def _restore_out(g: ModelGraph, src: str, wanted: list[tuple[str, str, int]]) -> None:
    """Give `src` back the connections of `wanted` (its connections once, in order,
    with the output each takes) that it lacks, each at its index there; the others
    are still in that order."""
    now = set(g.out_edges(src))
    for index, (dst, port, output) in enumerate(wanted):  # first indexes first
        if (dst, port) not in now:
            g.restore_edge(src, dst, port, output, index=index)


# Undo puts back a state the graph was in, which may hold what its checked edit methods
# refuse (a loaded file's bad param, cycle or duplicate name), and must re-create a call
# site of an existing layer under its old id: ModelGraph's restore methods do that (they
# still emit the graph's events).


def _restore_layer(g: ModelGraph, node_id: str, layer: Layer) -> None:
    if g.layer(node_id) != layer:
        g.replace_layer(node_id, layer)


def _restore_call_site(
    g: ModelGraph, node_id: str, layer: Layer, anchor: str | None, pos: Position, index: int
) -> None:
    """Re-add `node_id` at `index` as a call site of `anchor`'s layer, or of a new `layer`."""
    layer_id = g.restore_layer(layer) if anchor is None else g.node(anchor).layer_id
    g.restore_call_site(node_id, layer_id, pos, index)
