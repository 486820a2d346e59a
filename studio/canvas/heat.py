"""The canvas's cost display: each node's body coloured by its MACs or memory (a heat
map), and a cost line under each node. Items only paint what they are handed
(NodeItem.set_decoration); this module decides it from a graph.cost.ModelCost.

The heat is on a log scale (a model's layers differ by orders of magnitude: a
Dense on an image's pixels against its bias-sized neighbours), from the style's node
colour (nothing) to HOT (the node that weighs most). Memory is each node's share of a
training step (ModelCost.memory_by_node); the line shows its MACs and output size.
"""

from __future__ import annotations

import itertools
import math
import operator

from PySide6.QtGui import QColor

from graph.cost import ModelCost
from graph.wording import byte_size
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


def heat_colors(values: dict[str, int], base: QColor, top: int) -> dict[str, QColor]:
    """Each node with a value above 0: `base` blended toward HOT by its value's share
    of `top` (the largest), on a log scale."""
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
    return f"{macs} MACs · {byte_size(c.output_bytes)}"


class Decorator:
    """Hands a scene's node items their heat fill and cost line, each time touching
    only the items whose decoration may have changed (a 1,501-node canvas is decorated
    on every edit): all of them when the mode, the theme or the largest value changed;
    else the new items, those whose value changed, and with lines those whose
    NodeCost changed."""

    def __init__(self, scene: GraphScene) -> None:
        self.scene = scene
        self._key: tuple = ()
        self._items: dict[str, object] = {}
        self._values: dict[str, int] = {}
        self._costs: dict[str, object] = {}

    def decorate(self, result: ModelCost | None, heat: str, line: bool) -> None:
        """Show `result` as `heat` (a key of HEAT_MODES) and, if `line`, cost lines
        (neither without a cost)."""
        values: dict[str, int] = {}
        if result is not None and heat != "off":
            values = heat_values(result, heat)
        costs = result.nodes if result is not None and line else {}
        base = self.scene.style.node_brush.color()
        key = (heat, bool(costs), base.rgba(), max(values.values(), default=0))
        items = {item.node_id: item for item in self.scene.node_items()}
        if key != self._key:
            touched = set(items)
        else:
            touched = set(_changed(self._items, items, operator.is_not))
            touched.update(_changed(self._values, values, operator.ne))
            touched.update(_changed(self._costs, costs, operator.is_not))
        self._key, self._items, self._values, self._costs = key, items, values, costs
        colors = heat_colors({n: values[n] for n in touched if n in values}, base, key[3])
        for node_id in touched:
            item = items.get(node_id)
            if item is not None:
                text = cost_line(result, node_id) if costs else ""
                item.set_decoration(colors.get(node_id), text)


def _changed(old: dict, new: dict, differ) -> list:
    """Keys whose values `differ` between the two, or that only one has."""
    changed = list(itertools.compress(new, map(differ, map(old.get, new), new.values())))
    return changed + list(old.keys() - new.keys())
