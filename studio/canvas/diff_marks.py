"""Marks for a comparison with another version of the graph (File > Compare with):
a coloured outline around each node added or changed since that version, and a
dashed ghost, with its label, where each node that version had and the graph lacks
stood.

Why an outline is a child of its NodeItem: it then moves with the node at no cost
and leaves the scene with it, while the scene's maps, its hit tests (they look for
NodeItems) and the node's own painting stay as they are. A ghost stands for no node
of the graph, so it is an item of its own, under the nodes, taking no clicks.
"""

from __future__ import annotations

from collections.abc import Mapping

import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsSimpleTextItem,
)

from graph.diff import ModelDiff, block_uses_changed
from graph.model import ModelGraph
from studio.canvas.items import CORNER, NODE_WIDTH, PAD, NodeItem, box_height
from studio.canvas.scene import GraphScene
from studio.diff_colors import ADDED, CHANGED, REMOVED

#: How far an outline stands off its node's box.
OUTLINE_GAP = 10.0
OUTLINE_WIDTH = 3.0
#: The opacity (0 to 255) of the outline's fill around the box.
HALO_ALPHA = 110


def _inert(item: QGraphicsItem) -> None:
    """Make `item` take no clicks, hovers or selection: the canvas's gestures pass by."""
    item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
    item.setAcceptHoverEvents(False)
    item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, False)


class DiffMarks:
    """The marks of one comparison on `scene`; `show` replaces them, `clear` ends them."""

    def __init__(self, scene: GraphScene) -> None:
        self.scene = scene
        self._outlines: dict[str, QGraphicsPathItem] = {}
        self._ghosts: dict[str, QGraphicsPathItem] = {}
        self._kinds: dict[str, str] = {}

    def show(self, d: ModelDiff, other: ModelGraph, colors: Mapping[str, str]) -> None:
        """Mark what `d` (from `other` to the scene's graph) says changed, in `colors`
        (by kind: studio.diff_colors): a use of a block whose definition changed is
        changed too."""
        self.clear()
        g = d.graph
        for node_id in g.added:
            self._outline(node_id, ADDED, colors[ADDED])
        for node_id in [*g.changed, *block_uses_changed(d)]:
            self._outline(node_id, CHANGED, colors[CHANGED])
        for node_id, info in g.removed.items():
            self._ghost(node_id, other.node(node_id).pos, info.label, colors[REMOVED])

    def clear(self) -> None:
        for item in [*self._outlines.values(), *self._ghosts.values()]:
            # An outline went with its node when the node was deleted (Qt deletes
            # children with their parent).
            if shiboken6.isValid(item) and item.scene() is not None:
                item.scene().removeItem(item)
        self._outlines, self._ghosts, self._kinds = {}, {}, {}

    def marked(self) -> dict[str, str]:
        """node id -> ADDED, CHANGED or REMOVED, for every node marked."""
        return dict(self._kinds)

    def outline(self, node_id: str) -> QGraphicsPathItem:
        return self._outlines[node_id]

    def ghost(self, node_id: str) -> QGraphicsPathItem:
        return self._ghosts[node_id]

    def _outline(self, node_id: str, kind: str, color: str) -> None:
        node: NodeItem = self.scene.node_item(node_id)
        box = (
            node.shape()
            .boundingRect()
            .adjusted(-OUTLINE_GAP, -OUTLINE_GAP, OUTLINE_GAP, OUTLINE_GAP)
        )
        path = QPainterPath()
        path.addRoundedRect(box, CORNER + OUTLINE_GAP, CORNER + OUTLINE_GAP)
        item = QGraphicsPathItem(path, node)
        item.setPen(QPen(QColor(color), OUTLINE_WIDTH))
        glow = QColor(color)
        glow.setAlpha(HALO_ALPHA)
        item.setBrush(glow)  # a halo, not a border: an output's border is green too
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
        item.setToolTip(f"{kind} since the compared version")
        _inert(item)
        self._outlines[node_id] = item
        self._kinds[node_id] = kind

    def _ghost(self, node_id: str, pos: tuple[float, float], label: str, color: str) -> None:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0.0, 0.0, NODE_WIDTH, box_height(("input",))), CORNER, CORNER)
        item = QGraphicsPathItem(path)
        pen = QPen(QColor(color), OUTLINE_WIDTH / 2, Qt.PenStyle.DashLine)
        item.setPen(pen)
        item.setBrush(Qt.BrushStyle.NoBrush)
        item.setPos(QPointF(*pos))
        item.setZValue(-0.5)  # under nodes and edges' labels, over the background
        item.setToolTip(f"removed since the compared version: {label}")
        text = QGraphicsSimpleTextItem(item)
        width = NODE_WIDTH - 2 * PAD
        metrics = QFontMetricsF(text.font())
        lines = (f"removed: {node_id}", label)
        elide = Qt.TextElideMode.ElideRight
        text.setText("\n".join(metrics.elidedText(line, elide, width) for line in lines))
        text.setBrush(QBrush(QColor(color)))
        text.setPos(PAD, PAD)
        _inert(item)
        _inert(text)
        self.scene.addItem(item)
        self._ghosts[node_id] = item
        self._kinds[node_id] = REMOVED
