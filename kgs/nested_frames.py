"""Frames around the layers of each block use in `kgs plot --expand`'s picture.

Keras's plot_model(expand_nested=True) draws a nested model's layers inside a box
named after it; here each inlined use call (graph.expand) gets a dashed frame around
its nodes, labelled with the use and its block, behind the nodes. A frame holding
others is drawn wider by one step for each level of frames inside it.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsSimpleTextItem

from graph.expand import Expanded
from studio.canvas.scene import GraphScene

#: Space between a frame and what it holds, per level, in scene units.
PAD = 14.0


def add_frames(scene: GraphScene, result: Expanded) -> None:
    """Draw a frame for every group of `result` (the graph `scene` draws)."""
    style = scene.style
    pen = QPen(style.link_pen)  # the shared-layer link's colour, dashed
    pen.setStyle(Qt.PenStyle.DashLine)
    sets = {label: set(group.nodes) for label, group in result.groups.items()}
    levels: dict[str, int] = {}
    for label in result.groups:  # inner groups come first
        inner = [levels[o] for o, nodes in sets.items() if o in levels and nodes < sets[label]]
        levels[label] = 1 + max(inner, default=0)
    for label, group in result.groups.items():
        if not group.nodes:
            continue
        rect = QRectF()
        for node_id in group.nodes:
            rect = rect.united(scene.node_item(node_id).sceneBoundingRect())
        pad = PAD * levels[label]
        rect = rect.adjusted(-pad, -pad - PAD, pad, pad)
        frame = QGraphicsRectItem(rect)
        frame.setPen(pen)
        frame.setZValue(-1)
        scene.addItem(frame)
        text = QGraphicsSimpleTextItem(f"{label} ({group.block})", frame)
        text.setFont(style.small_font)
        text.setBrush(style.dim_text_pen.color())
        text.setPos(rect.left() + 4, rect.top() + 2)
