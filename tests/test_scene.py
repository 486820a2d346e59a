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
from studio.canvas import items
from studio.canvas.scene import GraphScene, shown_ports

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
    assert scene.node_item("priority").pos() == QPointF(960.0, 40.0)
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
    for port, src in (("input_0", "title"), ("input_1", "text_body")):
        edge = scene.edge_item(src, add, port)
        assert edge.bad and edge.toolTip() == edge.problem == message
    good = scene.edge_item("title", "concatenate", "input_0")
    assert not good.bad and good.toolTip() == ""

    g.set_param("text_body", "shape", (10000,))
    assert item.view.severity != "error"
    assert message not in item.toolTip()
    for port, src in (("input_0", "title"), ("input_1", "text_body")):
        edge = scene.edge_item(src, add, port)
        assert not edge.bad and edge.toolTip() == ""


def test_edges_of_a_loaded_cycle_are_red_from_the_start_with_the_message(qapp, cyclic_graph):
    scene = GraphScene(cyclic_graph)
    try:
        closing = scene.edge_item("n3", "n2", "input_1")
        assert closing.bad
        assert closing.toolTip() == "Dense 'dense': is on a cycle: dense -> add -> dense"
        # Every edge into a node on the cycle is red, with that node's message.
        assert all(e.bad and "is on a cycle" in e.toolTip() for e in scene.edge_items())
        cyclic_graph.disconnect("n3", "n2", "input_1")
        assert [(e.bad, e.toolTip()) for e in scene.edge_items()] == [(False, "")] * 3
    finally:
        scene.detach()


def test_detach_stops_following_the_graph(scene, tickets):
    scene.detach()
    before = len(scene.items())
    tickets.add_node("Dense")
    tickets.set_param("dense_features", "units", 7)
    tickets.move("title", (500.0, 500.0))
    assert len(scene.items()) == before
    assert view_of(scene, "dense_features").shape == "(None, 64)"
    assert scene.node_item("title").pos() == QPointF(0.0, 0.0)


def test_a_batch_on_a_detached_scene_leaves_it_alone(scene, tickets):
    # An undo command keeps the batch of the scene it was made on; the canvas may show
    # another scene by the time it is undone (a block entered, then left by the undo).
    scene.detach()
    with scene.batch():
        tickets.remove_node("dense_features")
    assert view_of(scene, "dense_features").shape == "(None, 64)"


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
    """Far out, items draw only boxes, ports and curves; further in, the layer names;
    close up, all their text."""
    farthest, far, near = render(scene, 0.1), render(scene, 0.3), render(scene, 1.0)
    monkeypatch.setattr(items, "NAME_LOD", 1.0)  # no names alone
    assert render(scene, 0.3) != far
    assert render(scene, 0.1) == farthest
    monkeypatch.setattr(items, "TEXT_LOD", 0.0)  # all text at every zoom level
    assert render(scene, 0.3) != far
    assert render(scene, 1.0) == near


def test_a_batch_validates_once_at_its_end(scene, tickets):
    g = tickets
    reports = []
    scene.validated.connect(reports.append)
    with scene.batch():
        added = []
        for i in range(30):
            added.append(g.add_node("Dense", params={"units": 8}, pos=(960.0, 100.0 * i)))
            g.connect(added[-2] if i else "priority", added[-1], "input")
        previous = added[-1]
        with scene.batch():  # nested: still one validation, at the outer end
            g.set_param("dense_features", "units", 32)
        assert reports == []
        assert view_of(scene, previous).shape == ""  # not validated yet
    assert len(reports) == 1 and reports[0] is scene.report
    assert view_of(scene, previous).shape == "(None, 8)"
    assert view_of(scene, added[0]).params == "16 params"
    assert scene.edge_item("dense_features", "priority", "input").label == "(None, 32)"
    assert scene.edge_item(added[0], added[1], "input").label == "(None, 8)"


def test_port_at_finds_output_and_named_input_ports(scene):
    from studio.canvas.scene import PortRef

    concat = scene.node_item("concatenate")
    assert scene.port_at(concat.output_port_pos()) == PortRef("concatenate")
    near = concat.input_port_pos("input_2") + QPointF(-4.0, 3.0)
    assert scene.port_at(near) == PortRef("concatenate", "input_2")
    assert scene.port_at(concat.sceneBoundingRect().center()) is None
    assert scene.port_at(QPointF(-500.0, -500.0)) is None


def test_selecting_a_call_site_links_the_others_until_it_goes(scene, tickets):
    g = tickets
    again = g.call_again("dense_features", pos=(480.0, 300.0))
    third = g.call_again("dense_features", pos=(480.0, 420.0))
    assert scene.link_items() == []
    scene.select_nodes(["dense_features"])
    ends = [{n.node_id for n in link.ends} for link in scene.link_items()]
    assert ends == [{"dense_features", again}, {"dense_features", third}]
    assert scene.node_item(again).linked and not scene.node_item("priority").linked
    link = scene.link_items()[0]
    g.move(again, (600.0, 500.0))
    assert link.boundingRect().contains(scene.node_item(again).center())
    g.remove_node(third)
    assert [{n.node_id for n in x.ends} for x in scene.link_items()] == [{"dense_features", again}]
    scene.clearSelection()
    assert scene.link_items() == [] and not scene.node_item(again).linked


def test_set_style_repaints_a_live_scene(scene):
    from studio.canvas.style import Style

    light = render(scene)
    scene.set_style(Style.dark())
    dark = render(scene)
    assert dark.pixelColor(2, 2) == Style.dark().background.color()
    assert light.pixelColor(2, 2) == Style.light().background.color()
    node_fill = Style.dark().node_brush.color().rgb()
    assert node_fill in colours(dark) and node_fill not in colours(light)


def test_dragging_a_large_selection_keeps_every_edge_on_its_ports(qtbot, qapp):
    from tests.graphs import residual

    g = residual(150, width=4)
    for i, node_id in enumerate(g.node_ids()):
        g.move(node_id, (i * 200.0, (i % 2) * 100.0))
    extra = g.add_node("Dense", params={"units": 2}, pos=(0.0, 400.0))
    g.connect(g.node_ids()[0], extra, "input")  # one edge with only one end moving
    scene = GraphScene(g)
    view = QGraphicsView(scene)
    qtbot.addWidget(view)
    view.resize(800, 500)
    view.show()
    qtbot.waitExposed(view)
    scene.select_nodes([n for n in g.node_ids() if n != extra])
    start = view.mapFromScene(scene.node_item("n1").mapToScene(QPointF(90.0, 40.0)))
    QTest.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    for step in range(1, 6):
        QTest.mouseMove(view.viewport(), start + QPoint(12 * step, 9 * step))
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=start + QPoint(60, 45))
    assert scene.node_item("n1").pos() != QPointF(0.0, 0.0)
    for edge in scene.edge_items():
        shape = edge.mapToScene(edge.shape())
        assert shape.contains(edge.src.output_port_pos()), (edge.src.node_id, edge.dst.node_id)
        assert shape.contains(edge.dst.input_port_pos(edge.port))
    scene.detach()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_frozen_node_gets_a_badge_and_a_hatched_header(scene, tickets, theme, artifacts):
    from studio.canvas.style import Style

    style = getattr(Style, theme)()
    scene.set_style(style)
    item = scene.node_item("dense_features")
    hatch, ice = style.frozen_hatch.color().rgb(), style.frozen_brush.color().rgb()
    before = colours(render(scene, 2.0))
    assert not item.view.frozen and "frozen" not in item.badges()
    assert hatch not in before and ice not in before
    tickets.set_trainable("dense_features", False)
    assert item.view.frozen and item.badges() == ["frozen"]
    assert "frozen" in item.drawn_texts(1.0)
    image = render(scene, 2.0)
    assert image.save(str(artifacts / f"canvas_frozen_{theme}.png"))
    assert {hatch, ice} <= colours(image)
    assert not view_of(scene, "priority").frozen
    tickets.set_trainable("dense_features", True)
    assert not item.view.frozen and item.badges() == []
