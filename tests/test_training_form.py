"""The training form, driven offscreen through its widgets: each output's loss weight and
loss, the seed (none by default) and the ONNX checkbox edit the graph's setup through
one undoable step each, and the form follows undo and redo."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from codegen.training.compiling import compile_arguments
from graph import dumps, load
from graph.training import CONTINUOUS, ZERO_ONE, DataSource, TrainingSetup, resolve
from studio.training.form import NO_SEED, TrainingForm
from tests.graphs import chain

TEMPLATES = Path(__file__).parents[1] / "resources" / "templates"


@pytest.fixture
def form(qtbot):
    """The form on the ticket template (outputs 'priority' and 'department'), shown."""
    form = TrainingForm()
    qtbot.addWidget(form)
    form.stack = QUndoStack()
    form.set_document(load(TEMPLATES / "customer_tickets.graph.json"), form.stack, TEMPLATES)
    form.show()
    return form


def type_into(qtbot, edit, text: str) -> None:
    """Replace `edit`'s text by typing `text`, then press Enter."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_an_outputs_loss_weight_is_typed_beside_its_loss_and_undone(qtbot, form):
    g, stack = form.g, form.stack
    weight = form.output_rows["department"].weight
    assert weight.text() == "1"
    saved = dumps(g)
    type_into(qtbot, weight, "0.25")
    assert g.training.output("department").loss_weight == 0.25
    assert g.training.output("priority").loss_weight == 1.0
    assert g.training.output("department").loss is None  # the loss stays inferred
    assert compile_arguments(resolve(g))["loss_weights"] == [1.0, 0.25]
    assert stack.count() == 1 and stack.undoText() == "Edit training loss weight of department"
    stack.undo()
    assert g.training is None and dumps(g) == saved
    assert weight.text() == "1"
    stack.redo()
    assert g.training.output("department").loss_weight == 0.25 and weight.text() == "0.25"


def test_a_negative_loss_weight_cannot_be_typed(qtbot, form):
    weight = form.output_rows["priority"].weight
    type_into(qtbot, weight, "-2")
    assert weight.text() == "2"  # the minus sign was refused as it was typed
    assert form.g.training.output("priority").loss_weight == 2.0


def test_the_seed_is_none_until_set_and_none_again_at_its_lowest_value(qtbot, form):
    g, stack, seed = form.g, form.stack, form.seed
    assert seed.text() == NO_SEED and resolve(g).seed is None
    seed.setValue(7)
    assert g.training.seed == 7
    form.epochs.setValue(3)  # another field: the next seed edit is a step of its own
    seed.setValue(seed.minimum())
    assert g.training.seed is None and g.training.epochs == 3
    assert seed.text() == NO_SEED
    stack.undo()
    assert g.training.seed == 7 and seed.value() == 7
    stack.undo()
    stack.undo()
    assert g.training is None and seed.text() == NO_SEED
    stack.redo()
    assert g.training.seed == 7 and seed.text() == "7"


def test_the_seed_box_steps_merge_into_one_undo_step(qtbot, form):
    seed = form.seed
    seed.setFocus()
    for _ in range(3):
        qtbot.keyClick(seed, Qt.Key.Key_Up)
    assert form.g.training.seed == 2  # from none (-1): 0, 1, 2
    assert form.stack.count() == 1
    form.stack.undo()
    assert form.g.training is None and seed.text() == NO_SEED


def test_the_onnx_checkbox_is_undoable(qtbot, form):
    g, stack, box = form.g, form.stack, form.export_onnx
    assert not box.isChecked()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert g.training.export_onnx is True
    assert '"export_onnx": true' in dumps(g)
    assert form.onnx_problems.isHidden()  # the ticket model can go to ONNX
    stack.undo()
    assert g.training is None and not box.isChecked()
    stack.redo()
    assert g.training.export_onnx is True and box.isChecked()
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert g.training.export_onnx is False


def test_the_onnx_checkbox_shows_what_stops_a_graph_going_to_onnx(qtbot):
    form = TrainingForm()
    qtbot.addWidget(form)
    stack = QUndoStack()
    g = chain(("LSTM", {"units": 4}), ("Dense", {"units": 1}), input_shape=(None, 3))
    form.set_document(g, stack, None)
    assert form.onnx_problems.isHidden()
    form.export_onnx.setChecked(True)
    assert g.training.export_onnx is True
    assert not form.onnx_problems.isHidden()
    assert "LSTM 'lstm': runs over a free time axis" in form.onnx_problems.text()
    stack.undo()
    assert form.onnx_problems.isHidden()


def test_a_loss_picked_in_the_combo_reaches_the_compile_arguments(qtbot, form):
    g, stack = form.g, form.stack
    combo = form.output_rows["priority"].loss
    # Inferred from the sigmoid and the bundled data, whose priorities spread over
    # [0, 1]: the book's regression loss, not binary cross-entropy.
    assert combo.currentText() == "mse"
    assert combo.toolTip() == "inferred from the output layer and its training data"
    assert form.output_rows["priority"].metrics.metrics() == ("mae",)
    combo.setCurrentText("binary_crossentropy")
    assert g.training.output("priority").loss == "binary_crossentropy"
    arguments = compile_arguments(resolve(g))
    assert arguments["loss"] == ["binary_crossentropy", "sparse_categorical_crossentropy"]
    # The metrics follow the loss: a classifier's, once the loss is one.
    assert arguments["metrics"] == [["accuracy"], ["accuracy"]]
    assert form.output_rows["priority"].metrics.metrics() == ("accuracy",)
    assert combo.toolTip() == ""
    stack.undo()
    assert g.training is None and combo.currentText() == "mse"
    assert compile_arguments(resolve(g, targets=form.targets()))["loss"][0] == "mse"


def test_the_losses_shown_follow_the_data_chosen(qtbot, form, tmp_path):
    """0/1 priorities in another file: the sigmoid's binary cross-entropy again."""
    with np.load(TEMPLATES.parent / "data" / "tickets.npz") as bundled:
        arrays = {name: bundled[name] for name in bundled.files}
    arrays["priority"] = (arrays["priority"] > 0.5).astype(np.float32)
    np.savez(tmp_path / "labels.npz", **arrays)
    form.ask_data_path = lambda title: tmp_path / "labels.npz"
    form.data.browse_button.click()
    assert form.g.training.data == DataSource(str(tmp_path / "labels.npz"))
    assert form.targets()["priority"] == ZERO_ONE
    assert form.output_rows["priority"].loss.currentText() == "binary_crossentropy"
    assert form.output_rows["priority"].metrics.metrics() == ("accuracy",)
    assert "val_priority_accuracy" in [
        form.callback_rows["EarlyStopping"].editors["monitor"].itemText(i)
        for i in range(form.callback_rows["EarlyStopping"].editors["monitor"].count())
    ]


def test_data_a_file_names_outside_its_folder_is_not_read_until_confirmed(qtbot, form, tmp_path):
    """A graph file naming data elsewhere (here: continuous priorities, which would make
    the loss mse) is not read for the losses shown until the user confirms the file."""
    elsewhere = tmp_path / "tickets.npz"
    elsewhere.write_bytes((TEMPLATES.parent / "data" / "tickets.npz").read_bytes())
    form.g.training = TrainingSetup(data=DataSource(str(elsewhere)))
    form.refresh()
    assert form.unconfirmed_outside() == [elsewhere.resolve()]
    assert form.targets() == {}
    assert form.output_rows["priority"].loss.currentText() == "binary_crossentropy"
    form.confirm(form.unconfirmed_outside())
    form.refresh()
    assert form.unconfirmed_outside() == []
    assert form.targets()["priority"] == CONTINUOUS
    assert form.output_rows["priority"].loss.currentText() == "mse"
