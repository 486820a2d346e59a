"""Only the offending connection turns red: a problem that names its port marks that
edge alone; one that names none marks every edge into its node, as before."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage, QPainter

from graph import ModelGraph
from studio.canvas.scene import GraphScene
from studio.canvas.style import Style
from tests.graphs import wire


@pytest.fixture(params=["light", "dark"])
def style(qapp, request):
    return getattr(Style, request.param)()


def three_into_concatenate() -> tuple[ModelGraph, list[str], str]:
    """Inputs (4, 8), (4, 8), (5, 8) side by side into a Concatenate; the third is off."""
    g = ModelGraph()
    concat = g.add_node("Concatenate", pos=(400.0, 200.0))
    inputs = []
    for i, rows in enumerate((4, 4, 5)):
        inputs.append(g.add_node("Input", params={"shape": [rows, 8]}, pos=(0.0, 160.0 * i)))
        g.connect(inputs[-1], concat, f"input_{i}")
    g.set_output(concat)
    return g, inputs, concat


def edge_colour(image: QImage, rect, edge) -> QColor:
    """The colour drawn a quarter along `edge`'s curve."""
    point = edge._path.pointAtPercent(0.25) - rect.topLeft()
    return QColor(image.pixel(int(point.x()), int(point.y())))


def render(scene: GraphScene):
    rect = scene.itemsBoundingRect()
    image = QImage(int(rect.width()), int(rect.height()), QImage.Format.Format_ARGB32)
    image.fill(scene.backgroundBrush().color())
    painter = QPainter(image)
    scene.render(painter, source=rect)
    painter.end()
    return image, rect


def test_only_the_mismatched_input_of_a_concatenate_is_red(style):
    g, (a, b, c), concat = three_into_concatenate()
    scene = GraphScene(g, style)
    try:
        bad = scene.edge_item(c, concat, "input_2")
        good = [scene.edge_item(a, concat, "input_0"), scene.edge_item(b, concat, "input_1")]
        assert bad.bad and "Concatenate" in bad.toolTip()
        assert bad.pen().color() == style.edge_error_pen.color()
        assert [e.bad for e in good] == [False, False]
        assert [e.pen().color() for e in good] == [style.edge_pen.color()] * 2
        image, rect = render(scene)
        assert edge_colour(image, rect, bad) == style.edge_error_pen.color()
        for edge in good:
            assert edge_colour(image, rect, edge) == style.edge_pen.color()
    finally:
        scene.detach()


def test_the_red_edge_follows_the_fault_as_the_graph_changes(qapp):
    g, (a, b, c), concat = three_into_concatenate()
    scene = GraphScene(g)
    try:
        g.set_param(c, "shape", (4, 8))
        g.set_param(a, "shape", (6, 8))  # now the first input is the odd one
        reds = [e.port for e in scene.edge_items() if e.bad]
        assert reds == ["input_0"]
        g.set_param(a, "shape", (4, 8))
        assert not any(e.bad for e in scene.edge_items())
    finally:
        scene.detach()


def test_without_a_port_every_edge_into_the_node_is_red(qapp):
    """Add of (4,), (8,), (16,): no one input is to blame, so all three are marked."""
    g = ModelGraph()
    add = g.add_node("Add")
    for i, width in enumerate((4, 8, 16)):
        src = g.add_node("Input", params={"shape": [width]})
        wire(g, (src, add, f"input_{i}"))
    g.set_output(add)
    scene = GraphScene(g)
    try:
        assert [e.bad for e in scene.edge_items()] == [True] * 3
    finally:
        scene.detach()
