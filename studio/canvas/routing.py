"""Edge routes around nodes: which connections need one, and where it runs.

A connection is drawn as a plain curve from its output port to its input port.
Only when that curve would pass through a node other than its two ends (a skip
connection over a chain, a connection from the end of one folded row to the start
of the next) does it get a route: out of its port, across to a lane (a line along
the flow that no node in the way covers, the nearest to the ends), along it, and
in to its port. The auto layout (codegen/layout.py) leaves such lanes: grandalf
gives each rank a connection skips a node-wide slot.

Plain geometry in scene coordinates (tuples, no Qt), worked out left to right;
top to bottom is the same with x and y swapped. Finding a route costs a look at
the nodes near the connection (a grid, `NodeGrid`), so the scene can afford it
for every connection when a graph opens, and once per moved connection after a drag.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

Point = tuple[float, float]
#: (left, top, right, bottom)
Rect = tuple[float, float, float, float]

#: How far a route runs straight out of (and into) a port before it turns.
STUB = 22.0
#: The clearance a lane keeps from the nodes it passes.
CLEARANCE = 14.0
#: How far apart two routes' lanes run where they pass the same stretch.
LANE_SPACING = 12.0
#: A grid cell's side, in scene units (about two nodes).
CELL = 400.0


class NodeGrid:
    """Node rects filed by the grid cells they touch, to find those near a line fast."""

    def __init__(self, rects: Iterable[tuple[Hashable, Rect]]) -> None:
        # Built for every graph that opens: written for speed.
        self.rects: dict[Hashable, Rect] = dict(rects)
        cells: dict[tuple[int, int], list[Hashable]] = {}
        for key, (left, top, right, bottom) in self.rects.items():
            i0, i1, j0, j1 = (
                int(left // CELL),
                int(right // CELL),
                int(top // CELL),
                int(bottom // CELL),
            )
            if i0 == i1 and j0 == j1:
                cells.setdefault((i0, j0), []).append(key)
                continue
            for i in range(i0, i1 + 1):
                for j in range(j0, j1 + 1):
                    cells.setdefault((i, j), []).append(key)
        self._cells = cells
        #: What every rect lies in: queries are clipped to it.
        rects_ = self.rects.values()
        self._extent = (
            (
                min(r[0] for r in rects_),
                min(r[1] for r in rects_),
                max(r[2] for r in rects_),
                max(r[3] for r in rects_),
            )
            if rects_
            else (0.0, 0.0, 0.0, 0.0)
        )

    def near(self, rect: Rect) -> list[Hashable]:
        """The keys whose rect meets `rect`, each once, in no particular order."""
        # Called for every edge when a graph opens: written for speed.
        left, top, right, bottom = rect
        e = self._extent
        i0, i1 = int(max(left, e[0]) // CELL), int(min(right, e[2]) // CELL)
        j0, j1 = int(max(top, e[1]) // CELL), int(min(bottom, e[3]) // CELL)
        if i0 > i1 or j0 > j1:
            return []
        cells = self._cells
        if i0 == i1 and j0 == j1:  # the usual case: a short edge, no duplicates to drop
            found = cells.get((i0, j0))
            if not found:
                return []
        else:
            found = {
                k
                for i in range(i0, i1 + 1)
                for j in range(j0, j1 + 1)
                for k in cells.get((i, j), ())
            }
        rects = self.rects
        return [k for k in found if _meets(rects[k], rect)]


def _meets(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def crosses(polyline: Sequence[Point], rect: Rect) -> bool:
    """Whether any segment of `polyline` passes through the inside of `rect`."""
    return any(_segment_crosses(a, b, rect) for a, b in zip(polyline, polyline[1:], strict=False))


def _segment_crosses(a: Point, b: Point, rect: Rect) -> bool:
    """Liang-Barsky clipping: whether segment a-b has a stretch strictly inside `rect`."""
    left, top, right, bottom = rect
    (x0, y0), (x1, y1) = a, b
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - top), (dy, bottom - y0)):
        if p == 0:
            if q <= 0:
                return False
        else:
            t = q / p
            if p < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
    return t1 - t0 > 1e-9


def lane_route(
    start: Point,
    end: Point,
    grid: NodeGrid,
    vertical: bool = False,
    taken: Iterable[Sequence[Point]] = (),
) -> list[Point]:
    """The corners of a route from output port `start` to input port `end` that
    runs along the free lane nearest the ends (every node in the way, the ends
    included, kept CLEARANCE away). `vertical`: the flow runs down (top to bottom).
    `taken`: routes already drawn (lane_route's corners); where one's lane passes
    the same stretch, this lane keeps LANE_SPACING from it, so two never lie on
    top of each other."""
    flip = _swap if vertical else _same
    (sx, sy), (ex, ey) = flip(start), flip(end)
    out, into = sx + STUB, ex - STUB
    lo, hi = min(out, into), max(out, into)
    # Every node overlapping the lane's stretch along the flow, whatever its height.
    spans = []
    for key in grid.near(flip((lo, -1e12, hi, 1e12))):
        left, top, right, bottom = flip(grid.rects[key])
        spans.append((top - CLEARANCE, bottom + CLEARANCE))
    for route in taken:
        (a, lane), (b, _) = flip(route[2]), flip(route[3])
        if min(a, b) < hi and lo < max(a, b):
            spans.append((lane - LANE_SPACING, lane + LANE_SPACING))
    lane = free_coordinate(spans, (sy + ey) / 2)
    corners = [(sx, sy), (out, sy), (out, lane), (into, lane), (into, ey), (ex, ey)]
    return [flip(p) for p in corners]


def free_coordinate(spans: Iterable[tuple[float, float]], ideal: float) -> float:
    """The coordinate nearest `ideal` that lies in none of `spans` (open intervals)."""
    merged: list[list[float]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    for low, high in merged:
        if low < ideal < high:
            return low if ideal - low <= high - ideal else high
    return ideal


def _swap(p: tuple[float, ...]) -> tuple[float, ...]:
    """x and y exchanged, of a point or a rect."""
    return (p[1], p[0]) if len(p) == 2 else (p[1], p[0], p[3], p[2])


def _same(p: tuple[float, ...]) -> tuple[float, ...]:
    return p
