"""GraphScene draws a ModelGraph and follows its events: edits made on the graph show
up on the canvas (items, labels, positions, problems), and nothing flows back."""

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QGraphicsView

import graph
from graph import get_spec, validate
from studio import items
from studio.scene import GraphScene, shown_ports

TEMPLATE = Path(__file__).parent.parent / "resources" / "templates" / "customer_tickets.graph.json"


@pytest.fixture
def tickets():
    return graph.load(TEMPLATE)


@pytest.fixture
def scene(qapp, tickets):
    scene = GraphScene(tickets)
    yield scene
    scene.detach()


def view_of(scene, node_id):
    return scene.node_item(node_id).view


def test_one_item_per_node_and_edge_with_shapes_and_params(scene, tickets):
    assert {i.node_id for i in scene.node_items()} == set(tickets.node_ids())
    assert {(e.src.node_id, e.dst.node_id, e.port) for e in scene.edge_items()} == set(
        tickets.edges()
    )
    assert len(scene.items()) == len(tickets) + len(tickets.edges())
    features = view_of(scene, "dense_features")
    assert (features.type, features.name) == ("Dense", "dense_features")
    assert features.shape == "(None, 64)"
    assert features.params == "1,286,464 params"  # 20100 * 64 + 64
    assert scene.edge_item("concatenate", "dense_features", "input").label == "(None, 20100)"
    assert scene.node_item("title").pos() == QPointF(0.0, 120.0 * 0)
    assert scene.node_item("priority").pos() == QPointF(720.0, 40.0)
    assert view_of(scene, "priority").output and not features.output
    assert features.severity is None and scene.node_item("dense_features").toolTip() == ""


def test_ports_fixed_from_the_spec_variadic_connected_plus_one_free(scene):
    assert view_of(scene, "concatenate").ports == ("input_0", "input_1", "input_2", "input_3")
    assert view_of(scene, "title").ports == ()
    assert shown_ports(get_spec("MultiHeadAttention"), ()) == ("query", "value", "key")
    assert shown_ports(get_spec("Subtract"), ()) == ("input_0", "input_1")
    add = get_spec("Add")
    assert shown_ports(add, ()) == ("input_0",)
    assert shown_ports(add, ("input_2", "input_0")) == ("input_0", "input_2", "input_3")
    assert shown_ports(add, ("input_0", "bad")) == ("input_0", "input_1", "bad")


def test_graph_edits_are_reflected(scene, tickets):
    g = tickets
    extra = g.add_node("Dense", name="extra", params={"units": 8}, pos=(960.0, 40.0))
    assert view_of(scene, extra).name == "extra" and view_of(scene, extra).shape == ""

    g.connect("priority", extra, "input")
    edge = scene.edge_item("priority", extra, "input")
    assert edge.label == "(None, 1)"
    assert view_of(scene, extra).shape == "(None, 8)"
    assert view_of(scene, extra).params == "16 params"

    g.set_param("dense_features", "units", 32)
    assert view_of(scene, "dense_features").shape == "(None, 32)"
    assert view_of(scene, "dense_features").params == "643,232 params"
    assert scene.edge_item("dense_features", "priority", "input").label == "(None, 32)"
    assert view_of(scene, "priority").params == "33 params"

    g.move("priority", (700.0, 10.0))
    assert scene.node_item("priority").pos() == QPointF(700.0, 10.0)
    assert edge.boundingRect().contains(scene.node_item("priority").output_port_pos())

    g.set_output(extra)
    assert view_of(scene, extra).output

    again = g.call_again(extra)
    assert view_of(scene, again).shared == 2 and view_of(scene, extra).shared == 2
    assert scene.node_item(again).pos() == QPointF(960.0, 120.0)

    g.remove_node(again)
    assert view_of(scene, extra).shared == 1
    g.remove_node(extra)
    assert extra not in {i.node_id for i in scene.node_items()}
    assert len(scene.edge_items()) == len(g.edges())
    assert len(scene.items()) == len(g) + len(g.edges())


def test_an_invalid_edit_turns_the_node_and_its_edges_red_until_fixed(scene, tickets):
    g = tickets
    add = g.add_node("Add", name="sum", pos=(240.0, 300.0))
    g.connect("title", add, "input_0")
    g.connect("text_body", add, "input_1")
    assert view_of(scene, add).shape == "(None, 10000)"

    g.set_param("text_body", "shape", (50,))
    [message] = [p.message for p in validate(g).problems_of(add) if p.severity == "error"]
    item = scene.node_item(add)
    assert item.view.severity == "error"
    assert message in item.toolTip()
    assert scene.edge_item("title", add, "input_0").bad
    assert not scene.edge_item("title", "concatenate", "input_0").bad

    g.set_param("text_body", "shape", (10000,))
    assert item.view.severity != "error"
    assert message not in item.toolTip()
    assert not scene.edge_item("title", add, "input_0").bad


def test_detach_stops_following_the_graph(scene, tickets):
    scene.detach()
    before = len(scene.items())
    tickets.add_node("Dense")
    tickets.set_param("dense_features", "units", 7)
    tickets.move("title", (500.0, 500.0))
    assert len(scene.items()) == before
    assert view_of(scene, "dense_features").shape == "(None, 64)"
    assert scene.node_item("title").pos() == QPointF(0.0, 0.0)


def test_dragging_moves_the_item_not_the_graph_and_reports_the_move(qtbot, scene, tickets):
    view = QGraphicsView(scene)
    qtbot.addWidget(view)
    view.resize(1000, 500)
    view.show()
    qtbot.waitExposed(view)
    item = scene.node_item("tags")
    start = view.mapFromScene(item.mapToScene(QPointF(90.0, 40.0)))
    with qtbot.waitSignal(scene.nodes_dragged) as moved:
        QTest.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
        for step in range(1, 6):
            QTest.mouseMove(view.viewport(), start + QPoint(10 * step, 6 * step))
        QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=start + QPoint(50, 30))
    [(node_id, pos)] = moved.args[0].items()
    assert node_id == "tags" and pos == (item.x(), item.y()) and pos != (0.0, 240.0)
    assert tickets.node("tags").pos == (0.0, 240.0)
    edge = scene.edge_item("tags", "concatenate", "input_2")
    assert edge.boundingRect().contains(item.output_port_pos())
    tickets.move("tags", pos)  # what the controller's undo command will do
    assert (item.x(), item.y()) == pos


def render(scene, scale=1.0) -> QImage:
    rect = scene.itemsBoundingRect().adjusted(-20, -20, 20, 20)
    image = QImage(
        int(rect.width() * scale), int(rect.height() * scale), QImage.Format.Format_ARGB32
    )
    image.fill(scene.backgroundBrush().color())
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    scene.render(painter, source=rect)
    painter.end()
    return image


def colours(image: QImage) -> set[int]:
    step = 3
    return {
        image.pixel(x, y)
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
    }


def test_renders_offscreen_to_a_png(scene, tickets, tmp_path):
    g = tickets
    g.call_again("priority", pos=(960.0, 40.0))
    add = g.add_node("Add", name="broken", pos=(480.0, 320.0))
    g.connect("title", add, "input_0")
    g.connect("tags", add, "input_1")  # (10000,) + (100,): shapes do not match
    image = render(scene)
    assert image.save(str(tmp_path / "scene.png"))
    image.save("/tmp/scene_preview.png")
    background = QColor(scene.backgroundBrush().color()).rgb()
    assert len(colours(image) - {background}) > 20
    assert scene.node_item(add).view.severity == "error"


def test_text_is_skipped_when_zoomed_far_out(scene, monkeypatch):
    """Far out, items draw only boxes, ports and curves; close up, text as well."""
    far, near = render(scene, 0.3), render(scene, 1.0)
    monkeypatch.setattr(items, "TEXT_LOD", 0.0)  # text at every zoom level
    assert render(scene, 0.3) != far
    assert render(scene, 1.0) == near
