"""Group into block, Ungroup, Make unique, Repeat, rename and remove a definition:
graph operations, checked for validity and exact undo by snapshot (graph.snapshot)."""

from __future__ import annotations

import pytest

from graph import GraphEditError, ModelGraph, validate
from graph.block_edit import group_into_block, make_unique, remove_block, repeat, ungroup
from graph.fileformat import dumps, loads
from graph.report import Report
from graph.snapshot import Snapshot
from tests.blocks_graphs import siamese
from tests.graphs import residual, wire


def _valid_as_before(g: ModelGraph, before: Report, output: str) -> None:
    """`g` is valid with the params and output shape it had (`before`)."""
    report = validate(g)
    assert report.valid, report.problems
    assert report.total_params == before.total_params
    assert report.nodes[output].shape == before.nodes[output].shape


def _residual_ids(g: ModelGraph) -> list[str]:
    return g.node_ids()  # input, dense, add, dense_1, add_1, ...


def test_grouping_a_residual_block_makes_a_definition_and_one_use():
    g = residual(2)
    before = validate(g)
    _, dense, add, *_ = _residual_ids(g)
    use = group_into_block(g, [dense, add], "res")
    body = g.blocks.body("res")
    assert [body.layer(n).name for n in body.node_ids()] == ["x", "dense", "add"]
    assert g.layer(use).type == "res" and g.node_ids().index(use) == 1
    assert len(g) == 4
    after = validate(g)
    assert after.valid, after.problems
    assert after.total_params == before.total_params
    out = g.outputs[0]
    assert after.nodes[out].shape == before.nodes[out].shape


def test_cut_edges_become_ordered_ports_and_outputs():
    g = ModelGraph()
    a = g.add_node("Input", name="a", params={"shape": [4]})
    b = g.add_node("Input", name="b", params={"shape": [6]})
    da = g.add_node("Dense", name="da", params={"units": 3})
    db = g.add_node("Dense", name="db", params={"units": 5})
    head = g.add_node("Concatenate", name="head")
    wire(g, (a, da, "input"), (b, db, "input"), (da, head, "input_0"), (db, head, "input_1"))
    g.set_outputs([head])
    use = group_into_block(g, [db, da], "pair")
    body = g.blocks.body("pair")
    assert [body.layer(n).name for n in body.inputs] == ["x_1", "x_2"]
    assert [body.layer(n).name for n in body.outputs] == ["da", "db"]
    assert g.in_edges(use) == [("x_1", a), ("x_2", b)]
    assert [(d, p, g.edge_output(use, d, p)) for d, p in g.out_edges(use)] == [
        (head, "input_0", 0),
        (head, "input_1", 1),
    ]
    assert validate(g).valid


def test_a_selection_that_would_make_a_cycle_is_refused_naming_the_outside_nodes():
    g = residual(1)
    _, dense, add = g.node_ids()
    middle = g.add_node("Dense", name="middle", params={"units": 16})
    g.disconnect(dense, add, "input_1")
    wire(g, (dense, middle, "input"), (middle, add, "input_1"))
    text = dumps(g)
    with pytest.raises(GraphEditError, match="'middle'.*comes back"):
        group_into_block(g, [dense, add])
    assert dumps(g) == text and not len(g.blocks)


@pytest.mark.parametrize(
    "pick, message",
    [
        (lambda ids: [ids["a"], ids["enc"]], "Input 'a'"),
        (lambda ids: [ids["enc"]], "'enc' shares weights"),
        (lambda ids: [], "nothing is selected"),
    ],
)
def test_selections_a_use_cannot_stand_for_are_refused(pick, message):
    g, ids = siamese()
    text = dumps(g)
    with pytest.raises(GraphEditError, match=message):
        group_into_block(g, pick(ids))
    assert dumps(g) == text


def test_ungroup_inlines_a_use_with_fresh_names_and_values():
    g, ids = siamese()
    before = validate(g)
    made = ungroup(g, ids["enc_c"])
    names = [g.layer(n).name for n in made]
    assert names == ["enc_c_dense", "enc_c_dense_1"]
    assert g.layer(made[0]).params["units"] == 8  # the block's default, the use's value
    _valid_as_before(g, before, ids["cat"])


def test_ungroup_of_a_shared_use_is_refused():
    g, ids = siamese()
    with pytest.raises(GraphEditError, match="called 2 times"):
        ungroup(g, ids["enc"])


def test_group_then_ungroup_gives_the_names_back():
    g = residual(2)
    _, dense, add, *_ = g.node_ids()
    names = [g.layer(n).name for n in g.node_ids()]
    use = group_into_block(g, [dense, add], "res")
    g.rename(use, "dense")  # the use named as the scope of its members' old names
    ungroup(g, use)
    assert sorted(g.layer(n).name for n in g.node_ids()) == sorted(
        ["input", "dense_dense", "dense_add", "dense_1", "add_1"]
    )
    assert len(names) == len(g)
    assert validate(g).valid


def test_make_unique_copies_the_definition_for_one_use():
    g, ids = siamese()
    new = make_unique(g, ids["enc_c"])
    assert new == "encoder_1" and g.layer(ids["enc_c"]).type == new
    assert g.layer(ids["enc"]).type == "encoder"
    copy = g.blocks.body(new)
    copy.set_param(copy.node_ids()[2], "units", 6)
    assert g.blocks.body("encoder").layer(copy.node_ids()[2]).params["units"] == 4
    assert validate(g).valid


def test_repeat_makes_a_chain_that_feeds_what_the_use_fed():
    g = residual(1)
    _, dense, add = g.node_ids()
    use = group_into_block(g, [dense, add], "res")
    head = g.add_node("Dense", name="head", params={"units": 2})
    g.connect(use, head, "input")
    g.set_outputs([use, head])
    chain = repeat(g, use, 12)
    assert len(chain) == 12 and chain[0] == use
    assert [s for _, s in g.in_edges(head)] == [chain[-1]]
    assert g.outputs == [chain[-1], head]
    report = validate(g)
    assert report.valid and report.total_params == 12 * (16 * 16 + 16) + 34


def test_repeat_of_a_block_whose_output_does_not_fit_its_input_is_refused():
    g = residual(1)
    _, dense, add = g.node_ids()
    narrow = g.add_node("Dense", name="narrow", params={"units": 3})
    g.connect(add, narrow, "input")
    g.set_outputs([narrow])
    use = group_into_block(g, [dense, add, narrow], "shrink")
    with pytest.raises(GraphEditError, match=r"output \(None, 3\).*does not fit.*\(None, 16\)"):
        repeat(g, use, 3)


def test_rename_block_updates_every_use_in_its_place():
    g, ids = siamese()
    g.define_block("other")
    g.rename_block("encoder", "tower")
    assert g.blocks.names() == ["tower", "other"]
    assert {g.layer(ids[n]).type for n in ("enc", "enc_again", "enc_c")} == {"tower"}
    assert loads(dumps(g)).blocks.names() == ["tower", "other"]
    with pytest.raises(GraphEditError, match="layer type"):
        g.rename_block("tower", "Dense")


def test_remove_block_is_refused_while_used_naming_the_uses():
    g, ids = siamese()
    with pytest.raises(GraphEditError, match="'enc' in the model, 'enc_c' in the model"):
        remove_block(g, "encoder")
    g.define_block("spare")
    remove_block(g, "spare")
    assert g.blocks.names() == ["encoder"]


@pytest.mark.parametrize("edit", ["group", "ungroup", "unique", "repeat"])
def test_a_snapshot_restores_the_exact_file(edit):
    g, ids = siamese()
    if edit == "repeat":
        g = residual(2)
        _, dense, add, *_ = g.node_ids()
        group_into_block(g, [dense, add], "res")
    text = dumps(g)
    snapshot = Snapshot.of(g)
    if edit == "group":
        group_into_block(g, [ids["enc_c"]])
    elif edit == "ungroup":
        ungroup(g, ids["enc_c"])
    elif edit == "unique":
        make_unique(g, ids["enc_c"])
    else:
        repeat(g, g.node_ids()[1], 4)
    after = Snapshot.of(g)
    changed = dumps(g)
    assert changed != text
    snapshot.restore(g)
    assert dumps(g) == text
    after.restore(g)
    assert dumps(g) == changed


def test_grouping_inside_a_body_passes_its_parameters_on():
    g, ids = siamese()
    before = validate(g)
    body = g.blocks.body("encoder")
    dense = body.node_ids()[1]  # Dense(units={"$param": "units"}), the block's output 1
    use = group_into_block(body, [dense], "inner")
    assert [p.name for p in g.blocks.body("inner").parameters] == ["units"]
    assert dict(body.layer(use).params) == {"units": {"$param": "units"}}
    assert body.outputs[1] == use
    _valid_as_before(g, before, ids["cat"])


def test_two_outputs_of_a_body_cannot_be_one_use():
    g, _ = siamese()
    body = g.blocks.body("encoder")
    with pytest.raises(GraphEditError, match="each an output of block 'encoder'"):
        group_into_block(body, body.node_ids()[1:])
