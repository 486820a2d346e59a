"""The auto layout as the canvas draws it: the U-Net and the transformer templates
read in both directions, with no edge through a node, no labels on each other, and
top to bottom every edge pointing down; the routes around nodes; the direction
choice in the window and in `kgs plot`; the minimap."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest

import graph
from codegen.layout import FOLD_GAP, FOLD_LANE, direction_of, layered_layout
from graph.fileformat import dumps
from kgs.cli import main
from studio.canvas.routing import LANE_SPACING, NodeGrid, crosses, lane_route
from studio.canvas.scene import GraphScene, PortRef
from tests.graphs import chain
from tests.test_controller import Canvas

TEMPLATES = Path(__file__).parents[1] / "resources" / "templates"
READ_BY_PEOPLE = ["small_unet", "transformer_encoder"]
LEFT = Qt.MouseButton.LeftButton


def laid_out(name: str, direction: str, fold: bool = True) -> GraphScene:
    """The template in a scene, laid out in `direction` with the canvas's sizes."""
    g = graph.load(TEMPLATES / f"{name}.graph.json")
    scene = GraphScene(g, direction=direction)
    for node_id, pos in layered_layout(g, direction, scene.node_sizes(), fold).items():
        g.move(node_id, pos)
    scene.flush_routes()
    return scene


def sampled(edge, count: int = 400) -> list[QPointF]:
    path = edge.path()
    return [path.pointAtPercent(i / count) for i in range(count + 1)]


@pytest.fixture
def canvas_of(qtbot):
    made = []

    def make(g) -> Canvas:
        made.append(Canvas(qtbot, g))
        return made[-1]

    yield make
    for canvas in made:
        canvas.close()


@pytest.fixture(params=[(n, d) for n in READ_BY_PEOPLE for d in ("LR", "TB")], ids=str)
def template_scene(request, qapp):
    scene = laid_out(*request.param)
    yield scene
    scene.detach()


def test_no_edge_passes_through_a_node_other_than_its_ends(template_scene):
    scene = template_scene
    for edge in scene.edge_items():
        points = sampled(edge)
        for node in scene.node_items():
            if node in edge.ends:
                continue
            inside = node.box().adjusted(1.0, 1.0, -1.0, -1.0)
            assert not any(inside.contains(p) for p in points), (
                f"{edge.src.node_id} -> {edge.dst.node_id} runs through {node.node_id}"
            )


def test_no_two_labels_overlap(template_scene):
    """Shape labels on the edges, and the port names (MultiHeadAttention's query,
    value, key; Concatenate's input_0...)."""
    scene = template_scene
    labels = [(f"shape of {e.src.node_id}", e.label_rect()) for e in scene.edge_items()]
    labels = [(name, rect) for name, rect in labels if not rect.isEmpty()]
    for node in scene.node_items():
        names = [f"{node.node_id}.{p}" for p in node.view.ports]
        labels += list(zip(names, node.port_label_rects(), strict=False))
    assert any(name == "attention.key" for name, _ in labels) or "unet" in scene.graph.name
    for i, (name, rect) in enumerate(labels):
        for other, other_rect in labels[i + 1 :]:
            assert not rect.intersects(other_rect), f"{name} overlaps {other}"
    # Every source's shape is shown once, beside its output port.
    shown = {e.src.node_id for e in scene.edge_items() if not e.label_rect().isEmpty()}
    assert shown == {e.src.node_id for e in scene.edge_items()}


def test_the_templates_are_folded_to_a_sane_picture(template_scene):
    box = QRectF()
    for node in template_scene.node_items():
        box |= node.box()
    assert 0.6 < box.width() / box.height() < 3.0  # one long row would be about 15


@pytest.mark.parametrize("name", READ_BY_PEOPLE)
def test_top_to_bottom_every_edge_points_down(qapp, name):
    """Ports on the top and bottom of nodes: each edge leaves its node downwards and
    enters the next from above; unfolded, every edge ends lower than it starts."""
    for fold in (True, False):
        scene = laid_out(name, "TB", fold)
        for edge in scene.edge_items():
            start, end = edge.ends_at()
            assert start.y() == pytest.approx(edge.src.box().bottom())
            assert end.y() == pytest.approx(edge.dst.box().top())
            points = sampled(edge)
            assert points[3].y() > start.y() and points[-4].y() < end.y()
            if not fold:
                assert end.y() > start.y() + 40.0
        assert direction_of(scene.graph) == "TB"
        scene.detach()


def test_the_stored_templates_are_the_new_layout(qapp):
    for name in READ_BY_PEOPLE:
        scene = laid_out(name, "LR")
        stored = graph.load(TEMPLATES / f"{name}.graph.json")
        assert {n: stored.node(n).pos for n in stored.node_ids()} == {
            n: scene.graph.node(n).pos for n in stored.node_ids()
        }
        scene.detach()


def test_a_skip_connection_is_routed_around_the_chain_it_skips():
    # A chain a -> b -> c in a row; a -> c would run straight through b.
    boxes = {"a": (0, 0, 180, 82), "b": (320, 0, 500, 82), "c": (640, 0, 820, 82)}
    grid = NodeGrid(boxes.items())
    start, end = (180.0, 41.0), (640.0, 41.0)
    assert crosses([start, end], boxes["b"])
    route = lane_route(start, end, grid)
    assert route[0] == start and route[-1] == end
    assert not any(crosses(route, box) for box in boxes.values())
    turned = NodeGrid((k, (y0, x0, y1, x1)) for k, (x0, y0, x1, y1) in boxes.items())
    down = lane_route((41.0, 180.0), (41.0, 640.0), turned, vertical=True)  # the same, turned
    assert [(y, x) for x, y in down] == route


def test_an_edge_dragged_across_is_plain_until_the_release_then_routed(canvas_of):
    g = chain(("Dense", {"units": 4}), ("Dense", {"units": 4}))
    a, b, c = g.node_ids()
    g.move(a, (0.0, 0.0))
    g.move(b, (320.0, 300.0))
    g.move(c, (640.0, 0.0))
    canvas = canvas_of(g)
    edge = canvas.scene.edge_item(a, b, "input")
    assert edge.route is None
    grip = canvas.scene.node_item(c).box().center()
    # Drag c below b: a -> b stays plain, b -> c now has to leave b and come back.
    target = QPointF(grip.x() - 640.0 + 100.0, grip.y() + 300.0)
    routed_while_dragging = []
    canvas.drag(
        grip,
        target,
        check=lambda: routed_while_dragging.append(canvas.scene.edge_item(b, c, "input").route),
    )
    assert routed_while_dragging == [None]
    canvas.scene.flush_routes()
    assert canvas.scene.edge_item(b, c, "input").route is not None


def test_the_direction_is_chosen_in_the_view_menu_and_remembered(make_window, settings):
    window = make_window()
    window.open_file(TEMPLATES / "transformer_encoder.graph.json")
    g = window.document.graph
    before = dumps(g)
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    directions = next(a.menu() for a in view_menu.actions() if a.text() == "Layout &direction")
    top_down = next(a for a in directions.actions() if a.text() == "&Top to bottom")
    assert not top_down.isChecked()
    top_down.trigger()
    assert top_down.isChecked() and settings.value("layout_direction") == "TB"
    assert window.scene.vertical and direction_of(g) == "TB"
    attention = window.scene.node_item("attention")
    ports = [attention.input_port_pos(p) for p in ("query", "value", "key")]
    assert {p.y() for p in ports} == {attention.box().top()}  # on the top edge
    assert ports[0].x() < ports[1].x() < ports[2].x()
    window.document.stack.undo()  # one step, the ports turned back too
    assert dumps(g) == before and not window.scene.vertical
    window.document.stack.redo()
    assert window.scene.vertical and direction_of(g) == "TB"
    later = make_window()  # a new window remembers it
    assert later.actions_["direction:TB"].isChecked()
    assert later.layout_direction == "TB"


def test_kgs_plot_direction(qapp, tmp_path):
    g = chain(("Dense", {"units": 4}), ("Dropout", {"rate": 0.1}), ("Dense", {"units": 2}))
    source = tmp_path / "chain.graph.json"
    graph.save(g, source)
    out = tmp_path / "chain.png"
    assert main(["plot", str(source), "-o", str(out), "--direction", "TB"]) == 0
    image = QImage(str(out))
    assert image.height() > 2 * image.width()  # four rows, one column
    assert main(["plot", str(source), "-o", str(out), "--direction", "LR"]) == 0
    image = QImage(str(out))
    assert image.width() > 3 * image.height()
    with pytest.raises(SystemExit):
        main(["plot", str(source), "-o", str(out), "--direction", "RL"])


def test_the_minimap_shows_while_the_graph_is_larger_than_the_view(canvas_of, qtbot):
    canvas = canvas_of(graph.load(TEMPLATES / "small_unet.graph.json"))
    view, minimap = canvas.view, canvas.view.minimap
    view.fit()
    assert not minimap.isVisible()  # everything fits: no overview
    view.resetTransform()
    view.centerOn(canvas.scene.node_item("image").box().center())
    qtbot.waitUntil(minimap.isVisible)
    corner = view.viewport().geometry().bottomRight()
    assert minimap.geometry().right() < corner.x() and minimap.geometry().bottom() < corner.y()
    # A click on the overview centres the view on that point of the graph.
    mask = canvas.scene.node_item("mask").box().center()
    pixel = minimap._to_map(QRectF(mask, mask)).topLeft().toPoint()
    QTest.mouseClick(minimap, LEFT, pos=pixel)
    centre = view.mapToScene(view.viewport().rect().center())
    assert abs(centre.x() - mask.x()) < 10 and abs(centre.y() - mask.y()) < 10
    # Dragging on it moves the view along.
    QTest.mousePress(minimap, LEFT, pos=pixel)
    QTest.mouseMove(minimap, pixel - QPointF(40, 0).toPoint())
    QTest.mouseRelease(minimap, LEFT, pos=pixel - QPointF(40, 0).toPoint())
    assert view.mapToScene(view.viewport().rect().center()).x() < centre.x() - 100
    view.fit()
    assert not minimap.isVisible()


def test_top_to_bottom_a_wire_runs_from_a_bottom_port_to_a_top_port(canvas_of):
    """Ports on top and bottom are the ones a drag connects, with a downward draft."""
    g = graph.load(TEMPLATES / "transformer_encoder.graph.json")
    canvas = canvas_of(g)
    canvas.controller.auto_layout("TB")
    g.disconnect("embedding", "attention", "key")
    attention, embedding = (canvas.scene.node_item(n) for n in ("attention", "embedding"))
    key = attention.input_port_pos("key")
    assert key.y() == attention.box().top() and key.x() > attention.box().center().x()
    assert canvas.scene.port_at(key) == PortRef("attention", "key")
    start = embedding.output_port_pos()
    assert start.y() == embedding.box().bottom()
    drafts = []
    canvas.drag(start, key, check=lambda: drafts.extend(canvas.drafts()))
    assert ("embedding", "attention", "key") in g.edges()
    assert drafts and drafts[0].end().y() > start.y()


@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_the_unet_folds_into_rows_of_even_length(qapp, direction):
    """13 ranks: never 3, 6 and 4 ranks a row (a short row beside a long one leaves
    holes); and each row only as wide across as its own nodes need."""
    scene = laid_out("small_unet", direction)
    g = scene.graph
    along, across = (0, 1) if direction == "LR" else (1, 0)
    rank: dict[str, int] = {}
    for node_id in nx.topological_sort(g.nx):
        rank[node_id] = max((rank[p] + 1 for p in g.nx.predecessors(node_id)), default=0)
    start = {}
    for node_id, r in rank.items():
        start[r] = g.node(node_id).pos[along]
    folds = [r for r in range(1, len(start)) if start[r] < start[r - 1]]
    lengths = [b - a for a, b in zip([0, *folds], [*folds, len(start)], strict=False)]
    assert len(lengths) > 1 and max(lengths) - min(lengths) <= 1, lengths
    # The gap between two rows is no more than the fold gap and its lanes.
    boxes = {n.node_id: n.box() for n in scene.node_items()}
    fold_of = {n: sum(1 for f in folds if rank[n] >= f) for n in rank}
    for i in range(len(folds)):
        end = max(boxes[n].bottomRight().toTuple()[across] for n in rank if fold_of[n] == i)
        top = min(boxes[n].topLeft().toTuple()[across] for n in rank if fold_of[n] == i + 1)
        assert 0 < top - end <= FOLD_GAP + 4 * FOLD_LANE
    scene.detach()


def _overlapping_segments(scene: GraphScene) -> list[str]:
    """Pairs of routed edges with a stretch drawn on the same line; a source's
    routes may share the stub out of its port (one tensor, one trunk)."""
    segments = []
    for edge in scene.edge_items():
        if edge.route is None:
            continue
        name = f"{edge.src.node_id} -> {edge.dst.node_id}.{edge.port}"
        for a, b in zip(edge.route, edge.route[1:], strict=False):
            segments.append((name, edge.src.node_id, a, b))
    found = []
    for i, (name, src, a, b) in enumerate(segments):
        for other, other_src, c, d in segments[i + 1 :]:
            if name == other or (src == other_src and a == c):
                continue
            for axis in (0, 1):  # both along x (same y), or both along y (same x)
                if not (a[1 - axis] == b[1 - axis] and c[1 - axis] == d[1 - axis]):
                    continue
                if abs(a[1 - axis] - c[1 - axis]) > 1.0:
                    continue
                lo = max(min(a[axis], b[axis]), min(c[axis], d[axis]))
                hi = min(max(a[axis], b[axis]), max(c[axis], d[axis]))
                if hi - lo > 1.0:
                    found.append(f"{name} on {other}")
    return found


def test_no_two_routes_share_a_lane(template_scene):
    assert _overlapping_segments(template_scene) == []


def test_parallel_skip_connections_get_lanes_of_their_own(qapp):
    """Two connections skipping the same nodes (the Input and the first Dense both
    into a Concatenate after two more): each its own lane, LANE_SPACING apart at
    least, both clear of every node."""
    g = chain(*[("Dense", {"units": 4})] * 3)
    x, d1, d2, d3 = g.node_ids()
    cat = g.add_node("Concatenate", params={})
    g.connect(d3, cat, "input_0")
    g.connect(x, cat, "input_1")
    g.connect(d1, cat, "input_2")
    for i, node_id in enumerate((x, d1, d2, d3, cat)):
        g.move(node_id, (320.0 * i, 0.0))
    scene = GraphScene(g)
    routes = [
        scene.edge_item(src, cat, port).route for src, port in ((x, "input_1"), (d1, "input_2"))
    ]
    assert None not in routes
    assert abs(routes[0][2][1] - routes[1][2][1]) >= LANE_SPACING
    assert _overlapping_segments(scene) == []
    for edge in scene.edge_items():
        for node in scene.node_items():
            if node not in edge.ends:
                rect = node.box().getCoords()
                assert not crosses([p.toTuple() for p in sampled(edge)], rect)
    scene.detach()


def test_an_edge_a_moved_node_now_blocks_is_routed_around_it(canvas_of):
    """Moving a node (by the graph, as undo does, or by a drag) onto another
    connection routes that connection around it; moving it away makes it plain."""
    g = chain(("Dense", {"units": 4}), ("Dense", {"units": 4}))
    a, b, c = g.node_ids()
    for node_id, pos in ((a, (0.0, 0.0)), (b, (640.0, 0.0)), (c, (640.0, 400.0))):
        g.move(node_id, pos)
    canvas = canvas_of(g)
    edge = canvas.scene.edge_item(a, b, "input")
    assert edge.route is None
    g.move(c, (320.0, 0.0))  # right on the line from a to b
    canvas.scene.flush_routes()
    assert edge.route is not None
    assert not crosses(edge.route, canvas.scene.node_item(c).box().getCoords())
    g.move(c, (320.0, 600.0))
    canvas.scene.flush_routes()
    assert edge.route is None
    grip = canvas.scene.node_item(c).box().center()
    canvas.drag(grip, QPointF(grip.x(), grip.y() - 600.0))
    canvas.scene.flush_routes()
    assert g.node(c).pos == (320.0, 0.0) and edge.route is not None
