"""The main window, driven for real offscreen: files, undo, docks, export, recovery.

Dialogs go through `window.prompts`; tests replace it with scripted answers.
Screenshots land in the `artifacts` folder (KGS_ARTIFACTS, default /tmp/kgs_artifacts)
to be looked at.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import (
    QAction,
    QCursor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QKeySequence,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

import graph
from graph.fileformat import dumps
from graph.training import DataSource, TrainingSetup
from studio import app
from studio.document.autosave import orphans
from studio.mainwindow import MainWindow
from studio.menus import SHORTCUTS, shortcuts_of
from studio.mime import LAYER_MIME
from studio.panels.palette import TYPE_ROLE
from studio.prompts import CANCEL, DISCARD, SAVE, Prompts
from studio.training.plots import EPOCH_ROW
from tests.crashes import leave_orphan
from tests.processes import python_output
from tests.windows import (
    LEFT,
    TEMPLATES,
    ScriptedPrompts,
    added_nodes,
    assert_header_centred_on,
    choose_in_quick_add,
)

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def screenshot(artifacts):
    def take(window, name):
        QApplication.processEvents()  # pending layouts and the queued zoom to fit
        assert window.grab().save(str(artifacts / name))

    return take


def wait_for_job(window, qtbot):
    """Wait for the one background job the window is running."""
    [job] = window.jobs
    with qtbot.waitSignal(job.finished, timeout=120_000):
        pass


def test_opens_a_file_and_shows_it_everywhere(window, tickets, qtbot, screenshot):
    assert window.open_file(tickets)
    g = window.document.graph
    assert {i.node_id for i in window.scene.node_items()} == set(g.node_ids())
    assert window.windowTitle().startswith("tickets.graph.json")
    assert window.validity.text().startswith("Valid: 7 nodes")
    assert window.recent_files() == [tickets.resolve()]
    screenshot(window, "main_window_tickets.png")
    window.focus_node("department")
    assert [i.node_id for i in window.scene.selectedItems()] == ["department"]


def test_empty_window(window, screenshot):
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


def test_save_dialogs_propose_a_safe_file_name_in_the_graph_folder(window, tmp_path):
    """A graph named '../../x/evil' proposes 'evil...' in its own folder, not a path
    that climbs out of it."""
    g = graph.ModelGraph("../../x/evil")
    g.add_node("Input", params={"shape": [3]})
    path = tmp_path / "named.graph.json"
    graph.save(g, path)
    window.open_file(path)
    window.save_as()
    window.export("subclass")
    window.export_image()
    window.export_trained("onnx")
    assert window.prompts.suggested == [
        str(tmp_path / "evil.graph.json"),
        str(tmp_path / "evil.py"),
        str(tmp_path / "evil.png"),
        str(tmp_path / "evil.onnx"),
    ]


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


def test_an_invalid_graph_shows_red_and_lists_problems(window, tickets, screenshot):
    window.open_file(tickets)
    add = window.controller.add_node("Add", QPointF(480.0, 330.0))
    assert window.controller.connect("title", add, "input_0")
    assert window.controller.connect("tags", add, "input_1")  # (None, 100) onto (None, 10000)
    assert window.validity.text() == "Invalid: 1 error, 1 warning"
    assert window.validity.styleSheet() == "color: #d32f2f;"
    shape = "Add 'add': expects inputs whose shapes broadcast together"
    [error] = [p.message for p in window.report.problems if p.severity == "error"]
    assert error.startswith(shape) and "(None, 10000), (None, 100)" in error
    item = window.scene.node_item(add)
    assert item.view.severity == "error"
    assert item.toolTip() == f"{error}\nAdd 'add': does not lead to any model output"
    for src, port in (("title", "input_0"), ("tags", "input_1")):
        edge = window.scene.edge_item(src, add, port)
        assert edge.bad and edge.toolTip() == error  # the shape problem, not the warning
    assert not window.scene.edge_item("title", "concatenate", "input_0").bad
    assert window.problems.rows() == [
        ("Add 'add'", error.removeprefix("Add 'add': ")),
        ("Add 'add'", "does not lead to any model output"),
    ]
    window.docks["problems"].raise_()
    screenshot(window, "main_window_invalid.png")

    window.actions_["undo"].trigger()  # the bad connection goes: so does the red
    edge = window.scene.edge_item("title", add, "input_0")
    assert not edge.bad and edge.toolTip() == ""
    assert item.view.severity == "warning" and error not in item.toolTip()
    assert window.validity.text().startswith("Valid")
    assert error.removeprefix("Add 'add': ") not in [what for _, what in window.problems.rows()]


def test_clicking_a_problem_selects_and_centres_its_node(window, tickets):
    window.open_file(tickets)
    stray = window.controller.add_node("Dense", QPointF(2400.0, 1400.0))  # unconnected
    window.docks["problems"].raise_()
    tree, view = window.problems.tree, window.view
    row = tree.topLevelItem(0)
    assert row.text(0) == "Dense 'dense'" and tree.topLevelItemCount() == 2  # error, warning
    item = window.scene.node_item(stray)

    def centred() -> bool:
        offset = (
            view.mapFromScene(item.sceneBoundingRect().center()) - view.viewport().rect().center()
        )
        return offset.manhattanLength() <= 2

    for activate in ("click", "enter"):
        window.scene.clearSelection()
        view.centerOn(QPointF(-3000.0, -3000.0))
        assert not centred()
        if activate == "click":
            QTest.mouseClick(tree.viewport(), LEFT, pos=tree.visualItemRect(row).center())
        else:
            tree.setCurrentItem(row)
            tree.setFocus()
            QTest.keyClick(tree, Qt.Key.Key_Return)
        assert window.scene.selected_node_ids() == [stray], activate
        assert centred(), activate
        assert window.inspector.node_id == stray


def test_dock_layout_and_theme_are_remembered(make_window, screenshot):
    first = make_window()
    first.docks["code"].hide()
    first.actions_["theme:dark"].trigger()
    first.close()
    second = make_window()
    assert not second.docks["code"].isVisible() and second.docks["inspector"].isVisible()
    assert second.theme == "dark"
    screenshot(second, "main_window_dark.png")
    second.actions_["theme:light"].trigger()


def test_the_canvas_gets_most_of_a_fresh_window_and_the_layout_is_remembered(make_window):
    first = make_window()
    QApplication.processEvents()
    bottom = first.docks["problems"]
    assert first.view.height() > 0.6 * first.height()
    assert bottom.height() < 0.3 * first.height()
    # A size the offscreen screen holds, so the second window comes back at it (a
    # layout restored at another size is fit to that size: test_window_restore.py).
    first.resize(790, 740)
    QApplication.processEvents()
    first.resizeDocks([bottom], [400], Qt.Orientation.Vertical)
    QApplication.processEvents()
    tall = bottom.height()
    assert tall > 300
    first.close()
    second = make_window()
    QApplication.processEvents()
    assert second.docks["problems"].height() == tall
    second.actions_["train"].trigger()  # the training panel gets the room it needs
    QApplication.processEvents()
    training = second.docks["training"]
    assert training.height() >= second.training.minimumSizeHint().height()


def autosaved_graphs(folder: Path) -> list[str]:
    """The graphs autosaved in `folder`, as file text."""
    return [p.read_text() for p in sorted(folder.glob("*.graph.json"))]


def test_recovery_is_offered_at_startup_and_the_work_autosaved_at_once(
    make_window, tickets, tmp_path
):
    folder = tmp_path / "autosave"
    g = graph.load(tickets)
    g.set_param("priority", "units", 2)
    leave_orphan(folder, g, tickets)
    [crashed] = orphans(folder)
    window = make_window()
    window.prompts.answers["recover"] = True
    assert app.start(window, None)  # what `kgs studio` with no file runs
    assert ("recover", str(tickets)) in window.prompts.asked
    assert window.document.path == tickets and window.document.unsaved
    assert window.windowTitle().startswith("tickets.graph.json*")
    assert window.document.graph.layer("priority").params["units"] == 2
    # The crashed copy is gone only because the recovered document has its own already:
    # a second crash before the autosave timer fires loses nothing.
    assert not crashed.graph_path.exists()
    assert autosaved_graphs(folder) == [dumps(g)]


def test_an_untitled_document_is_recovered_untitled(make_window, tmp_path):
    g = graph.load(TEMPLATES / "mnist_mlp.graph.json")
    leave_orphan(tmp_path / "autosave", g, None)
    [crashed] = orphans(tmp_path / "autosave")
    window = make_window()
    window.prompts.answers["recover"] = True
    assert app.start(window, None)
    assert window.document.path is None and window.document.unsaved
    assert window.windowTitle().startswith("Untitled*")
    assert dumps(window.document.graph) == dumps(g)
    assert not crashed.graph_path.exists() and not crashed.record_path.exists()


def test_recovery_is_offered_when_the_studio_starts_on_a_file(make_window, tickets, tmp_path):
    """`kgs studio FILE` after a crash: the file opens, then the crashed work is offered."""
    g = graph.load(tickets)
    g.set_param("priority", "units", 4)
    leave_orphan(tmp_path / "autosave", g, tickets)
    window = make_window()
    window.prompts.answers["recover"] = True
    assert app.start(window, tickets)
    assert window.prompts.asked == [("recover", str(tickets))]
    assert window.document.path == tickets and window.document.unsaved
    assert window.document.graph.layer("priority").params["units"] == 4


def test_declined_recovery_discards_and_an_unreadable_file_argument_keeps_it(
    make_window, tickets, tmp_path
):
    leave_orphan(tmp_path / "autosave", graph.load(tickets), None)
    [crashed] = orphans(tmp_path / "autosave")
    window = make_window()
    assert not app.start(window, tmp_path / "missing.graph.json")
    assert [kind for kind, _ in window.prompts.asked] == ["error"]  # no window to recover in
    assert crashed.graph_path.exists()
    window.prompts.asked.clear()
    window.prompts.answers["recover"] = False
    assert app.start(window, tickets)
    assert [kind for kind, _ in window.prompts.asked] == ["recover"]
    assert window.document.path == tickets and not window.document.unsaved
    assert not crashed.graph_path.exists()


def test_an_autosave_that_cannot_be_written_is_reported_not_raised(make_window, tmp_path):
    blocked = tmp_path / "autosave"
    blocked.write_text("a file where the autosave folder should be")
    window = make_window()
    window.palette_.layer_chosen.emit("Dense")
    assert not window.autosave()
    assert window.statusBar().currentMessage().startswith("Autosave failed:")


def test_file_new_from_the_menu_asks_about_unsaved_work(window, tickets):
    window.open_file(tickets)
    window.palette_.layer_chosen.emit("Dropout")
    [file_menu] = [a.menu() for a in window.menuBar().actions() if a.text() == "&File"]
    new = window.actions_["new"]
    assert new in file_menu.actions()
    window.prompts.answers["save_changes"] = CANCEL
    new.trigger()
    assert window.document.path == tickets and len(window.document.graph) == 8
    window.prompts.answers["save_changes"] = DISCARD
    new.trigger()
    assert [k for k, _ in window.prompts.asked] == ["save_changes", "save_changes"]
    assert window.document.path is None and len(window.document.graph) == 0
    assert window.windowTitle().startswith("Untitled - ")
    assert len(graph.load(tickets)) == 7  # discarded, not saved


def test_open_recent_lists_the_files_newest_first_and_opens_one(window, tickets, tmp_path):
    [file_menu] = [a.menu() for a in window.menuBar().actions() if a.text() == "&File"]
    [recent] = [a.menu() for a in file_menu.actions() if a.text() == "Open &recent"]
    recent.aboutToShow.emit()  # what opening the submenu sends
    [placeholder] = recent.actions()
    assert placeholder.text() == "No recent files" and not placeholder.isEnabled()

    mlp = tmp_path / "mlp.graph.json"
    shutil.copy(TEMPLATES / "mnist_mlp.graph.json", mlp)
    window.open_file(tickets)
    window.open_file(mlp)
    window.new_document()
    recent.aboutToShow.emit()
    entries = recent.actions()
    assert [a.text() for a in entries] == [str(mlp.resolve()), str(tickets.resolve())]
    entries[1].trigger()
    assert window.document.path.resolve() == tickets.resolve()
    assert len(window.document.graph) == 7
    recent.aboutToShow.emit()
    assert [a.text() for a in recent.actions()] == [str(tickets.resolve()), str(mlp.resolve())]


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


def siamese_called_again(window, tmp_path) -> tuple[str, str, str, str]:
    """Open two Inputs and a Dense "encoder" on the left one, then Call again the
    encoder from the menu and feed the right Input to the new call site.

    Returns the node ids (left, right, encoder, again)."""
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
    [again] = added_nodes(g, (left, right, encoder))
    assert g.call_sites(encoder) == [encoder, again]
    assert window.controller.connect(right, again, "input")
    return left, right, encoder, again


def test_call_again_makes_a_shared_layer_that_compiles_to_one_keras_layer(window, tmp_path):
    left, right, encoder, again = siamese_called_again(window, tmp_path)
    g = window.document.graph
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


def test_closing_the_window_mid_training_stops_the_run_and_keeps_the_graph(
    make_window, qtbot, screenshot
):
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
    # The bundled sample data, as kgs train would use, copied beside the script.
    assert '\nDATA = ["digits_mlp.npz"]\n' in script
    assert (tmp_path / "scripts" / "digits_mlp.npz").is_file()
    assert "copied the bundled sample data digits_mlp.npz" in window.statusBar().currentMessage()
    # The tab shows what Export wrote.
    code.tabs.setCurrentWidget(code.view("Training: fit"))
    qtbot.waitUntil(lambda: code.view("Training: fit").toPlainText() == script)


def test_the_code_panel_reads_data_from_the_graph_files_folder(
    window, tmp_path, qtbot, monkeypatch
):
    """The ticket graph's data sits beside its file, with priorities spread over [0, 1]:
    the training tab infers mse from it, as Export would, whatever the working folder."""
    g = graph.load(TEMPLATES / "customer_tickets.graph.json")
    g.training = TrainingSetup(data=DataSource("tickets.npz"))
    graph.save(g, tmp_path / "tickets.graph.json")
    shutil.copy(TEMPLATES.parent / "data" / "tickets.npz", tmp_path / "tickets.npz")
    monkeypatch.chdir(TEMPLATES)
    window.open_file(tmp_path / "tickets.graph.json")
    code = window.code
    window.docks["code"].raise_()
    code.tabs.setCurrentWidget(code.view("Training: fit"))
    qtbot.waitUntil(lambda: "DATA = " in code.view("Training: fit").toPlainText())
    text = code.view("Training: fit").toPlainText()
    assert '\nDATA = ["tickets.npz"]\n' in text
    assert '"priority": "mse"' in text, text


def test_an_inspector_edit_of_one_call_site_redraws_the_other(window, tmp_path, qtbot):
    _, _, encoder, again = siamese_called_again(window, tmp_path)
    scene = window.scene
    for node_id in (encoder, again):
        item = scene.node_item(node_id)
        assert item.view.shared == 2 and item.badges()[0] == "x2"
        assert item.view.params == f"{8 * 4 + 4:,} params"
    window.focus_node(again)
    assert window.inspector.node_id == again
    units = window.inspector.fields["units"].editor.spin.lineEdit()
    units.selectAll()
    qtbot.keyClicks(units, "16")
    qtbot.keyClick(units, Qt.Key.Key_Return)
    assert window.document.graph.layer(encoder).params["units"] == 16
    other = scene.node_item(encoder)  # the call site the inspector does not show
    assert other.view.shape == "(None, 16)" and other.view.params == f"{8 * 16 + 16:,} params"
    for node_id in (encoder, again):
        assert scene.node_item(node_id).badges() == (
            ["x2", "output"] if node_id == encoder else ["x2"]
        )
    window.actions_["undo"].trigger()
    assert other.view.shape == "(None, 4)"


# ------------------------------------------------------------ adding on the canvas


def send_drag(view, data, at: QPoint) -> None:
    """Deliver a drag of `data` to the canvas as Qt would: enter, move, drop at `at`."""
    port, copy, none = view.viewport(), Qt.DropAction.CopyAction, Qt.KeyboardModifier(0)
    for event in (
        QDragEnterEvent(at, copy, data, LEFT, none),
        QDragMoveEvent(at + QPoint(1, 1), copy, data, LEFT, none),
        QDragMoveEvent(at, copy, data, LEFT, none),
        QDropEvent(QPointF(at), copy, data, LEFT, none),
    ):
        QApplication.sendEvent(port, event)
        assert event.isAccepted(), event.type()


def test_a_layer_dragged_from_the_palette_lands_under_the_cursor(window, tickets):
    window.open_file(tickets)
    g = window.document.graph
    before = dumps(g)
    tree = window.palette_.tree
    [dropout] = [i for i in tree.layer_items() if i.data(0, TYPE_ROLE) == "Dropout"]
    tree.setCurrentItem(dropout)
    # What QAbstractItemView.startDrag hands to QDrag: the model's data of the
    # selected draggable rows (QDrag.exec itself would block offscreen).
    model = tree.model()
    rows = [i for i in tree.selectedIndexes() if model.flags(i) & Qt.ItemFlag.ItemIsDragEnabled]
    data = model.mimeData(rows)
    assert data.formats()[0] == LAYER_MIME
    at = QPoint(window.view.viewport().width() // 3, window.view.viewport().height() - 60)
    send_drag(window.view, data, at)
    [added] = added_nodes(g, graph.loads(before).node_ids())
    assert g.layer(added).type == "Dropout"
    assert_header_centred_on(g, added, window.view.mapToScene(at))
    assert window.scene.selected_node_ids() == [added]
    window.actions_["undo"].trigger()
    assert dumps(g) == before


@pytest.mark.parametrize("how", ["tab", "double-click", "tab-outside"])
def test_quick_add_adds_the_layer_where_its_popup_opened(window, tickets, how):
    window.open_file(tickets)
    g = window.document.graph
    before = dumps(g)
    view, port = window.view, window.view.viewport()
    at = QPoint(port.width() - 40, port.height() - 40)  # empty canvas, off the middle
    assert view.itemAt(at) is None
    view.setFocus()
    if how == "double-click":
        QTest.mouseDClick(port, LEFT, pos=at)
    else:
        if how == "tab-outside":  # the cursor over the palette: the node goes mid-canvas
            QCursor.setPos(window.palette_.mapToGlobal(QPoint(10, 10)))
            at = port.rect().center()
        else:
            QCursor.setPos(port.mapToGlobal(at))
        QTest.keyClick(view, Qt.Key.Key_Tab)
    assert window.quick_add.pos() == port.mapToGlobal(at)  # the popup where the node goes
    choose_in_quick_add(window, "Dropout")
    [added] = added_nodes(g, graph.loads(before).node_ids())
    assert g.layer(added).type == "Dropout"
    if how == "tab-outside":  # mid-canvas is the Concatenate's: the node goes below it
        box = window.scene.node_item(added).sceneBoundingRect()
        others = [window.scene.node_item(n).sceneBoundingRect() for n in g.node_ids()]
        assert not any(box.intersects(o) for o in others if o != box)
        assert box.center().x() == pytest.approx(view.mapToScene(at).x())
        assert box.top() > window.scene.node_item("concatenate").sceneBoundingRect().top()
    else:
        assert_header_centred_on(g, added, view.mapToScene(at))
    window.actions_["undo"].trigger()
    assert dumps(g) == before


# ------------------------------------------------------------------ exports


def test_python_exports_from_the_menu_build_the_same_model(window, tickets, tmp_path, qtbot):
    from codegen import build_model

    window.open_file(tickets)
    written = []
    for target in ("functional", "subclass"):
        window.prompts.answers["save_path"] = tmp_path / f"tickets_{target}"  # no suffix
        window.actions_[f"export:{target}"].trigger()
        wait_for_job(window, qtbot)
        path = tmp_path / f"tickets_{target}.py"
        assert path.is_file(), window.prompts.asked
        compile(path.read_text(encoding="utf-8"), str(path), "exec")
        assert f"Wrote {path.name}: {target} Python source" in window.statusBar().currentMessage()
        written.append(str(path))
    code = (
        "import runpy\n"
        f"print(*(runpy.run_path(p)['build_model']().count_params() for p in {written!r}))"
    )
    expected = build_model(window.document.graph).count_params()
    assert python_output(code) == f"{expected} {expected}"  # run in a fresh process


def test_canvas_images_from_the_menu_get_their_suffix(window, tickets, tmp_path):
    window.open_file(tickets)
    action = window.actions_["export:image"]
    window.prompts.answers["save_path"] = tmp_path / "canvas"  # no suffix: PNG
    action.trigger()
    image = QImage(str(tmp_path / "canvas.png"))
    assert not image.isNull() and image.width() > 500 and image.height() > 200
    assert "Wrote" in window.statusBar().currentMessage()
    window.prompts.answers["save_path"] = tmp_path / "canvas.svg"
    action.trigger()
    text = (tmp_path / "canvas.svg").read_text(encoding="utf-8")
    assert ElementTree.fromstring(text).tag.endswith("svg")
    g = window.document.graph
    assert all(f">{g.layer(n).name}<" in text for n in g.node_ids())
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("canvas")) == [
        "canvas.png",
        "canvas.svg",
    ]


# ---------------------------------------------------------------- shortcuts

#: The shortcuts everyone expects, by action (as Qt spells them on Linux).
COMMON_SHORTCUTS = {
    "undo": "Ctrl+Z",
    "redo": "Ctrl+Shift+Z",
    "copy": "Ctrl+C",
    "paste": "Ctrl+V",
    "duplicate": "Ctrl+D",
    "delete": "Del",
    "select_all": "Ctrl+A",
    "fit": "Ctrl+0",
    "new": "Ctrl+N",
    "open": "Ctrl+O",
    "save": "Ctrl+S",
    "save_as": "Ctrl+Shift+S",
    "quit": "Ctrl+Q",
}


def test_every_shortcut_is_bound_once_to_an_enabled_action(window, tickets):
    window.open_file(tickets)
    window.palette_.layer_chosen.emit("Dropout")
    window.palette_.layer_chosen.emit("Dropout")
    window.actions_["undo"].trigger()  # something to undo and something to redo
    for name, keys in COMMON_SHORTCUTS.items():
        action = window.actions_[name]
        assert QKeySequence(keys) in action.shortcuts(), name
        assert action.isEnabled(), name
    for name in SHORTCUTS:
        keys = window.actions_[name].shortcuts()
        assert keys == shortcuts_of(name) and all(not k.isEmpty() for k in keys), name
    bound: dict[str, str] = {}
    for action in window.findChildren(QAction):
        for keys in action.shortcuts():
            text = keys.toString()
            assert text not in bound, f"{text}: {bound.get(text)} and {action.text()}"
            bound[text] = action.text()


def test_shortcuts_pressed_on_the_canvas_edit_the_graph(window, tickets):
    window.open_file(tickets)
    g = window.document.graph
    view = window.view
    window.focus_node("priority")
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_C, CTRL)
    QTest.keyClick(view, Qt.Key.Key_V, CTRL)
    [pasted] = added_nodes(g, graph.load(tickets).node_ids())
    assert g.layer(pasted).name == "priority_1"
    assert g.layer(pasted).params == g.layer("priority").params
    assert window.scene.selected_node_ids() == [pasted]
    QTest.keyClick(view, Qt.Key.Key_D, CTRL)
    [_, duplicate] = added_nodes(g, graph.load(tickets).node_ids())
    assert g.layer(duplicate).name == "priority_2"
    QTest.keyClick(view, Qt.Key.Key_Z, CTRL)
    assert duplicate not in g and pasted in g
    QTest.keyClick(view, Qt.Key.Key_Z, CTRL | SHIFT)
    assert duplicate in g and g.layer(duplicate).name == "priority_2"
    QTest.keyClick(view, Qt.Key.Key_A, CTRL)
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert len(g) == 0


def test_the_training_plots_are_made_when_their_dock_is_first_seen(window, qtbot):
    from graph.training import log_names

    window.new_from_template(TEMPLATES / "mnist_mlp.graph.json")
    plots = window.training.plots
    # Behind the Problems tab: opening did not wait for the template's plots.
    assert "accuracy" not in plots.epochs
    window.docks["training"].raise_()
    qtbot.waitUntil(lambda: list(plots.epochs) == log_names(window.document.graph))
    assert plots.getItem(EPOCH_ROW, 0).titleLabel.text == "loss"


def test_a_window_shown_with_training_behind_a_tab_makes_its_plots_when_raised(
    qtbot, settings, tmp_path
):
    window = MainWindow(settings=settings, autosave_folder=tmp_path / "autosave")
    window.prompts = ScriptedPrompts()
    qtbot.addWidget(window)
    window.new_from_template(TEMPLATES / "mnist_mlp.graph.json")
    window.show()
    qtbot.waitExposed(window)
    # Shown, so Qt calls the panel visible, but behind the Problems tab: no plots yet.
    assert window.training.isVisible() and "accuracy" not in window.training.plots.epochs
    window.docks["training"].raise_()
    qtbot.waitUntil(lambda: "accuracy" in window.training.plots.epochs)
    window.prompts.answers["save_changes"] = DISCARD
    window.close()


def test_summary_and_code_wait_behind_their_tabs_and_catch_up_when_raised(window, qtbot):
    from studio.panels.code_panel import DEBOUNCE_MS

    regenerated = []
    window.code.regenerated.connect(regenerated.append)
    window.new_from_template(TEMPLATES / "mnist_mlp.graph.json")
    qtbot.wait(DEBOUNCE_MS * 3)
    # Behind the Problems tab, though Qt calls them visible: no code made, no table.
    assert window.code.isVisible() and regenerated == []
    assert window.summary.table.rowCount() == 0
    window.docks["code"].raise_()
    qtbot.waitUntil(lambda: regenerated == ["Functional"])
    assert "def build_model" in window.code.view("Functional").toPlainText()
    window.docks["summary"].raise_()
    qtbot.waitUntil(lambda: window.summary.table.rowCount() == 4)


def test_a_finished_export_says_so_with_a_way_to_open_its_folder(window, tickets, tmp_path, qtbot):
    window.open_file(tickets)
    target = tmp_path / "out" / "tickets.py"
    target.parent.mkdir()
    job = window.export("functional", target)
    with qtbot.waitSignal(job.finished, timeout=60_000):
        pass
    kind, text = window.prompts.asked[-1]
    assert kind == "exported" and "Wrote tickets.py" in text and str(target) in text

    opened = []
    prompts = Prompts(window)
    prompts.open_folder = opened.append
    box = prompts.exported("Wrote tickets.py", target)
    assert box.isVisible() and not box.isModal() and str(target) in box.text()
    [open_folder] = [b for b in box.buttons() if b.text() == "Open folder"]
    open_folder.click()
    assert opened == [target.parent]


def test_the_training_panels_exports_ask_and_say_so_as_file_export_does(
    window, tickets, tmp_path, monkeypatch
):
    window.open_file(tickets)
    exports = []
    monkeypatch.setattr(window.training, "export_model", lambda *call: exports.append(call))
    target = tmp_path / "trained.keras"
    window.prompts.answers["save_path"] = target
    window.training.model_export_requested.emit("keras")  # its export button
    assert window.prompts.suggested == [str(tickets.parent / "customer_tickets.keras")]
    assert exports == [("keras", target)]
    window.training.exported.emit("Wrote trained.keras: the trained Keras model", target)
    assert window.prompts.asked[-1] == (
        "exported",
        f"Wrote trained.keras: the trained Keras model: {target}",
    )
