"""Garbage collection on the GUI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a
threshold is passed. Qt objects caught in reference cycles (a closed window or an
old panel and the lambdas connected to its signals) are destroyed by it, and when
that thread is a job's (a training run, an export), Qt widgets are deleted outside
the GUI thread and the process crashes: seen as a segmentation fault in
QApplication::notify while a Job thread's collection freed an old window. So once
the studio starts threads, automatic collection is off and the GUI thread collects
instead, on a timer, choosing the generation as CPython itself does.

That includes CPython's guard on full collections: the oldest generation is
collected only once the objects promoted into it since the last full collection
number a quarter of those that survived it. Without it a full collection (0.1 to
0.5 s over the heap Keras and torch leave) ran every hundred young ones, stalling
the GUI and, through the interpreter lock, a training run.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

#: How often the GUI thread looks whether a collection is due.
INTERVAL_MS = 500
#: The oldest of the collector's three generations.
OLDEST = 2


def generation_due(
    counts: tuple[int, int, int],
    thresholds: tuple[int, int, int],
    long_lived_pending: int,
    long_lived_total: int,
) -> int | None:
    """The generation CPython's automatic collector would collect now, or None.

    As gc_collect_generations in CPython's Modules/gcmodule.c: nothing until the
    youngest generation's count passes its threshold; then the oldest generation
    whose count passed its own, except that the oldest is skipped while fewer
    than a quarter of its long-lived objects are new since its last collection.
    """
    if counts[0] <= thresholds[0]:
        return None
    for generation in range(OLDEST, -1, -1):
        if counts[generation] <= thresholds[generation]:
            continue
        if generation == OLDEST and long_lived_pending < long_lived_total // 4:
            continue
        return generation
    return None


class GuiThreadCollector(QObject):
    """Does the cyclic collector's work from the GUI thread (see the module's doc)."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        #: Objects in the oldest generation after its last collection, and objects
        #: promoted into it since: CPython's own bookkeeping, kept here by counting.
        self.long_lived_total = len(gc.get_objects(OLDEST))
        self.long_lived_pending = 0
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start()

    def collect_due(self) -> None:
        """Collect what the automatic collector would have on its next allocation."""
        generation = generation_due(
            gc.get_count(), self.thresholds, self.long_lived_pending, self.long_lived_total
        )
        if generation is None:
            return
        if generation == OLDEST:
            gc.collect(OLDEST)
            self.long_lived_total = len(gc.get_objects(OLDEST))
            self.long_lived_pending = 0
        elif generation == OLDEST - 1:  # its survivors move into the oldest generation
            young = len(gc.get_objects(0)) + len(gc.get_objects(1))
            self.long_lived_pending += max(0, young - gc.collect(generation))
        else:
            gc.collect(generation)


def running_collector() -> GuiThreadCollector | None:
    """The application's collector, if collection was moved to the GUI thread."""
    app = QCoreApplication.instance()
    return app.findChild(GuiThreadCollector) if app is not None else None


def collect_on_gui_thread() -> GuiThreadCollector | None:
    """Make sure collection happens on the GUI thread from now on (idempotent); call
    it on the GUI thread before starting a thread that runs Python. None without a
    Qt application."""
    app = QCoreApplication.instance()
    if app is None:
        return None
    return running_collector() or GuiThreadCollector(app)
