"""A progress bar that repaints with the rest of the window, not inside setValue.

QProgressBar.setValue repaints at once, so that a bar moves even while the GUI
thread is busy and its event loop blocked. The training panel's event loop runs,
and setValue is called from Python, so that immediate repaint runs with the
interpreter lock held: a third of a millisecond per drain taken from a training
thread that needs the lock for Keras's Python. Painted from the event loop instead,
where a plain Qt widget paints without calling into Python, it should cost the
training nothing (the difference is below what bench/training_bench.py can see).
"""

from __future__ import annotations

from PySide6.QtWidgets import QProgressBar


class DeferredProgressBar(QProgressBar):
    """QProgressBar whose `show_value` leaves the repaint to the event loop."""

    def show_value(self, value: int) -> None:
        """setValue, repainted at the event loop's next paint rather than now."""
        self.setUpdatesEnabled(False)  # repaint() does nothing while updates are off
        self.setValue(value)
        self.setUpdatesEnabled(True)  # and turning them on again schedules an update()
