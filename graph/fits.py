"""Whether a connection would fit: the shape rule of the layer it feeds, run ahead.

The canvas asks this before it picks a port for a wire dropped on a node's body, or
offers to reconnect around a deleted node; the edit itself is still checked by the
graph and reported by `validate`.
"""

from __future__ import annotations

from graph.errors import ShapeError
from graph.infer import check_params, infer
from graph.model import ModelGraph
from graph.report import Report


def takes(
    g: ModelGraph,
    report: Report,
    src: str,
    dst: str,
    port: str,
    moving: tuple[str, str, str] | None = None,
) -> bool:
    """Whether dst's layer would accept src's output on `port`, with what else is
    connected to dst now (a connection already on `port` left out, and `moving`, a
    connection (src, dst, port) being moved, wherever it is now). True when the
    shapes cannot tell yet: a shape unknown, or a port still to be connected."""
    spec = g.spec(dst)
    if spec is None or spec.ports.index(port) is None:
        return spec is None
    _, p = check_params(spec, g.layer(dst).params)
    if p is None:
        return True
    ports = spec.ports
    sources = {ports.index(q): s for q, s in g.in_edges(dst) if q != port and (s, dst, q) != moving}
    sources[ports.index(port)] = src
    if None in sources or len(sources) < ports.required:
        return True
    order = sorted(sources)
    if not ports.variadic and order != list(range(len(order))):
        return True
    known = [report.nodes.get(sources[i]) for i in order]
    if any(k is None for k in known):
        return True
    try:
        infer(spec, p, [k.shape for k in known], [k.dtype for k in known])
    except ShapeError:
        return False
    return True
