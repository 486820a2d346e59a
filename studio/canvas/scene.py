"""GraphScene: the canvas picture of a ModelGraph, kept in step through its events.

The scene only listens. It builds one item per node and per edge, follows the
graph's events (never the other way round), and after each change re-runs
`validate` (incremental, so cheap) to update what the items show: shapes, param
counts, problems. Edits come from undo commands calling ModelGraph methods; even a
drag only moves items, and is reported through `nodes_dragged` for the controller
to turn into one undoable move.

Edges are plain curves, except those that would pass through a node other than
their ends: they get a route around (studio/canvas/routing.py), found after the
change that moved them (once per change, not once per frame: while a drag lasts the
moved edges stay plain). Ports sit on the nodes' sides when the graph reads left to
right, on their top and bottom when it reads top to bottom (`direction`).

A scene draws one level of a file (studio/document/levels.py): the top graph, or a
block's body entered through a use, whose shapes come from `report_of` (the body as
that use sees it) and which follows `top`, the file's top graph, too: an edit there
(an undo, say) changes what flows into the use. A block use is drawn with its block's
name, an output port per block output (an edge leaves from the output it takes) and
a badge with how many uses its block has in the file; double-clicking one asks to
enter it (`enter_requested`).

Besides the graph, the scene shows two transient things: the links between call
sites of the selected node's layer, and the nodes an ONNX export check marked (until
the next edit). Bulk edits run inside `batch()`, so that a paste of a hundred nodes
validates once, not once per event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import NamedTuple

from PySide6.QtCore import QObject, QPointF, QRectF, QSignalBlocker, QSizeF, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGraphicsScene,
    QGraphicsSceneHelpEvent,
    QGraphicsSceneMouseEvent,
    QToolTip,
)

from codegen.layout import Direction, direction_of
from graph import LayerSpec, ModelGraph, Problem, Report, validate
from graph.blocks import BlockSpec, use_counts
from graph.infer import Inferred
from graph.reinit import reinitialized_why
from graph.report import ERROR
from graph.shapes import fmt
from studio.canvas.items import NODE_WIDTH, PORT_HIT, EdgeItem, NodeItem, NodeView, short_count
from studio.canvas.overlays import SharedLinkItem
from studio.canvas.routing import STUB, NodeGrid, crosses, lane_route
from studio.canvas.style import Style

#: Problem codes about what flows into a node: its incoming edges are drawn red (only
#: the one into the problem's port, when the problem names one).
CONNECTION_CODES = frozenset({"surplus-input", "shape", "shared-mismatch", "cycle"})

EdgeKey = tuple[str, str, str]


class PortRef(NamedTuple):
    """A port on the canvas: a node's input port by name, or its output number
    `output` (port None)."""

    node: str
    port: str | None = None
    output: int = 0


def shown_ports(spec: LayerSpec | None, connected: Iterable[str]) -> tuple[str, ...]:
    """The input ports a node draws, top to bottom.

    Fixed ports: the spec's names. Variadic (merge) ports: the connected ones in
    index order, then free ones up to the required count, at least one, so there is
    always a port to drop a new connection on. Connections to ports the spec lacks
    (a loaded file; validate reports them) get a port too, so every edge has an end.
    """
    connected = set(connected)
    if spec is None:
        return tuple(sorted(connected))
    ports = spec.ports
    if not ports.variadic:
        return ports.names + tuple(sorted(connected - set(ports.names)))
    indices = sorted(i for i in map(ports.index, connected) if i is not None)
    start = indices[-1] + 1 if indices else 0
    free = range(start, start + max(1, ports.required - len(indices)))
    unknown = sorted(p for p in connected if ports.index(p) is None)
    return tuple(ports.name(i) for i in [*indices, *free]) + tuple(unknown)


class GraphScene(QGraphicsScene):
    """Draws `graph` and follows its events until `detach()`; `direction`: which
    way it reads ("LR", "TB"; None: the way its positions read, else "LR")."""

    #: {node id: (x, y)} of nodes the user dragged; the graph is not changed.
    nodes_dragged = Signal(dict)
    #: The graph's fresh Report after each change (panels reuse it).
    validated = Signal(object)
    #: Nodes were added, removed or moved, or the direction changed (the minimap redraws).
    nodes_changed = Signal()
    #: A block use was double-clicked: its body is to be shown (node id).
    enter_requested = Signal(str)

    def __init__(
        self,
        graph: ModelGraph,
        style: Style | None = None,
        parent: QObject | None = None,
        direction: Direction | None = None,
        report_of: Callable[[], Report] | None = None,
        top: ModelGraph | None = None,
    ) -> None:
        """`graph`: the graph drawn; `report_of`: what validates it (validate(graph)
        by default); `top`: the file's top graph when `graph` is a body shown."""
        super().__init__(parent)
        self.graph = graph
        #: The file's top graph (`graph` itself unless a body is shown).
        self.top = graph if top is None else top
        self._report_of = report_of or (lambda: validate(graph))
        #: How many uses each block has in the file (graph.blocks.use_counts).
        self._uses = use_counts(self.top)
        self._style = style or Style.light()
        self.direction: Direction = direction or direction_of(graph) or "LR"
        self._subscriptions: tuple = ()
        #: Edges moved since the last routing, and whether a drag holds it back.
        self._route_dirty: dict[int, EdgeItem] = {}
        #: Scene rects nodes left or moved onto since the last routing: other edges
        #: passing there may need a route now, or none any more.
        self._moved_boxes: list[QRectF] = []
        self._moved_items: set[NodeItem] = set()
        self._dragging = False
        self._route_timer = QTimer(self)
        self._route_timer.setSingleShot(True)
        self._route_timer.timeout.connect(self.flush_routes)
        # Qt's BSP index: without one, every paint asks each item of the scene for its
        # bounding rect (a Python call): 12 to 15 ms a frame for 1,500 nodes at any
        # zoom, against 2 to 4 ms with it (bench/canvas_bench.py). Only a drag of
        # the whole graph is slower with it (each moved item is re-filed). Switching
        # to NoIndex for such drags was tried: every paint after the switch back
        # stayed 4x slower (PySide6 6.11.3).
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setBackgroundBrush(self._style.background)
        self.report = Report()
        #: The last report's problems by node, and the model outputs it saw.
        self._problems: dict[str, tuple[Problem, ...]] = {}
        self._outputs: set[str] = set()
        self._nodes: dict[str, NodeItem] = {}
        #: node id -> layer id, to find a removed node's fellow call sites.
        self._layer_of: dict[str, int] = {}
        #: The nodes drawn that are block uses.
        self._drawn_uses: set[str] = set()
        self._edges: dict[EdgeKey, EdgeItem] = {}
        #: node id -> the ONNX export check's messages, shown until the next edit.
        self._marks: dict[str, tuple[str, ...]] = {}
        self._links: list[SharedLinkItem] = []
        #: Nesting depth of `batch()`, and the nodes touched meanwhile.
        self._batching = 0
        self._deferred: set[str] = set()
        # Validate first, so each item is made once with what it shows.
        self._take_report(self._report_of())
        for node_id in graph.node_ids():
            self._add_node_item(node_id)
        for src, dst, port in graph.edges():
            self._add_edge_item(src, dst, port, add=False)
        # Labels and routes before the edges join the scene: each change of an item's
        # bounds there would re-file it in the scene's index.
        labelled: set[tuple[str, int]] = set()
        for (src, _, _), edge in self._edges.items():  # each output's first edge
            if (src, edge.output) not in labelled:
                labelled.add((src, edge.output))
                edge.set_label_shown(True)
        self._route(list(self._edges.values()))
        self._route_dirty = {}
        for edge in self._edges.values():
            self.addItem(edge)
        events = graph.events
        self._subscriptions = (
            (events.node_added, self._on_node_added),
            (events.node_removed, self._on_node_removed),
            (events.edge_added, self._on_edge_added),
            (events.edge_removed, self._on_edge_removed),
            (events.layer_changed, self._on_layer_changed),
            (events.node_moved, self._on_node_moved),
            (events.outputs_changed, self._on_outputs_changed),
            (self.top.events.block_changed, self._on_block_changed),
        )
        if self.top is not graph:
            top_events = self.top.events
            self._subscriptions += tuple(
                (event, self._on_context_changed)
                for event in (
                    top_events.node_added,
                    top_events.node_removed,
                    top_events.edge_added,
                    top_events.edge_removed,
                    top_events.layer_changed,
                )
            )
        for event, handler in self._subscriptions:
            event.connect(handler)
        self.selectionChanged.connect(self._show_links)

    def detach(self) -> None:
        """Stop following the graph (the graph's events no longer reach the scene)."""
        for event, handler in self._subscriptions:
            event.disconnect(handler)
        self._subscriptions = ()
        # The edges' hook back to the scene is a reference cycle: without this the
        # scene and its items would wait for Python's cyclic collector to go.
        self._route_timer.stop()
        for edge in self._edges.values():
            edge.on_adjust = None

    @property
    def style(self) -> Style:
        return self._style

    @property
    def vertical(self) -> bool:
        """Whether the graph reads top to bottom (ports on the nodes' top and bottom)."""
        return self.direction == "TB"

    def set_direction(self, direction: Direction) -> None:
        """Put the ports where `direction` wants them ("LR": sides, "TB": top and bottom)."""
        if direction == self.direction:
            return
        self.direction = direction
        for item in self._nodes.values():
            item.set_vertical(self.vertical)
        self.nodes_changed.emit()

    def node_boxes(self) -> list[tuple[float, float, float, float]]:
        """Every node's box as (x, y, width, height), where the items stand."""
        return [(x, y, NODE_WIDTH, h) for _, x, y, h in self._box_corners()]

    def _box_corners(self) -> Iterator[tuple[str, float, float, float]]:
        """(node id, x, y, height) of every node's box, where its item stands."""
        for node_id, item in self._nodes.items():
            pos = item.pos()
            yield node_id, pos.x(), pos.y(), item.height

    def node_sizes(self) -> dict[str, tuple[float, float]]:
        """Each node's drawn (width, height), for codegen.layout."""
        return {n: (i.box().width(), i.box().height()) for n, i in self._nodes.items()}

    # ---------------------------------------------------------------- routing

    def _edge_adjusted(self, edge: EdgeItem) -> None:
        self._route_dirty[id(edge)] = edge
        if not (self._dragging or self._route_timer.isActive()):
            self._route_timer.start()

    def _node_moving(self, item: NodeItem) -> None:
        """Note where `item` stands before it moves, and (at the next routing) where
        it ends: the edges passing either place are routed again."""
        if item in self._moved_items:
            return  # a drag goes on: its start was noted
        self._moved_boxes.append(item.sceneBoundingRect())
        self._moved_items.add(item)
        if not (self._dragging or self._route_timer.isActive()):
            self._route_timer.start()

    def flush_routes(self) -> None:
        """Route now the edges moved since the last time (else a zero timer does it),
        and the other edges that pass where a node moved from or to: found by the
        scene's index, a look at a few rects rather than at every edge."""
        self._route_timer.stop()
        dirty, self._route_dirty = self._route_dirty, {}
        boxes = self._moved_boxes + [i.sceneBoundingRect() for i in self._moved_items]
        self._moved_boxes, self._moved_items = [], set()
        for box in boxes:
            for item in self.items(box, Qt.ItemSelectionMode.IntersectsItemBoundingRect):
                if isinstance(item, EdgeItem):
                    dirty.setdefault(id(item), item)
        self._route([e for e in dirty.values() if e.scene() is self])

    def _route(self, edges: list[EdgeItem]) -> None:
        """Give each of `edges` a route around the nodes in its way, or none; each
        new lane apart from those of the routes already drawn."""
        if not edges:
            return
        grid = NodeGrid((n, (x, y, x + NODE_WIDTH, y + h)) for n, x, y, h in self._box_corners())
        vertical = self.vertical
        routing = {id(e) for e in edges}
        taken = [
            e.route for e in self._edges.values() if e.route is not None and id(e) not in routing
        ]
        for edge in edges:
            start, end = edge.ends_xy
            forward = (end[1] - start[1] if vertical else end[0] - start[0]) >= 2 * STUB
            if forward:
                ends = (edge.src.node_id, edge.dst.node_id)
                near = [n for n in grid.near(_curve_bounds(start, end, vertical)) if n not in ends]
                if not near:
                    if edge.route is not None:
                        edge.set_route(None)
                    continue
                line = [p.toTuple() for poly in edge.path().toSubpathPolygons() for p in poly]
                if not any(crosses(line, grid.rects[n]) for n in near):
                    edge.set_route(None)
                    continue
            route = lane_route(start, end, grid, vertical, taken)
            edge.set_route(route)
            taken.append(route)

    def set_style(self, style: Style) -> None:
        """Repaint every item with `style` (a theme switch on a live scene)."""
        self._style = style
        self.setBackgroundBrush(style.background)
        for item in [*self._nodes.values(), *self._edges.values()]:
            item.set_style(style)
        self._show_links()
        self.nodes_changed.emit()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Validate once at the end of the block instead of after each graph event."""
        self._batching += 1
        try:
            yield
        finally:
            self._batching -= 1
            # A detached scene (a command made on it, undone once another is shown)
            # no longer follows the graph: nothing of it to bring up to date.
            if not self._batching and self._subscriptions:
                touched, self._deferred = self._deferred, set()
                self._revalidate(touched)

    # ---------------------------------------------------------------- lookups

    def node_item(self, node_id: str) -> NodeItem:
        return self._nodes[node_id]

    def edge_item(self, src: str, dst: str, port: str) -> EdgeItem:
        return self._edges[(src, dst, port)]

    def node_items(self) -> list[NodeItem]:
        return list(self._nodes.values())

    def edge_items(self) -> list[EdgeItem]:
        return list(self._edges.values())

    def link_items(self) -> list[SharedLinkItem]:
        """The links drawn between the selected nodes and their layers' other call sites."""
        return list(self._links)

    def selected_node_ids(self) -> list[str]:
        """The selected nodes, in graph order."""
        chosen = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        return [n for n in self._nodes if n in chosen]

    def selected_edges(self) -> list[EdgeKey]:
        """The selected connections as (source, destination, port), in graph order."""
        chosen = {id(i) for i in self.selectedItems() if isinstance(i, EdgeItem)}
        return [key for key, item in self._edges.items() if id(item) in chosen]

    def select_nodes(self, node_ids: Iterable[str]) -> None:
        """Select exactly these nodes, announcing the change once (not once per node)."""
        with QSignalBlocker(self):
            self.clearSelection()
            for node_id in node_ids:
                self._nodes[node_id].setSelected(True)
        self.selectionChanged.emit()

    def port_at(self, scene_pos: QPointF) -> PortRef | None:
        """The port at `scene_pos` on the topmost node there, or None."""
        reach = QPointF(PORT_HIT, PORT_HIT)
        area = QRectF(scene_pos - reach, QSizeF(2 * PORT_HIT, 2 * PORT_HIT))
        for item in self.items(area, Qt.ItemSelectionMode.IntersectsItemBoundingRect):
            if not isinstance(item, NodeItem):
                continue
            output = item.output_port_at(scene_pos)
            if output is not None:
                return PortRef(item.node_id, None, output)
            port = item.input_port_at(scene_pos)
            if port is not None:
                return PortRef(item.node_id, port)
        return None

    def node_at(self, scene_pos: QPointF) -> str | None:
        """The topmost node whose box is at `scene_pos`, or None."""
        return next((i.node_id for i in self.items(scene_pos) if isinstance(i, NodeItem)), None)

    def edge_at(self, scene_pos: QPointF) -> EdgeKey | None:
        """The connection whose curve or label is at `scene_pos`, or None."""
        item = next((i for i in self.items(scene_pos) if isinstance(i, EdgeItem)), None)
        return None if item is None else (item.src.node_id, item.dst.node_id, item.port)

    def port_tip(self, ref: PortRef) -> str:
        """What a port's tooltip says: its name and the shape through it, e.g.
        "query: (None, 20, 64)" (what flows in, or "not connected"), or
        "output: (None, 64)"."""
        g = self.graph
        if ref.port is None:
            src, output = ref.node, ref.output
            names = self._node_view(src).outputs
            name = names[output] if output < len(names) else "output"
        else:
            name = ref.port
            src = next((s for p, s in g.in_edges(ref.node) if p == ref.port), None)
            if src is None:
                return f"{name}: not connected"
            output = g.edge_output(src, ref.node, ref.port)
        inferred = self.report.nodes.get(src)
        if inferred is not None:
            inferred = inferred.output(output)
        return f"{name}: {fmt(inferred.shape) if inferred else 'shape unknown'}"

    # ------------------------------------------------------------ export marks

    def mark_export_problems(self, messages: Mapping[str, Iterable[str]]) -> None:
        """Mark nodes that cannot go to ONNX, with why and the fix, until the next edit."""
        self.clear_marks()
        self._marks = {n: tuple(m) for n, m in messages.items() if n in self._nodes}
        for node_id in self._marks:
            self._nodes[node_id].set_view(self._node_view(node_id))

    def clear_marks(self) -> None:
        marked, self._marks = self._marks, {}
        for node_id in marked.keys() & self._nodes.keys():
            self._nodes[node_id].set_view(self._node_view(node_id))

    def marked_node_ids(self) -> list[str]:
        return list(self._marks)

    # ------------------------------------------------------------ graph events

    def _on_node_added(self, node_id: str) -> None:
        self._add_node_item(node_id)
        recounted = self._recount_uses() if node_id in self._drawn_uses else set()
        self._revalidate(recounted | set(self.graph.call_sites(node_id)))
        if self._links or self.selectedItems():
            self._show_links()

    def _on_node_removed(self, node_id: str) -> None:
        # The graph removes a node's connections (with their events) first.
        item = self._nodes.pop(node_id)
        self._moved_items.discard(item)
        item.setSelected(False)
        self.removeItem(item)
        self.nodes_changed.emit()
        layer_id = self._layer_of.pop(node_id)
        fellows = {n for n, other in self._layer_of.items() if other == layer_id}
        if node_id in self._drawn_uses:
            self._drawn_uses.discard(node_id)
            fellows |= self._recount_uses()
        self._revalidate(fellows)
        if self._links:
            self._show_links()

    def _on_edge_added(self, src: str, dst: str, port: str) -> None:
        self._add_edge_item(src, dst, port)
        self._show_label(src)
        self._revalidate((src, dst))

    def _on_edge_removed(self, src: str, dst: str, port: str) -> None:
        edge = self._edges.pop((src, dst, port))
        edge.detach()
        self._route_dirty.pop(id(edge), None)
        self.removeItem(edge)
        self._show_label(src)
        self._revalidate((dst,))

    def _show_label(self, src: str) -> None:
        """Label each of `src`'s outputs' shape on its first edge only (they all
        carry the same)."""
        labelled: set[int] = set()
        for edge in self._nodes[src].followers():
            if isinstance(edge, EdgeItem) and edge.src.node_id == src:
                edge.set_label_shown(edge.output not in labelled)
                labelled.add(edge.output)

    def _on_block_changed(self, name: str) -> None:
        """A body changed: its uses here may have new ports, shapes and counts. The
        body shown announces its own edits through its events already."""
        if self.graph.is_body and name == self.graph.name:
            return
        self._revalidate(self._recount_uses() | set(self.block_uses()))

    def _on_context_changed(self, *_: object) -> None:
        """The top graph changed under the body shown: what flows into its use may too."""
        self._revalidate()

    def block_uses(self) -> list[str]:
        """The block uses among the nodes drawn (double-click enters them)."""
        return [n for n in self._nodes if n in self._drawn_uses]

    def _recount_uses(self) -> set[str]:
        """Count the blocks' uses again; returns the uses drawn whose count changed."""
        old, self._uses = self._uses, use_counts(self.top)
        changed = {
            name for name in old.keys() | self._uses.keys() if old.get(name) != self._uses.get(name)
        }
        if not changed:
            return set()
        return {n for n in self.block_uses() if self.graph.layer(n).type in changed}

    def _on_layer_changed(self, node_ids: tuple[str, ...]) -> None:
        g = self.graph
        uses = {n for n in node_ids if g.layer(n).type in g.blocks}
        if uses or self._drawn_uses.intersection(node_ids):
            # a use made another block's (Make unique): both blocks' counts change
            self._drawn_uses.difference_update(node_ids)
            self._drawn_uses |= uses
            self._revalidate(self._recount_uses() | set(node_ids))
            return
        self._revalidate(node_ids)

    def _on_outputs_changed(self) -> None:
        outputs = set(self.graph.outputs)
        self._revalidate(outputs ^ self._outputs)

    def _on_node_moved(self, node_id: str) -> None:
        item = self._nodes[node_id]
        pos = QPointF(*self.graph.node(node_id).pos)
        if item.pos() != pos:  # else a drag put it there already, edges and all
            self._node_moving(item)
            item.setPos(pos)
            item.moved()
            self.nodes_changed.emit()

    # ------------------------------------------------------------------ items

    def _add_node_item(self, node_id: str) -> None:
        item = NodeItem(node_id, self._node_view(node_id), self._style, self.vertical)
        item.setPos(*self.graph.node(node_id).pos)
        self._nodes[node_id] = item
        self._layer_of[node_id] = self.graph.node(node_id).layer_id
        if self.graph.layer(node_id).type in self.graph.blocks:
            self._drawn_uses.add(node_id)
        self.addItem(item)
        if self._subscriptions:  # not while the scene is being built
            self.nodes_changed.emit()

    def _add_edge_item(self, src: str, dst: str, port: str, add: bool = True) -> None:
        """An item for the edge (`add`: in the scene; else the caller adds it)."""
        label, problem = self._edge_view(src, dst, port)
        output = self.graph.edge_output(src, dst, port)
        edge = EdgeItem(
            self._nodes[src], self._nodes[dst], port, self._style, label, problem, output
        )
        self._edges[(src, dst, port)] = edge
        if add:
            self.addItem(edge)
        edge.on_adjust = self._edge_adjusted
        if add:  # else the scene being built routes every edge at once
            self._edge_adjusted(edge)

    def _revalidate(self, touched: Iterable[str] = ()) -> None:
        """Validate the graph and update the items whose view may have changed.

        `touched`: nodes the event changed directly (their layer, ports, badges);
        shapes and problems that moved elsewhere are found by comparing reports,
        so one edit on a large graph repaints only what it affected.
        """
        if not self._subscriptions:  # detached while the event that got here ran
            return
        touched = set(touched)
        if self._marks:  # an edit: the export check's marks may be out of date
            touched |= self._marks.keys()
            self._marks = {}
        if self._batching:
            self._deferred |= touched
            return
        old, old_problems = self.report, self._problems
        report = self._report_of()
        problems = self._take_report(report)
        dirty = {n for n in touched if n in self._nodes}
        for node_id in problems.keys() | old_problems.keys():
            if problems.get(node_id) != old_problems.get(node_id):
                dirty.add(node_id)
        new_shapes, old_shapes = report.nodes, old.nodes
        for node_id in self._nodes:
            before, after = old_shapes.get(node_id), new_shapes.get(node_id)
            if before is not after and before != after:
                dirty.add(node_id)
        dirty &= self._nodes.keys()
        for node_id in dirty:
            self._nodes[node_id].set_view(self._node_view(node_id))
        for (src, dst, port), edge in self._edges.items():
            if src in dirty or dst in dirty:
                edge.set_view(*self._edge_view(src, dst, port))
        self.validated.emit(report)

    def _take_report(self, report: Report) -> dict[str, tuple[Problem, ...]]:
        """Make `report` the one items show; returns its problems by node."""
        self.report = report
        self._outputs = set(self.graph.outputs)
        problems: dict[str, tuple[Problem, ...]] = {}
        for problem in report.problems:
            if problem.node is not None:
                problems[problem.node] = (*problems.get(problem.node, ()), problem)
        self._problems = problems
        return problems

    def _edge_view(self, src: str, dst: str, port: str) -> tuple[str, str]:
        """An edge's label (the source's shape) and its problem: the messages of the
        destination's problems with what flows into `port` ("" if none): those that
        name this port, and those about its inputs that name none."""
        inferred = self.report.nodes.get(src)
        if inferred is not None and inferred.more:
            inferred = inferred.output(self.graph.edge_output(src, dst, port))
        problems = self._problems.get(dst, ())
        problem = "\n".join(
            p.message for p in problems if p.code in CONNECTION_CODES and p.port in (None, port)
        )
        return (fmt(inferred.shape) if inferred else "", problem)

    def _node_view(self, node_id: str) -> NodeView:
        """What `node_id`'s item shows, from the graph and the last report."""
        g = self.graph
        layer = g.layer(node_id)
        inferred = self.report.nodes.get(node_id)
        mine = self._problems.get(node_id, ())
        if any(p.severity == ERROR for p in mine):
            severity = "error"
        else:
            severity = "warning" if mine else None
        spec = g.spec(node_id)
        block = isinstance(spec, BlockSpec)
        return NodeView(
            type=spec.title if spec and not block else layer.type,
            face=spec.face_params(spec.resolve(layer.params)) if spec and not block else "",
            name=layer.name,
            shape=_shapes_text(inferred) if inferred else "",
            params=f"{inferred.params:,} params" if inferred else "",
            short_params=short_count(inferred.params) if inferred else "",
            ports=shown_ports(g.spec(node_id), (port for port, _ in g.in_edges(node_id))),
            output=node_id in self._outputs,
            shared=len(g.call_sites(node_id)),
            severity=severity,
            messages=tuple(p.message for p in mine),
            export_issues=self._marks.get(node_id, ()),
            frozen=not layer.trainable,
            reinitialized=reinitialized_why(
                g.weights, layer.name, inferred.params if inferred else None
            ),
            outputs=output_names(spec),
            uses=self._uses.get(layer.type, 0) if block else 0,
        )

    # ------------------------------------------------------------ shared links

    def _show_links(self) -> None:
        """Link each selected node to the other call sites of its layer."""
        for link in self._links:
            link.detach()
            self.removeItem(link)
            for node in link.ends:
                node.set_linked(False)
        self._links = []
        selected = self.selected_node_ids()
        if not selected:
            return
        drawn: set[frozenset[str]] = set()
        for node_id in selected:
            for other in self.graph.call_sites(node_id):
                pair = frozenset((node_id, other))
                if other == node_id or pair in drawn:
                    continue
                drawn.add(pair)
                link = SharedLinkItem(self._nodes[node_id], self._nodes[other], self._style)
                self._links.append(link)
                self.addItem(link)
        for link in self._links:
            for node in link.ends:
                node.set_linked(True)

    # ------------------------------------------------------------------ mouse

    def helpEvent(self, event: QGraphicsSceneHelpEvent) -> None:
        """Over a port, its `port_tip`; elsewhere the item's own tooltip."""
        ref = self.port_at(event.scenePos())
        if ref is None:
            super().helpEvent(event)
            return
        QToolTip.showText(event.screenPos(), self.port_tip(ref), event.widget())
        event.accept()

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        """A double-click on a block use asks to enter it; elsewhere Qt's own."""
        node = self.node_at(event.scenePos())
        left = event.button() == Qt.MouseButton.LeftButton
        if left and node is not None and isinstance(self.graph.spec(node), BlockSpec):
            self.enter_requested.emit(node)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        dragging = event.buttons() & Qt.MouseButton.LeftButton and isinstance(
            self.mouseGrabberItem(), NodeItem
        )
        if not dragging:
            super().mouseMoveEvent(event)
            return
        # Qt moves the selected nodes; their edges and links follow here. A curve
        # whose two ends moved alike is only shifted (dragging a whole part of a
        # large graph would otherwise recompute thousands of curves per frame).
        self._dragging = True  # routes wait for the release
        nodes = [i for i in self.selectedItems() if isinstance(i, NodeItem)]
        for node in nodes:
            self._node_moving(node)
        before = [node.pos() for node in nodes]
        super().mouseMoveEvent(event)
        moved = {id(node): node.pos() - pos for node, pos in zip(nodes, before, strict=True)}
        followers = {id(f): f for node in nodes for f in node.followers()}
        for follower in followers.values():
            a, b = (moved.get(id(end)) for end in follower.ends)
            if a is not None and a == b:
                follower.shift(a)
            else:
                follower.adjust()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        if self._dragging:
            self._dragging = False
            self.nodes_changed.emit()
            if self._route_dirty:
                self._route_timer.start()
        moved = {}
        for item in self.selectedItems():
            if isinstance(item, NodeItem):
                pos = (item.x(), item.y())
                if pos != self.graph.node(item.node_id).pos:
                    moved[item.node_id] = pos
        if moved:
            self.nodes_dragged.emit(moved)


def output_names(spec: LayerSpec | None) -> tuple[str, ...]:
    """The output ports' names of a node of `spec`: a block use's, when it has several
    (its body's output layers' names); () for one unnamed output."""
    if not isinstance(spec, BlockSpec) or len(spec.body.outputs) < 2:
        return ()
    body = spec.body
    return tuple(body.layer(n).name for n in body.outputs)


def _shapes_text(inferred: Inferred) -> str:
    """A node's output shape, or a use's several: "(None, 4) · (None, 32)"."""
    shapes = [inferred.shape, *(more.shape for more in inferred.more)]
    return " · ".join(fmt(shape) for shape in shapes)


def _curve_bounds(
    start: tuple[float, float], end: tuple[float, float], vertical: bool
) -> tuple[float, float, float, float]:
    """What a forward edge's plain curve (items.edge_path) stays within: between its
    ends, and across them by as far as its control points reach (40 at least)."""
    (sx, sy), (ex, ey) = start, end
    if vertical:
        reach = max(40.0, (ey - sy) / 2)
        return (min(sx, ex), sy, max(sx, ex), max(ey, sy + reach))
    reach = max(40.0, (ex - sx) / 2)
    return (sx, min(sy, ey), max(ex, sx + reach), max(sy, ey))
