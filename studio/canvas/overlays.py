"""Canvas items that are not part of the graph: a connection being dragged, and the
links that show which call sites share the selected node's layer.

They live beside the graph's items but never stand for a node or an edge, so the
scene keeps them out of its node and edge maps.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from studio.canvas.items import NodeItem, edge_path
from studio.canvas.style import Style


class DraftEdgeItem(QGraphicsItem):
    """The curve from an output port to the cursor while a connection is dragged;
    dashed in the selection colour, or red over a port that would refuse it."""

    def __init__(self, start: QPointF, style: Style, vertical: bool = False) -> None:
        super().__init__()
        self._style = style
        self._start = start
        self._vertical = vertical
        self._path = edge_path(start, start, vertical)
        self.refused = False
        self.setZValue(3.0)  # above nodes, so the cursor's end stays visible

    def follow(self, end: QPointF, refused: bool = False) -> None:
        """Draw the curve to `end`; `refused` paints it as a connection that would fail."""
        self.prepareGeometryChange()
        self._path = edge_path(self._start, end, self._vertical)
        self.refused = refused

    def end(self) -> QPointF:
        return self._path.currentPosition()

    def boundingRect(self) -> QRectF:
        return self._path.boundingRect().adjusted(-3.0, -3.0, 3.0, 3.0)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(self._style.refused_pen if self.refused else self._style.draft_pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)


class SharedLinkItem(QGraphicsItem):
    """A dashed line between two call sites of one layer, under the nodes."""

    def __init__(self, a: NodeItem, b: NodeItem, style: Style) -> None:
        super().__init__()
        self.ends = (a, b)
        self._style = style
        self._line = QLineF()
        self.setZValue(-1.0)
        a.add_follower(self)
        b.add_follower(self)
        self.adjust()

    def detach(self) -> None:
        """Forget both ends (before the link leaves the scene)."""
        for node in self.ends:
            node.remove_follower(self)

    def shift(self, delta: QPointF) -> None:
        self.moveBy(delta.x(), delta.y())

    def adjust(self) -> None:
        self.prepareGeometryChange()
        self.setPos(0.0, 0.0)  # undo any shift: the line is in scene coordinates
        self._line = QLineF(self.ends[0].center(), self.ends[1].center())

    def boundingRect(self) -> QRectF:
        return QRectF(self._line.p1(), self._line.p2()).normalized().adjusted(-3, -3, 3, 3)

    def shape(self) -> QPainterPath:
        path = QPainterPath(self._line.p1())
        path.lineTo(self._line.p2())
        return path

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(self._style.link_pen)
        painter.drawLine(self._line)
