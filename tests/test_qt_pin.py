"""Guards the PySide6 pin: void Qt calls must not drop references to None.

PySide6 6.12.0 on Python 3.11 loses one reference to None per call that returns
nothing (1,000 setObjectName calls leave None's count 1,000 lower; a loop of
QGraphicsItem.setPos aborts the process). When this passes on a newer release, the
pin in pyproject.toml may be lifted.
"""

import sys

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QGraphicsRectItem


def test_void_qt_calls_keep_none_alive(qapp):
    obj = QObject()
    item = QGraphicsRectItem(0, 0, 10, 10)
    before = sys.getrefcount(None)
    for i in range(2000):
        obj.setObjectName(f"n{i % 7}")
        item.setPos(float(i), 0.0)
    after = sys.getrefcount(None)
    assert after >= before - 50, f"None refcount fell from {before} to {after}"
