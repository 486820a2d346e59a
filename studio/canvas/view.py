"""GraphView: the window onto a GraphScene, with the canvas's navigation.

Wheel zoom around the cursor (within MIN_ZOOM..MAX_ZOOM), pan with the middle button
or space + left drag, rubber-band selection with a left drag on empty canvas, and
`fit()` to see every node. The view edits nothing: a dropped palette layer and a
request for quick-add (Tab, or a double-click on empty canvas) and a right-click
are signals with a scene position, which the controller and the main window turn into edits.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QCursor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QWidget

from studio.canvas.items import NodeItem
from studio.canvas.minimap import Minimap
from studio.canvas.scene import GraphScene
from studio.mime import dropped_layer_type, dropped_library_block

MIN_ZOOM = 0.05
MAX_ZOOM = 4.0
#: Zoom factor per wheel notch (120 units of angle delta).
WHEEL_STEP = 1.2
#: Space left around the nodes by `fit()`, in screen pixels.
FIT_MARGIN = 40
#: `fit()` shrinks a large graph but shows a small one at its natural size.
FIT_MAX_ZOOM = 1.0
#: Half the side of the square of scene the view can scroll over: far beyond any
#: graph (a 1,500-node chain laid out is under 500,000 units wide), and still within
#: the scroll bars' int range at MAX_ZOOM.
EXTENT = 5_000_000.0


class Gesture(Protocol):
    """A mouse gesture the view offers its events to first (e.g. drag-to-connect);
    each method returns whether it took the event.

    Gestures are called from the view's own event handlers, not installed as Qt
    event filters: a Python event filter still attached when the process exits is
    called while the widgets are destroyed, and crashes it (PySide6 6.11.3).
    """

    def press(self, event: QMouseEvent) -> bool: ...

    def move(self, event: QMouseEvent) -> bool: ...

    def release(self, event: QMouseEvent) -> bool: ...

    def key(self, event: QKeyEvent) -> bool: ...


class GraphView(QGraphicsView):
    """Shows a GraphScene; navigation here, edits through the controller."""

    #: A palette layer type was dropped at a scene position.
    layer_dropped = Signal(str, QPointF)
    #: A block library entry (its file's path) was dropped at a scene position.
    library_dropped = Signal(str, QPointF)
    #: The user asked to add a node here (Tab, or a double-click on empty canvas).
    quick_add_requested = Signal(QPointF)
    #: A right-click (or the menu key): the scene position, and where the menu goes.
    context_menu_requested = Signal(QPointF, QPoint)
    #: Escape, unless a connection drag took it (the window backs out of a block).
    escape_pressed = Signal()

    def __init__(self, scene: GraphScene | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        #: The overview in the corner, shown while the graph is larger than the view.
        self.minimap = Minimap(self)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setSceneRect(QRectF(-EXTENT, -EXTENT, 2 * EXTENT, 2 * EXTENT))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # zoom_by keeps its own anchor: Qt's AnchorUnderMouse reads the global cursor.
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        #: Where the last pan move was, while panning.
        self._pan_from: QPoint | None = None
        self._space_down = False
        #: Offered mouse and key events before the view's own handling (one at a
        #: time: the controller of the scene shown sets it).
        self.gesture: Gesture | None = None
        if scene is not None:
            self.setScene(scene)

    def setScene(self, scene: QGraphicsScene | None) -> None:
        super().setScene(scene)
        self.minimap.set_scene(scene if isinstance(scene, GraphScene) else None)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.minimap.refresh()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.minimap.refresh()

    # ---------------------------------------------------------------- zooming

    def zoom(self) -> float:
        """Screen pixels per scene unit."""
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor: QPoint | None = None) -> None:
        """Zoom by `factor` (clamped to MIN_ZOOM..MAX_ZOOM), keeping the scene point
        under `anchor` (viewport pixels; default the centre) in place."""
        target = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        factor = target / self.zoom()
        if factor == 1.0:
            return
        anchor = self.viewport().rect().center() if anchor is None else anchor
        fixed = self.mapToScene(anchor)
        self.scale(factor, factor)
        shift = self.mapFromScene(fixed) - anchor
        self._scroll(shift.x(), shift.y())
        self.minimap.refresh()

    def zoom_in(self) -> None:
        """One wheel notch closer, around the canvas's middle."""
        self.zoom_by(WHEEL_STEP)

    def zoom_out(self) -> None:
        self.zoom_by(1 / WHEEL_STEP)

    def fit(self) -> None:
        """Zoom and scroll to show every node (see `frame`)."""
        scene = self.scene()
        self.frame(scene.node_items() if isinstance(scene, GraphScene) else [])

    def frame_selection(self) -> None:
        """Zoom and scroll to show the selected nodes (every node when none is)."""
        scene = self.scene()
        if not isinstance(scene, GraphScene):
            return
        chosen = [scene.node_item(n) for n in scene.selected_node_ids()]
        self.frame(chosen or scene.node_items())

    def frame(self, nodes: list[NodeItem]) -> None:
        """Zoom and scroll to show `nodes`, FIT_MARGIN pixels from the edges (at most
        at FIT_MAX_ZOOM: a lone node is not blown up to fill the window)."""
        if not nodes:
            self.resetTransform()
            self.centerOn(0.0, 0.0)
            self.minimap.refresh()
            return
        rect = QRectF()
        for item in nodes:
            rect |= item.sceneBoundingRect()
        port = self.viewport().rect().adjusted(FIT_MARGIN, FIT_MARGIN, -FIT_MARGIN, -FIT_MARGIN)
        scale = min(port.width() / rect.width(), port.height() / rect.height())
        scale = min(FIT_MAX_ZOOM, max(MIN_ZOOM, scale))
        self.resetTransform()
        self.scale(scale, scale)
        self.centerOn(rect.center())
        self.minimap.refresh()

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y()
        if delta:
            self.zoom_by(WHEEL_STEP ** (delta / 120), event.position().toPoint())
        event.accept()

    # ---------------------------------------------------------------- panning

    def _scroll(self, dx: float, dy: float) -> None:
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + round(dx))
        v.setValue(v.value() + round(dy))

    def _pans(self, event: QMouseEvent) -> bool:
        button = event.button()
        return button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space_down
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._pans(event):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
        elif self.gesture is not None and self.gesture.press(event):
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            here = event.position().toPoint()
            moved = self._pan_from - here
            self._pan_from = here
            self._scroll(moved.x(), moved.y())
            event.accept()
        elif self.gesture is not None and self.gesture.move(event):
            event.accept()
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and self._pans(event):
            self._pan_from = None
            self._show_space_cursor()
            event.accept()
        elif self.gesture is not None and self.gesture.release(event):
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def _show_space_cursor(self) -> None:
        if self._space_down:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.viewport().unsetCursor()

    # -------------------------------------------------------------- keyboard

    def event(self, event: QEvent) -> bool:
        # Tab would move the focus away before keyPressEvent sees it.
        if (
            event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Tab
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            self.request_quick_add()
            return True
        return super().event(event)

    def request_quick_add(self) -> None:
        """Ask for quick-add at the cursor if it is over the canvas, else mid-canvas."""
        port = self.viewport()
        at = port.mapFromGlobal(QCursor.pos()) if self.has_cursor() else port.rect().center()
        self.quick_add_requested.emit(self.mapToScene(at))

    def has_cursor(self) -> bool:
        """Whether the mouse cursor is over the visible canvas."""
        port = self.viewport()
        return port.isVisible() and port.rect().contains(port.mapFromGlobal(QCursor.pos()))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._space_key(event, down=True):
            return
        if self.gesture is not None and self.gesture.key(event):
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if not self._space_key(event, down=False):
            super().keyReleaseEvent(event)

    def _space_key(self, event: QKeyEvent, down: bool) -> bool:
        """Arm or disarm space + drag panning; whether `event` was the space bar."""
        if event.key() != Qt.Key.Key_Space or event.isAutoRepeat():
            return False
        self._space_down = down
        self._show_space_cursor()
        event.accept()
        return True

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        on_empty = self.itemAt(event.position().toPoint()) is None
        if event.button() == Qt.MouseButton.LeftButton and on_empty:
            self.quick_add_requested.emit(self.mapToScene(event.position().toPoint()))
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.context_menu_requested.emit(self.mapToScene(event.pos()), event.globalPos())
        event.accept()

    # ----------------------------------------------------------------- drops

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._accept_layer(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._accept_layer(event)

    def dropEvent(self, event: QDropEvent) -> None:
        data = event.mimeData()
        layer_type, library = dropped_layer_type(data), dropped_library_block(data)
        if layer_type is None and library is None:
            event.ignore()
            return
        event.acceptProposedAction()
        at = self.mapToScene(event.position().toPoint())
        if library is not None:
            self.library_dropped.emit(str(library), at)
        else:
            self.layer_dropped.emit(layer_type, at)

    @staticmethod
    def _accept_layer(event: QDragMoveEvent) -> None:
        data = event.mimeData()
        if dropped_layer_type(data) is None and dropped_library_block(data) is None:
            event.ignore()
        else:
            event.acceptProposedAction()
