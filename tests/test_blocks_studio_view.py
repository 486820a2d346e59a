"""Block uses in the studio (issue 16): a use drawn with its block's ports, outputs,
shapes, params and use count; double-click enters it, the breadcrumb and Escape go
back out; edits inside change the definition, every use follows, one undo step each.
Param counts are Keras's own."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from codegen.layout import layered_layout
from graph import ModelGraph
from graph.fileformat import dumps
from tests.blocks_graphs import define_encoder, define_outer, nested, siamese
from tests.test_canvas_gestures import choose, right_click
from tests.windows import LEFT


def laid_out_siamese():
    g, ids = siamese()
    for graph in (g, g.blocks.body("encoder")):
        for node_id, pos in layered_layout(graph, "LR").items():
            graph.move(node_id, pos)
    return g, ids


def keras_params(g) -> dict[str, int]:
    """Each nested model's weight count in the Keras model built from `g`, by name."""
    from codegen import build_model

    model = build_model(g)
    return {layer.name: layer.count_params() for layer in model.layers}


def double_click(window, node_id: str) -> None:
    center = window.scene.node_item(node_id).center()
    QTest.mouseDClick(window.view.viewport(), LEFT, pos=window.view.mapFromScene(center))
    QApplication.processEvents()


def node_named(g, name: str) -> str:
    return next(n for n in g.node_ids() if g.layer(n).name == name)


def test_a_use_shows_its_blocks_ports_outputs_params_and_uses(window, artifacts):
    g, ids = laid_out_siamese()
    window.new_document(g)
    scene = window.scene
    enc, again = scene.node_item(ids["enc"]), scene.node_item(ids["enc_again"])
    view = enc.view
    assert (view.type, view.name, view.ports) == ("encoder", "enc", ("x",))
    # one output port per block output, named after the body's output layers
    assert view.outputs == ("dense_1", "dense")
    assert view.shape == "(None, 4) · (None, 32)"
    counts = keras_params(g)
    assert view.params == f"{counts['enc']:,} params"
    assert scene.node_item(ids["enc_c"]).view.params == f"{counts['enc_c']:,} params"
    assert "3 uses" in enc.badges() and "x2" in enc.badges()
    # the edge from the second call's output 1 leaves from that port, with its shape
    edge = scene.edge_item(ids["enc_again"], ids["cat"], "input_1")
    assert edge.output == 1 and edge.label == "(None, 32)"
    assert edge.ends_at()[0] == again.output_port_pos(1) != again.output_port_pos(0)
    assert scene.port_tip(scene.port_at(again.output_port_pos(1))) == "dense: (None, 32)"
    assert window.grab().save(str(artifacts / "block_uses.png"))

    # a new use counts on every use of the block; undo takes it back
    added = window.controller.add_node("encoder", QPointF(0.0, 600.0))
    assert "4 uses" in scene.node_item(added).badges()
    assert "4 uses" in enc.badges() and "4 uses" in scene.node_item(ids["enc_c"]).badges()
    window.actions_["undo"].trigger()
    assert "3 uses" in enc.badges()


def test_a_wire_dragged_from_a_uses_second_output_takes_that_output(window):
    g, ids = laid_out_siamese()
    window.new_document(g)
    scene = window.scene
    dense = window.controller.add_node("Dense", QPointF(1200.0, 600.0))
    start = scene.node_item(ids["enc_c"]).output_port_pos(1)
    end = scene.node_item(dense).input_port_pos("input")
    port = window.view.viewport()
    a, b = window.view.mapFromScene(start), window.view.mapFromScene(end)
    QTest.mousePress(port, LEFT, pos=a)
    for step in range(1, 6):
        QTest.mouseMove(port, a + (b - a) * step / 5)
    QTest.mouseRelease(port, LEFT, pos=b)
    assert g.edge_output(ids["enc_c"], dense, "input") == 1
    # enc_c's units is 8: its output 1 (the first Dense) is 8 wide, output 0 is 4
    assert scene.edge_item(ids["enc_c"], dense, "input").label == "(None, 8)"


def test_double_click_enters_a_use_and_escape_or_the_breadcrumb_backs_out(window, artifacts):
    g, ids = laid_out_siamese()
    window.new_document(g)
    body = g.blocks.body("encoder")
    assert not window.breadcrumb.isVisible()
    double_click(window, ids["enc"])
    document = window.document
    assert document.depth == 1 and document.shown is body and window.scene.graph is body
    assert window.breadcrumb.isVisible()
    assert window.breadcrumb.crumbs() == ("siamese", "enc: encoder")
    # only the body is drawn, with the shapes of the use entered (units 32)
    assert {i.node_id for i in window.scene.node_items()} == set(body.node_ids())
    dense = node_named(body, "dense")
    assert window.scene.node_item(dense).view.shape == "(None, 32)"
    assert window.grab().save(str(artifacts / "block_entered.png"))

    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Escape)
    assert document.depth == 0 and window.scene.graph is g
    assert not window.breadcrumb.isVisible()

    double_click(window, ids["enc_c"])  # units 8 there
    assert window.scene.node_item(dense).view.shape == "(None, 8)"
    [top] = window.breadcrumb.buttons()
    QTest.mouseClick(top, LEFT)
    QApplication.processEvents()
    assert document.depth == 0 and window.scene.graph is g


def test_an_edit_inside_changes_every_use_live_as_one_undo_step(window, qtbot):
    g, ids = laid_out_siamese()
    window.new_document(g)
    before = dumps(g)
    double_click(window, ids["enc"])
    body = window.document.shown
    last = node_named(body, "dense_1")
    window.scene.select_nodes([last])
    spin = window.inspector.fields["units"].editor.spin
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "6")
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Return)
    assert body.layer(last).params["units"] == 6
    stack = window.document.stack
    assert stack.count() == 1 and stack.text(0) == "Edit units of 'dense_1' in block 'encoder'"
    assert window.scene.node_item(last).view.shape == "(None, 6)"
    window.leave_use()
    counts = keras_params(g)
    for use in ("enc", "enc_again", "enc_c"):
        item = window.scene.node_item(ids[use])
        assert item.view.shape.startswith("(None, 6)")
        assert item.view.params == f"{counts[g.layer(ids[use]).name]:,} params"
    assert window.scene.node_item(ids["cat"]).view.shape == "(None, 44)"  # 6 + 32 + 6
    window.actions_["undo"].trigger()  # undone from the top level: the body goes back
    assert dumps(g) == before
    assert window.scene.node_item(ids["cat"]).view.shape == "(None, 40)"


def test_top_level_views_revalidate_when_a_body_changes(window):
    """An undo while outside changes a body: the canvas, problems and status follow."""
    g, ids = laid_out_siamese()
    window.new_document(g)
    double_click(window, ids["enc"])
    body = window.document.shown
    first = node_named(body, "dense")
    window.scene.select_nodes([first])
    window.actions_["delete"].trigger()  # the body's dense_1 loses its input
    assert window.scene.graph is body and first not in body
    window.leave_use()
    problems = [p for p in window.report.problems if p.node == ids["enc"]]
    assert problems and "in block 'encoder'" in problems[0].message
    assert window.validity.text().startswith("Invalid")
    assert window.scene.node_item(ids["enc"]).view.severity == "error"
    window.actions_["undo"].trigger()
    assert window.report.valid and window.scene.node_item(ids["enc"]).view.severity is None
    assert window.validity.text().startswith("Valid")


def test_a_problem_inside_shows_at_the_inner_node_when_entered(window):
    g, ids = laid_out_siamese()
    body = g.blocks.body("encoder")
    body.set_param(node_named(body, "dense_1"), "units", 4)
    body.disconnect(node_named(body, "dense"), node_named(body, "dense_1"), "input")
    window.new_document(g)
    double_click(window, ids["enc"])
    inner = node_named(body, "dense_1")
    assert window.scene.node_item(inner).view.severity == "error"
    assert [p.node for p in window.report.problems] == [inner]


def test_undoing_the_add_of_the_use_shown_backs_out_to_the_level_above(window):
    g, ids = laid_out_siamese()
    window.new_document(g)
    added = window.controller.add_node("encoder", QPointF(0.0, 600.0))
    double_click(window, added)
    assert window.document.depth == 1
    window.actions_["undo"].trigger()
    assert window.document.depth == 0 and window.scene.graph is g
    assert added not in g


def test_nested_uses_enter_level_by_level_and_the_breadcrumb_names_each(window):
    g, use, inner = nested("top", units=12)
    window.new_document(g)
    double_click(window, use)
    double_click(window, inner)
    assert window.breadcrumb.crumbs() == ("top", "o: outer", "inner_enc: encoder")
    body = g.blocks.body("encoder")
    assert window.scene.graph is body
    # the inner use's units (12) flow into the body shown
    assert window.scene.node_item(node_named(body, "dense")).view.shape == "(None, 12)"
    top, middle = window.breadcrumb.buttons()
    QTest.mouseClick(middle, LEFT)
    QApplication.processEvents()
    assert window.document.depth == 1 and window.scene.graph is g.blocks.body("outer")
    assert window.breadcrumb.crumbs() == ("top", "o: outer")


def test_the_summary_follows_the_level_shown(window, qtbot):
    g, ids = laid_out_siamese()
    window.new_document(g)
    window.docks["summary"].raise_()
    qtbot.waitUntil(lambda: window.summary.table.rowCount() == len(g))
    double_click(window, ids["enc"])
    body = window.document.shown
    qtbot.waitUntil(lambda: window.summary.table.rowCount() == len(body))
    inside = keras_params(g)["enc"]  # the nested model of the use entered
    assert window.summary.totals.text().startswith(f"Total params: {inside:,}")


def test_the_context_menu_and_the_view_menu_enter_and_back_out(window):
    g, ids = laid_out_siamese()
    window.new_document(g)
    texts = right_click(window, window.scene.node_item(ids["enc_c"]).center())
    assert texts[0] == "&Enter block"
    choose(window, "&Enter block")
    assert window.document.depth == 1
    assert window.breadcrumb.crumbs() == ("siamese", "enc_c: encoder")
    body = window.document.shown
    texts = right_click(window, window.scene.node_item(node_named(body, "dense")).center())
    assert "&Enter block" not in texts  # a layer, not a use
    window.context_menu.hide()
    window.actions_["leave_block"].trigger()
    assert window.document.depth == 0
    window.scene.select_nodes([ids["cat"]])
    window.actions_["enter_block"].trigger()
    assert window.document.depth == 0
    assert window.statusBar().currentMessage() == "select one block use to enter it"


def test_a_use_given_another_blocks_type_moves_its_count(window):
    """What Make unique does to a use: its layer becomes a copy's use."""
    g, ids = laid_out_siamese()
    copy = define_encoder(g, "encoder_copy")
    window.new_document(g)
    layer = g.layer(ids["enc_c"])
    g.replace_layer(ids["enc_c"], replace(layer, type=copy.name))
    assert "1 use" in window.scene.node_item(ids["enc_c"]).badges()
    assert "2 uses" in window.scene.node_item(ids["enc"]).badges()


def test_double_clicking_a_problem_inside_a_use_enters_it_at_the_inner_node(window):
    g = ModelGraph("top")
    enc = define_encoder(g)
    enc.disconnect(node_named(enc, "dense"), node_named(enc, "dense_1"), "input")
    outer, inner = define_outer(g)
    outer.set_outputs([inner])
    x = g.add_node("Input", name="x", params={"shape": (16,)})
    use = g.add_node("outer", name="o")
    g.connect(x, use, "x")
    g.set_outputs([use])
    window.new_document(g)
    tree = window.problems.tree
    [row] = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    rect = tree.visualItemRect(row)
    QTest.mouseClick(tree.viewport(), LEFT, pos=rect.center())
    assert window.document.depth == 0  # a click focuses the use, as for any node
    QTest.mouseDClick(tree.viewport(), LEFT, pos=rect.center())
    QApplication.processEvents()
    assert window.breadcrumb.crumbs() == ("top", "o: outer", "inner_enc: encoder")
    assert window.scene.selected_node_ids() == [node_named(enc, "dense_1")]
