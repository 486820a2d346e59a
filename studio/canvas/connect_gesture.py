"""Drag-to-connect: the mouse gesture that makes and moves connections.

Press on an output port and drag: a curve follows the cursor. Release on an input
port to connect, or on a node's body: the nearest of its free ports whose shape
rule takes the wire (`graph.fits.takes`) is the one, and the curve shows it while
hovering; a body with no such port reports why. On empty canvas, the controller
announces `wire_dropped` (the main window offers quick-add there, with the wire
`park`ed to it, and connects the layer chosen). Press on an input port that has a connection to pick
that connection up: release on another port moves it there, anywhere else removes
it. While dragging, a port that would refuse the connection (same node, port taken,
a cycle) turns the curve red; releasing there reports the graph's reason and
changes nothing. Escape cancels. The cursor turns into a cross over a port where a
drag can start.

The view offers the gesture its mouse events before its own handling (so a press
on a port neither moves nor selects the node); the gesture asks the controller for
every edit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent

from graph import ModelGraph
from graph.fits import takes
from studio.canvas.overlays import DraftEdgeItem
from studio.canvas.scene import EdgeKey, GraphScene, PortRef, shown_ports

if TYPE_CHECKING:
    from studio.canvas.controller import CanvasController


def refuses(g: ModelGraph, src: str, dst: str, port: str, moving: EdgeKey | None = None) -> bool:
    """Whether connecting src -> (dst, port) would be refused; `moving` is a connection
    being moved, whose own port counts as free."""
    taken = any(p == port and (s, dst, p) != moving for p, s in g.in_edges(dst))
    return taken or g.creates_cycle(src, dst)


def first_free_port(g: ModelGraph, src: str, dst: str) -> str | None:
    """The first of dst's input ports (top to bottom, as drawn) that would take a
    connection from src, or None if none would (an Input has no ports)."""
    connected = [p for p, _ in g.in_edges(dst)]
    ports = shown_ports(g.spec(dst), connected)
    return next((p for p in ports if not refuses(g, src, dst, p)), None)


def first_fitting_port(scene: GraphScene, src: str, dst: str) -> str | None:
    """The first of dst's free ports (as `first_free_port`) whose shape rule takes
    src's output, or None."""
    g = scene.graph
    ports = shown_ports(g.spec(dst), [p for p, _ in g.in_edges(dst)])
    return next(
        (p for p in ports if not refuses(g, src, dst, p) and takes(g, scene.report, src, dst, p)),
        None,
    )


def nearest_fitting_port(
    scene: GraphScene, src: str, dst: str, pos: QPointF, moving: EdgeKey | None = None
) -> str | None:
    """The free port of dst nearest `pos` (by height) that would take src's output,
    shapes included, or None."""
    g, item = scene.graph, scene.node_item(dst)
    fitting = [
        p
        for p in item.view.ports
        if not refuses(g, src, dst, p, moving) and takes(g, scene.report, src, dst, p, moving)
    ]
    return min(fitting, key=lambda p: abs(item.input_port_pos(p).y() - pos.y()), default=None)


class ConnectGesture:
    """Turns port drags on `controller`'s view into connect, move and disconnect edits
    (a `studio.canvas.view.Gesture`)."""

    def __init__(self, controller: CanvasController) -> None:
        self._controller = controller
        self._view = controller.view
        self._scene: GraphScene = controller.scene
        #: While dragging: the source node and its output dragged from, the curve, and
        #: the connection being moved.
        self._src: str | None = None
        self._output = 0
        self._draft: DraftEdgeItem | None = None
        self._moving: EdgeKey | None = None
        #: A wire drawn to where quick-add is open (see `park`).
        self._parked: DraftEdgeItem | None = None
        self._view.viewport().setMouseTracking(True)  # moves without a button: the cursor

    def dragging(self) -> bool:
        return self._draft is not None

    def _live(self) -> bool:
        """Whether the controller still exists and its scene is the one shown."""
        return shiboken6.isValid(self._controller) and self._controller.active()

    def press(self, event: QMouseEvent) -> bool:
        return self._live() and self._press(event)

    def move(self, event: QMouseEvent) -> bool:
        if not self._live():
            return False
        if self.dragging():
            self._follow(self._scene_pos(event))
            return True
        if not event.buttons():
            self._hover(self._scene_pos(event))
        return False

    def release(self, event: QMouseEvent) -> bool:
        if not self.dragging():
            return False
        if event.button() == Qt.MouseButton.LeftButton:
            self._release(self._scene_pos(event))
        return True

    def key(self, event: QKeyEvent) -> bool:
        if self.dragging() and event.key() == Qt.Key.Key_Escape:
            self._end()
            return True
        return False

    def _scene_pos(self, event: QMouseEvent) -> QPointF:
        return self._view.mapToScene(event.position().toPoint())

    # ------------------------------------------------------------------ steps

    def _press(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        pos = self._scene_pos(event)
        ref = self._scene.port_at(pos)
        if ref is None:
            return False
        if ref.port is None:
            self._start(ref.node, pos, ref.output)
            return True
        g = self._scene.graph
        src = next((s for p, s in g.in_edges(ref.node) if p == ref.port), None)
        if src is None:
            return False
        self._moving = (src, ref.node, ref.port)
        self._scene.edge_item(*self._moving).hide()
        self._start(src, pos, g.edge_output(*self._moving))
        return True

    def _start(self, src: str, pos: QPointF, output: int = 0) -> None:
        self._src, self._output = src, output
        start = self._scene.node_item(src).output_port_pos(output)
        self._draft = DraftEdgeItem(start, self._scene.style, self._scene.vertical)
        self._scene.addItem(self._draft)
        self._follow(pos)

    def _hover(self, pos: QPointF) -> None:
        ref = self._scene.port_at(pos)
        startable = ref is not None and (
            ref.port is None or any(p == ref.port for p, _ in self._scene.graph.in_edges(ref.node))
        )
        port = self._view.viewport()
        crossed = port.cursor().shape() == Qt.CursorShape.CrossCursor
        if startable and not crossed:
            port.setCursor(Qt.CursorShape.CrossCursor)
        elif crossed and not startable:
            port.unsetCursor()

    def _target(self, pos: QPointF) -> PortRef | None:
        """The input port a release at `pos` connects to: the one there, else the
        nearest fitting one of the node whose body is there."""
        ref = self._scene.port_at(pos)
        if ref is not None:
            return ref if ref.port is not None else None
        node = self._scene.node_at(pos)
        if node is None:
            return None
        port = nearest_fitting_port(self._scene, self._src, node, pos, self._moving)
        return None if port is None else PortRef(node, port)

    def _follow(self, pos: QPointF) -> None:
        target = self._target(pos)
        refused = target is not None and refuses(
            self._scene.graph, self._src, target.node, target.port, self._moving
        )
        if target is not None:
            pos = self._scene.node_item(target.node).input_port_pos(target.port)
        self._draft.follow(pos, refused)

    def _release(self, pos: QPointF) -> None:
        target, moving, src, output = self._target(pos), self._moving, self._src, self._output
        self._end()
        controller = self._controller
        if target is None:
            node = self._scene.node_at(pos)
            if moving is not None:
                controller.disconnect(moving)
            elif node is None:
                controller.wire_dropped.emit(src, pos)
            elif node != src:
                g = self._scene.graph
                controller.refused.emit(
                    f"{g.label(node)} has no free port that fits the output of "
                    f"'{g.layer(src).name}'"
                )
        elif moving is None:
            controller.connect(src, target.node, target.port, output)
        elif (target.node, target.port) != moving[1:]:
            controller.move_connection(moving, target.node, target.port)

    def park(self, src: str, pos: QPointF) -> None:
        """Draw a wire from src's output to `pos` until `drop_parked()`: the one that
        will connect the node quick-add, open there, adds."""
        self.drop_parked()
        self._parked = DraftEdgeItem(
            self._scene.node_item(src).output_port_pos(), self._scene.style, self._scene.vertical
        )
        self._scene.addItem(self._parked)
        self._parked.follow(pos, False)

    def drop_parked(self) -> None:
        """Take away the wire `park` drew."""
        if self._parked is not None:
            self._scene.removeItem(self._parked)
            self._parked = None

    def _end(self) -> None:
        """Take the curve away and show a picked-up connection again (if it stays,
        the graph's events take it away otherwise)."""
        self._scene.removeItem(self._draft)
        if self._moving is not None:
            self._scene.edge_item(*self._moving).show()
        self._draft = self._src = self._moving = None
        self._output = 0
