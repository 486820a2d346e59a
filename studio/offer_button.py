"""A button in the status bar that offers one follow-up to the edit just made.

After a Delete in a chain the window offers "Reconnect" here, the way a mail client
offers Undo: the edit is done as asked, and the offer stays out of the way, gone
after OFFER_MS or as soon as another edit (or an undo) makes it stale.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QPushButton, QWidget

#: How long an offer stays up.
OFFER_MS = 10_000


class OfferButton(QPushButton):
    """Hidden until `offer`; a click runs the offered action once and hides it."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._action: Callable[[], object] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.withdraw)
        self.clicked.connect(self._run)
        self.hide()

    def offer(self, tip: str, action: Callable[[], object]) -> None:
        """Show the button (its tooltip `tip`) until OFFER_MS pass or `withdraw`."""
        self._action = action
        self.setToolTip(tip)
        self.show()
        self._timer.start(OFFER_MS)

    def withdraw(self) -> None:
        """The offer no longer applies: hide it."""
        self._action = None
        self._timer.stop()
        self.hide()

    def _run(self) -> None:
        action = self._action
        self.withdraw()
        if action is not None:
            action()
