"""Blocks in ModelGraph: definitions, uses as nodes, several outputs, parameters, and
the refusal of a block inside itself."""

from __future__ import annotations

import pytest

from graph import GraphEditError, ModelGraph, ParamError, PortError
from graph.blocks import MAX_NESTING, BlockCycleError, BlockSpec, block_param, use_counts
from tests.blocks_graphs import define_encoder, define_outer, siamese


def test_a_use_has_the_blocks_inputs_as_ports_and_its_outputs():
    g, ids = siamese()
    spec = g.spec(ids["enc"])
    assert isinstance(spec, BlockSpec)
    assert spec.ports.names == ("x",)
    assert g.output_count(ids["enc"]) == 2
    assert g.output_count(ids["a"]) == 1
    assert [p.name for p in spec.params] == ["units"]
    # one definition, stored once, shared by the top graph and the bodies
    assert g.blocks.names() == ["encoder"]
    assert g.blocks.body("encoder").blocks is g.blocks


def test_edges_name_the_output_they_take_and_old_apis_keep_working():
    g, ids = siamese()
    assert g.edge_output(ids["enc_again"], ids["cat"], "input_1") == 1
    assert g.edge_output(ids["enc"], ids["cat"], "input_0") == 0
    assert (ids["enc_again"], ids["cat"], "input_1") in g.edges()
    assert [c.output for c in g.connections() if c.dst == ids["cat"]] == [0, 1, 0]
    assert g.source_outputs(ids["cat"]) == (0, 1, 0)
    assert g.source_outputs(ids["enc"]) is None


def test_an_output_the_source_lacks_is_refused():
    g, ids = siamese()
    dense = g.add_node("Dense", params={"units": 2})
    with pytest.raises(PortError, match=r"encoder 'enc' has no output 2. Expected: 0 to 1"):
        g.connect(ids["enc"], dense, "input", output=2)
    with pytest.raises(PortError, match="has no output 1"):
        g.connect(ids["a"], dense, "input", output=1)


def test_call_again_shares_the_uses_layer():
    g, ids = siamese()
    assert g.call_sites(ids["enc"]) == [ids["enc"], ids["enc_again"]]
    assert g.node(ids["enc_c"]).layer_id != g.node(ids["enc"]).layer_id


def test_param_references_must_name_a_declared_parameter():
    g = ModelGraph()
    body = define_encoder(g)
    with pytest.raises(ParamError, match="refers to parameter 'filters', which block 'encoder'"):
        body.add_node("Dense", params={"units": {"$param": "filters"}})
    with pytest.raises(ParamError, match="which the model does not declare"):
        g.add_node("Dense", params={"units": {"$param": "units"}})
    with pytest.raises(ParamError, match="units must be an integer"):
        g.add_node("encoder", params={"units": "many"})


def test_a_block_cannot_contain_itself_directly_or_not():
    g = ModelGraph()
    a = g.define_block("a")
    b = g.define_block("b")
    c = g.define_block("c")
    with pytest.raises(BlockCycleError, match=r"block 'a' cannot contain itself: a -> a"):
        a.add_node("a")
    b.add_node("a")
    c.add_node("b")
    with pytest.raises(BlockCycleError, match=r"block 'a' cannot contain itself: a -> c -> b -> a"):
        a.add_node("c")
    assert issubclass(BlockCycleError, GraphEditError)


def test_blocks_nest_at_most_max_nesting_levels_deep_however_the_chain_is_joined():
    """Two chains of blocks, each within the limit, joined into one that is not: the
    use that joins them is refused, naming both blocks and the depth."""
    g = ModelGraph()
    names = [f"b{i}" for i in range(MAX_NESTING + 1)]
    bodies = {name: g.define_block(name) for name in names}
    half = len(names) // 2
    for outer, inner in zip(names, names[1:], strict=False):
        if outer != names[half - 1]:  # leave the middle link out
            bodies[outer].add_node(inner)
    joining = f"block '{names[half - 1]}' cannot use block '{names[half]}'"
    with pytest.raises(BlockCycleError, match=rf"{joining}: blocks would nest 33 levels deep"):
        bodies[names[half - 1]].add_node(names[half])
    bodies[names[-2]].remove_node(bodies[names[-2]].node_ids()[0])  # one level less
    bodies[names[half - 1]].add_node(names[half])  # now exactly MAX_NESTING deep
    assert g.blocks.chain(names[0], names[1]) is None


def test_block_names_and_parameters_are_checked():
    g = ModelGraph()
    with pytest.raises(GraphEditError, match="'Dense' is a layer type"):
        g.define_block("Dense")
    g.define_block("enc")
    with pytest.raises(GraphEditError, match="already defined"):
        g.define_block("enc")
    with pytest.raises(GraphEditError, match="unknown kind 'text'"):
        block_param("n", "text", "x")
    with pytest.raises(GraphEditError, match="block parameter 'n': default must be an integer"):
        block_param("n", "int", 1.5)


def test_editing_a_body_changes_its_uses_spec():
    g, ids = siamese()
    before = g.spec(ids["enc"])
    assert g.spec(ids["enc_c"]) is before  # one spec per definition and revision
    body = g.blocks.body("encoder")
    body.set_param(body.node_ids()[2], "units", 5)
    after = g.spec(ids["enc"])
    assert after is not before and after.output_count == 2


def test_a_body_edit_is_announced_by_the_top_graph_after_it_happened():
    g, ids = siamese()
    body = g.blocks.body("encoder")
    heard = []
    g.events.block_changed.connect(lambda name: heard.append((name, len(body))))
    extra = body.add_node("Dropout", params={"rate": 0.1})
    body.set_param(extra, "rate", 0.2)
    body.move(extra, (5.0, 5.0))
    body.remove_node(extra)
    # one announcement per body event, each after the change (the node count tells)
    assert heard == [("encoder", 4), ("encoder", 4), ("encoder", 4), ("encoder", 3)]


def test_nested_bodies_announce_through_the_top_graph_only():
    g = ModelGraph()
    define_encoder(g)
    outer, _ = define_outer(g)
    top, inner = [], []
    g.events.block_changed.connect(top.append)
    outer.events.block_changed.connect(inner.append)
    g.blocks.body("encoder").add_node("Dropout")
    outer.add_node("Dropout")
    assert top == ["encoder", "outer"]
    assert inner == []  # a body is no owner of the registry


def test_a_loaded_file_announces_nothing_while_it_loads():
    from graph import dumps, loads

    g, _ = siamese()
    heard = []
    loaded = loads(dumps(g))
    loaded.events.block_changed.connect(heard.append)
    assert heard == []
    loaded.blocks.body("encoder").add_node("Dropout")
    assert heard == ["encoder"]


def test_use_counts_count_call_sites_in_the_top_graph_and_in_bodies():
    g, ids = siamese()
    assert use_counts(g) == {"encoder": 3}  # enc, its second call, enc_c
    define_outer(g)
    assert use_counts(g) == {"encoder": 4}
    g.remove_node(ids["enc_c"])
    assert use_counts(g) == {"encoder": 3}


def test_a_renamed_or_restored_body_is_announced_once_under_its_current_name():
    g = ModelGraph()
    define_encoder(g)
    heard = []
    g.events.block_changed.connect(heard.append)
    body = g.blocks.body("encoder")
    g.rename_block("encoder", "embedder")
    heard.clear()
    body.add_node("Dropout")
    assert heard == ["embedder"]
    bodies = g.blocks.bodies()
    g.blocks.remove("embedder")
    heard.clear()
    body.add_node("Dropout")
    assert heard == []  # a removed definition's edits are nobody's
    g.blocks.restore(bodies)  # undo puts the same body back
    body.add_node("Dropout")
    assert heard == ["embedder"]  # once: the body is not wired twice
