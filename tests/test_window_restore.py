"""A layout saved in one window size and restored in another is fit to the new one.

The saved geometry comes back clamped to the screen (a big monitor's layout opened on
a laptop), so the restored dock layout was made for a size the window no longer has.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.mainwindow import MainWindow
from tests.windows import ScriptedPrompts

RIGHT = Qt.DockWidgetArea.RightDockWidgetArea


def reopen(qtbot, settings, tmp_path) -> MainWindow:
    window = MainWindow(settings=settings, autosave_folder=tmp_path / "autosave")
    window.prompts = ScriptedPrompts()
    qtbot.addWidget(window)
    return window


def test_a_roomy_layout_restored_into_a_small_window_is_fit(qtbot, settings, tmp_path):
    first = reopen(qtbot, settings, tmp_path)
    first.resize(1600, 1000)
    first.show()
    qtbot.waitUntil(lambda: first.size().toTuple() == (1600, 1000))
    first.close()
    # Saved as if at 1600x1000, then the window opens at a laptop's 1024x700.
    second = reopen(qtbot, settings, tmp_path)
    second.resize(1024, 700)
    second.show()
    qtbot.waitUntil(lambda: second.size().toTuple() == (1024, 700))
    palette, inspector = second.docks["palette"], second.docks["inspector"]
    assert second.dockWidgetArea(palette) == RIGHT
    assert palette in second.tabifiedDockWidgets(inspector)
    second.close()
