"""GraphView's navigation, driven by real events on a shown view: wheel zoom around
the cursor within limits, fit, panning, rubber-band selection, quick-add requests;
and pictures of the canvas in both themes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtTest import QTest

import graph
from studio.canvas.scene import GraphScene
from studio.canvas.style import Style
from studio.canvas.view import MAX_ZOOM, MIN_ZOOM, GraphView
from tests.canvas_events import wheel

TEMPLATES = Path(__file__).parent.parent / "resources" / "templates"
LEFT, MIDDLE = Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton


@pytest.fixture
def scene(qapp):
    scene = GraphScene(graph.load(TEMPLATES / "customer_tickets.graph.json"))
    yield scene
    scene.detach()


@pytest.fixture
def view(qtbot, scene):
    view = GraphView(scene)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    view.fit()
    return view


def visible(view: GraphView) -> QRectF:
    return view.mapToScene(view.viewport().rect()).boundingRect()


def test_fit_shows_every_node(view, scene):
    shown = visible(view)
    for item in scene.node_items():
        assert shown.contains(item.sceneBoundingRect())
    view.zoom_by(3.0)
    assert not all(visible(view).contains(i.sceneBoundingRect()) for i in scene.node_items())
    view.fit()
    assert all(visible(view).contains(i.sceneBoundingRect()) for i in scene.node_items())


def test_fit_shows_a_small_graph_at_its_natural_size(qtbot, view):
    small = GraphScene(graph.ModelGraph())
    small.graph.add_node("Dense", pos=(500.0, 300.0))
    view.setScene(small)
    view.fit()
    assert view.zoom() == 1.0
    offset = visible(view).center() - small.node_items()[0].sceneBoundingRect().center()
    assert abs(offset.x()) <= 1.0 and abs(offset.y()) <= 1.0
    small.detach()


def test_wheel_zooms_around_the_cursor_within_limits(view):
    at = QPoint(200, 150)
    under = view.mapToScene(at)
    before = view.zoom()
    wheel(view, at, 2)
    assert view.zoom() == pytest.approx(before * 1.44)
    after = view.mapToScene(at)
    assert abs(after.x() - under.x()) * view.zoom() <= 1.0  # within a pixel
    assert abs(after.y() - under.y()) * view.zoom() <= 1.0
    wheel(view, at, -1)
    assert view.zoom() == pytest.approx(before * 1.2)
    wheel(view, at, 60)
    assert view.zoom() == pytest.approx(MAX_ZOOM)
    wheel(view, at, -120)
    assert view.zoom() == pytest.approx(MIN_ZOOM)


def test_middle_drag_and_space_drag_pan(view):
    port = view.viewport()
    centre = view.mapToScene(port.rect().center())
    QTest.mousePress(port, MIDDLE, pos=QPoint(400, 300))
    QTest.mouseMove(port, QPoint(350, 280))
    QTest.mouseMove(port, QPoint(300, 260))
    QTest.mouseRelease(port, MIDDLE, pos=QPoint(300, 260))
    moved = view.mapToScene(port.rect().center()) - centre
    assert moved.x() * view.zoom() == pytest.approx(100, abs=1)
    assert moved.y() * view.zoom() == pytest.approx(40, abs=1)

    centre = view.mapToScene(port.rect().center())
    QTest.keyPress(view, Qt.Key.Key_Space)
    QTest.mousePress(port, LEFT, pos=QPoint(400, 300))
    QTest.mouseMove(port, QPoint(430, 300))
    QTest.mouseRelease(port, LEFT, pos=QPoint(430, 300))
    QTest.keyRelease(view, Qt.Key.Key_Space)
    moved = view.mapToScene(port.rect().center()) - centre
    assert moved.x() * view.zoom() == pytest.approx(-30, abs=1)

    centre = view.mapToScene(port.rect().center())  # space released: a drag selects
    QTest.mousePress(port, LEFT, pos=QPoint(400, 300))
    QTest.mouseMove(port, QPoint(460, 330))
    QTest.mouseRelease(port, LEFT, pos=QPoint(460, 330))
    assert view.mapToScene(port.rect().center()) == centre


def test_left_drag_on_empty_canvas_selects_with_a_rubber_band(view, scene):
    port = view.viewport()
    boxes = {n.node_id: n.sceneBoundingRect() for n in scene.node_items()}
    top = min(r.top() for r in boxes.values()) - 10
    left_column = [n for n, r in boxes.items() if r.left() < 100]
    right_edge = max(boxes[n].right() for n in left_column) + 5
    start = view.mapFromScene(QPointF(-15.0, top))
    end = view.mapFromScene(QPointF(right_edge, max(boxes[n].bottom() for n in left_column) + 5))
    QTest.mousePress(port, LEFT, pos=start)
    for step in range(1, 6):
        QTest.mouseMove(port, start + (end - start) * step / 5)
    QTest.mouseRelease(port, LEFT, pos=end)
    assert sorted(scene.selected_node_ids()) == sorted(left_column)
    assert len(left_column) >= 3


def test_double_click_on_empty_canvas_and_tab_ask_for_quick_add(qtbot, view, scene):
    port = view.viewport()
    empty = view.mapFromScene(QPointF(300.0, 600.0))
    assert view.itemAt(empty) is None
    with qtbot.waitSignal(view.quick_add_requested) as asked:
        QTest.mouseDClick(port, LEFT, pos=empty)
    assert asked.args[0] == view.mapToScene(empty)

    on_node = view.mapFromScene(scene.node_item("title").sceneBoundingRect().center())
    with qtbot.assertNotEmitted(view.quick_add_requested):
        QTest.mouseDClick(port, LEFT, pos=on_node)

    view.setFocus()
    with qtbot.waitSignal(view.quick_add_requested) as asked:
        QTest.keyClick(view, Qt.Key.Key_Tab)
    assert visible(view).contains(asked.args[0])


def test_the_canvas_in_both_themes_to_png(view, scene, artifacts):
    scene.select_nodes(["dense_features"])
    light = view.grab().toImage()
    assert light.save(str(artifacts / "canvas_light.png"))
    scene.set_style(Style.dark())
    dark = view.grab().toImage()
    assert dark.save(str(artifacts / "canvas_dark.png"))
    corner = QPoint(3, 3)
    assert light.pixelColor(corner).lightness() > 200
    assert dark.pixelColor(corner).lightness() < 60
    assert scene.backgroundBrush().color() == Style.dark().background.color()
