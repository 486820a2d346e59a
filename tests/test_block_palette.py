"""Blocks in the palette (issue 16): the file's definitions and the user's block
library, added to the canvas by double-click or drag as layers are; Save block to
library writes a definition there. Driven through the real window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from graph import ModelGraph, validate
from graph.block_library import save_to_library
from graph.fileformat import dumps, save
from studio.block_menu import LIBRARY_KEY
from studio.mime import LIBRARY_MIME
from studio.panels.palette import DEFINITIONS, LIBRARY
from tests.blocks_graphs import nested, siamese
from tests.test_canvas_gestures import choose, right_click
from tests.test_mainwindow import send_drag
from tests.windows import LEFT, added_nodes

#: The node ids of tests.blocks_graphs.siamese by role.
IDS = siamese()[1]


@pytest.fixture
def library(settings, tmp_path):
    folder = tmp_path / "library"
    settings.setValue(LIBRARY_KEY, str(folder))
    return folder


@pytest.fixture
def siamese_file(tmp_path):
    path = tmp_path / "siamese.graph.json"
    save(siamese()[0], path)
    return path


def block_item(window, group: str, name: str):
    [heading] = [g for g in window.palette_.tree.block_groups if g.text(0) == group]
    assert not heading.isHidden()
    return next(
        heading.child(i) for i in range(heading.childCount()) if heading.child(i).text(0) == name
    )


def double_click(tree, item) -> None:
    tree.scrollToItem(item)
    spot = tree.visualItemRect(item).center()
    QTest.mouseClick(tree.viewport(), LEFT, pos=spot)
    QTest.mouseDClick(tree.viewport(), LEFT, pos=spot)


def drag_from_palette(window, item, at: QPoint):
    tree = window.palette_.tree
    tree.setCurrentItem(item)
    model = tree.model()
    rows = [i for i in tree.selectedIndexes() if model.flags(i) & Qt.ItemFlag.ItemIsDragEnabled]
    data = model.mimeData(rows)
    send_drag(window.view, data, at)
    return data


def test_the_files_definitions_are_listed_and_added_by_double_click(window, siamese_file):
    window.open_file(siamese_file)
    g = window.document.graph
    before, ids = dumps(g), g.node_ids()
    assert window.palette_.visible_blocks() == ["encoder"]
    double_click(window.palette_.tree, block_item(window, DEFINITIONS, "encoder"))
    [added] = added_nodes(g, ids)
    assert g.layer(added).type == "encoder" and window.document.stack.count() == 1
    assert window.scene.selected_node_ids() == [added]
    window.actions_["undo"].trigger()
    assert dumps(g) == before

    window.prompts.answers["text"] = "pair"
    window.scene.select_nodes([IDS["cat"]])
    window.actions_["group_block"].trigger()
    assert window.palette_.visible_blocks() == ["encoder", "pair"]
    window.palette_.search.setText("pai")
    assert window.palette_.visible_blocks() == ["pair"]


def test_a_definition_dragged_from_the_palette_lands_under_the_cursor(window, siamese_file):
    window.open_file(siamese_file)
    g = window.document.graph
    ids = g.node_ids()
    at = QPoint(window.view.viewport().width() // 3, window.view.viewport().height() - 60)
    drag_from_palette(window, block_item(window, DEFINITIONS, "encoder"), at)
    [added] = added_nodes(g, ids)
    assert g.layer(added).type == "encoder"


def test_a_block_saved_to_the_library_is_added_to_another_graph(
    window, siamese_file, library, artifacts
):
    window.open_file(siamese_file)
    window.scene.select_nodes([IDS["enc_c"]])
    window.actions_["save_block_library"].trigger()
    assert (library / "encoder.block.json").is_file()
    assert window.palette_.visible_blocks() == ["encoder", "encoder"]  # file's, library's
    assert window.document.stack.count() == 0  # the graph is not edited

    window.actions_["new"].trigger()
    g = window.document.graph
    before = dumps(g)
    assert window.palette_.visible_blocks() == ["encoder"]  # the library's only
    item = block_item(window, LIBRARY, "encoder")
    window.palette_.grab().save(str(artifacts / "palette_blocks.png"))
    double_click(window.palette_.tree, item)
    [use] = g.node_ids()
    assert g.layer(use).type == "encoder" and g.blocks.names() == ["encoder"]
    assert window.document.stack.text(0) == "Add block 'encoder' from the library"
    assert window.palette_.visible_blocks() == ["encoder", "encoder"]
    x = g.add_node("Input", name="x", params={"shape": (16,)})
    g.connect(x, use, "x")
    assert validate(g).nodes[use].output(0).shape == (None, 4)
    g.remove_node(x)
    window.actions_["undo"].trigger()
    assert dumps(g) == before and len(g.blocks) == 0


def test_a_library_block_clashing_with_a_definition_gets_a_free_name(window, library, tmp_path):
    source = tmp_path / "siamese.graph.json"
    save(siamese()[0], source)
    window.open_file(source)
    window.scene.select_nodes([IDS["enc"]])
    window.actions_["save_block_library"].trigger()

    other = ModelGraph("other")
    other.define_block("encoder").add_node("Input", name="x", params={"shape": (3,)})
    path = tmp_path / "other.graph.json"
    save(other, path)
    window.open_file(path)
    g = window.document.graph
    at = QPoint(window.view.viewport().width() // 2, window.view.viewport().height() // 2)
    data = drag_from_palette(window, block_item(window, LIBRARY, "encoder"), at)
    assert data.formats()[0] == LIBRARY_MIME
    assert g.blocks.names() == ["encoder", "encoder_1"]
    [use] = [n for n in g.node_ids() if g.layer(n).type == "encoder_1"]
    assert window.scene.selected_node_ids() == [use]


def test_saving_over_a_library_entry_asks_first(window, siamese_file, library):
    window.open_file(siamese_file)
    window.scene.select_nodes([IDS["enc"]])
    window.actions_["save_block_library"].trigger()
    entry = library / "encoder.block.json"
    entry.write_text("changed")
    window.actions_["save_block_library"].trigger()  # the scripted answer: no
    assert entry.read_text() == "changed"
    assert any("Replace it?" in text for kind, text in window.prompts.asked if kind == "confirm")
    window.prompts.answers["confirm"] = True
    window.actions_["save_block_library"].trigger()
    assert entry.read_text() != "changed"


def test_the_library_folder_is_a_setting(window, siamese_file, library, tmp_path, settings):
    window.open_file(siamese_file)
    window.scene.select_nodes([IDS["enc"]])
    window.actions_["save_block_library"].trigger()
    elsewhere = tmp_path / "elsewhere"
    window.prompts.answers["folder"] = elsewhere
    window.actions_["block_library_folder"].trigger()
    assert settings.value(LIBRARY_KEY) == str(elsewhere)
    assert window.palette_.visible_blocks() == ["encoder"]  # the file's only
    window.actions_["save_block_library"].trigger()
    assert (elsewhere / "encoder.block.json").is_file()


def test_an_unreadable_library_entry_is_named_and_refused(window, library):
    library.mkdir()
    (library / "bad.block.json").write_text("{}")
    window.actions_["block_library_folder"].trigger()  # no answer: nothing changes
    window.prompts.answers["folder"] = library
    window.actions_["block_library_folder"].trigger()
    assert "bad.block.json" in window.statusBar().currentMessage()
    assert window.palette_.visible_blocks() == []


def test_a_library_entry_gone_since_it_was_listed_is_refused(window, siamese_file, library):
    window.open_file(siamese_file)
    window.scene.select_nodes([IDS["enc"]])
    window.actions_["save_block_library"].trigger()
    window.actions_["new"].trigger()
    (library / "encoder.block.json").unlink()
    double_click(window.palette_.tree, block_item(window, LIBRARY, "encoder"))
    assert len(window.document.graph) == 0 and window.document.stack.count() == 0
    assert "encoder.block.json" in window.statusBar().currentMessage()


def test_inside_a_body_its_own_block_is_refused_naming_the_chain(window, siamese_file):
    window.open_file(siamese_file)
    window.enter_use(IDS["enc"])
    body = window.document.shown
    before = dumps(window.document.graph)
    double_click(window.palette_.tree, block_item(window, DEFINITIONS, "encoder"))
    assert dumps(window.document.graph) == before and window.scene.graph is body
    assert "cannot contain itself: encoder -> encoder" in window.statusBar().currentMessage()


def test_a_use_saves_to_the_library_from_its_right_click_menu(window, siamese_file, library):
    window.open_file(siamese_file)
    window.controller.auto_layout()  # siamese() leaves every node at the origin
    window.scene.select_nodes([IDS["enc_c"]])
    texts = right_click(window, window.scene.node_item(IDS["enc_c"]).center())
    assert "&Save block to library..." in texts
    choose(window, "&Save block to library...")
    assert (library / "encoder.block.json").is_file()


def test_enter_in_the_search_adds_the_best_matching_block(window, siamese_file, library):
    window.open_file(siamese_file)
    window.scene.select_nodes([IDS["enc"]])
    window.actions_["save_block_library"].trigger()
    window.actions_["new"].trigger()
    g = window.document.graph
    window.palette_.search.setText("encod")
    QTest.keyClick(window.palette_.search, Qt.Key.Key_Return)
    [use] = g.node_ids()
    assert g.layer(use).type == "encoder" and g.blocks.names() == ["encoder"]
    window.palette_.search.setText("encod")  # now the file's definition: a plain use
    QTest.keyClick(window.palette_.search, Qt.Key.Key_Return)
    assert len(g) == 2 and window.document.stack.text(1) == "Add encoder"


def test_a_library_block_that_would_contain_the_body_shown_is_refused(window, library):
    save_to_library(nested()[0], "outer", library)  # outer uses encoder
    g, ids = siamese()
    window.new_document(g)
    window.enter_use(ids["enc"])  # inside encoder, the same as the entry's
    window.prompts.answers["folder"] = library
    window.actions_["block_library_folder"].trigger()  # lists the entry saved
    before = dumps(g)
    double_click(window.palette_.tree, block_item(window, LIBRARY, "outer"))
    assert dumps(g) == before and window.document.stack.count() == 0
    assert "cannot contain itself" in window.statusBar().currentMessage()
