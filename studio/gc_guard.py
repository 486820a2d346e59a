"""Garbage collection on the GUI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a
threshold is passed. Qt objects caught in reference cycles (a closed window or an
old panel and the lambdas connected to its signals) are destroyed by it, and when
that thread is a job's (a training run, an export), Qt widgets are deleted outside
the GUI thread and the process crashes: seen as a segmentation fault in
QApplication::notify while a Job thread's collection freed an old window. So once
the studio starts threads, automatic collection is off and the GUI thread collects
instead, on a timer, by the thresholds Python itself uses.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

#: How often the GUI thread looks whether a collection is due.
INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    """Does the cyclic collector's work from the GUI thread (see the module's doc)."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect_due)
        self.timer.start()

    def collect_due(self) -> None:
        """Collect the generations whose counts passed their thresholds, as the
        automatic collector would have on its next allocation."""
        counts = gc.get_count()
        generation = -1
        for i in range(3):
            if counts[i] <= self.thresholds[i]:
                break
            generation = i
        if generation >= 0:
            gc.collect(generation)


def collect_on_gui_thread() -> GuiThreadCollector | None:
    """Make sure collection happens on the GUI thread from now on (idempotent); call
    it on the GUI thread before starting a thread that runs Python. None without a
    Qt application."""
    app = QCoreApplication.instance()
    if app is None:
        return None
    collector = app.findChild(GuiThreadCollector)
    return collector or GuiThreadCollector(app)
