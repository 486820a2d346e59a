"""Quick fixes in the studio: offered by the problems panel (buttons under the list,
a row's right-click menu) and by a node's right-click menu; each is one undo step."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from graph import dumps, save, validate
from tests.test_canvas_gestures import choose, grab_with_menu, right_click
from tests.test_quick_fixes import feature_map_and_vector, residual_of_wrong_width

FLATTEN = "Insert a Flatten before 'concatenate' (input_0: (None, 7, 7, 4) to (None, 196))"
UNITS = "Set units of 'project' to 16 (its output (None, 8) becomes (None, 16))"


def open_graph(window, tmp_path, g):
    path = tmp_path / "broken.graph.json"
    save(g, path)
    window.open_file(path)
    window.docks["problems"].raise_()
    return window.document.graph


def click_row(panel, row: int) -> None:
    tree = panel.tree
    rect = tree.visualItemRect(tree.topLevelItem(row))
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_the_panel_fix_makes_the_graph_valid_and_one_undo_restores_it(window, tmp_path, artifacts):
    g = open_graph(window, tmp_path, feature_map_and_vector())
    before = dumps(g)
    panel = window.problems
    assert panel.fix_bar.isHidden()  # nothing offered until a problem is chosen
    click_row(panel, 0)
    assert [b.text() for b in panel.fix_buttons()] == [FLATTEN]
    assert panel.fix_bar.isVisible()
    window.grab().save(str(artifacts / "quick_fix_panel.png"))

    panel.fix_buttons()[0].click()
    assert validate(g).valid and window.report.valid
    assert window.validity.text().startswith("Valid")
    assert not any(e.bad for e in window.scene.edge_items())
    assert window.document.stack.count() == 1
    window.actions_["undo"].trigger()
    assert dumps(g) == before
    window.actions_["redo"].trigger()
    assert validate(g).valid


def test_a_problem_rows_right_click_menu_offers_its_fixes(window, tmp_path):
    g = open_graph(window, tmp_path, residual_of_wrong_width())
    before = dumps(g)
    panel = window.problems
    tree = panel.tree
    at = tree.visualItemRect(tree.topLevelItem(0)).center()
    tree.customContextMenuRequested.emit(at)
    menu = panel.context_menu
    assert menu.isVisible()
    texts = [a.text() for a in menu.actions()]
    assert texts[0] == f"Fix: {UNITS}" and len(texts) == 3
    menu.hide()
    menu.actions()[0].trigger()
    assert validate(g).valid and g.layer("n2").params["units"] == 16
    window.actions_["undo"].trigger()
    assert dumps(g) == before


def test_rows_without_fixes_offer_none(window, tmp_path):
    g = residual_of_wrong_width()
    g.add_node("Dense", params={"units": 3}, pos=(0.0, 400.0))  # unreachable: a warning
    open_graph(window, tmp_path, g)
    panel = window.problems
    click_row(panel, 1)
    assert panel.fix_bar.isHidden() and panel.fix_buttons() == []
    tree = panel.tree
    tree.customContextMenuRequested.emit(tree.visualItemRect(tree.topLevelItem(1)).center())
    assert panel.context_menu is None
    click_row(panel, 0)
    assert len(panel.fix_buttons()) == 3


def test_a_nodes_right_click_menu_offers_its_fixes(window, tmp_path, artifacts):
    g = open_graph(window, tmp_path, feature_map_and_vector())
    before = dumps(g)
    texts = right_click(window, window.scene.node_item("n3").center())
    grab_with_menu(window, artifacts / "quick_fix_node_menu.png")
    assert f"Fix: {FLATTEN}" in texts
    choose(window, f"Fix: {FLATTEN}")
    assert validate(g).valid
    window.actions_["undo"].trigger()
    assert dumps(g) == before
    texts = right_click(window, window.scene.node_item("n1").center())  # a valid Input
    assert not any(t.startswith("Fix:") for t in texts)
    window.context_menu.hide()
