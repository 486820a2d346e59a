"""Canvas gestures on the real window (issue 20): edges are clicked, selected and
deleted; ports are easy to hit and say what flows through them; a wire dropped on a
node's body finds its port; right-click menus; new nodes land on free canvas;
duplicate with inputs, delete and reconnect; the View menu's zooms."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QContextMenuEvent, QCursor, QGuiApplication, QHelpEvent, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolTip

import graph
from graph.fileformat import dumps
from graph.shapes import fmt
from studio.canvas.items import PORT_RADIUS, edge_path
from tests.graphs import chain
from tests.windows import (
    LEFT,
    TEMPLATES,
    added_nodes,
    assert_header_centred_on,
    choose_in_quick_add,
)


def named(g, name: str) -> str:
    [node_id] = [n for n in g.node_ids() if g.layer(n).name == name]
    return node_id


def on_screen(window, scene_pos: QPointF) -> QPoint:
    return window.view.mapFromScene(scene_pos)


def along(edge, fraction: float) -> QPointF:
    """A point on `edge`'s curve, `fraction` of the way along."""
    start, end = edge.src.output_port_pos(), edge.dst.input_port_pos(edge.port)
    return edge_path(start, end).pointAtPercent(fraction)


def tooltip_at(window, scene_pos: QPointF) -> str:
    """The tooltip the canvas shows with the mouse resting at `scene_pos`."""
    port = window.view.viewport()
    at = on_screen(window, scene_pos)
    QToolTip.hideText()
    QApplication.sendEvent(port, QHelpEvent(QEvent.Type.ToolTip, at, port.mapToGlobal(at)))
    return QToolTip.text() if QToolTip.isVisible() else ""


def test_an_edge_is_clicked_selected_and_deleted_with_the_delete_key(window, tickets, artifacts):
    window.open_file(tickets)
    g = window.document.graph
    edge = (named(g, "title"), named(g, "concatenate"), "input_0")
    item = window.scene.edge_item(*edge)
    before, steps = dumps(g), window.document.stack.count()
    window.view.setFocus()
    QTest.mouseClick(window.view.viewport(), LEFT, pos=on_screen(window, along(item, 0.3)))
    assert window.scene.selected_edges() == [edge] and window.scene.selected_node_ids() == []
    assert window.grab().save(str(artifacts / "edge_selected.png"))
    QTest.keyClick(window.view, Qt.Key.Key_Delete)
    assert edge not in g.edges() and len(g.edges()) == before.count('"from"') - 1
    assert window.document.stack.count() == steps + 1
    window.actions_["undo"].trigger()
    assert dumps(g) == before


def test_a_click_on_an_edges_shape_label_selects_the_edge(window, tickets):
    window.open_file(tickets)
    edge = ("concatenate", "dense_features", "input")
    item = window.scene.edge_item(*edge)
    label = item.label_rect().center()
    assert not item.path().intersects(item.label_rect())  # beside the curve, off it
    QTest.mouseClick(window.view.viewport(), LEFT, pos=on_screen(window, label))
    assert window.scene.selected_edges() == [edge]


def test_a_press_beside_a_ports_dot_still_starts_a_wire(window, tickets):
    window.open_file(tickets)
    g = window.document.graph
    window.view.resetTransform()  # 1:1: scene units are pixels
    item = window.scene.node_item("tags")
    window.view.centerOn(item.output_port_pos())
    before = dumps(g)
    start = on_screen(window, item.output_port_pos() + QPointF(PORT_RADIUS + 6.0, 7.0))
    port = window.view.viewport()
    QTest.mousePress(port, LEFT, pos=start)
    QTest.mouseMove(port, start + QPoint(30, 30))
    assert window.controller.connect_gesture.dragging()  # a wire, not a node drag
    QTest.keyClick(window.view, Qt.Key.Key_Escape)
    QTest.mouseRelease(port, LEFT, pos=start + QPoint(30, 30))
    assert dumps(g) == before


def test_port_tooltips_name_the_port_and_its_shape(window):
    window.open_file(TEMPLATES / "transformer_encoder.graph.json")
    g = window.document.graph
    [mha] = [n for n in g.node_ids() if g.layer(n).type == "MultiHeadAttention"]
    item, shapes = window.scene.node_item(mha), window.scene.report.nodes
    window.view.centerOn(item)
    query = next(s for p, s in g.in_edges(mha) if p == "query")
    assert tooltip_at(window, item.input_port_pos("query")) == f"query: {fmt(shapes[query].shape)}"
    assert tooltip_at(window, item.output_port_pos()) == f"output: {fmt(shapes[mha].shape)}"
    assert "(None," in tooltip_at(window, item.output_port_pos())


def drag_to(window, src: str, scene_pos: QPointF) -> None:
    """Drag a wire from src's output port to `scene_pos` and release it there."""
    port = window.view.viewport()
    start = on_screen(window, window.scene.node_item(src).output_port_pos())
    end = on_screen(window, scene_pos)
    QTest.mousePress(port, LEFT, pos=start)
    for step in range(1, 6):
        QTest.mouseMove(port, start + (end - start) * step / 5)
    QTest.mouseRelease(port, LEFT, pos=end)


def test_a_wire_dropped_on_a_nodes_body_takes_its_nearest_fitting_port(window):
    g = chain(("Dense", {"units": 4}), input_shape=(8,))  # n1 Input (None, 8), n2 Dense
    g.move("n2", (240.0, 0.0))
    g.add_node("Dense", params={"units": 2}, pos=(480.0, 0.0))  # n3
    g.add_node("Add", pos=(480.0, 200.0))  # n4, fed n1's (None, 8)
    g.connect("n1", "n4", "input_0")
    window.new_document(g)
    g, steps = window.document.graph, window.document.stack.count()
    drag_to(window, "n2", window.scene.node_item("n3").center())
    assert ("n2", "n3", "input") in g.edges() and window.document.stack.count() == steps + 1
    before = dumps(g)
    add = window.scene.node_item("n4")
    drag_to(window, "n2", add.center())  # (None, 4) into an Add of (None, 8): refused
    assert dumps(g) == before
    assert "Add 'add' has no free port that fits the output of 'dense'" in (
        window.statusBar().currentMessage()
    )
    drag_to(window, "n1", add.center())  # input_0 taken: the free one fits
    assert ("n1", "n4", "input_1") in g.edges()
    window.actions_["undo"].trigger()
    assert dumps(g) == before


def right_click(window, scene_pos: QPointF) -> list[str]:
    """Right-click the canvas at `scene_pos`; the texts of the menu that opens."""
    port = window.view.viewport()
    at = on_screen(window, scene_pos)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, port.mapToGlobal(at))
    QApplication.sendEvent(port, event)
    menu = window.context_menu
    assert menu.isVisible()
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def choose(window, text: str) -> None:
    [action] = [a for a in window.context_menu.actions() if a.text() == text]
    window.context_menu.hide()
    action.trigger()


def grab_with_menu(window, path) -> None:
    """The window with its context menu drawn where it is (a popup is a window of
    its own, so `window.grab()` leaves it out)."""
    QApplication.processEvents()
    picture = window.grab()
    painter = QPainter(picture)
    menu = window.context_menu
    painter.drawPixmap(window.mapFromGlobal(menu.pos()), menu.grab())
    painter.end()
    assert picture.save(str(path))


def test_right_click_menus_offer_what_applies_to_a_node_an_edge_and_the_canvas(
    window, tickets, artifacts
):
    window.open_file(tickets)
    g = window.document.graph
    before = dumps(g)
    node = window.scene.node_item("dense_features")
    texts = right_click(window, node.center())
    grab_with_menu(window, artifacts / "context_menu_node.png")
    assert window.scene.selected_node_ids() == ["dense_features"]
    for text in (
        "&Copy",
        "D&uplicate",
        "&Delete",
        "&Call again (shared layer)",
        "&Rename / inspect",
    ):
        assert text in texts
    assert "&Paste" not in texts and "Zoom to &fit" not in texts
    choose(window, "&Call again (shared layer)")
    assert len(g.call_sites("dense_features")) == 2
    window.actions_["undo"].trigger()

    assert "&Call again (shared layer)" not in right_click(
        window, window.scene.node_item("title").center()
    )
    right_click(window, node.center())
    choose(window, "&Rename / inspect")
    assert QApplication.focusWidget() is window.inspector.name_edit

    edge = ("concatenate", "dense_features", "input")
    assert right_click(window, along(window.scene.edge_item(*edge), 0.5)) == ["&Delete"]
    assert window.scene.selected_edges() == [edge]
    choose(window, "&Delete")
    assert edge not in g.edges() and len(g) == 7
    window.actions_["undo"].trigger()
    assert dumps(g) == before

    empty = node.sceneBoundingRect().bottomLeft() + QPointF(0.0, 200.0)
    QGuiApplication.clipboard().clear()  # what an earlier test copied
    texts = right_click(window, empty)
    assert texts == ["&Add layer here...", "Zoom to &fit", "Auto &layout"]  # nothing copied
    choose(window, "&Add layer here...")
    choose_in_quick_add(window, "Dropout")
    [added] = added_nodes(g, graph.loads(before).node_ids())
    assert_header_centred_on(g, added, window.view.mapToScene(on_screen(window, empty)))
    window.scene.select_nodes([added])
    window.actions_["copy"].trigger()
    elsewhere = empty + QPointF(300.0, 200.0)
    assert "&Paste here" in right_click(window, elsewhere)
    assert window.scene.selected_node_ids() == [added]  # kept by the right-click
    choose(window, "&Paste here")  # at the click, not beside the selection
    [pasted] = added_nodes(g, [*graph.loads(before).node_ids(), added])
    assert_header_centred_on(g, pasted, window.view.mapToScene(on_screen(window, elsewhere)))


def boxes_of(window) -> dict:
    return {
        n: window.scene.node_item(n).sceneBoundingRect() for n in window.document.graph.node_ids()
    }


def on_no_other_node(window, node_ids) -> bool:
    boxes = boxes_of(window)
    return not any(
        boxes[n].intersects(boxes[o]) for n in node_ids for o in boxes if o not in node_ids
    )


def double_click_in_palette(window, layer_type: str) -> None:
    tree = window.palette_.tree
    [item] = [i for i in window.palette_.tree.layer_items() if i.text(0) == layer_type]
    tree.scrollToItem(item)
    centre = tree.visualItemRect(item).center()
    QTest.mouseClick(tree.viewport(), LEFT, pos=centre)
    QTest.mouseDClick(tree.viewport(), LEFT, pos=centre)


def test_new_nodes_go_beside_the_selection_or_at_the_cursor_on_no_other_node(window, tickets):
    window.open_file(tickets)
    g = window.document.graph
    QCursor.setPos(window.palette_.mapToGlobal(QPoint(10, 10)))
    window.scene.select_nodes(["title"])  # text_body sits right below it
    double_click_in_palette(window, "Dropout")
    [first] = window.scene.selected_node_ids()
    assert g.layer(first).type == "Dropout" and on_no_other_node(window, [first])
    boxes = boxes_of(window)
    assert boxes[first].left() > boxes["title"].right()
    assert boxes[first].left() < boxes["concatenate"].left() + 20  # still near it

    window.scene.clearSelection()  # no selection: at the cursor, off the nodes there
    port = window.view.viewport()
    QCursor.setPos(port.mapToGlobal(on_screen(window, window.scene.node_item("tags").center())))
    double_click_in_palette(window, "Dense")
    [second] = window.scene.selected_node_ids()
    assert on_no_other_node(window, [second])
    assert boxes_of(window)[second].top() >= boxes["tags"].top()

    window.scene.select_nodes(["concatenate", "dense_features"])  # paste: beside the copy
    window.actions_["copy"].trigger()
    window.actions_["paste"].trigger()
    pasted = window.scene.selected_node_ids()
    assert len(pasted) == 2 and on_no_other_node(window, pasted)
    window.actions_["paste"].trigger()
    again = window.scene.selected_node_ids()
    assert len(again) == 2 and set(again).isdisjoint(pasted) and on_no_other_node(window, again)


def spread(g):
    """`g` with its nodes in a row, 240 units apart (chain() puts them all at 0, 0)."""
    for i, node_id in enumerate(g.node_ids()):
        g.move(node_id, (240.0 * i, 0.0))
    return g


def test_duplicate_with_inputs_keeps_what_feeds_the_copy_as_one_step(window):
    window.new_document(spread(chain(("Dense", {"units": 4}), ("Dense", {"units": 2}))))
    g, steps = window.document.graph, window.document.stack.count()
    before = dumps(g)
    texts = right_click(window, window.scene.node_item("n2").center())
    assert "Duplicate &with inputs" in texts
    choose(window, "Duplicate &with inputs")
    [copy] = window.scene.selected_node_ids()
    assert g.layer(copy).params == {"units": 4} and g.in_edges(copy) == [("input", "n1")]
    assert on_no_other_node(window, [copy]) and window.document.stack.count() == steps + 1
    window.actions_["undo"].trigger()
    assert dumps(g) == before
    window.scene.select_nodes(["n1"])  # nothing feeds an Input: not offered
    assert "Duplicate &with inputs" not in right_click(
        window, window.scene.node_item("n1").center()
    )


def test_delete_and_reconnect_bridges_a_chain_only_where_the_shapes_fit(window):
    g = spread(chain(("Dense", {"units": 8}), ("Dropout", {"rate": 0.5}), ("Dense", {"units": 2})))
    a = g.add_node("Dense", params={"units": 4}, pos=(240.0, 300.0))  # n1 -> a -> add
    b = g.add_node("Dense", params={"units": 4}, pos=(240.0, 450.0))  # n1 -> b -> add
    add = g.add_node("Add", pos=(480.0, 300.0))
    for src, dst, port in (("n1", a, "input"), ("n1", b, "input"), (a, add, "input_0")):
        g.connect(src, dst, port)
    g.connect(b, add, "input_1")
    window.new_document(g)
    g, steps = window.document.graph, window.document.stack.count()
    before = dumps(g)
    texts = right_click(window, window.scene.node_item("n3").center())  # the Dropout
    assert "Delete and reco&nnect" in texts
    choose(window, "Delete and reco&nnect")
    assert "n3" not in g and ("n2", "n4", "input") in g.edges()
    assert window.document.stack.count() == steps + 1
    window.actions_["undo"].trigger()
    assert dumps(g) == before
    # Input (None, 8) -> a (None, 4) -> Add beside b's (None, 4): the Input's would not fit
    assert "Delete and reco&nnect" not in right_click(window, window.scene.node_item(a).center())
    window.context_menu.hide()
    window.scene.select_nodes(["n2"])  # the shortcut
    QTest.keyClick(window.view, Qt.Key.Key_Delete, Qt.KeyboardModifier.ControlModifier)
    assert "n2" not in g and ("n1", "n3", "input") in g.edges()


def shown(window, node_id: str) -> bool:
    """Whether node_id's whole box is inside the canvas's viewport."""
    box = window.view.mapFromScene(window.scene.node_item(node_id).sceneBoundingRect())
    return window.view.viewport().rect().contains(box.boundingRect())


def test_view_menu_zooms_fits_and_frames_the_selection_from_the_keyboard(window, tickets):
    window.open_file(tickets)
    view, ctrl = window.view, Qt.KeyboardModifier.ControlModifier
    view.setFocus()
    zoom = view.zoom()
    QTest.keyClick(view, Qt.Key.Key_Equal, ctrl)
    assert view.zoom() > zoom
    QTest.keyClick(view, Qt.Key.Key_Minus, ctrl)
    QTest.keyClick(view, Qt.Key.Key_Minus, ctrl)
    assert view.zoom() < zoom
    window.scene.select_nodes(["priority"])
    QTest.keyClick(view, Qt.Key.Key_F)
    assert shown(window, "priority") and not shown(window, "title")
    assert view.zoom() == 1.0  # a lone node at its natural size
    QTest.keyClick(view, Qt.Key.Key_0, ctrl)
    assert all(shown(window, n) for n in window.document.graph.node_ids())

    window.scene.select_nodes(["title"])  # F typed into a field is a letter
    name = window.inspector.name_edit
    name.setFocus()
    QTest.keyClick(name, Qt.Key.Key_End)
    QTest.keyClick(
        name,
        Qt.Key.Key_F,
        Qt.KeyboardModifier.NoModifier,
    )
    assert name.text() == "titlef"


def test_auto_layout_fits_the_view_to_the_graph_laid_out(window):
    g = spread(chain(*[("Dense", {"units": 4})] * 5))
    for node_id in g.node_ids():
        g.move(node_id, (0.0, 0.0))
    window.new_document(g)
    window.view.resetTransform()
    window.view.zoom_by(3.0)
    window.actions_["layout"].trigger()
    assert all(shown(window, n) for n in window.document.graph.node_ids())


def test_delete_in_a_chain_deletes_and_offers_to_reconnect_as_one_step(window):
    g = spread(chain(("Dense", {"units": 8}), ("Dropout", {"rate": 0.5}), ("Dense", {"units": 2})))
    window.new_document(g)
    g, stack = window.document.graph, window.document.stack
    before, offer = dumps(g), window.reconnect_offer
    window.scene.select_nodes(["n3"])  # the Dropout: n2 (None, 8) -> n3 -> n4
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Delete)
    assert "n3" not in g and ("n2", "n4", "input") not in g.edges()  # deleted, as asked
    assert offer.isVisible()
    assert "Deleted 'dropout': Reconnect" in window.statusBar().currentMessage()
    offer.click()
    assert not offer.isVisible()
    assert "n3" not in g and ("n2", "n4", "input") in g.edges()
    assert stack.count() == 1 and stack.undoText() == "Delete 'dropout' and reconnect"
    window.actions_["undo"].trigger()
    assert dumps(g) == before

    # Stale once another edit came: the offer goes.
    window.scene.select_nodes(["n3"])
    QTest.keyClick(window.view, Qt.Key.Key_Delete)
    assert offer.isVisible()
    window.actions_["undo"].trigger()
    assert not offer.isVisible() and dumps(g) == before
    # An Input has no input to join to its outputs: deleted, with no offer.
    window.scene.select_nodes(["n1"])
    QTest.keyClick(window.view, Qt.Key.Key_Delete)
    assert "n1" not in g and not offer.isVisible()


def test_delete_and_reconnect_feeds_every_destination_of_the_deleted_node(window):
    g = spread(chain(("Dense", {"units": 8}), ("Dropout", {"rate": 0.5}), ("Dense", {"units": 2})))
    extra = g.add_node("Dense", params={"units": 3}, pos=(720.0, 300.0))
    g.connect("n3", extra, "input")
    window.new_document(g)
    g = window.document.graph
    window.scene.select_nodes(["n3"])
    window.actions_["delete_reconnect"].trigger()
    assert {("n2", "n4", "input"), ("n2", extra, "input")} <= set(g.edges())


def test_a_moved_connection_is_dropped_on_the_port_it_fits_now(qapp):
    """Query's wire of an attention picked up and dropped on its body near key: the
    key takes it (the wire no longer counts on query)."""
    from studio.canvas.connect_gesture import nearest_fitting_port
    from studio.canvas.scene import GraphScene

    g = graph.ModelGraph("m")
    q = g.add_node("Input", params={"shape": [10, 64]})
    v = g.add_node("Input", params={"shape": [5, 32]})
    mha = g.add_node("MultiHeadAttention", params={"num_heads": 2, "key_dim": 8})
    g.connect(q, mha, "query")
    g.connect(v, mha, "value")
    scene = GraphScene(g)
    near_key = scene.node_item(mha).input_port_pos("key")
    assert nearest_fitting_port(scene, q, mha, near_key, moving=(q, mha, "query")) == "key"
    scene.detach()
