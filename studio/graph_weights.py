"""The saved weights a studio run or export of the document's graph starts from.

Like `kgs train` and `kgs compile`, the studio builds a graph with weights from its
sidecar beside the graph file, refusing one that does not match (WeightsFileError
names it), and tells the user which layers kept their weights and which start fresh.
"""

from __future__ import annotations

from pathlib import Path

from codegen.build_weights import WeightsReport
from graph import GraphError, ModelGraph
from graph.weightsfile import SavedWeights, read_sidecar


def saved_weights(g: ModelGraph, graph_file: Path | None) -> SavedWeights | None:
    """`g`'s weights read from its sidecar beside `graph_file` (None when `g` records
    none). Raises GraphError when they cannot be used: an untitled graph has no folder
    to find them in, a sidecar that is missing or does not match is refused."""
    if g.weights is None:
        return None
    if graph_file is None:
        raise GraphError(
            f"graph '{g.name}' records weights in {g.weights.file}, but it has no file "
            "to find them beside: save it into the sidecar's folder first"
        )
    return read_sidecar(g, graph_file)


def weights_text(g: ModelGraph, report: WeightsReport | None) -> str:
    """The report's lines for the user, one a line; empty for a graph without weights
    (every layer starting fresh is then no news)."""
    if g.weights is None or report is None:
        return ""
    return "\n".join(report.lines())
