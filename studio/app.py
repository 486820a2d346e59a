"""Starting the studio: the QApplication, its settings and the first window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication

from studio.icons import icon
from studio.mainwindow import APP_NAME, MainWindow

ORGANIZATION = "KerasGraphStudio"


def autosave_folder() -> Path:
    """Where documents autosave (per user; the app name comes from QApplication)."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "autosave"


def start(window: MainWindow, path: Path | None) -> bool:
    """Show `window` (on `path` if given), then offer back the work a crashed session
    left, asking through `window.prompts`: a file on the command line is no reason to
    lose it. Recovered work replaces the file just opened (which has no changes yet).
    False if `path` could not be opened."""
    window.show()
    if path and not window.open_file(path):
        return False
    window.offer_recovery()
    return True


def run(path: Path | None = None, screenshot: Path | None = None) -> int:
    """Open the studio (on `path` if given) and run until the window closes.

    With `screenshot`, the window is drawn once, saved to that PNG, and the app
    quits: a check that the studio starts and paints, usable headless.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APP_NAME)
    app.setWindowIcon(icon("app"))
    window = MainWindow(autosave_folder=autosave_folder())
    if not start(window, path):
        return 2
    if screenshot:

        def grab_and_close() -> None:
            window.grab().save(str(screenshot))
            window.close()  # the last window: the event loop ends

        QTimer.singleShot(500, grab_and_close)
    code = app.exec()
    # Destroy the window (and its scene's items) while QApplication still exists.
    window.deleteLater()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return code
