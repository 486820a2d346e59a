"""Canvas gestures on the real window (issue 20): edges are clicked, selected and
deleted; ports are easy to hit and say what flows through them; a wire dropped on a
node's body finds its port; right-click menus; new nodes land on free canvas;
duplicate with inputs, delete and reconnect; the View menu's zooms."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QToolTip

from graph.fileformat import dumps
from graph.shapes import fmt
from studio.canvas.items import PORT_RADIUS, edge_path
from tests.windows import LEFT, TEMPLATES


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
    edge = ("concatenate", "dense_features", "input")  # nearly level: the label is off the curve
    item = window.scene.edge_item(*edge)
    label = along(item, 0.5) + QPointF(0.0, -9.0)
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
