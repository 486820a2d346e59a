"""The quick-add popup: type to filter every layer type, Up/Down/Enter to choose,
Escape to close without choosing."""

import pytest
from PySide6.QtCore import QPoint, Qt

from studio.layer_search import all_layers
from studio.quick_add import QuickAdd


@pytest.fixture
def quick_add(qtbot):
    popup = QuickAdd()
    qtbot.addWidget(popup)
    popup.popup_at(QPoint(40, 30))
    return popup


def test_opens_at_the_point_listing_every_layer(quick_add):
    assert quick_add.isVisible()
    assert quick_add.pos() == QPoint(40, 30)
    assert quick_add.shown_types() == [s.type for s in all_layers()]
    assert quick_add.list.currentRow() == 0


def test_typing_filters_best_match_first(qtbot, quick_add, artifacts):
    qtbot.keyClicks(quick_add.line, "lstm")
    shown = quick_add.shown_types()
    assert shown[0] == "LSTM"
    assert set(shown[1:]) == {"ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"}
    assert quick_add.list.currentItem().toolTip() == next(
        s.doc for s in all_layers() if s.type == "LSTM"
    )
    quick_add.grab().save(str(artifacts / "quick_add.png"))


def test_up_down_enter_chooses(qtbot, quick_add):
    qtbot.keyClicks(quick_add.line, "lstm")
    second = quick_add.shown_types()[1]
    qtbot.keyClick(quick_add.line, Qt.Key.Key_Down)
    qtbot.keyClick(quick_add.line, Qt.Key.Key_Down)
    qtbot.keyClick(quick_add.line, Qt.Key.Key_Up)
    with qtbot.waitSignal(quick_add.chosen) as chosen:
        qtbot.keyClick(quick_add.line, Qt.Key.Key_Return)
    assert chosen.args == [second]
    assert not quick_add.isVisible()


def test_up_stops_at_the_first_row(qtbot, quick_add):
    qtbot.keyClicks(quick_add.line, "dense")
    qtbot.keyClick(quick_add.line, Qt.Key.Key_Up)
    with qtbot.waitSignal(quick_add.chosen) as chosen:
        qtbot.keyClick(quick_add.line, Qt.Key.Key_Enter)
    assert chosen.args == ["Dense"]


def test_escape_closes_without_choosing(qtbot, quick_add):
    qtbot.keyClicks(quick_add.line, "dense")
    with qtbot.assertNotEmitted(quick_add.chosen):
        qtbot.keyClick(quick_add.line, Qt.Key.Key_Escape)
    assert not quick_add.isVisible()


def test_no_match_enter_chooses_nothing_and_reopening_starts_afresh(qtbot, quick_add):
    qtbot.keyClicks(quick_add.line, "nosuchlayer")
    assert quick_add.shown_types() == []
    with qtbot.assertNotEmitted(quick_add.chosen):
        qtbot.keyClick(quick_add.line, Qt.Key.Key_Return)
    assert quick_add.isVisible()
    quick_add.popup_at(QPoint(0, 0))
    assert quick_add.line.text() == "" and len(quick_add.shown_types()) == len(all_layers())


def test_click_chooses(qtbot, quick_add):
    qtbot.keyClicks(quick_add.line, "dropout")
    item = quick_add.list.item(0)
    rect = quick_add.list.visualItemRect(item)
    with qtbot.waitSignal(quick_add.chosen) as chosen:
        qtbot.mouseClick(quick_add.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert chosen.args == ["Dropout"]
