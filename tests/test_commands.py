"""The studio's undo commands: do, undo and redo leave the saved file byte-identical."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QUndoStack

from graph import ModelGraph
from graph.errors import CycleError, GraphEditError, LayerNameError, ParamError, PortError
from graph.fileformat import dumps, loads
from studio.document.commands import (
    AddNode,
    CallAgain,
    Connect,
    Disconnect,
    GraphCommand,
    MoveNodes,
    RemoveNodes,
    Rename,
    SetOutput,
    SetParams,
    SetTrainable,
    push_checked,
)
from tests.blocks_graphs import siamese
from tests.graphs import residual, shared_dense


@pytest.fixture
def stack(qtbot) -> QUndoStack:
    return QUndoStack()


class Mirror:
    """What a scene knows of the graph, kept only from the graph's events."""

    def __init__(self, g: ModelGraph) -> None:
        self.nodes = set(g.node_ids())
        self.edges = set(g.edges())
        g.events.node_added.connect(self.nodes.add)
        g.events.node_removed.connect(self.nodes.remove)
        g.events.edge_added.connect(lambda *e: self.edges.add(e))
        g.events.edge_removed.connect(lambda *e: self.edges.remove(e))

    def matches(self, g: ModelGraph) -> bool:
        return self.nodes == set(g.node_ids()) and self.edges == set(g.edges())


def round_trip(stack: QUndoStack, g: ModelGraph, command: GraphCommand) -> tuple[str, str]:
    """Push, undo, redo, undo, redo; assert the file text at each step."""
    before = dumps(g)
    push_checked(stack, command)
    after = dumps(g)
    assert after != before
    for _ in range(2):
        stack.undo()
        assert dumps(g) == before
        stack.redo()
        assert dumps(g) == after
    return before, after


def test_add_node_redo_recreates_the_same_id_and_name(stack):
    g = residual(1)
    command = AddNode(g, "Dense", {"units": 3}, pos=(10.0, 20.0))
    round_trip(stack, g, command)
    assert command.text() == "Add Dense"
    assert command.node_id == "n4" and g.layer("n4").name == "dense_1"
    assert g.node(command.node_id).pos == (10.0, 20.0)
    assert g.layer(command.node_id).params["units"] == 3


def test_add_node_with_a_name(stack):
    g = ModelGraph()
    command = AddNode(g, "Input", {"shape": [4]}, name="pixels")
    round_trip(stack, g, command)
    assert g.layer(command.node_id).name == "pixels"


def test_remove_a_middle_node_restores_order_edges_and_outputs(stack):
    g = residual(2)
    dense = g.node_ids()[1]
    command = RemoveNodes(g, [dense])
    round_trip(stack, g, command)
    assert command.text() == "Delete 'dense'"
    assert dense not in g


def test_remove_a_selection(stack):
    g = residual(3)
    selection = g.node_ids()[2:6]
    command = RemoveNodes(g, selection)
    round_trip(stack, g, command)
    assert command.text() == "Delete 4 nodes"


def test_remove_first_call_site_keeps_the_layer_and_undo_shares_it_again(stack):
    g, (_, _, dense, again) = shared_dense()
    push_checked(stack, RemoveNodes(g, [dense]))
    assert g.call_sites(again) == [again]
    assert g.layer(again).name == "dense"
    stack.undo()
    assert g.call_sites(dense) == [dense, again]
    assert g.outputs == [dense, again]


def test_remove_second_call_site_then_edit_the_layer(stack):
    g, (_, _, dense, again) = shared_dense()
    round_trip(stack, g, RemoveNodes(g, [again]))
    push_checked(stack, SetParams.one(g, dense, "units", 9))
    stack.undo()
    stack.undo()
    assert g.call_sites(again) == [dense, again]
    stack.redo()
    stack.redo()
    assert g.layer(dense).params["units"] == 9 and again not in g


def test_remove_every_call_site_of_a_shared_layer(stack):
    g, (_, _, dense, again) = shared_dense()
    round_trip(stack, g, RemoveNodes(g, [again, dense]))


def test_remove_refuses_an_unknown_node(stack):
    g = residual(1)
    with pytest.raises(GraphEditError):
        RemoveNodes(g, ["nope"])


def test_connect_and_disconnect(stack):
    g = ModelGraph()
    a = g.add_node("Input", params={"shape": [4]})
    b = g.add_node("Input", params={"shape": [4]})
    add = g.add_node("Add")
    dense = g.add_node("Dense", params={"units": 2})
    connect = Connect(g, a, add, "input_0")
    round_trip(stack, g, connect)
    assert connect.text() == "Connect input -> add"
    push_checked(stack, Connect(g, a, dense, "input"))
    push_checked(stack, Connect(g, b, add, "input_1"))
    # Disconnecting a's first connection: undo puts it back before a -> dense.
    disconnect = Disconnect(g, a, add, "input_0")
    round_trip(stack, g, disconnect)
    assert disconnect.text() == "Disconnect input -> add"


def test_disconnect_one_of_two_ports_fed_by_the_same_source(stack):
    g = ModelGraph()
    seq = g.add_node("Input", params={"shape": [5, 8]})
    mha = g.add_node("MultiHeadAttention", params={"num_heads": 2, "key_dim": 4})
    g.connect(seq, mha, "query")
    g.connect(seq, mha, "value")
    round_trip(stack, g, Disconnect(g, seq, mha, "query"))


@pytest.mark.parametrize(
    ("edge", "error"),
    [((1, 0, "input"), CycleError), ((0, 1, "input"), PortError), ((1, 0, "nope"), PortError)],
)
def test_refused_connections_raise_and_leave_nothing_on_the_stack(stack, edge, error):
    g = ModelGraph()
    nodes = [g.add_node("Dense", params={"units": 2}) for _ in range(2)]
    g.connect(nodes[0], nodes[1], "input")
    before = dumps(g)
    with pytest.raises(error):
        push_checked(stack, Connect(g, nodes[edge[0]], nodes[edge[1]], edge[2]))
    assert stack.count() == 0
    assert dumps(g) == before


def test_set_params_and_refusal(stack):
    g = residual(1)
    dense = g.node_ids()[1]
    command = SetParams.one(g, dense, "units", 32)
    round_trip(stack, g, command)
    assert command.text() == "Edit units of 'dense'"
    with pytest.raises(ParamError):
        push_checked(stack, SetParams.one(g, dense, "units", -1))
    assert stack.count() == 1
    both = SetParams(g, dense, {**g.layer(dense).params, "units": 5, "use_bias": False})
    assert both.text() == "Edit params of 'dense'"


def test_consecutive_edits_of_one_param_merge(stack):
    g = residual(1)
    dense = g.node_ids()[1]
    before = dumps(g)
    for units in (17, 18, 19):
        push_checked(stack, SetParams.one(g, dense, "units", units))
    assert stack.count() == 1
    push_checked(stack, SetParams.one(g, dense, "activation", "tanh"))
    assert stack.count() == 2
    stack.undo()
    assert g.layer(dense).params["units"] == 19
    stack.undo()
    assert dumps(g) == before


def test_an_edit_merged_back_to_the_start_leaves_the_stack(stack):
    g = residual(1)
    dense = g.node_ids()[1]
    units = g.layer(dense).params["units"]
    push_checked(stack, SetParams.one(g, dense, "units", units + 1))
    push_checked(stack, SetParams.one(g, dense, "units", units))
    assert stack.count() == 0


def test_editing_a_shared_layer_shows_on_every_call_site(stack):
    g, (_, _, dense, again) = shared_dense()
    round_trip(stack, g, SetParams.one(g, again, "units", 7))
    assert g.layer(dense).params["units"] == 7


def test_rename_and_refusal(stack):
    g = residual(1)
    dense, add = g.node_ids()[1:3]
    command = Rename(g, dense, "hidden")
    round_trip(stack, g, command)
    assert command.text() == "Rename 'dense' to 'hidden'"
    with pytest.raises(LayerNameError):
        push_checked(stack, Rename(g, add, "hidden"))
    assert stack.count() == 1


def test_move_several_nodes_is_one_step(stack):
    g = residual(2)
    nodes = g.node_ids()[:3]
    command = MoveNodes(g, {n: (100.0 * i, 5.0) for i, n in enumerate(nodes, 1)})
    round_trip(stack, g, command)
    assert command.text() == "Move 3 nodes"
    assert stack.count() == 1


def test_move_with_positions_from_before_a_live_drag(stack):
    g = residual(1)
    dense = g.node_ids()[1]
    start = g.node(dense).pos
    before = dumps(g)
    g.move(dense, (50.0, 60.0))  # the view moved it during the drag
    push_checked(stack, MoveNodes(g, {dense: (50.0, 60.0)}, old={dense: start}))
    stack.undo()
    assert dumps(g) == before


def test_set_output(stack):
    g, (_, b, dense, again) = shared_dense()
    unmark = SetOutput(g, dense, False)
    round_trip(stack, g, unmark)
    assert unmark.text() == "Unmark 'dense' as output"
    round_trip(stack, g, SetOutput(g, dense))
    assert g.outputs == [again, dense]


def test_set_trainable_freezes_every_call_site_and_undoes_byte_for_byte(stack):
    g, (_, _, dense, again) = shared_dense()
    freeze = SetTrainable(g, again, False)
    round_trip(stack, g, freeze)
    assert freeze.text() == "Freeze 'dense'"
    assert not g.layer(dense).trainable and g.layer(again) is g.layer(dense)
    thaw = SetTrainable(g, dense, True)
    round_trip(stack, g, thaw)
    assert thaw.text() == "Unfreeze 'dense'" and g.layer(again).trainable


def test_call_again(stack):
    g = residual(1)
    dense = g.node_ids()[1]
    command = CallAgain(g, dense, pos=(0.0, 300.0))
    round_trip(stack, g, command)
    assert command.text() == "Call 'dense' again"
    assert g.call_sites(dense) == [dense, command.node_id]
    with pytest.raises(GraphEditError):
        push_checked(stack, CallAgain(g, g.inputs[0]))
    assert stack.count() == 1


def test_undo_restores_what_a_loaded_file_holds_though_edits_would_refuse_it(stack):
    """A broken file loads; fixing it and undoing gives the broken file back."""
    g = residual(1)
    dense, add = g.node_ids()[1:3]
    text = dumps(g).replace('"units": 16', '"units": -3')
    text = text.replace(
        '"edges": [\n', '"edges": [\n    {"from": "n3", "to": "n2", "port": "x"},\n'
    )
    text = dumps(loads(text))
    broken = loads(text)
    push_checked(stack, SetParams.one(broken, dense, "units", 4))
    push_checked(stack, Disconnect(broken, add, dense, "x"))
    push_checked(stack, RemoveNodes(broken, [dense]))
    stack.undo()
    stack.undo()
    stack.undo()
    assert dumps(broken) == text


# ------------------------------------------------------- random edit sequences

_NAMES = ["a", "b", "dense", "add"]
_KINDS = ["add", "add", "connect", "connect", "disconnect", "remove"]
_KINDS += ["params", "rename", "move", "output", "again", "trainable"]


def random_edit(g: ModelGraph, rng: random.Random) -> GraphCommand:
    """One random command, often one the graph refuses."""
    nodes = g.node_ids()
    kind = rng.choice(_KINDS) if nodes else "add"
    pick = rng.choice
    if kind == "add":
        layer_type = pick(["Dense", "Add", "Input", "Dropout"])
        return AddNode(g, layer_type, pos=(rng.uniform(0, 500), rng.uniform(0, 500)))
    if kind == "connect":
        return Connect(g, pick(nodes), pick(nodes), pick(["input", "input_0", "input_1"]))
    if kind == "disconnect" and g.edges():
        return Disconnect(g, *pick(g.edges()))
    if kind == "remove":
        return RemoveNodes(g, rng.sample(nodes, rng.randint(1, min(3, len(nodes)))))
    node = pick(nodes)
    layer = g.layer(node)
    if kind == "params" and layer.type in ("Dense", "Dropout"):
        name, value = ("units", rng.randint(-1, 9)) if layer.type == "Dense" else ("rate", 0.7)
        return SetParams.one(g, node, name, value)
    if kind == "rename":
        return Rename(g, node, pick(_NAMES))
    if kind == "output":
        return SetOutput(g, node, node not in g.outputs)
    if kind == "again":
        return CallAgain(g, node)
    if kind == "trainable":
        return SetTrainable(g, node, not layer.trainable)
    moved = rng.sample(nodes, rng.randint(1, len(nodes)))
    return MoveNodes(g, {n: (rng.uniform(0, 500), rng.uniform(0, 500)) for n in moved})


def run_sequence(stack: QUndoStack, g: ModelGraph, rng: random.Random, edits: int) -> None:
    """Push random edits, sometimes undoing a few on the way; then undo all, redo all.

    Refused edits must leave graph and stack as they were, and the events must keep
    a scene's picture of the graph right all along.
    """
    mirror = Mirror(g)
    start = end = dumps(g)
    for _ in range(edits):
        before, count = dumps(g), stack.count()
        try:
            push_checked(stack, random_edit(g, rng))
        except GraphEditError:
            assert (dumps(g), stack.count()) == (before, count)
        else:
            end = dumps(g)  # the state with every command on the stack done
        if rng.random() < 0.1:
            for _ in range(rng.randint(1, 3)):
                stack.undo()
        assert mirror.matches(g)
    stack.setIndex(0)
    assert dumps(g) == start
    assert mirror.matches(g)
    stack.setIndex(stack.count())
    assert dumps(g) == end
    assert mirror.matches(g)


def test_two_hundred_random_edits_undo_to_the_start_and_redo_to_the_end(stack):
    g, _ = shared_dense()
    run_sequence(stack, g, random.Random(8), 200)
    assert stack.count() > 50


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_edit_sequences(stack, seed):
    stack.clear()
    g = residual(2)
    run_sequence(stack, g, random.Random(seed), 60)


def test_undoing_a_delete_puts_back_only_what_it_removed_in_its_place(stack):
    """Node order and every source's connection order come back as they were, and the
    nodes after the first removed one are left alone (no removal and re-adding)."""
    g = residual(3)
    order, edges = g.node_ids(), g.edges()
    removed = [order[1], order[4]]
    push_checked(stack, RemoveNodes(g, removed))
    seen = []
    for event in (g.events.node_added, g.events.node_removed):
        event.connect(lambda node_id, name=event.name: seen.append((name, node_id)))
    stack.undo()
    assert g.node_ids() == order and g.edges() == edges
    assert seen == [("node_added", removed[0]), ("node_added", removed[1])]


def test_undoing_a_disconnect_puts_the_connection_back_in_its_place(stack):
    g = residual(2)
    source = g.node_ids()[0]
    edges = g.edges()
    first = g.out_edges(source)[0]
    push_checked(stack, Disconnect(g, source, *first))
    seen = []
    g.events.edge_removed.connect(lambda *edge: seen.append(edge))
    stack.undo()
    assert g.edges() == edges and seen == []


def test_undo_gives_a_connection_back_the_output_of_the_use_it_took(stack):
    g, ids = siamese()
    # the Concatenate takes output 1 of enc's second call: removing it and undoing,
    # or disconnecting that edge and undoing, must put back output 1, not output 0
    for command in (
        RemoveNodes(g, [ids["cat"]]),
        RemoveNodes(g, [ids["enc_again"]]),
        Disconnect(g, ids["enc_again"], ids["cat"], "input_1"),
    ):
        round_trip(stack, g, command)
        stack.undo()
    assert g.edge_output(ids["enc_again"], ids["cat"], "input_1") == 1


def test_connect_takes_the_output_it_names(stack):
    g, ids = siamese()
    dense = g.add_node("Dense", params={"units": 2})
    round_trip(stack, g, Connect(g, ids["enc_c"], dense, "input", output=1))
    assert g.edge_output(ids["enc_c"], dense, "input") == 1
