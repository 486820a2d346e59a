"""The studio's block actions (issue 16), driven through the Block menu and the node
right-click menu: each one undo step, undo and redo giving back the exact file."""

from __future__ import annotations

import itertools
import shutil

import pytest

from graph import ModelGraph, validate
from graph.fileformat import dumps, save
from tests.blocks_graphs import siamese
from tests.test_canvas_gestures import choose, right_click
from tests.test_grouping import chain
from tests.windows import TEMPLATES

ENCODER = [
    "attention",
    "add_attention",
    "norm_1",
    "feed_forward_1",
    "feed_forward_2",
    "add_feed_forward",
    "norm_2",
]


@pytest.fixture
def transformer(tmp_path):
    path = tmp_path / "transformer.graph.json"
    shutil.copy(TEMPLATES / "transformer_encoder.graph.json", path)
    return path


def _undo_redo_exact(window, before: str, after: str) -> None:
    g = window.document.graph
    window.actions_["undo"].trigger()
    assert dumps(g) == before
    window.actions_["redo"].trigger()
    assert dumps(g) == after


def test_group_then_repeat_makes_a_12_layer_transformer_in_two_steps(
    window, transformer, artifacts
):
    window.open_file(transformer)
    g, stack = window.document.graph, window.document.stack
    params = validate(g).total_params
    start = dumps(g)
    window.scene.select_nodes(ENCODER)
    window.prompts.answers["text"] = "encoder"
    window.actions_["group_block"].trigger()
    assert g.blocks.names() == ["encoder"] and len(g) == 6
    [use] = window.scene.selected_node_ids()
    assert g.layer(use).type == "encoder"
    assert stack.count() == 1 and stack.text(0) == "Group 7 nodes into a block"
    report = validate(g)
    assert report.valid and report.total_params == params
    window.controller.auto_layout()
    assert window.view.grab().save(str(artifacts / "block_grouped.png"))
    window.actions_["undo"].trigger()  # the layout, a step of its own
    grouped = dumps(g)

    window.prompts.answers["number"] = 12
    window.actions_["repeat_block"].trigger()
    uses = [n for n in g.node_ids() if g.layer(n).type == "encoder"]
    assert len(uses) == 12 and stack.text(stack.count() - 1) == "Repeat 'encoder' 12 times"
    assert stack.count() == 2  # the chain laid out in the same step
    boxes = {n: window.scene.node_item(n).sceneBoundingRect() for n in g.node_ids()}
    overlaps = [(a, b) for a in boxes for b in boxes if a < b and boxes[a].intersects(boxes[b])]
    assert overlaps == []
    assert g.node(uses[0]).pos == g.node(use).pos  # the use repeated stays put
    window.view.fit()
    assert window.view.grab().save(str(artifacts / "block_repeated.png"))
    encoder = params - 5000 * 32 - 33  # all but the embedding and the head
    assert validate(g).total_params == params + 11 * encoder
    repeated = dumps(g)
    _undo_redo_exact(window, grouped, repeated)
    window.actions_["undo"].trigger()
    _undo_redo_exact(window, start, grouped)


def test_a_selection_through_outside_nodes_is_refused_naming_them(window, transformer):
    window.open_file(transformer)
    g = window.document.graph
    before = dumps(g)
    window.scene.select_nodes(["attention", "add_feed_forward"])
    window.prompts.answers["text"] = "broken"
    window.actions_["group_block"].trigger()
    assert dumps(g) == before and window.document.stack.count() == 0
    message = window.statusBar().currentMessage()
    assert "comes back" in message and "'add_attention'" in message and "'norm_1'" in message


def test_ungroup_and_make_unique_from_the_right_click_menu(window, tmp_path):
    g0, ids = siamese()
    path = tmp_path / "siamese.graph.json"
    save(g0, path)
    window.open_file(path)
    window.controller.auto_layout()  # siamese() leaves every node at the origin
    g = window.document.graph
    before = dumps(g)
    window.scene.select_nodes([ids["enc_c"]])
    texts = right_click(window, window.scene.node_item(ids["enc_c"]).center())
    assert {"&Ungroup", "Make &unique", "&Repeat..."} <= set(texts)
    choose(window, "Make &unique")
    assert g.layer(ids["enc_c"]).type == "encoder_1"
    unique = dumps(g)
    _undo_redo_exact(window, before, unique)

    window.scene.select_nodes([ids["enc_c"]])
    right_click(window, window.scene.node_item(ids["enc_c"]).center())
    choose(window, "&Ungroup")
    assert ids["enc_c"] not in g and "enc_c_dense" in g.names()
    assert validate(g).valid
    _undo_redo_exact(window, unique, dumps(g))

    window.scene.select_nodes([ids["enc"]])  # called twice: shared weights
    window.actions_["ungroup_block"].trigger()
    assert "called 2 times" in window.statusBar().currentMessage()


def test_rename_and_remove_a_definition(window, tmp_path):
    g0, ids = siamese()
    g0.define_block("spare")
    path = tmp_path / "siamese.graph.json"
    save(g0, path)
    window.open_file(path)
    g = window.document.graph
    before = dumps(g)
    window.scene.select_nodes([ids["enc"]])
    window.prompts.answers["text"] = "tower"
    window.actions_["rename_block"].trigger()
    assert g.blocks.names() == ["tower", "spare"] and g.layer(ids["enc_c"]).type == "tower"
    _undo_redo_exact(window, before, dumps(g))

    window.scene.select_nodes([])
    window.prompts.answers["choice"] = "tower"
    window.actions_["remove_block"].trigger()
    assert "'enc' in the model, 'enc_c' in the model" in window.statusBar().currentMessage()
    renamed = dumps(g)
    window.prompts.answers["choice"] = "spare"
    window.actions_["remove_block"].trigger()
    assert g.blocks.names() == ["tower"]
    _undo_redo_exact(window, renamed, dumps(g))


def test_group_by_names_on_the_whole_graph_is_one_step(window, tmp_path):
    g0 = chain(("b1", 8, "relu"), ("b2", 16, "relu"), ("b3", 16, "relu"))
    path = tmp_path / "named.graph.json"
    save(g0, path)
    window.open_file(path)
    g = window.document.graph
    before = dumps(g)
    window.actions_["group_by_names"].trigger()
    assert len(g.blocks) == 1 and window.document.stack.count() == 1
    assert window.statusBar().currentMessage().startswith("grouped ")
    _undo_redo_exact(window, before, dumps(g))


def test_repeat_lays_out_the_chain_and_what_follows_in_the_same_step(window):
    g = ModelGraph("chain")
    body = g.define_block("step")
    x = body.add_node("Input", name="x", params={"shape": (8,)})
    dense = body.add_node("Dense", name="dense", params={"units": 8})
    body.connect(x, dense, "input")
    body.set_outputs([dense])
    source = g.add_node("Input", name="source", params={"shape": (8,)}, pos=(0.0, 0.0))
    use = g.add_node("step", name="s", pos=(240.0, 0.0))
    head = g.add_node("Dense", name="head", params={"units": 2}, pos=(480.0, 0.0))
    g.connect(source, use, "x")
    g.connect(use, head, "input")
    g.set_outputs([head])
    window.new_document(g)
    before = dumps(g)
    window.scene.select_nodes([use])
    window.prompts.answers["number"] = 3
    window.actions_["repeat_block"].trigger()
    chain = [n for n in g.node_ids() if g.layer(n).type == "step"]
    assert window.document.stack.count() == 1
    boxes = [window.scene.node_item(n).sceneBoundingRect() for n in g.node_ids()]
    assert not any(a.intersects(b) for a, b in itertools.combinations(boxes, 2))
    xs = [g.node(n).pos[0] for n in [*chain, head]]
    assert xs == sorted(xs) and g.node(use).pos == (240.0, 0.0)
    assert g.node(source).pos == (0.0, 0.0)  # upstream of the chain: left alone
    after = dumps(g)
    _undo_redo_exact(window, before, after)
