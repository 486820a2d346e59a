"""Plain-Python change notifications, so views can follow a graph without Qt.

`ModelGraph` announces each change in the past tense (node_added, edge_removed, ...)
once it has happened, and only when something really changed. Listeners (the studio's
scene, panels) connect callbacks; `blocked()` silences an emitter for bulk work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class Event:
    """A list of callbacks called, in connection order, with the event's arguments."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[Callable[..., Any]] = []
        self._blocked = 0

    def connect(self, callback: Callable[..., Any]) -> None:
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def disconnect(self, callback: Callable[..., Any]) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args: Any) -> None:
        if self._blocked:
            return
        for callback in list(self._callbacks):
            callback(*args)

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Suppress emissions inside the block (nested blocks are fine)."""
        self._blocked += 1
        try:
            yield
        finally:
            self._blocked -= 1


class GraphEvents:
    """The events of a ModelGraph; callbacks get the graph's ids as arguments."""

    def __init__(self) -> None:
        self.node_added = Event("node_added")  # (node_id)
        self.node_removed = Event("node_removed")  # (node_id)
        self.edge_added = Event("edge_added")  # (src, dst, port)
        self.edge_removed = Event("edge_removed")  # (src, dst, port)
        #: A layer's name, params or trainable flag changed: (node ids of all its call sites,)
        self.layer_changed = Event("layer_changed")
        self.node_moved = Event("node_moved")  # (node_id)
        self.outputs_changed = Event("outputs_changed")  # ()
        self.name_changed = Event("name_changed")  # ()
        self.training_changed = Event("training_changed")  # ()
        self.weights_changed = Event("weights_changed")  # ()
        #: A block definition's body changed (any of its events, moves too), in this
        #: graph's registry: (block name,). Only the graph that made the registry (the
        #: top graph of a file) announces it; views of the top level revalidate.
        self.block_changed = Event("block_changed")  # (block name)

    def all(self) -> list[Event]:
        return [v for v in vars(self).values() if isinstance(v, Event)]

    @contextmanager
    def blocked(self) -> Iterator[None]:
        """Suppress every event inside the block."""
        events = self.all()
        for event in events:
            event._blocked += 1
        try:
            yield
        finally:
            for event in events:
                event._blocked -= 1
