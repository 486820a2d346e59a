"""The minimap: a small overview of the whole graph in the canvas's corner.

Shown only while the graph is larger than the view (hidden when everything fits).
It draws every node's box, scaled down, and the rectangle the view shows; a click
or a drag on it centres the view there. The overview is drawn into a pixmap once
per change of the nodes (added, removed, moved: the scene's `nodes_changed`), so a
scroll or zoom frame only paints that pixmap and one rectangle: no work per node.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsView, QWidget

from studio.canvas.scene import GraphScene

#: The largest the minimap gets (pixels), and its distance from the view's corner.
MAX_SIZE = (220, 150)
INSET = 12
#: Scene space kept around the nodes in the overview.
BORDER = 40.0


class Minimap(QWidget):
    """The overview of `view`'s scene (a GraphScene), in `view`'s bottom-right corner."""

    def __init__(self, view: QGraphicsView) -> None:
        # A child of the view itself, not of its viewport: the viewport's children
        # are scrolled along with its pixels.
        super().__init__(view)
        self._view = view
        self._scene: GraphScene | None = None
        self._stale = True
        self._pixmap = QPixmap()
        #: Each node's box as (x, y, width, height).
        self._boxes: list[tuple[float, float, float, float]] = []
        #: The part of the scene the overview shows, and its scale (pixels per unit).
        self._world = QRectF()
        self._scale = 1.0
        #: Coalesces a burst of node changes (a paste, a layout) into one redraw.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self.hide()

    def set_scene(self, scene: GraphScene | None) -> None:
        """Follow `scene` instead of the last one (None: show nothing)."""
        if self._scene is not None:
            self._scene.nodes_changed.disconnect(self.mark_stale)
        self._scene = scene
        if scene is not None:
            scene.nodes_changed.connect(self.mark_stale)
        self.mark_stale()

    def mark_stale(self) -> None:
        """The nodes changed: redraw the overview once the change is over."""
        self._stale = True
        self._timer.start()

    def _measure(self) -> None:
        """Where the nodes are (the overview itself is drawn when first shown)."""
        self._stale = False
        self._pixmap = QPixmap()
        scene = self._scene
        # Plain numbers: this runs on every change of a large graph's nodes.
        self._boxes = scene.node_boxes() if scene is not None else []
        if self._boxes:
            left = min(b[0] for b in self._boxes) - BORDER
            top = min(b[1] for b in self._boxes) - BORDER
            right = max(b[0] + b[2] for b in self._boxes) + BORDER
            bottom = max(b[1] + b[3] for b in self._boxes) + BORDER
            self._world = QRectF(left, top, right - left, bottom - top)
        else:
            self._world = QRectF()
        if self._boxes:
            self._scale = min(MAX_SIZE[0] / self._world.width(), MAX_SIZE[1] / self._world.height())
            size = self._world.size() * self._scale
            self.resize(max(1, round(size.width())), max(1, round(size.height())))

    def _draw_overview(self) -> None:
        style = self._scene.style
        width, height = self.width(), self.height()
        self._pixmap = QPixmap(width, height)
        background = QColor(style.background.color())
        background.setAlpha(235)
        self._pixmap.fill(background)
        painter = QPainter(self._pixmap)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style.dim_text_pen.color())
        for box in self._boxes:
            painter.drawRect(self._to_map(QRectF(*box)))
        painter.setPen(style.node_pen.color())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(0, 0, width - 1, height - 1)
        painter.end()

    def _place(self) -> None:
        port = self._view.viewport().geometry()
        self.move(port.right() - self.width() - INSET, port.bottom() - self.height() - INSET)

    def visible_rect(self) -> QRectF:
        """The part of the scene the view shows."""
        return self._view.mapToScene(self._view.viewport().rect()).boundingRect()

    def refresh(self) -> None:
        """The view scrolled, zoomed or resized: show or hide, and redraw the frame."""
        if self._stale:
            self._measure()
        needed = not self._world.isEmpty() and not self.visible_rect().contains(
            self._world.adjusted(BORDER, BORDER, -BORDER, -BORDER)
        )
        if needed:
            self._place()
            self.update()
        self.setVisible(needed)

    def _to_map(self, rect: QRectF) -> QRectF:
        return QRectF(
            (rect.left() - self._world.left()) * self._scale,
            (rect.top() - self._world.top()) * self._scale,
            rect.width() * self._scale,
            rect.height() * self._scale,
        )

    def scene_pos(self, pixel: QPointF) -> QPointF:
        """The scene point under minimap pixel `pixel`."""
        return QPointF(
            self._world.left() + pixel.x() / self._scale,
            self._world.top() + pixel.y() / self._scale,
        )

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._pixmap.isNull() and self._boxes:
            self._draw_overview()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._pixmap)
        frame = self._to_map(self.visible_rect()).intersected(QRectF(self.rect()))
        if self._scene is not None and not frame.isEmpty():
            pen = QPen(self._scene.style.selected_pen.color(), 1.5)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(frame.adjusted(0.75, 0.75, -0.75, -0.75))
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._view.centerOn(self.scene_pos(event.position()))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._view.centerOn(self.scene_pos(event.position()))
        event.accept()
