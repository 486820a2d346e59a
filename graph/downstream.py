"""A walk in topological order over the nodes an edit may reach: the edited ones, then
the successors of each visited node whose change its successors can see. What an
incremental pass (validation, cost) visits after an edit, and no more. Walked upstream
(in reverse order, along predecessors), it visits what an edit may change for the
nodes that lead to it (reachability)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Mapping


class Downstream:
    """Iterate to get the next node in order; call spread(node) for a node whose change
    reaches its successors. Each node comes at most once. With `upstream`, the walk
    goes in reverse order and `succ` is to give each node's predecessors."""

    def __init__(
        self,
        seeds: Iterable[str],
        order: list[str],
        position: Mapping[str, int],
        succ: Mapping[str, Iterable[str]],
        upstream: bool = False,
    ) -> None:
        self._order, self._position, self._succ = order, position, succ
        #: The heap holds positions, negated upstream (the latest comes first).
        self._sign = -1 if upstream else 1
        self._heap = list({self._sign * position[n] for n in seeds if n in position})
        heapq.heapify(self._heap)
        self._queued = set(self._heap)

    def __iter__(self) -> Iterator[str]:
        heap, order, sign = self._heap, self._order, self._sign
        while heap:
            yield order[sign * heapq.heappop(heap)]

    def spread(self, node_id: str) -> None:
        """Visit the successors of `node_id` too (those in the order)."""
        for dst in self._succ[node_id]:
            i = self._position.get(dst)
            if i is not None:
                i *= self._sign
                if i not in self._queued:
                    self._queued.add(i)
                    heapq.heappush(self._heap, i)
