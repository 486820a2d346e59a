"""Drag-to-connect: the mouse gesture that makes and moves connections.

Press on an output port and drag: a curve follows the cursor. Release on an input
port to connect; anywhere else cancels. Press on an input port that has a
connection to pick that connection up: release on another port moves it there,
anywhere else removes it. While dragging, a port that would refuse the connection
(same node, port taken, a cycle) turns the curve red; releasing there reports the
graph's reason and changes nothing.

The gesture watches the view's viewport (an event filter, ahead of the view and the
scene, so a press on a port neither moves nor selects the node) and asks the
controller for every edit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QPointF, Qt
from PySide6.QtGui import QMouseEvent

from graph import ModelGraph
from studio.overlays import DraftEdgeItem
from studio.scene import EdgeKey, GraphScene, PortRef

if TYPE_CHECKING:
    from studio.controller import CanvasController


def refuses(g: ModelGraph, src: str, dst: str, port: str, moving: EdgeKey | None = None) -> bool:
    """Whether connecting src -> (dst, port) would be refused; `moving` is a connection
    being moved, whose own port counts as free."""
    taken = any(p == port and (s, dst, p) != moving for p, s in g.in_edges(dst))
    return taken or g.creates_cycle(src, dst)


class ConnectGesture(QObject):
    """Turns port drags on `controller`'s view into connect, move and disconnect edits."""

    def __init__(self, controller: CanvasController) -> None:
        super().__init__(controller)
        self._controller = controller
        self._view = controller.view
        self._scene: GraphScene = controller.scene
        #: While dragging: the source node, the curve, and the connection being moved.
        self._src: str | None = None
        self._draft: DraftEdgeItem | None = None
        self._moving: EdgeKey | None = None
        self._view.viewport().installEventFilter(self)

    def dragging(self) -> bool:
        return self._draft is not None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.MouseButtonPress and self._controller.active():
            return self._press(event)
        if kind == QEvent.Type.MouseMove and self.dragging():
            self._follow(self._scene_pos(event))
            return True
        if kind == QEvent.Type.MouseButtonRelease and self.dragging():
            if event.button() == Qt.MouseButton.LeftButton:
                self._release(self._scene_pos(event))
            return True
        return False

    def _scene_pos(self, event: QMouseEvent) -> QPointF:
        return self._view.mapToScene(event.position().toPoint())

    # ------------------------------------------------------------------ steps

    def _press(self, event: QMouseEvent) -> bool:
        if event.button() != Qt.MouseButton.LeftButton or self._view.pan_armed():
            return False
        pos = self._scene_pos(event)
        ref = self._scene.port_at(pos)
        if ref is None:
            return False
        if ref.port is None:
            self._start(ref.node, pos)
            return True
        g = self._scene.graph
        src = next((s for p, s in g.in_edges(ref.node) if p == ref.port), None)
        if src is None:
            return False
        self._moving = (src, ref.node, ref.port)
        self._scene.edge_item(*self._moving).hide()
        self._start(src, pos)
        return True

    def _start(self, src: str, pos: QPointF) -> None:
        self._src = src
        start = self._scene.node_item(src).output_port_pos()
        self._draft = DraftEdgeItem(start, self._scene.style)
        self._scene.addItem(self._draft)
        self._follow(pos)

    def _target(self, pos: QPointF) -> PortRef | None:
        ref = self._scene.port_at(pos)
        return ref if ref is not None and ref.port is not None else None

    def _follow(self, pos: QPointF) -> None:
        target = self._target(pos)
        refused = target is not None and refuses(
            self._scene.graph, self._src, target.node, target.port, self._moving
        )
        if target is not None:
            pos = self._scene.node_item(target.node).input_port_pos(target.port)
        self._draft.follow(pos, refused)

    def _release(self, pos: QPointF) -> None:
        target, moving, src = self._target(pos), self._moving, self._src
        self._end()
        controller = self._controller
        if target is None:
            if moving is not None:
                controller.disconnect(moving)
        elif moving is None:
            controller.connect(src, target.node, target.port)
        elif (target.node, target.port) != moving[1:]:
            controller.move_connection(moving, target.node, target.port)

    def _end(self) -> None:
        """Take the curve away and show a picked-up connection again (if it stays,
        the graph's events take it away otherwise)."""
        self._scene.removeItem(self._draft)
        if self._moving is not None:
            self._scene.edge_item(*self._moving).show()
        self._draft = self._src = self._moving = None
