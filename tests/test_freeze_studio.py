"""Freezing from the studio's menus (issue 17): "Freeze up to here" freezes the
selected node and everything upstream of it, "Unfreeze all" thaws every layer, each
one undo step; the counts are Keras's own."""

from __future__ import annotations

from math import prod

from PySide6.QtWidgets import QApplication

from graph import validate
from graph.fileformat import dumps
from tests.test_canvas_gestures import choose, right_click


def keras_counts(g) -> tuple[int, int]:
    """Trainable and non-trainable weights of the Keras model built from `g`."""
    from codegen import build_model

    model = build_model(g)
    return (
        sum(prod(w.shape) for w in model.trainable_weights),
        sum(prod(w.shape) for w in model.non_trainable_weights),
    )


def frozen(g) -> set[str]:
    return {n for n in g.node_ids() if not g.layer(n).trainable}


def test_freeze_up_to_here_and_unfreeze_all_are_one_step_each(window, tickets, artifacts):
    window.open_file(tickets)
    g = window.document.graph
    stack = window.document.stack
    before = dumps(g)
    texts = right_click(window, window.scene.node_item("dense_features").center())
    assert "&Freeze up to here" in texts and "&Unfreeze all" in texts
    choose(window, "&Freeze up to here")
    assert frozen(g) == {"dense_features", "concatenate"}  # Inputs have no weights
    assert stack.count() == 1 and stack.text(0) == "Freeze up to 'dense_features'"
    report = validate(g)
    assert (report.trainable_params, report.non_trainable_params) == keras_counts(g)
    assert report.non_trainable_params == 20100 * 64 + 64
    assert window.scene.node_item("dense_features").view.frozen
    assert not window.scene.node_item("priority").view.frozen
    assert window.grab().save(str(artifacts / "freeze_up_to_here.png"))

    window.actions_["unfreeze_all"].trigger()  # the Model menu's entry
    assert frozen(g) == set() and stack.count() == 2 and stack.text(1) == "Unfreeze all"
    assert not window.scene.node_item("dense_features").view.frozen
    window.actions_["undo"].trigger()
    assert frozen(g) == {"dense_features", "concatenate"}
    window.actions_["undo"].trigger()
    assert dumps(g) == before
    window.actions_["redo"].trigger()
    assert frozen(g) == {"dense_features", "concatenate"}


def test_freeze_up_to_a_head_leaves_the_other_head_and_freezes_a_shared_layer_once(window, tickets):
    window.open_file(tickets)
    g = window.document.graph
    again = g.call_again("dense_features", pos=(640.0, 400.0))
    g.connect("concatenate", again, "input")
    window.scene.select_nodes(["priority"])
    window.actions_["freeze_upstream"].trigger()
    assert frozen(g) == {"priority", "dense_features", again, "concatenate"}
    assert "department" not in frozen(g)
    report = validate(g)
    assert (report.trainable_params, report.non_trainable_params) == keras_counts(g)
    window.document.stack.undo()
    assert frozen(g) == set()
    window.scene.select_nodes([])
    window.actions_["freeze_upstream"].trigger()  # nothing selected: says why, no step
    assert window.document.stack.count() == 1 and frozen(g) == set()
    assert "select the node to freeze up to" in window.statusBar().currentMessage()


def test_the_summary_panel_counts_frozen_weights_as_keras_does(qtbot, window, tickets, artifacts):
    window.open_file(tickets)
    g = window.document.graph
    window.docks["summary"].raise_()
    panel = window.summary
    qtbot.waitUntil(lambda: "Non-trainable params: 0" in panel.totals.text())
    window.scene.select_nodes(["dense_features"])
    window.actions_["freeze_upstream"].trigger()
    trainable, frozen_count = keras_counts(g)
    assert frozen_count == 20100 * 64 + 64
    wanted = f"Trainable params: {trainable:,}   Non-trainable params: {frozen_count:,}"
    qtbot.waitUntil(lambda: wanted in panel.totals.text())
    table = panel.table
    names = [table.data(table.index(r, 0)) for r in range(table.rowCount())]
    assert "dense_features (Dense, frozen)" in names and "priority (Dense)" in names
    QApplication.processEvents()
    assert window.grab().save(str(artifacts / "summary_frozen.png"))
    assert panel.totals.width() >= panel.totals.sizeHint().width()  # not cut off
    window.actions_["undo"].trigger()
    qtbot.waitUntil(lambda: "Non-trainable params: 0" in panel.totals.text())
