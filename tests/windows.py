"""The studio's main window for tests: scripted prompts, window fixtures and helpers.

`tests/conftest.py` registers this module as a plugin, so every test module can ask
for `window`, `make_window`, `settings` and `tickets`; the helpers are imported.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest

from studio.canvas.items import HEADER, NODE_WIDTH
from studio.mainwindow import MainWindow
from studio.prompts import CANCEL, DISCARD

TEMPLATES = Path(__file__).parent.parent / "resources" / "templates"
LEFT = Qt.MouseButton.LeftButton


class ScriptedPrompts:
    """Answers the window's questions from a script and records what was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []
        self.answers: dict[str, object] = {}
        self.suggested: list[str] = []

    def _answer(self, kind: str, text: str, default: object) -> object:
        self.asked.append((kind, text))
        return self.answers.get(kind, default)

    def save_changes(self, name):
        return self._answer("save_changes", name, CANCEL)

    def recover(self, autosaved):
        return self._answer("recover", str(autosaved.original), False)

    def open_path(self, title, file_filter):
        return self._answer("open_path", title, None)

    def save_path(self, title, file_filter, suggested=""):
        self.suggested.append(suggested)
        return self._answer("save_path", title, None)

    def folder(self, title, current):
        return self._answer("folder", title, None)

    def text(self, title, label, default=""):
        return self._answer("text", title, default)

    def number(self, title, label, default, minimum, maximum):
        return self._answer("number", title, default)

    def choice(self, title, label, options, current=0):
        return self._answer("choice", title, options[current])

    def confirm(self, title, message):
        return self._answer("confirm", f"{title}: {message}", False)

    def error(self, title, message):
        self._answer("error", f"{title}: {message}", None)

    def info(self, title, message):
        self._answer("info", f"{title}: {message}", None)

    def exported(self, message, path):
        self._answer("exported", f"{message}: {path}", None)


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def make_window(qtbot, settings, tmp_path):
    made = []

    def make() -> MainWindow:
        window = MainWindow(settings=settings, autosave_folder=tmp_path / "autosave")
        window.prompts = ScriptedPrompts()
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.prompts.answers["save_changes"] = DISCARD
        window.close()


@pytest.fixture
def window(make_window):
    return make_window()


@pytest.fixture
def tickets(tmp_path):
    path = tmp_path / "tickets.graph.json"
    shutil.copy(TEMPLATES / "customer_tickets.graph.json", path)
    return path


def added_nodes(g, before):
    """The node ids of `g` not in `before`."""
    return [n for n in g.node_ids() if n not in before]


def assert_header_centred_on(g, node_id, scene_pos):
    """Where the controller puts a new node: its header centred on `scene_pos`."""
    x, y = g.node(node_id).pos
    assert (x, y) == pytest.approx((scene_pos.x() - NODE_WIDTH / 2, scene_pos.y() - HEADER / 2))


def choose_in_quick_add(window, text: str) -> None:
    popup = window.quick_add
    assert popup.isVisible()
    QTest.keyClicks(popup.line, text)
    assert popup.shown_types()[0] == text
    QTest.keyClick(popup.line, Qt.Key.Key_Return)
    assert not popup.isVisible()
