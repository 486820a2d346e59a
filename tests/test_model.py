"""ModelGraph edits: structural rules are enforced at edit time, and announced."""

import pytest

from graph import (
    CycleError,
    GraphEditError,
    Layer,
    LayerNameError,
    ModelGraph,
    ParamError,
    PortError,
    dumps,
    validate,
)
from graph.params import freeze
from tests.graphs import chain, residual, shared_dense


def test_add_node_names_like_keras_and_starts_with_initial_params():
    g = ModelGraph()
    a = g.add_node("Dense")
    b = g.add_node("Dense")
    c = g.add_node("Conv2D")
    assert [g.layer(n).name for n in (a, b, c)] == ["dense", "dense_1", "conv2d"]
    assert g.layer(a).params["units"] == 32


def test_names_must_be_valid_and_unique():
    g = ModelGraph()
    a = g.add_node("Dense", name="features")
    with pytest.raises(LayerNameError, match="already taken"):
        g.add_node("Dense", name="features")
    with pytest.raises(LayerNameError, match="must start with a letter"):
        g.rename(a, "bad/name")
    g.rename(a, "renamed")
    assert g.layer(a).name == "renamed"


def test_params_are_checked_against_the_spec():
    g = ModelGraph()
    a = g.add_node("Dense")
    with pytest.raises(ParamError, match=r"Dense 'dense': units must be an integer >= 1"):
        g.set_param(a, "units", 0)
    with pytest.raises(ParamError, match="has no parameter 'colour'"):
        g.set_param(a, "colour", "red")
    assert g.layer(a).params["units"] == 32
    g.set_param(a, "units", 5)
    assert g.layer(a).params["units"] == 5


def test_connect_refuses_cycles_and_names_the_cycle():
    g = ModelGraph()
    inp = g.add_node("Input", params={"shape": [4]})
    add = g.add_node("Add")
    dense = g.add_node("Dense", params={"units": 4})
    g.connect(inp, add, "input_0")
    g.connect(add, dense, "input")
    assert g.creates_cycle(dense, add)
    with pytest.raises(CycleError, match="add -> dense -> add"):
        g.connect(dense, add, "input_1")
    with pytest.raises(CycleError):
        g.connect(add, add, "input_1")
    assert g.edges() == [(inp, add, "input_0"), (add, dense, "input")]


def test_connect_refuses_taken_and_unknown_ports():
    g = chain(("Dense", {"units": 4}))
    inp, dense = g.node_ids()
    other = g.add_node("Input", params={"shape": [3]})
    with pytest.raises(PortError, match="already connected to 'input'"):
        g.connect(other, dense, "input")
    with pytest.raises(PortError, match="has no input port 'query'"):
        g.connect(other, dense, "query")


def test_one_source_may_feed_two_ports_of_one_node():
    g = ModelGraph()
    seq = g.add_node("Input", params={"shape": [10, 16]})
    mha = g.add_node("MultiHeadAttention", params={"num_heads": 2, "key_dim": 8})
    g.connect(seq, mha, "query")
    g.connect(seq, mha, "value")
    g.set_output(mha)
    report = validate(g)
    assert report.valid, report.problems
    assert report.nodes[mha].shape == (None, 10, 16)
    assert sorted(g.in_edges(mha)) == [("query", seq), ("value", seq)]


def test_remove_node_takes_its_edges_and_output_mark():
    g = chain(("Dense", {"units": 4}), ("Dense", {"units": 2}))
    inp, hidden, out = g.node_ids()
    g.remove_node(out)
    assert g.outputs == []
    assert g.out_edges(hidden) == []
    assert out not in g


def test_shared_layer_call_sites_share_params_and_name():
    g, (a, b, dense, again) = shared_dense()
    g.set_param(again, "units", 6)
    assert g.layer(dense) is g.layer(again)
    assert g.layer(dense).params["units"] == 6
    assert g.call_sites(dense) == [dense, again]
    assert g.label(again) == "Dense 'dense' (call 2)"
    g.remove_node(dense)
    assert g.layer(again).name == "dense"
    with pytest.raises(GraphEditError, match="Input cannot be called again"):
        g.call_again(a)


def test_events_announce_changes_once_and_only_real_ones():
    g = ModelGraph()
    seen = []
    for event in g.events.all():
        event.connect(lambda *args, name=event.name: seen.append((name, *args)))
    a = g.add_node("Input", params={"shape": [3]})
    b = g.add_node("Dense")
    g.connect(a, b, "input")
    g.set_param(b, "units", 32)  # unchanged: no event
    g.set_param(b, "units", 7)
    g.move(b, (10, 20))
    g.move(b, (10, 20))  # unchanged: no event
    g.set_output(b)
    with g.events.blocked():
        g.rename(b, "silent")
    g.remove_node(a)
    assert seen == [
        ("node_added", a),
        ("node_added", b),
        ("edge_added", a, b, "input"),
        ("layer_changed", (b,)),
        ("node_moved", b),
        ("outputs_changed",),
        ("edge_removed", a, b, "input"),
        ("node_removed", a),
    ]


def test_restores_put_back_what_checked_edits_refuse_and_announce_it():
    """Undo and loaders restore states with a bad param, a duplicate name, a cycle."""
    g = ModelGraph()
    seen = []
    for event in g.events.all():
        event.connect(lambda *args, name=event.name: seen.append((name, *args)))
    a = g.add_node("Dense", name="same")
    layer = g.restore_layer(Layer("Dense", "same", freeze({"units": -1})))
    b = g.restore_call_site("b", layer, (5, 6))
    g.restore_edge(a, b, "input")
    g.restore_edge(b, a, "input")  # a cycle, as a loaded file may hold
    g.replace_layer(a, Layer("Dense", "other", freeze({"units": 0})))
    assert g.node_ids() == [a, "b"] and g.node("b").pos == (5.0, 6.0)
    assert g.edges() == [(a, "b", "input"), ("b", a, "input")]
    assert g.layer(a).params == {"units": 0} and g.names() == {"same", "other"}
    assert seen == [
        ("node_added", a),
        ("node_added", "b"),
        ("edge_added", a, "b", "input"),
        ("edge_added", "b", a, "input"),
        ("layer_changed", (a,)),
    ]
    assert {p.code for p in validate(g).problems} >= {"bad-param", "cycle"}


def test_restores_refuse_what_would_corrupt_the_graph():
    g = ModelGraph()
    a = g.add_node("Dense")
    layer = g.node(a).layer_id
    with pytest.raises(GraphEditError, match="node id 'n1' is already in the graph"):
        g.restore_call_site(a, layer, (0, 0))
    with pytest.raises(GraphEditError, match="no layer with id 99"):
        g.restore_call_site("new", 99, (0, 0))
    with pytest.raises(GraphEditError, match="no node with id 'ghost'"):
        g.restore_edge("ghost", a, "input")
    b = g.call_again(a)
    g.restore_edge(a, b, "input")
    with pytest.raises(GraphEditError, match="already connected"):
        g.restore_edge(a, b, "input")
    assert g.edges() == [(a, b, "input")] and g.node_ids() == [a, b]


def test_names_with_dots_are_refused_as_torch_refuses_them_in_weight_names():
    g = ModelGraph()
    with pytest.raises(LayerNameError, match="only letters, digits, '_' and '-'"):
        g.add_node("Dense", name="block1.dense")


def test_a_call_site_and_a_connection_are_restored_at_an_index():
    """Undo's way back: a removed node goes back to its place in the graph order (which
    edges() and files follow), each removed connection to its place among its source's
    connections."""
    g = residual(2)
    text, order = dumps(g), g.node_ids()
    dense = order[1]
    layer, pos, into = g.layer(dense), g.node(dense).pos, g.in_edges(dense)
    out = {n: g.out_edges(n) for n in [dense, *(src for _, src in into)]}
    g.remove_node(dense)
    g.restore_call_site(dense, g.restore_layer(layer), pos, index=1)
    for src, wanted in out.items():
        for index, (dst, port) in enumerate(wanted):
            if (dst, port) not in g.out_edges(src):
                g.restore_edge(src, dst, port, index=index)
    assert g.node_ids() == order
    assert dumps(g) == text


def test_a_shared_call_site_restored_first_is_call_1_again():
    g, (_, _, dense, again) = shared_dense()
    node = g.node(dense)
    g.remove_node(dense)
    assert g.label(again).endswith("'dense'")
    g.restore_call_site(dense, node.layer_id, node.pos, index=2)
    assert g.node_ids().index(dense) == 2 and g.call_sites(again) == [dense, again]
    assert g.label(again).endswith("(call 2)")


def test_restoring_at_an_index_refuses_one_out_of_range_or_parting_a_destination():
    g = ModelGraph()
    a, b, c = (g.add_node("Dense") for _ in range(3))
    layer = g.restore_layer(Layer("Dense", "x", freeze({"units": 1})))
    with pytest.raises(GraphEditError, match="node index 4 is outside 0..3"):
        g.restore_call_site("x", layer, (0, 0), index=4)
    g.restore_edge(a, b, "input")
    with pytest.raises(GraphEditError, match="connection index 2 is outside 0..1"):
        g.restore_edge(a, c, "input", index=2)
    g.restore_edge(a, c, "input", index=0)
    assert g.out_edges(a) == [(c, "input"), (b, "input")]
    assert g.edges() == [(a, c, "input"), (a, b, "input")]
    g.restore_edge(a, c, "other")  # connections to c: together, at 0 and 1
    with pytest.raises(GraphEditError, match="1 would part the connections of 'n1'"):
        g.restore_edge(a, b, "other", index=1)
    assert g.out_edges(a) == [(c, "input"), (c, "other"), (b, "input")]
