"""The window at small and large sizes: the canvas keeps room, the docks give way."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

LEFT, RIGHT = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea


def canvas_share(window, qtbot, width: int, height: int) -> float:
    """The canvas viewport's area over the window's, after a resize to `width`x`height`."""
    window.resize(width, height)
    window.show()
    qtbot.waitUntil(lambda: window.size().toTuple() == (width, height))
    qtbot.wait(20)
    viewport = window.view.viewport().geometry()
    return viewport.width() * viewport.height() / (width * height)


def test_small_window_keeps_half_for_the_canvas(window, qtbot):
    assert canvas_share(window, qtbot, 1024, 700) >= 0.5
    palette, inspector = window.docks["palette"], window.docks["inspector"]
    assert window.dockWidgetArea(palette) == RIGHT
    assert palette in window.tabifiedDockWidgets(inspector)
    assert window.docks["problems"].height() < 150


@pytest.mark.parametrize("via_small", [False, True])
def test_large_window_keeps_its_layout(window, qtbot, via_small):
    if via_small:
        canvas_share(window, qtbot, 1024, 700)
    assert canvas_share(window, qtbot, 1600, 1000) > 0.45
    palette, inspector = window.docks["palette"], window.docks["inspector"]
    assert window.dockWidgetArea(palette) == LEFT
    assert window.dockWidgetArea(inspector) == RIGHT
    assert (palette.width(), inspector.width()) == (220, 300)


def show_dock(window, name: str) -> None:
    """Bring a dock up the way its menu entry does (Train... for the training panel)."""
    if name == "training":
        window.show_training()
    else:
        window.docks[name].show()
        window.docks[name].raise_()


DOCKS = ["palette", "inspector", "problems", "summary", "code", "training"]


@pytest.mark.parametrize("name", DOCKS)
def test_a_dock_shown_in_a_small_window_leaves_half_for_the_canvas(window, qtbot, name):
    canvas_share(window, qtbot, 1024, 700)
    show_dock(window, name)
    qtbot.wait(20)
    assert canvas_share(window, qtbot, 1024, 700) >= 0.5
    assert window.docks[name].isVisible()


@pytest.mark.parametrize("name", DOCKS)
def test_after_the_training_panel_every_dock_leaves_half_for_the_canvas(window, qtbot, name):
    canvas_share(window, qtbot, 1024, 700)
    window.show_training()
    show_dock(window, name)
    qtbot.wait(20)
    assert canvas_share(window, qtbot, 1024, 700) >= 0.5


def test_the_training_panel_opened_large_then_made_small_leaves_half(window, qtbot):
    canvas_share(window, qtbot, 1600, 1000)
    window.show_training()
    qtbot.wait(20)
    assert canvas_share(window, qtbot, 1024, 700) >= 0.5


@pytest.mark.parametrize("size", [(1024, 700), (1600, 1000)])
def test_the_common_fields_show_whole_without_scrolling(window, qtbot, tickets, size):
    """With the training panel up, the inspector scrolls down only (nothing cut at
    its side) and the training form shows its common fields in view."""
    window.open_file(tickets)
    canvas_share(window, qtbot, *size)
    window.focus_node("dense_features")
    window.show_training()
    qtbot.wait(50)
    inspector = window.inspector._scroll
    assert inspector.widget().width() <= inspector.viewport().width()
    for field in window.inspector.fields.values():
        editor = field.editor
        right = editor.mapTo(inspector.viewport(), editor.rect().topRight()).x()
        assert right <= inspector.viewport().width(), field
    form = window.training.form
    scroll = form.parentWidget().parentWidget()
    view = scroll.viewport().rect()
    for name in ("data", "optimizer", "learning_rate", "epochs", "batch_size"):
        widget = getattr(form, name)
        box = widget.rect().translated(widget.mapTo(scroll.viewport(), widget.rect().topLeft()))
        assert view.contains(box), f"{name} at {box}, the form shows {view}"
        assert widget.width() >= 80, name
