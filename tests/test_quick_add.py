"""The quick-add popup: type to filter every layer type, Up/Down/Enter to choose,
Escape to close without choosing; before typing, the layers used most and recently,
then the common ones, then the rest by category."""

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from studio.panels.layer_search import all_layers
from studio.panels.layer_usage import LayerUsage
from studio.panels.quick_add import QuickAdd


@pytest.fixture
def quick_add(qtbot):
    popup = QuickAdd()
    qtbot.addWidget(popup)
    popup.popup_at(QPoint(40, 30))
    return popup


def test_opens_at_the_point_listing_every_layer_once_input_and_dense_first(quick_add):
    assert quick_add.isVisible()
    assert quick_add.pos() == QPoint(40, 30)
    shown = quick_add.shown_types()
    assert sorted(shown) == sorted(s.type for s in all_layers())
    assert shown[:2] == ["Input", "Dense"]
    assert quick_add.current_type() == "Input"
    headings = quick_add.headings()
    assert headings[0] == "Common" and headings[1] == "Core" and "Recurrent" in headings
    assert quick_add.list.item(0).text() == "Common"  # a heading row, not choosable
    assert not quick_add.list.item(0).flags() & Qt.ItemFlag.ItemIsSelectable


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_layers_used_most_and_recently_come_first_and_are_remembered(qtbot, settings):
    usage = LayerUsage(settings)
    for layer_type in ("LSTM", "LSTM", "LSTM", "Dropout"):
        usage.record(layer_type)
    assert usage.ranked() == ["LSTM", "Dropout"]  # used most
    usage.record("Conv2D")
    usage.record("Conv2D")
    assert usage.ranked()[0] == "Conv2D"  # used just now, twice
    popup = QuickAdd(None, LayerUsage(settings))  # the next session
    qtbot.addWidget(popup)
    popup.popup_at(QPoint(0, 0))
    assert popup.headings()[:2] == ["Recent", "Common"]
    assert popup.shown_types()[:5] == ["Conv2D", "LSTM", "Dropout", "Input", "Dense"]
    assert sorted(popup.shown_types()) == sorted(s.type for s in all_layers())
    # Down and Up skip the "Common" heading
    for _ in range(3):
        qtbot.keyClick(popup.line, Qt.Key.Key_Down)
    assert popup.current_type() == "Input"
    qtbot.keyClick(popup.line, Qt.Key.Key_Up)
    assert popup.current_type() == "Dropout"
    # typing lists matches alone, those used first among equally good matches
    qtbot.keyClicks(popup.line, "conv")
    assert popup.headings() == [] and popup.shown_types()[:2] == ["Conv2D", "Conv1D"]


def test_unreadable_remembered_usage_is_ignored(settings):
    settings.setValue("quick_add/layer_usage", "not json")
    assert LayerUsage(settings).ranked() == []
    settings.setValue("quick_add/layer_usage", '{"Dense": "x", "LSTM": 2}')
    assert LayerUsage(settings).ranked() == ["LSTM"]


def test_an_offer_filter_lists_only_the_layers_it_accepts(quick_add):
    quick_add.popup_at(QPoint(0, 0), lambda spec: bool(spec.ports.names))
    shown = quick_add.shown_types()
    assert "Input" not in shown and "Concatenate" not in shown
    assert shown[0] == "Dense"


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
    assert quick_add.current_type() == "Input"


def test_click_chooses(qtbot, quick_add):
    qtbot.keyClicks(quick_add.line, "dropout")
    item = quick_add.list.item(0)
    rect = quick_add.list.visualItemRect(item)
    with qtbot.waitSignal(quick_add.chosen) as chosen:
        qtbot.mouseClick(quick_add.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert chosen.args == ["Dropout"]
