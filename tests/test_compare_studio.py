"""File > Compare with...: the real window, driven offscreen. Edits made through the
canvas and the undo stack, then Compare with the saved version or a file: the canvas
marks added, changed and removed nodes, the Compare panel lists them, and both follow
later edits until Stop comparing or another document."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from graph import load, save
from studio.canvas.items import NodeItem
from studio.compare import NOT_SAVED
from studio.diff_colors import ADDED, CHANGED, DIFF_COLORS, REMOVED
from studio.document.commands import SetParams
from studio.panels.compare_panel import NOT_COMPARING
from tests.blocks_graphs import siamese
from tests.graphs import chain
from tests.windows import LEFT, added_nodes


@pytest.fixture
def edited(window, tickets):
    """The tickets template opened from its file, then: a Dropout added on the canvas,
    `department` deleted through the selection and Delete, `dense_features` set to 32
    units through the undo stack."""
    assert window.open_file(tickets)
    g = window.document.graph
    before = g.node_ids()
    window.controller.add_node("Dropout", QPointF(400.0, 400.0))
    [added] = added_nodes(g, before)
    window.scene.select_nodes(["department"])
    window.actions_["delete"].trigger()
    params = {**g.layer("dense_features").params, "units": 32}
    window.document.stack.push(SetParams(g, "dense_features", params))
    assert "department" not in g and g.layer("dense_features").params["units"] == 32
    return added


def test_compare_with_the_saved_version_marks_and_lists_each_change(window, edited, qtbot):
    window.actions_["compare_saved"].trigger()
    comparison = window.comparison
    assert comparison.marks.marked() == {
        edited: ADDED,
        "dense_features": CHANGED,
        "department": REMOVED,
    }
    colors = DIFF_COLORS[window.theme]
    outline = comparison.marks.outline("dense_features")
    assert outline.parentItem() is window.scene.node_item("dense_features")
    assert outline.pen().color() == QColor(colors[CHANGED])
    assert comparison.marks.outline(edited).pen().color() == QColor(colors[ADDED])
    ghost = comparison.marks.ghost("department")
    assert ghost.scene() is window.scene
    assert (ghost.pos().x(), ghost.pos().y()) == (960.0, 200.0)  # where the saved file has it
    assert ghost.pen().style() == Qt.PenStyle.DashLine
    # the marks take no clicks: a ghost or outline is never what a press lands on
    assert outline.acceptedMouseButtons() == ghost.acceptedMouseButtons() == Qt.MouseButton.NoButton
    center = window.scene.node_item("dense_features").center()
    assert window.scene.node_at(center) == "dense_features"

    dock, panel = window.docks["compare"], comparison.panel
    assert dock.isVisible()
    assert panel.title.text() == "Changes since the saved tickets.graph.json"
    assert panel.row_texts() == [
        f"+ {edited}: Dropout 'dropout'",
        "~ dense_features: Dense 'dense_features': units: 64 -> 32",
        "- department: Dense 'department'",
    ]
    assert panel.rows.item(2).foreground().color() == QColor(colors[REMOVED])
    report = panel.report.toPlainText()
    assert "Outputs: [priority, department] -> [priority]" in report
    assert "  - dense_features -> department.input" in report
    assert "  params: " in report

    # a row of a node the graph has focuses it on the canvas
    row = panel.rows.visualItemRect(panel.rows.item(1)).center()
    QTest.mouseClick(panel.rows.viewport(), LEFT, pos=row)
    assert window.scene.selected_node_ids() == ["dense_features"]


def test_a_theme_switch_recolours_the_marks(window, edited):
    window.actions_["compare_saved"].trigger()
    window.actions_["theme:dark"].trigger()
    dark = DIFF_COLORS["dark"]
    assert window.comparison.marks.outline("dense_features").pen().color() == QColor(dark[CHANGED])
    assert window.comparison.panel.rows.item(0).foreground().color() == QColor(dark[ADDED])


def test_the_comparison_follows_edits_and_undo(window, edited, qtbot):
    window.actions_["compare_saved"].trigger()
    marks = window.comparison.marks
    window.actions_["undo"].trigger()  # the units back to 64
    qtbot.waitUntil(lambda: "dense_features" not in marks.marked())
    assert marks.marked() == {edited: ADDED, "department": REMOVED}
    window.actions_["undo"].trigger()  # department back
    window.actions_["undo"].trigger()  # the Dropout gone
    qtbot.waitUntil(lambda: marks.marked() == {})
    assert window.comparison.result.same
    assert window.comparison.panel.row_texts() == []
    assert "The models are the same" in window.comparison.panel.report.toPlainText()
    ghosts = [i for i in window.scene.items() if "removed:" in i.toolTip()]
    assert ghosts == []


def test_stop_comparing_takes_the_marks_away(window, edited, qtbot):
    window.actions_["compare_saved"].trigger()
    panel = window.comparison.panel
    ghost = window.comparison.marks.ghost("department")
    outline = window.comparison.marks.outline("dense_features")
    QTest.mouseClick(panel.stop, LEFT)
    assert window.comparison.marks is None and window.comparison.result is None
    assert ghost.scene() is None and outline.scene() is None
    assert panel.title.text() == NOT_COMPARING and panel.row_texts() == []
    assert not panel.stop.isEnabled()
    node = window.scene.node_item("dense_features")
    assert [c for c in node.childItems() if not isinstance(c, NodeItem)] == []
    window.document.graph.set_param("dense_features", "units", 16)  # no comparison runs
    qtbot.wait(10)
    assert window.comparison.result is None


def test_compare_with_a_file_chosen(window, tmp_path, qtbot):
    other = tmp_path / "other.graph.json"
    save(chain(("Dense", {"units": 4})), other)
    mine = chain(("Dense", {"units": 8}))
    window.new_document(mine)
    window.prompts.answers["open_path"] = other
    window.actions_["compare"].trigger()
    assert ("open_path", "Compare with") in window.prompts.asked
    assert window.comparison.marks.marked() == {"n2": CHANGED}
    assert window.comparison.panel.title.text() == "Changes since other.graph.json"
    assert window.comparison.panel.row_texts() == ["~ n2: Dense 'dense': units: 4 -> 8"]


def test_uses_of_a_changed_block_are_marked_changed(window, tmp_path):
    g, ids = siamese()
    other = tmp_path / "siamese.graph.json"
    save(g, other)
    mine = load(other)
    body = mine.blocks.body("encoder")
    body.set_param(body.node_ids()[1], "activation", "tanh")
    mine.set_param(ids["enc_c"], "units", 16)
    window.new_document(mine)
    assert window.comparison.with_file(other)
    assert window.comparison.marks.marked() == {
        ids["enc_c"]: CHANGED,
        ids["enc"]: CHANGED,
        ids["enc_again"]: CHANGED,
    }
    rows = window.comparison.panel.row_texts()
    assert rows[0] == f"~ {ids['enc_c']}: encoder 'enc_c': units: 8 -> 16"
    assert rows[1:] == [f"~ {ids[n]}: block 'encoder' changed" for n in ("enc", "enc_again")]


def test_a_broken_file_or_no_saved_version_is_refused(window, tmp_path):
    broken = tmp_path / "broken.graph.json"
    broken.write_text("{not json")
    window.prompts.answers["open_path"] = broken
    assert not window.comparison.with_file()
    [(kind, text)] = [a for a in window.prompts.asked if a[0] == "error"]
    assert text.startswith("Cannot compare: ") and f"{broken}: not valid JSON" in text
    assert window.comparison.marks is None
    assert not window.comparison.with_saved()  # an untitled document has no saved version
    assert window.statusBar().currentMessage() == NOT_SAVED


def test_another_document_ends_the_comparison(window, edited, tickets):
    window.actions_["compare_saved"].trigger()
    assert window.comparison.marks is not None
    window.prompts.answers["save_changes"] = "discard"
    assert window.open_file(tickets)
    assert window.comparison.marks is None and window.comparison.other is None
    assert window.comparison.panel.title.text() == NOT_COMPARING
    assert load(tickets).node_ids() == window.document.graph.node_ids()
