"""Which layers compiling will re-initialize, told keras-free from the graph's report.

A graph with weights (graph.weights) builds each layer from its saved weights where
their shapes still match (codegen.build_weights). The canvas marks, before any build,
the layers that will start fresh instead: a layer with weights that the record does
not name (new, or renamed), or whose weight count as validation infers it now is not
the recorded one (more units, another input size). Counts, not shapes: the graph infers
a layer's count, so a change that keeps the count (rare: units and input size swapped)
shows only in the compile report, which stays the authority.
"""

from __future__ import annotations

from graph.weights import WeightsRecord, saved_sizes

#: The latest record's saved_sizes: the canvas asks node by node, for one record.
_latest: tuple[WeightsRecord, dict[str, int]] | None = None


def reinitialized_why(record: WeightsRecord | None, name: str, params: int | None) -> str:
    """Why the layer `name`, with `params` weights as inferred now, will start from
    fresh weights at compile time; "" when it keeps its saved ones, has no weights,
    its count is unknown, or the graph has no weights at all (nothing to keep). A
    block use counts the saved weights of the layers inside it."""
    global _latest
    if record is None or not params:
        return ""
    if _latest is None or _latest[0] is not record:
        _latest = (record, saved_sizes(record))
    saved = _latest[1].get(name)
    if saved is None:
        return "re-initialized at compile time: no saved weights under its name"
    if saved != params:
        return f"re-initialized at compile time: saved with {saved:,} weights, {params:,} now"
    return ""
