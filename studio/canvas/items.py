"""Canvas items: a node (one call site of a layer) and an edge (one connection).

Items never see the graph. The scene hands each node a `NodeView` (plain values:
what to show) and each edge its label; items only lay out and paint that. Moving a
node item moves its edges, but never the graph: the scene reports drags so that the
controller can turn them into an undoable edit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QStyle, QStyleOptionGraphicsItem, QWidget

from studio.canvas.style import Style

#: Below this scale (screen pixels per scene unit) text is not drawn: unreadable
#: anyway, and the most expensive part of a frame on large graphs.
TEXT_LOD = 0.45
#: From this scale up to TEXT_LOD, a node shows only its layer name, large enough to
#: read: a fitted view of a long model is mostly at these scales.
NAME_LOD = 0.15

NODE_WIDTH = 180.0
HEADER = 22.0
ROW = 16.0
PAD = 6.0
PORT_RADIUS = 4.5
CORNER = 6.0
#: How far outside its rect a node paints (ports, the widest pen).
MARGIN = PORT_RADIUS + 2.0
#: How far the card behind a block use's box stands out (within MARGIN).
USE_STACK = 3.0
#: The rows of text under a node's header: name, output shape, param count.
TEXT_ROWS = 3
#: Zoomed out, the part of those rows the shape takes, under the name.
FAR_SHAPE_HEIGHT = 20.0
#: The smallest point sizes texts are shrunk to before they are cut: the header's
#: type and face, and zoomed out, the type, the shape and the badges.
TITLE_MIN_POINTS = 7.0
#: The header's text runs this close to the box's sides (the body's keeps PAD).
TITLE_PAD = 4.0
FAR_DETAIL_MIN_POINTS = 10.0
#: Zoomed out, the badges' point size and height: they sit on the box's top edge,
#: outside it, so that the type keeps the header.
FAR_BADGE_POINTS = 10.0
FAR_BADGE_HEIGHT = 16.0
#: How far from a port's centre a press or release still hits it (scene units):
#: well past the drawn dot, so a wire starts without aiming at a 9-unit disc.
PORT_HIT = 13.0
#: How wide the band along an edge is that a click selects it in (scene units).
EDGE_HIT = 10.0


@dataclass(frozen=True)
class NodeView:
    """What a node item shows; the scene builds it from the graph and its report."""

    type: str
    name: str
    #: The inferred output shape, e.g. "(None, 64)", or "" when unknown.
    shape: str
    #: e.g. "4,160 params", or "" when unknown.
    params: str
    #: The input ports, drawn on the left top to bottom (on the top, left to right,
    #: when the graph reads top to bottom).
    ports: tuple[str, ...]
    #: The params that tell this node from others of its type ("64 · relu", see
    #: LayerSpec.face_params), drawn after the type; "" for none.
    face: str = ""
    #: The weight count in a few characters ("4.2k", see short_count), zoomed out.
    short_params: str = ""
    output: bool = False
    #: How many call sites the layer has (more than one: a shared layer).
    shared: int = 1
    #: "error", "warning" or None, from the worst of `messages`.
    severity: str | None = None
    messages: tuple[str, ...] = ()
    #: Why the node cannot go to ONNX and what would fix it (from an export check).
    export_issues: tuple[str, ...] = ()
    #: The layer is frozen (not trainable): a "frozen" badge and a hatched header.
    frozen: bool = False
    #: Why compiling will give the layer fresh weights instead of the graph's saved
    #: ones (graph.reinit): a "re-init" badge, and the tooltip says why; "" if not.
    reinitialized: str = ""
    #: The output ports' names, top to bottom, when there are several (a block use
    #: with two outputs); () for the one unnamed output of a layer.
    outputs: tuple[str, ...] = ()
    #: For a block use, how many uses its definition has in the whole file (a "N
    #: uses" badge); 0 for a layer.
    uses: int = 0


class Follower(Protocol):
    """An item drawn between two nodes (an edge, a shared link), in scene
    coordinates shifted by its own position."""

    ends: tuple[NodeItem, NodeItem]

    def adjust(self) -> None:
        """Recompute the geometry from the nodes' current positions."""

    def shift(self, delta: QPointF) -> None:
        """Both ends moved by `delta`: move along without recomputing."""


def short_count(count: int) -> str:
    """A weight count in a few characters, for a zoomed-out node: 65, 4.2k, 1.3M."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if count >= limit:
            return f"{count / limit:.1f}{suffix}"
    return str(count)


def badges_of(view: NodeView) -> list[str]:
    """A node's badges, right to left: "x2" on each call site of a layer called
    twice, "3 uses" on a use of a block used three times, "output", "ONNX" (an
    export check's mark), "frozen" (not trainable), "re-init" (starts from fresh
    weights at compile time)."""
    return (
        ([f"x{view.shared}"] if view.shared > 1 else [])
        + ([uses_text(view.uses)] if view.uses else [])
        + (["output"] if view.output else [])
        + (["ONNX"] if view.export_issues else [])
        + (["frozen"] if view.frozen else [])
        + (["re-init"] if view.reinitialized else [])
    )


def uses_text(uses: int) -> str:
    """The badge of a block use: "1 use", "3 uses"."""
    return f"{uses} use" if uses == 1 else f"{uses} uses"


def _badge_brush(s: Style, badge: str) -> QBrush:
    """What badge `badge` is filled with: the export check's mark, ice, or plain."""
    if badge == "ONNX":
        return s.mark_brush
    return s.frozen_brush if badge == "frozen" else s.badge_brush


def _lod(painter: QPainter, option: QStyleOptionGraphicsItem) -> float:
    return option.levelOfDetailFromTransform(painter.worldTransform())


def edge_path(start: QPointF, end: QPointF, vertical: bool = False) -> QPainterPath:
    """The curve of a connection: leaves the output rightwards and enters the port
    from the left; `vertical`: leaves downwards and enters from above."""
    path = QPainterPath(start)
    if vertical:
        reach = QPointF(0.0, max(40.0, abs(end.y() - start.y()) / 2))
    else:
        reach = QPointF(max(40.0, abs(end.x() - start.x()) / 2), 0.0)
    path.cubicTo(start + reach, end - reach, end)
    return path


#: How round a route's corners are (scene units, at most).
ROUTE_CORNER = 12.0


def route_path(corners: Sequence[tuple[float, float]]) -> QPainterPath:
    """A polyline through `corners` with rounded corners (a routed connection)."""
    points = [QPointF(*c) for c in corners]
    path = QPainterPath(points[0])
    for before, corner, after in zip(points, points[1:], points[2:], strict=False):
        into, out = corner - before, after - corner
        into_len, out_len = _length(into), _length(out)
        if not into_len or not out_len:
            continue
        r = min(ROUTE_CORNER, into_len / 2, out_len / 2)
        path.lineTo(corner - into * (r / into_len))
        path.quadTo(corner, corner + out * (r / out_len))
    path.lineTo(points[-1])
    return path


def _length(v: QPointF) -> float:
    return (v.x() ** 2 + v.y() ** 2) ** 0.5


def box_height(
    ports: tuple[str, ...], vertical: bool = False, outputs: tuple[str, ...] = ()
) -> float:
    """How tall a node with these input ports (and named `outputs`, when several) is
    drawn: a labelled row per named port (a lone "input" port needs none), the
    inputs' on the left beside the outputs' on the right; `vertical` (ports on the
    top and bottom edges): no rows."""
    inputs = len(ports) if NodeItem._labelled(ports) else 0
    rows = 0 if vertical else max(inputs, len(outputs))
    return HEADER + PAD + (TEXT_ROWS + rows) * ROW + PAD


@cache
def box_paths(height: float) -> tuple[QPainterPath, QPainterPath]:
    """A node box's rounded outline and its header band, `height` high.

    The same for every node with as many port rows, and the header's path
    intersection is the costliest part of making an item (0.5 ms; 1,500 nodes open
    in 0.3 s less), so they are made once per height. QPainterPath is implicitly
    shared: items holding the same one never see each other's changes.
    """
    outline = QPainterPath()
    outline.addRoundedRect(QRectF(0.0, 0.0, NODE_WIDTH, height), CORNER, CORNER)
    band = QPainterPath()
    band.addRect(QRectF(0.0, 0.0, NODE_WIDTH, HEADER))
    return outline, outline.intersected(band)


class NodeItem(QGraphicsItem):
    """A rounded box: header with the layer type and its face, then name, shape and
    params (the badges at that row's end); named input ports on the left, the output
    port on the right, or `vertical`: inputs on the top edge, named above it, and
    the output at the bottom."""

    def __init__(self, node_id: str, view: NodeView, style: Style, vertical: bool = False) -> None:
        super().__init__()
        self.node_id = node_id
        self._style = style
        self.vertical = vertical
        #: Items drawn between this node and another (edges, shared links): they
        #: follow the node through `adjust()`.
        self._followers: list[Follower] = []
        #: Drawn as a call site of the selected node's layer.
        self.linked = False
        #: Each input port's centre (x, y), in item coordinates.
        self._port_at: dict[str, tuple[float, float]] = {}
        #: Each output port's centre, in output order (one for a layer).
        self._outputs_at: list[QPointF] = []
        self._rect = QRectF()
        self._outline = self._header = QPainterPath()
        #: Elided texts and badge places, made at the first paint after a change
        #: (most nodes of a large graph are off screen: they never need them).
        self._text_ready = False
        self._title = self._far_name = self._far_title = self._far_shape = self._far_count = ""
        self._title_font = style.title_font
        self._far_font = self._far_title_font = self._far_shape_font = style.far_font
        self._far_badge_font = style.far_detail_font
        self._rows: list[str] = []
        #: Where each badge goes and its text: near, on the params row; zoomed out,
        #: above the header.
        self._badges: list[tuple[QRectF, str]] = []
        self._far_badges: list[tuple[QRectF, str]] = []
        self._tip = ""
        #: Whether badges may be drawn above the box (zoomed out): its bounds grow.
        self._has_badges = False
        #: What the cost display adds (studio/canvas/heat.py): the body's heat fill,
        #: and a line drawn under the box when near (the bounds grow by a row).
        self._heat: QBrush | None = None
        self._cost_line = ""
        self.view: NodeView | None = None
        flag = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flag.ItemIsMovable | flag.ItemIsSelectable)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1.0)
        self.set_view(view)

    # ------------------------------------------------------------------ state

    def set_view(self, view: NodeView) -> None:
        """Show `view`; a no-op when nothing changed (the scene calls this often)."""
        if view == self.view:
            return
        relayout = self.view is None or (view.ports, view.outputs) != (
            self.view.ports,
            self.view.outputs,
        )
        has_badges = bool(badges_of(view))
        if relayout or has_badges != self._has_badges:
            self.prepareGeometryChange()
            self._has_badges = has_badges
        if relayout:
            self._layout(view.ports, view.outputs)
        self.view = view
        self._text_ready = False
        reinitialized = (view.reinitialized,) if view.reinitialized else ()
        tip = "\n".join(view.messages + view.export_issues + reinitialized)
        if tip != self._tip:
            self._tip = tip
            self.setToolTip(tip)
        self.update()
        if relayout:
            for item in self._followers:
                item.adjust()

    def set_style(self, style: Style) -> None:
        """Paint with `style` from now on (a theme switch)."""
        self._style = style
        self._text_ready = False
        self.update()

    def set_decoration(self, fill: QColor | None, line: str) -> None:
        """Fill the body with `fill` (None: the style's) and show `line` under the box."""
        if fill == (self._heat and self._heat.color()) and line == self._cost_line:
            return
        if bool(line) != bool(self._cost_line):
            self.prepareGeometryChange()
        self._heat = None if fill is None else QBrush(fill)
        self._cost_line = line
        self.update()

    def set_vertical(self, vertical: bool) -> None:
        """Put the ports on the top and bottom edges (True) or on the sides."""
        if vertical == self.vertical:
            return
        self.prepareGeometryChange()
        self.vertical = vertical
        self._layout(self.view.ports, self.view.outputs)
        self.update()
        for item in self._followers:
            item.adjust()

    def set_linked(self, linked: bool) -> None:
        """Outline the node as a fellow call site of the selected node's layer."""
        if linked != self.linked:
            self.linked = linked
            self.update()

    def _layout(self, ports: tuple[str, ...], outputs: tuple[str, ...] = ()) -> None:
        """Size the box for its ports: named ports get a labelled row each, a lone
        "input" port sits unlabelled at mid-height; so does a lone output, on the
        right, and several outputs get a labelled row each there. Vertical: the
        inputs share the top edge evenly, left to right, the outputs the bottom."""
        text_bottom = HEADER + PAD + TEXT_ROWS * ROW
        height = box_height(ports, self.vertical, outputs)
        count = max(1, len(outputs))
        if self.vertical:
            slot = NODE_WIDTH / (len(ports) + 1)
            self._port_at = {p: ((i + 1) * slot, 0.0) for i, p in enumerate(ports)}
            out_slot = NODE_WIDTH / (count + 1)
            self._outputs_at = [QPointF((i + 1) * out_slot, height) for i in range(count)]
        else:
            if self._labelled(ports):
                self._port_at = {
                    p: (0.0, text_bottom + (i + 0.5) * ROW) for i, p in enumerate(ports)
                }
            else:
                self._port_at = {p: (0.0, height / 2) for p in ports}
            if outputs:
                rows = [text_bottom + (i + 0.5) * ROW for i in range(count)]
                self._outputs_at = [QPointF(NODE_WIDTH, y) for y in rows]
            else:
                self._outputs_at = [QPointF(NODE_WIDTH, height / 2)]
        self._rect = QRectF(0.0, 0.0, NODE_WIDTH, height)
        #: The box's height, as a plain number (the minimap reads every node's).
        self.height = height
        self._outline, self._header = box_paths(height)

    @staticmethod
    def _labelled(ports: tuple[str, ...]) -> bool:
        return bool(ports) and ports != ("input",)

    def badges(self) -> list[str]:
        """The badges this node draws (see badges_of)."""
        return badges_of(self.view)

    def drawn_texts(self, lod: float) -> tuple[str, ...]:
        """The texts the node draws at the level of detail `lod` (screen pixels per
        scene unit), elided as drawn: header first, then the body's."""
        if lod < NAME_LOD:
            return ()
        self._ensure_text()
        if lod < TEXT_LOD:
            far = (self._far_title, self._far_name, self._far_shape, self._far_count)
            return far + tuple(text for _, text in self._far_badges)
        near = (self._title, *self._rows) + tuple(text for _, text in self._badges)
        return near + ((self._cost_line,) if self._cost_line else ())

    def _ensure_text(self) -> None:
        if not self._text_ready:
            self._prepare_text(self.view)
            self._text_ready = True

    def _prepare_text(self, view: NodeView) -> None:
        """Elide texts and place badges once per change, not once per paint.

        Near, the header is the type and its face alone, in a font shrunk before it
        is cut, and the badges sit at the end of the params row (a count is short).
        Zoomed out the badges sit on the box's top edge, the face gives way before
        the type is cut, and the param count, shortened, goes beside the shape."""
        s = self._style
        inner = NODE_WIDTH - 2 * PAD
        elide = Qt.TextElideMode.ElideRight
        title = f"{view.type} {view.face}" if view.face else view.type
        self._title_font, _, self._title = s.shrunk(
            s.title_font, title, NODE_WIDTH - 2 * TITLE_PAD, TITLE_MIN_POINTS
        )
        params_row = HEADER + PAD + 2 * ROW
        self._badges, right = self._place_badges(s.small_metrics, params_row + 1.0, ROW - 2.0)
        self._rows = [
            s.text_metrics.elidedText(text, elide, width)
            for text, width in (
                (view.name, inner),
                (view.shape or "shape unknown", inner),
                (view.params, right - PAD - 4.0),
            )
        ]
        self._far_font, self._far_name = s.far_name(view.name, inner)
        self._far_badge_font, badge_metrics = s.sized(s.far_detail_font, FAR_BADGE_POINTS)
        self._far_badges, _ = self._place_badges(badge_metrics, -FAR_BADGE_HEIGHT, FAR_BADGE_HEIGHT)
        far = s.far_detail_metrics
        # Zoomed out, the type goes whole before its params go cut.
        shown = title if far.horizontalAdvance(title) <= inner else view.type
        self._far_title_font, _, self._far_title = s.shrunk(
            s.far_detail_font, shown, inner, FAR_DETAIL_MIN_POINTS
        )
        self._far_count = view.short_params
        count = f"  {self._far_count}" if self._far_count else ""
        font, metrics, _ = s.shrunk(
            s.far_detail_font, view.shape + count, inner, FAR_DETAIL_MIN_POINTS
        )
        self._far_shape_font = font
        shape_room = inner - metrics.horizontalAdvance(count)
        self._far_shape = metrics.elidedText(view.shape, elide, shape_room)

    def _place_badges(
        self, metrics: QFontMetricsF, top: float, height: float
    ) -> tuple[list[tuple[QRectF, str]], float]:
        """The badges' rects from the box's right edge leftwards, `height` high at
        `top`, sized by `metrics`; and the x where the free room ends."""
        right, placed = NODE_WIDTH - PAD, []
        for text in self.badges():
            width = metrics.horizontalAdvance(text) + 8.0
            right -= width
            placed.append((QRectF(right, top, width, height), text))
            right -= 4.0
        return placed, right + 4.0 if placed else right

    def add_follower(self, item: Follower) -> None:
        """Let `item` follow this node: its `adjust()` runs when the node moves."""
        self._followers.append(item)

    def remove_follower(self, item: Follower) -> None:
        self._followers.remove(item)

    def input_port_pos(self, port: str) -> QPointF:
        """Where an edge into `port` ends, in scene coordinates."""
        at = self._port_at.get(port)
        if at is None:
            at = (NODE_WIDTH / 2, 0.0) if self.vertical else (0.0, self._rect.height() / 2)
        return self.mapToScene(*at)

    def output_port_pos(self, output: int = 0) -> QPointF:
        """Where edges out of output `output` of this node start, in scene coordinates
        (an output the node lacks, in a loaded file: its last one)."""
        return self.mapToScene(self._outputs_at[min(output, len(self._outputs_at) - 1)])

    def port_label_rects(self) -> list[QRectF]:
        """Where the input ports' names are drawn, in scene coordinates (none for a
        lone "input" port)."""
        if not self._labelled(self.view.ports):
            return []
        return [self.mapRectToScene(self._port_label_rect(at)) for at in self._port_at.values()]

    def _port_label_rect(self, at: tuple[float, float]) -> QRectF:
        """A port name's place: beside its dot inside the box, or vertical, above the
        top edge right of the dot (clear of the wire coming down into it)."""
        x, y = at
        if self.vertical:
            slot = NODE_WIDTH / (len(self._port_at) + 1)
            return QRectF(x + PORT_RADIUS + 1.0, -ROW, slot - PORT_RADIUS - 2.0, ROW - 1.0)
        return QRectF(PORT_RADIUS + 3.0, y - ROW / 2, NODE_WIDTH / 2, ROW)

    def box(self) -> QRectF:
        """The box as drawn (ports and badges left out), in scene coordinates."""
        return self._rect.translated(self.pos())

    def center(self) -> QPointF:
        """The middle of the box, in scene coordinates."""
        return self.mapToScene(self._rect.center())

    def output_port_at(self, scene_pos: QPointF) -> int | None:
        """Which output port `scene_pos` is on (within PORT_HIT; between several, the
        nearest), or None."""
        pos = self.mapFromScene(scene_pos)
        hits = [
            (abs(offset.x()) + abs(offset.y()), i)
            for i, offset in enumerate(pos - at for at in self._outputs_at)
            if abs(offset.x()) <= PORT_HIT and abs(offset.y()) <= PORT_HIT
        ]
        return min(hits)[1] if hits else None

    def input_port_at(self, scene_pos: QPointF) -> str | None:
        """The input port at `scene_pos` (within PORT_HIT across; along, half a row
        between labelled ports, PORT_HIT for a lone one), or None."""
        pos = self.mapFromScene(scene_pos)
        if self.vertical:
            reach = min(PORT_HIT * 2, NODE_WIDTH / (len(self._port_at) + 1) / 2)
            across, along, i = pos.x(), pos.y(), 0
        else:
            reach = ROW / 2 if self._labelled(self.view.ports) else PORT_HIT
            across, along, i = pos.y(), pos.x(), 1
        if abs(along) > PORT_HIT:
            return None
        return next((p for p, at in self._port_at.items() if abs(across - at[i]) <= reach), None)

    # -------------------------------------------------------------- QGraphicsItem

    def boundingRect(self) -> QRectF:
        top = FAR_BADGE_HEIGHT if self._has_badges else MARGIN
        if self.vertical and self._labelled(self.view.ports):
            top = max(top, ROW)  # the port names above the box
        bottom = MARGIN + ROW if self._cost_line else MARGIN
        return self._rect.adjusted(-MARGIN, -top, MARGIN, bottom)

    def shape(self) -> QPainterPath:
        return self._outline

    def followers(self) -> list[Follower]:
        return list(self._followers)

    def moved(self) -> None:
        """Bring the edges and links in line after the node moved.

        Called by whoever moves the node (the scene, after a graph move or a mouse
        drag), instead of from itemChange: a Python itemChange runs for every change
        of every item (8 calls per node while a scene is built), which cost more
        than a tenth of opening a 1,500-node graph.
        """
        for item in self._followers:
            item.adjust()

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        s, view = self._style, self.view
        if option.state & QStyle.StateFlag.State_Selected:
            border = s.selected_pen
        elif view.severity == "error":
            border = s.error_pen
        elif view.export_issues:
            border = s.mark_pen
        elif self.linked:
            border = s.link_pen
        elif view.severity == "warning":
            border = s.warning_pen
        elif view.output:
            border = s.output_pen
        else:
            border = s.node_pen
        if view.uses:  # a block use: a card behind the box, as a stack of layers
            painter.setPen(s.node_pen)
            painter.setBrush(s.header_brush)
            painter.drawPath(self._outline.translated(USE_STACK, USE_STACK))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(s.error_brush if view.severity == "error" else self._heat or s.node_brush)
        painter.drawPath(self._outline)
        painter.setBrush(s.header_brush)
        painter.drawPath(self._header)
        if view.frozen:
            painter.setBrush(s.frozen_hatch)
            painter.drawPath(self._header)
        painter.setPen(border)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._outline)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(s.port_brush)
        for x, y in self._port_at.values():
            painter.drawEllipse(QPointF(x, y), PORT_RADIUS, PORT_RADIUS)
        for at in self._outputs_at:
            painter.drawEllipse(at, PORT_RADIUS, PORT_RADIUS)
        lod = _lod(painter, option)
        if lod >= NAME_LOD:
            self._ensure_text()
        if lod >= TEXT_LOD:
            self._paint_text(painter)
            if self._cost_line:
                painter.setFont(s.small_font)
                painter.setPen(s.dim_text_pen)
                below = QRectF(PAD, self._rect.bottom(), NODE_WIDTH - 2 * PAD, ROW)
                painter.drawText(below, Qt.AlignmentFlag.AlignCenter, self._cost_line)
        elif lod >= NAME_LOD:
            self._paint_far_text(painter)

    def _paint_far_text(self, painter: QPainter) -> None:
        """Zoomed out: the type in the header, the name and the shape below it, in
        fonts large enough to read at a fitted view's scale."""
        s = self._style
        inner = NODE_WIDTH - 2 * PAD
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        center = Qt.AlignmentFlag.AlignCenter
        painter.setPen(s.text_pen)
        painter.setFont(self._far_title_font)
        painter.drawText(QRectF(PAD, 0.0, inner, HEADER), left, self._far_title)
        self._paint_badges(painter, self._far_badges, self._far_badge_font)
        painter.setPen(s.text_pen)
        painter.setFont(self._far_font)
        name_height = TEXT_ROWS * ROW - FAR_SHAPE_HEIGHT
        painter.drawText(QRectF(PAD, HEADER + PAD, inner, name_height), center, self._far_name)
        painter.setPen(s.dim_text_pen)
        painter.setFont(self._far_shape_font)
        shape_rect = QRectF(PAD, HEADER + PAD + name_height, inner, FAR_SHAPE_HEIGHT)
        if self._far_count:
            painter.drawText(shape_rect, left, self._far_shape)
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(shape_rect, right, self._far_count)
        else:
            painter.drawText(shape_rect, center, self._far_shape)

    def _paint_badges(
        self, painter: QPainter, badges: list[tuple[QRectF, str]], font: QFont
    ) -> None:
        s = self._style
        painter.setFont(font)
        for rect, text in badges:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(_badge_brush(s, text))
            painter.drawRoundedRect(rect, 3.0, 3.0)
            painter.setPen(s.text_pen)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_text(self, painter: QPainter) -> None:
        s = self._style
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.setPen(s.text_pen)
        painter.setFont(self._title_font)
        title_rect = QRectF(TITLE_PAD, 0.0, NODE_WIDTH - 2 * TITLE_PAD, HEADER)
        painter.drawText(title_rect, left, self._title)
        self._paint_badges(painter, self._badges, s.small_font)
        painter.setFont(s.text_font)
        for i, text in enumerate(self._rows):
            painter.setPen(s.text_pen if i == 0 else s.dim_text_pen)
            y = HEADER + PAD + i * ROW
            painter.drawText(QRectF(PAD, y, NODE_WIDTH - 2 * PAD, ROW), left, text)
        if self._labelled(self.view.ports):
            painter.setFont(s.small_font)
            painter.setPen(s.dim_text_pen)
            for port, at in self._port_at.items():
                rect = self._port_label_rect(at)
                text = s.small_metrics.elidedText(port, Qt.TextElideMode.ElideRight, rect.width())
                painter.drawText(rect, left, text)
        if self.view.outputs and not self.vertical:
            painter.setFont(s.small_font)
            painter.setPen(s.dim_text_pen)
            right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            width = NODE_WIDTH / 2 - PORT_RADIUS - 3.0
            for name, at in zip(self.view.outputs, self._outputs_at, strict=True):
                rect = QRectF(NODE_WIDTH / 2, at.y() - ROW / 2, width, ROW)
                text = s.small_metrics.elidedText(name, Qt.TextElideMode.ElideRight, width)
                painter.drawText(rect, right, text)


class EdgeItem(QGraphicsItem):
    """A cubic curve from a node's output port to another's input port, or a
    rounded route around the nodes in between (`set_route`), labelled with the
    tensor shape that flows along it.

    Every edge out of a node carries the same shape, so the label is drawn once per
    node, beside its output port, on the edge the scene chooses (`label_shown`):
    labels of a fan-out never stack.
    """

    def __init__(
        self,
        src: NodeItem,
        dst: NodeItem,
        port: str,
        style: Style,
        label: str = "",
        problem: str = "",
        output: int = 0,
    ) -> None:
        super().__init__()
        self.src, self.dst, self.port = src, dst, port
        #: Which output of the source the edge leaves from (a block use has several).
        self.output = output
        self.ends = (src, dst)
        self._style = style
        self.label = label
        #: What is wrong with what flows along the edge ("" if nothing): drawn red,
        #: and shown as the tooltip.
        self.problem = ""
        self._path = QPainterPath()
        self._label_rect = QRectF()
        #: Whether this edge draws its source's shape label (the scene decides, once
        #: every edge of the source is there).
        self.label_shown = False
        #: The route's corners, or None for the plain curve.
        self.route: list[tuple[float, float]] | None = None
        #: Where the edge starts and ends, (x, y) each, kept by `adjust` and `shift`.
        self.ends_xy = ((0.0, 0.0), (0.0, 0.0))
        #: How far `shift` moved the item from its path's scene coordinates.
        self._shifted = (0.0, 0.0)
        #: Called with the edge after each `adjust` (the scene re-routes it later).
        self.on_adjust: Callable[[EdgeItem], None] | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0.0)
        src.add_follower(self)
        dst.add_follower(self)
        self._set_problem(problem)
        self.adjust()

    @property
    def bad(self) -> bool:
        """Whether the edge is drawn in red."""
        return bool(self.problem)

    def pen(self, selected: bool = False) -> QPen:
        """What the curve is drawn with: the selection's, else red when bad."""
        s = self._style
        if selected:
            return s.edge_selected_pen
        return s.edge_error_pen if self.bad else s.edge_pen

    def _set_problem(self, problem: str) -> None:
        self.problem = problem
        self.setToolTip(problem)

    def detach(self) -> None:
        """Forget both ends (before the edge leaves the scene)."""
        self.src.remove_follower(self)
        self.dst.remove_follower(self)

    def set_style(self, style: Style) -> None:
        """Paint with `style` from now on (a theme switch)."""
        self._style = style
        self.prepareGeometryChange()
        self._place_label()
        self.update()

    def set_view(self, label: str, problem: str) -> None:
        """Show `label` (a shape, or "" when unknown); a `problem` draws the edge in
        red with the problem as tooltip ("": none)."""
        if (label, problem) == (self.label, self.problem):
            return
        relabel = label != self.label
        self.label = label
        if problem != self.problem:
            self._set_problem(problem)
        if relabel:
            self.prepareGeometryChange()
            self._place_label()
        self.update()

    def shift(self, delta: QPointF) -> None:
        self.moveBy(delta.x(), delta.y())
        dx, dy = delta.x(), delta.y()
        (sx, sy), (ex, ey) = self.ends_xy
        self.ends_xy = (sx + dx, sy + dy), (ex + dx, ey + dy)
        self._shifted = (self._shifted[0] + dx, self._shifted[1] + dy)

    def ends_at(self) -> tuple[QPointF, QPointF]:
        """Where the edge starts and ends (the two ports), in scene coordinates."""
        return self.src.output_port_pos(self.output), self.dst.input_port_pos(self.port)

    def adjust(self) -> None:
        """Recompute the plain curve from the ends' current port positions (the
        scene, told through `on_adjust`, gives it a route again if it needs one)."""
        self.route = None
        start, end = self.ends_at()
        self.ends_xy = (start.x(), start.y()), (end.x(), end.y())
        self._set_path(edge_path(start, end, self.src.vertical))
        if self.on_adjust is not None:
            self.on_adjust(self)

    def set_route(self, corners: list[tuple[float, float]] | None) -> None:
        """Draw the edge along `corners` (see routing.lane_route), or None: plain."""
        if corners == self.route:
            return
        self.route = corners
        if corners is None:
            self._set_path(edge_path(*self.ends_at(), self.src.vertical))
        else:
            self._set_path(route_path(corners))

    def path(self) -> QPainterPath:
        """The drawn line, in scene coordinates."""
        return self._path.translated(self.pos())

    def set_label_shown(self, shown: bool) -> None:
        if shown != self.label_shown:
            in_scene = self.scene() is not None
            if in_scene:
                self.prepareGeometryChange()
            self.label_shown = shown
            self._place_label()
            if in_scene:
                self.update()

    def label_rect(self) -> QRectF:
        """Where the shape label is drawn, in scene coordinates (empty: none)."""
        return self._label_rect.translated(self.pos())

    def _set_path(self, path: QPainterPath) -> None:
        self.prepareGeometryChange()
        self.setPos(0.0, 0.0)  # undo any shift: the curve is in scene coordinates
        self._shifted = (0.0, 0.0)
        self._path = path
        self._place_label()

    def _place_label(self) -> None:
        """The label's place: just past the output port, beside the line leaving it,
        where a node's edges have not parted yet; above it (top to bottom: right of
        it) unless the node's edges all turn that way, on it if they turn both ways."""
        if not (self.label and self.label_shown):
            self._label_rect = QRectF()
            return
        x, y = self.ends_xy[0]  # in the scene; the rect is in the item's coordinates
        width = self._style.small_width(self.label) + 6.0
        height = self._style.small_metrics.height() + 2.0
        vertical = self.src.vertical
        turns = set()
        for edge in self.src._followers:
            if not (isinstance(edge, EdgeItem) and edge.src is self.src):
                continue
            end = edge.ends_xy[1]
            offset = end[0] - x if vertical else end[1] - y
            turns.add(0 if abs(offset) < 1.0 else (1 if offset > 0 else -1))
        flipped = turns == {-1} if not vertical else turns == {1}
        # Edges parting both ways leave no free side: the label sits on the line.
        across = {-1, 1} <= turns
        x, y = x - self._shifted[0], y - self._shifted[1]
        if vertical:
            left = x - width - 5.0 if flipped else x + 5.0
            top = y + 4.0
            if across:
                left, top = x - width / 2, y + 6.0
            self._label_rect = QRectF(left, top, width, height)
        else:
            top = y + 2.0 if flipped else y - height - 2.0
            if across:
                top = y - height / 2
            self._label_rect = QRectF(x + 8.0, top, width, height)

    def boundingRect(self) -> QRectF:
        rect = self._path.boundingRect().adjusted(-3.0, -3.0, 3.0, 3.0)
        return rect.united(self._label_rect) if not self._label_rect.isEmpty() else rect

    def shape(self) -> QPainterPath:
        """What a click hits: a band along the curve, and the shape label."""
        stroker = QPainterPathStroker()
        stroker.setWidth(EDGE_HIT)
        band = stroker.createStroke(self._path)
        if not self._label_rect.isEmpty():
            band.addRect(self._label_rect)
        return band

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        s = self._style
        painter.setPen(self.pen(bool(option.state & QStyle.StateFlag.State_Selected)))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        if self._label_rect.isEmpty() or _lod(painter, option) < TEXT_LOD:
            return
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(s.label_brush)
        painter.drawRoundedRect(self._label_rect, 3.0, 3.0)
        painter.setPen(s.text_pen if not self.bad else s.edge_error_pen)
        painter.setFont(s.small_font)
        painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self.label)
