"""Node-editor gestures on the real window: a wire dropped on empty canvas and Tab
after a selected node both open quick-add, and the layer chosen arrives connected,
as one undo step; Tab reaches the canvas whenever the cursor is over it."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QCursor, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

import graph
from graph.fileformat import dumps
from studio.canvas.overlays import DraftEdgeItem
from tests.graphs import chain
from tests.windows import LEFT, added_nodes, assert_header_centred_on, choose_in_quick_add


def drag_wire(window, src: str, to: QPoint) -> None:
    """Press on src's output port and drag to `to` (viewport pixels), releasing there."""
    port = window.view.viewport()
    start = window.view.mapFromScene(window.scene.node_item(src).output_port_pos())
    QTest.mousePress(port, LEFT, pos=start)
    for step in range(1, 6):
        QTest.mouseMove(port, start + (to - start) * step / 5)
    QTest.mouseRelease(port, LEFT, pos=to)


def drafts(window) -> list[DraftEdgeItem]:
    return [i for i in window.scene.items() if isinstance(i, DraftEdgeItem)]


def grab_with_popup(window, path) -> None:
    """The window with the quick-add popup drawn where it is (a popup is a window of
    its own, so `window.grab()` leaves it out)."""
    QApplication.processEvents()
    picture = window.grab()
    painter = QPainter(picture)
    painter.drawPixmap(window.mapFromGlobal(window.quick_add.pos()), window.quick_add.grab())
    painter.end()
    assert picture.save(str(path))


def empty_spot(window, src: str) -> QPoint:
    """A point of empty canvas to the right of and below src, in viewport pixels."""
    box = window.scene.node_item(src).sceneBoundingRect()
    at = window.view.mapFromScene(box.bottomRight() + QPointF(120.0, 90.0))
    assert window.view.itemAt(at) is None
    return at


def test_a_wire_dropped_on_empty_canvas_adds_the_layer_chosen_connected(window, tickets, artifacts):
    window.open_file(tickets)
    g = window.document.graph
    [src] = [n for n in g.node_ids() if g.layer(n).name == "tags"]
    before, steps = dumps(g), window.document.stack.count()
    at = empty_spot(window, src)
    drag_wire(window, src, at)
    popup, port = window.quick_add, window.view.viewport()
    assert popup.isVisible() and popup.pos() == port.mapToGlobal(at)
    assert "Input" not in popup.shown_types()  # it would take no wire
    assert len(drafts(window)) == 1  # the wire stays in view, to the popup
    grab_with_popup(window, artifacts / "quick_add_after_wire_drop.png")
    QTest.keyClick(popup.line, Qt.Key.Key_Escape)  # cancelled: nothing changes
    assert not popup.isVisible() and dumps(g) == before and drafts(window) == []

    drag_wire(window, src, at)
    choose_in_quick_add(window, "Dropout")
    [added] = added_nodes(g, graph.loads(before).node_ids())
    assert g.layer(added).type == "Dropout"
    assert_header_centred_on(g, added, window.view.mapToScene(at))
    assert (src, added, "input") in g.edges() and drafts(window) == []
    assert window.document.stack.count() == steps + 1
    window.actions_["undo"].trigger()  # one step takes node and edge away
    assert dumps(g) == before


def test_a_wire_into_a_merge_layer_takes_its_first_port(window, tickets):
    window.open_file(tickets)
    g = window.document.graph
    [src] = [n for n in g.node_ids() if g.layer(n).name == "tags"]
    drag_wire(window, src, empty_spot(window, src))
    choose_in_quick_add(window, "Concatenate")
    [added] = window.scene.selected_node_ids()
    assert g.layer(added).type == "Concatenate" and g.in_edges(added) == [("input_0", src)]


def loose_chain(window):
    """Input n1 with a Dense n2 right beside it, where a node after n1 would go."""
    g = chain(("Dense", {"units": 4}))
    g.disconnect("n1", "n2", "input")
    g.move("n2", (240.0, 0.0))
    window.new_document(g)
    return window.document.graph


def test_tab_after_a_selected_node_adds_the_layer_connected_beside_it(window):
    g = loose_chain(window)
    before, steps = dumps(g), window.document.stack.count()
    window.scene.select_nodes(["n1"])
    window.view.setFocus()
    QCursor.setPos(window.palette_.mapToGlobal(QPoint(10, 10)))
    QTest.keyClick(window.view, Qt.Key.Key_Tab)
    assert len(drafts(window)) == 1  # a wire from n1 to the popup
    choose_in_quick_add(window, "Dense")
    [added] = added_nodes(g, ["n1", "n2"])
    assert ("n1", added, "input") in g.edges()
    boxes = {n: window.scene.node_item(n).sceneBoundingRect() for n in g.node_ids()}
    assert boxes[added].left() > boxes["n1"].right()  # to its right
    assert not boxes[added].intersects(boxes["n2"])  # and not on top of n2
    assert boxes[added].top() < boxes["n1"].bottom() + 200
    assert window.scene.selected_node_ids() == [added]  # Tab again goes on from here
    assert window.document.stack.count() == steps + 1
    window.actions_["undo"].trigger()
    assert dumps(g) == before


def test_tab_over_the_canvas_opens_quick_add_right_after_an_inspector_edit(window, qtbot):
    g = loose_chain(window)
    window.scene.select_nodes(["n2"])
    spin = window.inspector.fields["units"].editor.spin
    spin.setFocus()
    units = spin.lineEdit()
    units.selectAll()
    qtbot.keyClicks(units, "16")
    qtbot.keyClick(units, Qt.Key.Key_Return)
    assert g.layer("n2").params["units"] == 16 and QApplication.focusWidget() is spin

    # the cursor elsewhere: Tab walks the inspector's fields as before
    QCursor.setPos(window.palette_.mapToGlobal(QPoint(10, 10)))
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert not window.quick_add.isVisible()
    assert QApplication.focusWidget() is not spin
    assert window.inspector.isAncestorOf(QApplication.focusWidget())

    spin.setFocus()
    port = window.view.viewport()
    QCursor.setPos(port.mapToGlobal(port.rect().center()))
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    choose_in_quick_add(window, "Dropout")
    [added] = added_nodes(g, ["n1", "n2"])
    assert ("n2", added, "input") in g.edges()


def test_the_layers_chosen_come_first_in_the_next_sessions_quick_add(make_window):
    first = make_window()
    loose_chain(first)
    for layer_type in ("LSTM", "Dropout"):
        first.view.setFocus()
        first.scene.clearSelection()
        QTest.keyClick(first.view, Qt.Key.Key_Tab)
        choose_in_quick_add(first, layer_type)
    second = make_window()
    second.view.setFocus()
    QTest.keyClick(second.view, Qt.Key.Key_Tab)
    assert second.quick_add.headings()[0] == "Recent"
    assert second.quick_add.shown_types()[:4] == ["Dropout", "LSTM", "Input", "Dense"]


def test_after_a_wire_drop_quick_add_connects_only_a_port_that_takes_the_shape(window, tickets):
    window.open_file(tickets)
    g = window.document.graph
    [src] = [n for n in g.node_ids() if g.layer(n).name == "tags"]  # (None, 100)
    before = g.node_ids()
    drag_wire(window, src, empty_spot(window, src))
    choose_in_quick_add(window, "Conv2D")  # takes images, not (None, 100)
    [added] = added_nodes(g, before)
    assert g.in_edges(added) == []
    message = window.statusBar().currentMessage()
    assert "does not take the output (None, 100) of 'tags': added unconnected" in message
    window.actions_["undo"].trigger()
    assert g.node_ids() == before
