"""The canvas's cost display: each node's body coloured by its MACs or memory (a heat
map), and a cost line under each node. Items only paint what they are handed
(NodeItem.set_decoration); this module decides it from a graph.cost.ModelCost.

The heat is on a log scale (a model's layers differ by orders of magnitude: a
Dense on an image's pixels against its bias-sized neighbours), from the style's node
colour (nothing) to HOT (the node that weighs most). Memory is each node's share of a
training step (ModelCost.memory_by_node); the line shows its MACs and output size.
"""

from __future__ import annotations

import math

from PySide6.QtGui import QColor

from graph.bytesize import bytes_text
from graph.cost import ModelCost
from studio.canvas.items import short_count
from studio.canvas.scene import GraphScene

#: What the heat colours by: its View menu's entries.
HEAT_MODES = {"off": "&Off", "macs": "&MACs", "memory": "Training &memory"}
#: The colour of the heaviest node, in both themes.
HOT = QColor("#e8590c")
#: How far toward HOT the heaviest node goes (its text stays readable).
MAX_BLEND = 0.75


def heat_values(result: ModelCost, mode: str) -> dict[str, int]:
    """What each node is coloured by in `mode` ("macs" or "memory")."""
    if mode == "macs":
        return {n: c.macs or 0 for n, c in result.nodes.items()}
    return result.memory_by_node


def heat_colors(values: dict[str, int], base: QColor) -> dict[str, QColor]:
    """Each node with a value above 0: `base` blended toward HOT by its value's share
    of the largest, on a log scale."""
    top = max(values.values(), default=0)
    if top <= 0:
        return {}
    scale = MAX_BLEND / math.log1p(top)
    colors = {}
    for node_id, value in values.items():
        if value > 0:
            t = math.log1p(value) * scale
            colors[node_id] = QColor.fromRgbF(
                base.redF() + (HOT.redF() - base.redF()) * t,
                base.greenF() + (HOT.greenF() - base.greenF()) * t,
                base.blueF() + (HOT.blueF() - base.blueF()) * t,
            )
    return colors


def cost_line(result: ModelCost, node_id: str) -> str:
    """A node's cost as its face shows it: "1.6M MACs · 2.0 KiB" (at the cost's batch)."""
    c = result.nodes.get(node_id)
    if c is None:
        return "cost unknown"
    macs = "?" if c.macs is None else short_count(c.macs)
    return f"{macs} MACs · {bytes_text(c.output_bytes)}"


def decorate(scene: GraphScene, result: ModelCost | None, heat: str, line: bool) -> None:
    """Hand every node item of `scene` its heat fill and cost line (none without a
    cost, or with the heat off and no line)."""
    colors: dict[str, QColor] = {}
    if result is not None and heat != "off":
        colors = heat_colors(heat_values(result, heat), scene.style.node_brush.color())
    show_line = line and result is not None
    for item in scene.node_items():
        node_id = item.node_id
        item.set_decoration(colors.get(node_id), cost_line(result, node_id) if show_line else "")
