"""Background jobs: slow work (Keras builds, exports) off the GUI thread.

A job runs one callable in its own QThread and reports back through queued
signals, so the result is handled on the GUI thread. The callable must not touch
widgets or the live graph: give it a copy (`graph.loads(graph.dumps(g))`), since
the user keeps editing while it runs. The thread has a large stack because Keras
builds deep models recursively (see the field notes).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from graph import GraphError
from studio.gc_guard import collect_on_gui_thread

#: Stack size of job threads: deep Keras builds recurse once per layer.
STACK_BYTES = 256 * 1024 * 1024


class Job(QThread):
    """Runs `work()` once; emits `succeeded(result)` or `failed(message)`."""

    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, title: str, work: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self._work = work
        self.setStackSize(STACK_BYTES)
        collect_on_gui_thread()  # never a collection in the job's thread

    def run(self) -> None:
        try:
            result = self._work()
        except GraphError as e:  # our errors already say what and where
            self.failed.emit(str(e))
        except Exception as e:  # a Keras or exporter failure: keep the app alive
            detail = "".join(traceback.format_exception_only(type(e), e)).strip()
            self.failed.emit(f"{self.title} failed: {detail}")
        else:
            self.succeeded.emit(result)
