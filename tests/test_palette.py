"""The layer palette lists every layer type by category, filters as the user types,
chooses with Enter or a double-click, and drags a layer with the canvas's payload."""

import subprocess
import sys

import pytest
from PySide6.QtCore import Qt

from graph import builtin_specs, get_spec
from studio.mime import dropped_layer_type
from studio.panels.layer_search import keras_backed_layers, match_rank, search
from studio.panels.palette import TYPE_ROLE, LayerPalette


@pytest.fixture
def palette(qtbot):
    widget = LayerPalette()
    qtbot.addWidget(widget)
    widget.resize(260, 600)
    return widget


def item_of(palette, layer_type):
    return next(i for i in palette.tree.layer_items() if i.data(0, TYPE_ROLE) == layer_type)


def test_hand_written_layers_by_category_with_their_doc(palette):
    assert sorted(palette.visible_types()) == sorted(s.type for s in builtin_specs())
    categories = [c.text(0) for c in palette.tree.category_items()]
    assert categories[0] == "Core" and categories[-1] == "Loading Keras layers..."
    assert categories[1:-1] == sorted(categories[1:-1])
    dense = item_of(palette, "Dense")
    assert dense.parent().text(0) == "Core"
    assert dense.toolTip(0) == get_spec("Dense").doc


def test_keras_backed_layers_added_after_first_show(qtbot, palette, artifacts):
    palette.show()
    qtbot.waitUntil(lambda: "EinsumDense" in palette.visible_types(), timeout=30_000)
    keras_backed = [s.type for s in keras_backed_layers()]
    assert sorted(palette.visible_types()) == sorted(
        [s.type for s in builtin_specs()] + keras_backed
    )
    assert "MaxPool2D" not in keras_backed  # an alias of MaxPooling2D
    assert all(get_spec(t) is not None and get_spec(t).type == t for t in keras_backed)
    assert "Loading Keras layers..." not in [c.text(0) for c in palette.tree.category_items()]
    assert item_of(palette, "EinsumDense").parent().text(0) == "Core"
    palette.grab().save(str(artifacts / "palette_all.png"))


def test_search_filters_by_name_keeping_category_headers(qtbot, palette, artifacts):
    qtbot.keyClicks(palette.search, "POOLING2d")
    shown = palette.visible_types()
    assert shown == [
        "MaxPooling2D",
        "AveragePooling2D",
        "GlobalMaxPooling2D",
        "GlobalAveragePooling2D",
    ]
    headers = [c.text(0) for c in palette.tree.category_items() if not c.isHidden()]
    assert headers == ["Pooling", "Loading Keras layers..."]
    palette.grab().save(str(artifacts / "palette_search.png"))
    palette.search.clear()
    assert len(palette.visible_types()) == len(builtin_specs())


def test_enter_chooses_the_best_match(qtbot, palette):
    palette.load_keras_layers()
    qtbot.keyClicks(palette.search, "dense")
    assert set(palette.visible_types()) == {"Dense", "EinsumDense"}
    with qtbot.waitSignal(palette.layer_chosen) as chosen:
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert chosen.args == ["Dense"]
    palette.search.setText("zzz")
    with qtbot.assertNotEmitted(palette.layer_chosen):
        qtbot.keyClick(palette.search, Qt.Key.Key_Return)


def test_double_click_chooses(qtbot, palette):
    palette.load_keras_layers()
    palette.show()
    item = item_of(palette, "Dropout")
    palette.tree.scrollToItem(item)
    center = palette.tree.visualItemRect(item).center()
    with qtbot.waitSignal(palette.layer_chosen) as chosen:
        # A real double-click: press and release, then the double-click event.
        qtbot.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=center)
        qtbot.mouseDClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert chosen.args == ["Dropout"]


def test_layer_items_drag_the_layer_payload(palette):
    tree = palette.tree
    conv = item_of(palette, "Conv2D")
    assert conv.flags() & Qt.ItemFlag.ItemIsDragEnabled
    assert dropped_layer_type(tree.mimeData([conv])) == "Conv2D"
    category = conv.parent()
    assert not category.flags() & Qt.ItemFlag.ItemIsDragEnabled
    assert dropped_layer_type(tree.mimeData([category])) is None
    assert tree.dragDropMode() == tree.DragDropMode.DragOnly


def test_ranking():
    assert match_rank("Dense", "dense") == 0
    assert match_rank("Dense", "De") == 1
    assert match_rank("EinsumDense", "dense") == 2
    assert match_rank("Dense", "conv") is None
    assert search(["EinsumDense", "Dropout", "Dense"], "d") == ["Dropout", "Dense", "EinsumDense"]


def test_building_the_palette_does_not_import_keras():
    code = (
        "import sys, os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6.QtWidgets import QApplication; app = QApplication([])\n"
        "from studio.panels.palette import LayerPalette; LayerPalette()\n"
        "print('keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
