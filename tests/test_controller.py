"""The canvas controller, driven by real mouse events on a shown view: drops, port
drags, and the actions the main window binds; every edit is one undo step that
restores the saved file exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QUndoStack
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

import graph
from graph import ModelGraph
from graph.fileformat import dumps
from studio.canvas.clipboard import NODES_MIME
from studio.canvas.controller import CanvasController, free_name
from studio.canvas.items import HEADER, NODE_WIDTH
from studio.canvas.overlays import DraftEdgeItem
from studio.canvas.scene import GraphScene
from studio.canvas.view import GraphView
from studio.mime import layer_mime_data
from tests.blocks_graphs import siamese
from tests.graphs import chain, residual, shared_dense, wire

TEMPLATE = Path(__file__).parent.parent / "resources" / "templates" / "customer_tickets.graph.json"
LEFT = Qt.MouseButton.LeftButton


class Canvas:
    """A scene, a shown view and a controller on one graph and undo stack."""

    def __init__(self, qtbot, g: ModelGraph) -> None:
        self.g = g
        self.stack = QUndoStack()
        self.scene = GraphScene(g)
        self.view = GraphView(self.scene)
        qtbot.addWidget(self.view)
        self.view.resize(1200, 700)
        self.view.show()
        qtbot.waitExposed(self.view)
        self.controller = CanvasController(self.scene, self.view, self.stack)
        self.refusals: list[str] = []
        self.controller.refused.connect(self.refusals.append)
        self.view.fit()

    def at(self, scene_pos: QPointF) -> QPoint:
        return self.view.mapFromScene(scene_pos)

    def drag(self, start: QPointF, end: QPointF, *, check=None) -> None:
        """Press at `start`, move to `end` in steps, call `check()`, release there."""
        port = self.view.viewport()
        a, b = self.at(start), self.at(end)
        QTest.mousePress(port, LEFT, pos=a)
        for step in range(1, 6):
            QTest.mouseMove(port, a + (b - a) * step / 5)
        if check is not None:
            check()
        QTest.mouseRelease(port, LEFT, pos=b)

    def out(self, node_id: str) -> QPointF:
        return self.scene.node_item(node_id).output_port_pos()

    def into(self, node_id: str, port: str) -> QPointF:
        return self.scene.node_item(node_id).input_port_pos(port)

    def drafts(self) -> list[DraftEdgeItem]:
        return [i for i in self.scene.items() if isinstance(i, DraftEdgeItem)]

    def close(self) -> None:
        self.scene.detach()


@pytest.fixture
def canvas_of(qtbot):
    made = []

    def make(g: ModelGraph) -> Canvas:
        made.append(Canvas(qtbot, g))
        return made[-1]

    yield make
    for canvas in made:
        canvas.close()


@pytest.fixture
def loose(canvas_of):
    """Input -> Dense, and a second Dense (unconnected) to the right."""
    g = chain(("Dense", {"units": 4}))
    g.move("n2", (240.0, 0.0))
    g.add_node("Dense", params={"units": 2}, pos=(480.0, 0.0))
    return canvas_of(g)


def test_dropping_a_layer_adds_it_where_it_lands(canvas_of):
    c = canvas_of(chain(("Dense", {"units": 4})))
    target = c.at(QPointF(300.0, 200.0))
    data = layer_mime_data("Dropout")
    port = c.view.viewport()
    enter = QDragEnterEvent(target, Qt.DropAction.CopyAction, data, LEFT, Qt.KeyboardModifier(0))
    QApplication.sendEvent(port, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(target), Qt.DropAction.CopyAction, data, LEFT, Qt.KeyboardModifier(0))
    QApplication.sendEvent(port, drop)
    [added] = [n for n in c.g.node_ids() if c.g.layer(n).type == "Dropout"]
    dropped_at = c.view.mapToScene(target)
    x, y = c.g.node(added).pos
    assert (x + NODE_WIDTH / 2, y + HEADER / 2) == pytest.approx(
        (dropped_at.x(), dropped_at.y()), abs=1e-6
    )
    assert c.scene.node_item(added).isSelected()
    c.stack.undo()
    assert added not in c.g


def test_a_drop_that_is_not_a_layer_is_ignored(canvas_of):
    c = canvas_of(chain(("Dense", {"units": 4})))
    data = QMimeData()
    data.setText("Dense")
    enter = QDragEnterEvent(
        QPoint(50, 50), Qt.DropAction.CopyAction, data, LEFT, Qt.KeyboardModifier(0)
    )
    QApplication.sendEvent(c.view.viewport(), enter)
    assert not enter.isAccepted()


def test_dragging_from_an_output_to_an_input_port_connects(loose):
    c = loose
    seen = []
    c.drag(c.out("n2"), c.into("n3", "input"), check=lambda: seen.extend(c.drafts()))
    assert ("n2", "n3", "input") in c.g.edges()
    assert [d.refused for d in seen] == [False]
    assert c.drafts() == []  # the curve is gone after the release
    assert c.stack.count() == 1 and c.refusals == []
    assert c.scene.edge_item("n2", "n3", "input").label == "(None, 4)"
    c.stack.undo()
    assert ("n2", "n3", "input") not in c.g.edges()


def test_a_press_on_a_port_neither_moves_nor_selects_the_node(loose):
    c = loose
    c.drag(c.out("n2"), c.out("n2") + QPointF(0.0, 150.0))
    assert c.g.node("n2").pos == (240.0, 0.0) and not c.scene.node_item("n2").isSelected()
    assert c.stack.count() == 0 and c.drafts() == []


def test_a_connection_that_would_close_a_cycle_is_refused_with_the_reason(loose):
    c = loose
    c.g.connect("n2", "n3", "input")
    before = dumps(c.g)
    c.stack.clear()
    hovering = []
    c.drag(c.out("n3"), c.into("n2", "input"), check=lambda: hovering.extend(c.drafts()))
    assert [d.refused for d in hovering] == [True]
    assert dumps(c.g) == before and c.stack.count() == 0
    # n2's port is taken (by n1), so the graph refuses it for that first
    assert c.refusals and "already connected" in c.refusals[-1]

    c.g.disconnect("n1", "n2", "input")
    before = dumps(c.g)
    c.drag(c.out("n3"), c.into("n2", "input"))
    assert dumps(c.g) == before and c.stack.count() == 0
    assert c.refusals[-1] == "connecting would create a cycle: dense -> dense_1 -> dense"


def test_a_taken_port_is_refused(loose):
    c = loose
    c.g.connect("n2", "n3", "input")
    before = dumps(c.g)
    c.drag(c.out("n1"), c.into("n3", "input"))
    assert dumps(c.g) == before and c.stack.count() == 0
    assert c.refusals == ["port 'input' of Dense 'dense_1' is already connected to 'dense'"]


def test_picking_up_a_connection_moves_or_removes_it(canvas_of):
    g = residual(1, width=4)  # n1 Input, n2 Dense, n3 Add(n1, n2)
    c = canvas_of(g)
    start = dumps(g)
    # drop it on the Add's free third port: moved, one step
    c.drag(c.into("n3", "input_1"), c.into("n3", "input_2"))
    assert ("n2", "n3", "input_2") in g.edges() and ("n2", "n3", "input_1") not in g.edges()
    assert c.stack.count() == 1
    # drop it on a taken port: refused, and the connection is back in view
    moved = dumps(g)
    c.drag(c.into("n3", "input_2"), c.into("n3", "input_0"))
    assert dumps(g) == moved and c.stack.count() == 1
    assert "already connected" in c.refusals[-1]
    assert c.scene.edge_item("n2", "n3", "input_2").isVisible()
    # drop it on empty canvas: removed
    c.drag(c.into("n3", "input_2"), c.into("n3", "input_2") + QPointF(-120.0, 300.0))
    assert [e for e in g.edges() if e[0] == "n2"] == []
    c.stack.undo()
    c.stack.undo()
    assert dumps(g) == start


def test_dragging_nodes_is_one_undoable_move(loose):
    c = loose
    item = c.scene.node_item("n3")
    grip = item.mapToScene(QPointF(90.0, 40.0))
    c.drag(grip, grip + QPointF(60.0, 80.0))
    x, y = c.g.node("n3").pos
    assert (x, y) != (480.0, 0.0) and (item.x(), item.y()) == (x, y)
    assert c.stack.count() == 1
    c.stack.undo()
    assert c.g.node("n3").pos == (480.0, 0.0) and item.pos() == QPointF(480.0, 0.0)


def test_delete_selected_nodes_and_connections_is_one_step(canvas_of):
    g = graph.load(TEMPLATE)
    c = canvas_of(g)
    before = dumps(g)
    c.scene.select_nodes(["dense_features"])
    c.scene.edge_item("title", "concatenate", "input_0").setSelected(True)
    c.controller.delete_selection()
    assert "dense_features" not in g
    assert ("title", "concatenate", "input_0") not in g.edges()
    assert c.stack.count() == 1 and c.stack.undoText() == "Delete selection"
    assert len(c.scene.node_items()) == len(g) and len(c.scene.edge_items()) == len(g.edges())
    c.stack.undo()
    assert dumps(g) == before
    assert len(c.scene.edge_items()) == len(g.edges())
    c.stack.redo()
    assert "dense_features" not in g


def test_copy_paste_adds_new_layers_with_their_edges_and_undo_takes_them_away(canvas_of):
    g, (a, b, dense, again) = shared_dense()
    extra = g.add_node("Dense", name="head", params={"units": 2}, pos=(400.0, 0.0))
    g.connect(dense, extra, "input")
    c = canvas_of(g)
    before = dumps(g)
    c.scene.select_nodes([a, dense, again, extra])
    assert c.controller.copy()
    assert QGuiApplication.clipboard().mimeData().hasFormat(NODES_MIME)
    pasted = c.controller.paste()
    assert len(pasted) == 4 and c.stack.count() == 1
    new = dict(zip([a, dense, again, extra], pasted, strict=True))
    # fresh names, offset positions, internal edges only
    assert [g.layer(n).name for n in pasted] == ["input_2", "dense_1", "dense_1", "head_1"]
    # beside the copied nodes (still selected), in the same arrangement, on no node
    boxes = {n: c.scene.node_item(n).sceneBoundingRect() for n in g.node_ids()}
    copied = [a, dense, again, extra]
    assert min(boxes[n].left() for n in pasted) > max(boxes[n].right() for n in copied)
    shift = {
        tuple(q - p for p, q in zip(g.node(o).pos, g.node(n).pos, strict=True))
        for o, n in new.items()
    }
    assert len(shift) == 1
    assert not any(
        boxes[p].intersects(boxes[o]) for p in pasted for o in g.node_ids() if o not in pasted
    )
    assert {(s, d) for s, d, _ in g.edges() if d in pasted} == {
        (new[a], new[dense]),
        (new[dense], new[extra]),
    }
    # the two call sites stay one (new) layer; not the original's
    assert g.call_sites(new[dense]) == [new[dense], new[again]]
    assert g.layer(new[dense]).params == g.layer(dense).params
    assert sorted(c.scene.selected_node_ids()) == sorted(pasted)
    second = c.controller.paste()  # beside the first paste, now selected
    assert g.node(second[3]).pos[0] > g.node(new[extra]).pos[0] + NODE_WIDTH
    after = dumps(g)
    c.stack.undo()
    c.stack.undo()
    assert dumps(g) == before
    c.stack.redo()
    c.stack.redo()
    assert dumps(g) == after
    assert len(c.scene.node_items()) == len(g) and len(c.scene.edge_items()) == len(g.edges())


def test_duplicate_leaves_the_clipboard_alone(loose):
    c = loose
    QGuiApplication.clipboard().setText("something else")
    c.scene.select_nodes(["n1", "n2"])
    [inp, dense] = c.controller.duplicate()
    assert (inp, dense, "input") in c.g.edges()
    assert QGuiApplication.clipboard().text() == "something else"


def test_a_malformed_clipboard_is_refused_with_the_field(loose):
    c = loose
    data = QMimeData()
    data.setData(NODES_MIME, b'{"format": "keras-graph-studio.graph", "version": 1, "nodes": 3}')
    QGuiApplication.clipboard().setMimeData(data)
    before = dumps(c.g)
    assert c.controller.paste() == []
    assert dumps(c.g) == before
    [reason] = c.refusals
    assert reason.startswith("cannot paste: clipboard:") and "nodes" in reason


def test_auto_layout_moves_nodes_left_to_right_and_undo_restores(canvas_of):
    g = residual(3, width=4)
    for node_id in g.node_ids():
        g.move(node_id, (0.0, 0.0))
    c = canvas_of(g)
    before = dumps(g)
    c.controller.auto_layout()
    assert c.stack.count() == 1
    for src, dst, _ in g.edges():
        assert g.node(src).pos[0] < g.node(dst).pos[0]
        assert c.scene.node_item(dst).x() == g.node(dst).pos[0]
    c.stack.undo()
    assert dumps(g) == before


def test_auto_layout_of_a_loaded_cycle_places_every_node_as_one_undo_step(canvas_of, cyclic_graph):
    g = cyclic_graph
    c = canvas_of(g)
    before = dumps(g)
    c.controller.auto_layout()  # the View menu's action calls this in a Qt slot
    assert c.stack.count() == 1 and c.refusals == []
    x = {n: g.node(n).pos[0] for n in g.node_ids()}
    assert x["n1"] < x["n2"] < x["n3"]  # the closing add -> dense points back, alone
    for node_id in g.node_ids():
        item = c.scene.node_item(node_id)
        assert (item.x(), item.y()) == g.node(node_id).pos
    c.stack.undo()
    assert dumps(g) == before
    c.stack.redo()
    assert g.node("n3").pos[0] == x["n3"]


def test_call_again_adds_a_shared_call_site_below_and_links_it_on_selection(loose):
    c = loose
    c.scene.select_nodes(["n2"])
    new = c.controller.call_again()
    assert c.g.call_sites("n2") == ["n2", new]
    assert c.g.node(new).pos[1] > c.scene.node_item("n2").sceneBoundingRect().bottom()
    assert c.scene.node_item(new).view.shared == 2
    [link] = c.scene.link_items()
    assert {n.node_id for n in link.ends} == {"n2", new}
    c.scene.select_nodes(["n3"])
    assert c.scene.link_items() == [] and not c.scene.node_item(new).linked
    c.scene.select_nodes(["n2"])
    assert c.scene.node_item(new).linked
    c.stack.undo()
    assert c.scene.link_items() == [] and c.g.call_sites("n2") == ["n2"]


def test_call_again_on_an_input_is_refused(loose):
    c = loose
    c.scene.select_nodes(["n1"])
    assert c.controller.call_again() is None
    assert "Input cannot be called again" in c.refusals[0]


def test_toggle_output_marks_and_unmarks(loose):
    c = loose
    c.scene.select_nodes(["n2", "n3"])
    c.controller.toggle_output()
    assert c.g.outputs == ["n2", "n3"] and c.stack.count() == 1
    c.controller.toggle_output()
    assert c.g.outputs == []
    c.stack.undo()
    c.stack.undo()
    assert c.g.outputs == ["n2"]


def test_check_export_marks_an_lstm_over_a_free_time_axis_until_the_next_edit(canvas_of):
    g = chain(("LSTM", {"units": 4}), input_shape=(None, 8))
    dense = g.add_node("Dense", params={"units": 2}, pos=(300.0, 0.0))
    wire(g, ("n2", dense, "input"))
    c = canvas_of(g)
    [problem] = c.controller.check_export()
    assert problem.node == "n2"
    item = c.scene.node_item("n2")
    assert c.scene.marked_node_ids() == ["n2"]
    assert (
        "free time axis" in item.toolTip() and "set a fixed number of time steps" in item.toolTip()
    )
    assert item.view.export_issues and not c.scene.node_item(dense).view.export_issues
    g.set_param(dense, "units", 3)  # any edit clears the marks
    assert c.scene.marked_node_ids() == [] and "free time axis" not in item.toolTip()


def test_free_names_count_on_from_the_copied_name():
    assert free_name("encoder", {"dense"}) == "encoder"
    assert free_name("encoder", {"encoder"}) == "encoder_1"
    assert free_name("dense_1", {"dense", "dense_1"}) == "dense_2"


def test_escape_cancels_a_connection_drag_and_ports_show_a_cross(loose):
    c = loose
    port = c.view.viewport()
    QTest.mouseMove(port, c.at(c.out("n2")))
    assert port.cursor().shape() == Qt.CursorShape.CrossCursor
    QTest.mouseMove(port, c.at(c.out("n2") + QPointF(-90.0, 30.0)))
    assert port.cursor().shape() != Qt.CursorShape.CrossCursor
    start, end = c.at(c.out("n2")), c.at(c.into("n3", "input"))
    QTest.mousePress(port, LEFT, pos=start)
    QTest.mouseMove(port, end)
    assert len(c.drafts()) == 1
    QTest.keyClick(c.view, Qt.Key.Key_Escape)
    assert c.drafts() == []
    QTest.mouseRelease(port, LEFT, pos=end)
    assert ("n2", "n3", "input") not in c.g.edges() and c.stack.count() == 0


def test_a_view_outlives_its_scenes_controllers(qtbot):
    """The main window keeps one view and makes a scene and controller per document."""
    first, second = chain(("Dense", {"units": 4})), chain(("Dense", {"units": 3}))
    second.move("n2", (240.0, 0.0))
    view = GraphView()
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.show()
    qtbot.waitExposed(view)
    old_scene = GraphScene(first)
    view.setScene(old_scene)
    old = CanvasController(old_scene, view, QUndoStack())
    scene = GraphScene(second)
    stack = QUndoStack()
    controller = CanvasController(scene, view, stack)
    view.setScene(scene)
    old_scene.detach()
    old_scene.deleteLater()
    qtbot.wait(10)
    assert not shiboken6.isValid(old)  # went with its scene
    data = layer_mime_data("Dropout")
    target = QPoint(400, 300)
    no_key = Qt.KeyboardModifier(0)
    QApplication.sendEvent(
        view.viewport(), QDragEnterEvent(target, Qt.DropAction.CopyAction, data, LEFT, no_key)
    )
    QApplication.sendEvent(
        view.viewport(),
        QDropEvent(QPointF(target), Qt.DropAction.CopyAction, data, LEFT, no_key),
    )
    assert [second.layer(n).type for n in second.node_ids()] == ["Input", "Dense", "Dropout"]
    assert len(first) == 2 and stack.count() == 1
    second.disconnect("n1", "n2", "input")
    start = view.mapFromScene(scene.node_item("n1").output_port_pos())
    end = view.mapFromScene(scene.node_item("n2").input_port_pos("input"))
    QTest.mousePress(view.viewport(), LEFT, pos=start)
    QTest.mouseMove(view.viewport(), end)
    QTest.mouseRelease(view.viewport(), LEFT, pos=end)
    assert ("n1", "n2", "input") in second.edges()
    assert controller.active()
    scene.detach()


def test_copy_paste_and_duplicate_keep_the_output_of_a_use_an_edge_takes(canvas_of):
    g, ids = siamese()
    c = canvas_of(g)
    c.scene.select_nodes([ids["enc_again"], ids["cat"]])
    assert c.controller.copy()
    again, cat = c.controller.paste()
    assert g.layer(again).type == "encoder"  # still a use of the graph's definition
    assert g.edge_output(again, cat, "input_1") == 1
    c.scene.select_nodes([ids["cat"]])
    [copy] = c.controller.duplicate_with_inputs()
    assert [g.edge_output(s, copy, p) for p, s in g.in_edges(copy)] == [0, 1, 0]
