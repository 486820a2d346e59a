"""The main window, driven for real offscreen: files, undo, docks, export, recovery.

Dialogs go through `window.prompts`; tests replace it with scripted answers.
Screenshots land in tests' artifacts folder (KGS_ARTIFACTS, default
/tmp/kgs_artifacts) to be looked at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, QSettings, Qt
from PySide6.QtTest import QTest

import graph
from graph.fileformat import dumps
from studio.mainwindow import MainWindow
from studio.prompts import CANCEL, DISCARD, SAVE

TEMPLATES = Path(__file__).parent.parent / "resources" / "templates"
ARTIFACTS = Path(os.environ.get("KGS_ARTIFACTS", "/tmp/kgs_artifacts"))


class ScriptedPrompts:
    """Answers the window's questions from a script and records what was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []
        self.answers: dict[str, object] = {}

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
        return self._answer("save_path", title, None)

    def error(self, title, message):
        self._answer("error", f"{title}: {message}", None)

    def info(self, title, message):
        self._answer("info", f"{title}: {message}", None)


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


def screenshot(window, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(ARTIFACTS / name))


def test_opens_a_file_and_shows_it_everywhere(window, tickets, qtbot):
    assert window.open_file(tickets)
    g = window.document.graph
    assert {i.node_id for i in window.scene.node_items()} == set(g.node_ids())
    assert window.windowTitle().startswith("tickets.graph.json")
    assert window.validity.text().startswith("Valid: 7 nodes")
    assert window.recent_files() == [tickets.resolve()]
    window.focus_node("department")
    assert [i.node_id for i in window.scene.selectedItems()] == ["department"]
    screenshot(window, "main_window_tickets.png")


def test_empty_window(window):
    assert len(window.document.graph) == 0
    assert window.windowTitle().startswith("Untitled")
    screenshot(window, "main_window_empty.png")


def test_an_unreadable_file_is_refused_and_the_current_one_kept(window, tickets, tmp_path):
    window.open_file(tickets)
    broken = tmp_path / "broken.graph.json"
    broken.write_text('{"format": "keras-graph-studio.graph", "version": 1, "nodes": 3}')
    assert not window.open_file(broken)
    kind, text = window.prompts.asked[-1]
    assert kind == "error" and "broken.graph.json" in text
    assert window.document.path == tickets


def test_edit_undo_save_and_reopen_identical(window, tickets, make_window):
    window.open_file(tickets)
    g = window.document.graph
    window.palette_.layer_chosen.emit("Dropout")
    assert len(g) == 8 and window.windowTitle().startswith("tickets.graph.json*")
    window.actions_["undo"].trigger()
    assert len(g) == 7 and not window.document.unsaved
    window.actions_["redo"].trigger()
    assert len(g) == 8
    window.actions_["save"].trigger()
    assert not window.document.unsaved
    other = make_window()
    other.open_file(tickets)
    assert dumps(other.document.graph) == dumps(g)


def test_save_as_an_untitled_document_asks_for_a_path(window, tmp_path):
    window.palette_.layer_chosen.emit("Input")
    target = tmp_path / "fresh"
    window.prompts.answers["save_path"] = target
    assert window.save()
    assert window.document.path == tmp_path / "fresh.graph.json"
    assert len(graph.load(window.document.path)) == 1


def test_closing_unsaved_work_asks_first(window, tickets):
    window.open_file(tickets)
    window.palette_.layer_chosen.emit("Dense")
    window.prompts.answers["save_changes"] = CANCEL
    assert not window.close() and window.isVisible()
    window.prompts.answers["save_changes"] = SAVE
    assert window.close()
    assert len(graph.load(tickets)) == 8


def test_new_from_a_template_is_untitled_and_valid(window):
    window.actions_["template:small_cnn"].trigger()
    assert window.document.path is None and len(window.document.graph) > 3
    assert window.validity.text().startswith("Valid")


def test_an_invalid_graph_shows_red_and_lists_problems(window, tickets):
    window.open_file(tickets)
    window.controller.add_node("Dense", QPointF(480.0, 330.0))
    assert window.validity.text().startswith("Invalid")
    window.docks["problems"].raise_()
    screenshot(window, "main_window_invalid.png")


def test_dock_layout_and_theme_are_remembered(make_window):
    first = make_window()
    first.docks["code"].hide()
    first.actions_["theme:dark"].trigger()
    first.close()
    second = make_window()
    assert not second.docks["code"].isVisible() and second.docks["inspector"].isVisible()
    assert second.theme == "dark"
    screenshot(second, "main_window_dark.png")
    second.actions_["theme:light"].trigger()


def test_recovers_work_left_by_a_crash(make_window, tickets, tmp_path):
    from studio.autosave import AutosaveSlot

    g = graph.load(tickets)
    g.set_param("priority", "units", 2)
    slot = AutosaveSlot(tmp_path / "autosave")
    slot.write(g, tickets)
    # Pretend the writer died: the record names a process that is not running.
    record = slot.record_path.read_text().replace(f'"pid": {os.getpid()}', '"pid": 999999999')
    slot.record_path.write_text(record)
    window = make_window()
    window.prompts.answers["recover"] = True
    assert window.offer_recovery()
    assert window.document.path == tickets and window.document.unsaved
    assert window.document.graph.layer("priority").params["units"] == 2
    assert not slot.graph_path.exists()


def test_export_keras_runs_in_the_background_and_reloads(window, tickets, tmp_path, qtbot):
    window.open_file(tickets)
    target = tmp_path / "tickets.keras"
    job = window.export("keras", target)
    with qtbot.waitSignal(job.finished, timeout=120_000):
        pass
    assert target.is_file(), window.prompts.asked
    import keras

    model = keras.models.load_model(target, safe_mode=True)
    assert [layer.name for layer in model.layers][:3] == ["title", "text_body", "tags"]
    assert "Wrote tickets.keras" in window.statusBar().currentMessage()


def test_keyboard_shortcuts_reach_the_canvas(window, tickets, qtbot):
    window.open_file(tickets)
    window.focus_node("priority")
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Delete)
    assert "priority" not in window.document.graph
    QTest.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert "priority" in window.document.graph


def test_call_again_makes_a_shared_layer_that_compiles_to_one_keras_layer(window, tmp_path):
    g = graph.ModelGraph("siamese")
    left = g.add_node("Input", name="left", params={"shape": (8,)}, pos=(0.0, 0.0))
    right = g.add_node("Input", name="right", params={"shape": (8,)}, pos=(0.0, 160.0))
    encoder = g.add_node("Dense", name="encoder", params={"units": 4}, pos=(320.0, 0.0))
    g.connect(left, encoder, "input")
    g.set_output(encoder)
    path = tmp_path / "siamese.graph.json"
    graph.save(g, path)
    window.open_file(path)
    g = window.document.graph
    window.focus_node(encoder)
    window.actions_["call_again"].trigger()
    [again] = [n for n in g.node_ids() if n not in (left, right, encoder)]
    assert g.call_sites(encoder) == [encoder, again]
    assert window.controller.connect(right, again, "input")
    window.focus_node(again)
    window.actions_["toggle_output"].trigger()
    assert g.outputs == [encoder, again] and window.validity.text().startswith("Valid")

    import numpy as np

    from codegen import build_model

    model = build_model(g)
    [shared] = [layer for layer in model.layers if layer.name == "encoder"]
    assert len(shared._inbound_nodes) == 2 and len(model.weights) == 2
    x = np.random.default_rng(0).normal(size=(3, 8)).astype("float32")
    a, b = model.predict([x, x], verbose=0)
    np.testing.assert_array_equal(a, b)  # one set of weights behind both call sites


def test_import_a_keras_model_as_an_untitled_graph(window, tickets, tmp_path):
    from codegen import build_model, save_keras

    model_path = tmp_path / "tickets.keras"
    save_keras(build_model(graph.load(tickets)), model_path)
    assert window.import_keras(model_path)
    g = window.document.graph
    assert window.document.path is None and len(g) == 7
    assert sorted(g.layer(n).name for n in g.outputs) == ["department", "priority"]
    assert window.validity.text().startswith("Valid: 7 nodes")


def test_onnx_export_checks_parity_and_refuses_what_onnx_cannot_express(window, tmp_path, qtbot):
    window.new_from_template(TEMPLATES / "mnist_mlp.graph.json")
    target = tmp_path / "mlp.onnx"
    job = window.export("onnx", target)
    with qtbot.waitSignal(job.finished, timeout=180_000):
        pass
    assert target.is_file(), window.prompts.asked
    assert "matches Keras" in window.statusBar().currentMessage()

    g = graph.ModelGraph("free_time")
    tokens = g.add_node("Input", name="tokens", params={"shape": (None, 4)})
    lstm = g.add_node("LSTM", name="encoder", params={"units": 3}, pos=(320.0, 0.0))
    g.connect(tokens, lstm, "input")
    g.set_output(lstm)
    window.new_document(g)
    assert window.export("onnx", tmp_path / "lstm.onnx") is None
    kind, text = window.prompts.asked[-1]
    assert kind == "error" and "LSTM 'encoder'" in text and "Fix:" in text
    assert window.scene.marked_node_ids() == [lstm]
    assert not (tmp_path / "lstm.onnx").exists()


def test_closing_the_window_mid_training_stops_the_run_and_keeps_the_graph(make_window, qtbot):
    window = make_window()
    window.new_from_template(TEMPLATES / "mnist_mlp.graph.json")
    window.actions_["train"].trigger()
    assert window.docks["training"].isVisible()
    panel = window.training
    panel.form.epochs.setValue(1000)  # an undoable setup edit: the document is unsaved
    assert window.document.graph.training.epochs == 1000 and window.document.unsaved
    panel.start_button.click()
    qtbot.waitUntil(lambda: len(panel.plots.batch_x) >= 2, timeout=60_000)
    screenshot(window, "main_window_training.png")
    window.prompts.answers["save_changes"] = CANCEL
    assert not window.close() and panel.running  # the user kept the window: training goes on
    window.prompts.answers["save_changes"] = DISCARD
    assert window.close()
    assert not panel.running


def test_training_scripts_follow_the_setup_in_the_code_panel_and_export(window, tmp_path, qtbot):
    window.new_from_template(TEMPLATES / "mnist_mlp.graph.json")
    code = window.code
    window.docks["code"].raise_()
    code.tabs.setCurrentWidget(code.view("Training: loop"))
    window.training.form.epochs.setValue(3)  # a setup edit: no graph validation runs
    qtbot.waitUntil(lambda: "EPOCHS = 3" in code.view("Training: loop").toPlainText())
    assert "loss.backward()" in code.view("Training: loop").toPlainText()

    target = tmp_path / "scripts" / "train"
    target.parent.mkdir()
    window.prompts.answers["save_path"] = target
    [fit_script, *_] = window.training.script_button.menu().actions()
    fit_script.trigger()  # the training panel's Export script > fit()
    [job] = window.jobs
    with qtbot.waitSignal(job.finished, timeout=60_000):
        pass
    script = (tmp_path / "scripts" / "train.py").read_text()
    compile(script, "train.py", "exec")
    assert "EPOCHS = 3" in script and ".fit(" in script
    assert "digits_mlp.npz" in script  # the bundled sample data, as kgs train would use
    assert "bundled sample data" in window.statusBar().currentMessage()
