"""What a node says on the canvas: its type with the params that matter ("Dense 64 ·
relu"), and, at the zoom "fit" picks for a template, its type, whole name and shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QUndoStack

import graph
from studio.canvas import items
from studio.canvas.scene import GraphScene
from studio.document.commands import SetParams

TEMPLATES = Path(__file__).parent.parent / "resources" / "templates"
NEAR, FAR = 1.0, 0.3  # levels of detail: all text, and a fitted view's


@pytest.fixture
def scene(qapp):
    scene = GraphScene(graph.load(TEMPLATES / "customer_tickets.graph.json"))
    yield scene
    scene.detach()


def header(scene, node_id, lod=NEAR) -> str:
    return scene.node_item(node_id).drawn_texts(lod)[0]


def test_the_header_shows_the_type_and_the_params_the_graph_has(scene):
    g = scene.graph
    assert g.layer("dense_features").params["units"] == 64
    assert header(scene, "dense_features") == "Dense 64 · relu"
    assert header(scene, "priority") == "Dense 1 · sigmoid"
    assert header(scene, "title") == "Input"  # its shape is on the row below, once
    assert scene.node_item("title").drawn_texts(NEAR).count("(None, 10000)") == 1
    assert header(scene, "concatenate") == "Concatenate"


def test_a_param_edit_and_its_undo_change_the_face(scene):
    stack = QUndoStack()
    g = scene.graph
    stack.push(SetParams.one(g, "dense_features", "units", 128))
    assert header(scene, "dense_features") == "Dense 128 · relu"
    stack.push(SetParams.one(g, "dense_features", "activation", None))
    assert header(scene, "dense_features") == "Dense 128"
    assert header(scene, "dense_features", FAR) == "Dense 128"
    stack.undo()
    stack.undo()
    assert header(scene, "dense_features") == "Dense 64 · relu"


def test_zoomed_out_a_long_name_gets_a_smaller_font_before_it_is_cut(scene):
    item = scene.node_item("dense_features")
    _, name, shape, count = item.drawn_texts(FAR)
    assert (name, shape, count) == ("dense_features", "(None, 64)", "1.3M")
    assert item.drawn_texts(items.NAME_LOD / 2) == ()
    g = scene.graph
    g.rename("dense_features", "a_name_far_too_long_for_any_font_to_fit")
    assert scene.node_item("dense_features").drawn_texts(FAR)[1].endswith("…")


def test_at_fit_zoom_on_the_ticket_model_at_1024x700_names_types_and_shapes_are_whole(qapp, window):
    window.resize(1024, 700)
    window.new_from_template(TEMPLATES / "customer_tickets.graph.json")
    for _ in range(30):
        qapp.processEvents()
    window.view.fit()
    fitted = window.view.zoom()
    assert fitted >= items.NAME_LOD  # the names are drawn at all
    g = window.document.graph
    # At the fitted zoom, and at the zoomed-out face (once cut to "dense_fe…") that a
    # fit of a larger graph or a smaller canvas reaches.
    for zoom in (fitted, (items.NAME_LOD + items.TEXT_LOD) / 2):
        for node_id in g.node_ids():
            view = window.scene.node_item(node_id).view
            drawn = window.scene.node_item(node_id).drawn_texts(zoom)
            assert drawn[0] in (view.type, f"{view.type} {view.face}")
            assert view.name in drawn[1:] and view.shape in drawn[1:], (zoom, drawn)


@pytest.fixture
def attention(qapp):
    """An output MultiHeadAttention, called twice (so it has every badge but ONNX)."""
    from graph import ModelGraph

    g = ModelGraph("attention")
    x = g.add_node("Input", params={"shape": [10, 64]})
    mha = g.add_node("MultiHeadAttention", name="attn", params={"num_heads": 4, "key_dim": 16})
    g.connect(x, mha, "query")
    g.connect(x, mha, "value")
    g.set_output(mha)
    scene = GraphScene(g)
    yield scene.node_item(mha)
    scene.detach()


def test_a_long_face_is_whole_beside_the_output_badge(attention):
    drawn = attention.drawn_texts(NEAR)
    assert drawn[0] == "MultiHeadAttention 4 heads × 16"
    assert "output" in drawn and "16,640 params" in drawn


def test_zoomed_out_the_badges_and_the_param_count_are_drawn(attention):
    title, name, shape, count, *badges = attention.drawn_texts(FAR)
    assert badges == ["output"]
    assert (name, shape, count) == ("attn", "(None, 10, 64)", "16.6k")
    assert title == "MultiHeadAttention"  # the face gives way to the badge, the type is whole


def test_short_counts():
    assert [items.short_count(n) for n in (65, 4_160, 1_286_464, 2_000_000_000)] == [
        "65",
        "4.2k",
        "1.3M",
        "2.0G",
    ]
