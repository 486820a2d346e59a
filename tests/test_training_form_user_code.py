"""The training form with the user's code: metrics and callbacks typed as module:Name
reach the graph's setup as one undo step each, keep their arguments, survive the
built-in metric picks; a custom loss shows and stays; TensorBoard is offered."""

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtGui import QUndoStack

from graph import dumps, load
from graph.training import CustomCallback, EarlyStopping, TensorBoard, TrainingSetup
from graph.user_code import CodeModule, CustomObject
from studio.training.form import TrainingForm
from tests.test_training_form import type_into

TEMPLATES = Path(__file__).parents[1] / "resources" / "templates"
MODULE = CodeModule("book.py", "0" * 64)


@pytest.fixture
def form(qtbot):
    """The form on the ticket template, its setup listing a user module."""
    g = load(TEMPLATES / "customer_tickets.graph.json")
    g.training = TrainingSetup(modules=(MODULE,))
    form = TrainingForm()
    qtbot.addWidget(form)
    form.stack = QUndoStack()
    form.set_document(g, form.stack, TEMPLATES)
    form.show()
    return form


def test_user_metrics_are_typed_kept_with_their_arguments_and_undone(qtbot, form):
    g, stack = form.g, form.stack
    row = form.output_rows["department"]
    saved = dumps(g)
    type_into(qtbot, row.custom_metrics, "book:SparseRootMeanSquaredError")
    metrics = g.training.output("department").metrics
    assert metrics == ("accuracy", CustomObject("book:SparseRootMeanSquaredError"))
    assert "book:SparseRootMeanSquaredError" in row.metrics.text()
    assert stack.count() == 1
    # A built-in pick keeps the user's metric; arguments set in the file are kept.
    with_args = CustomObject("book:SparseRootMeanSquaredError", {"name": "rmse2"})
    g.training = g.training.with_output("department", metrics=("accuracy", with_args))
    row.metrics.actions_by_name["mae"].setChecked(True)
    assert g.training.output("department").metrics == ("accuracy", "mae", with_args)
    type_into(qtbot, row.custom_metrics, "book:SparseRootMeanSquaredError, book:Other")
    assert g.training.output("department").metrics[-2:] == (with_args, CustomObject("book:Other"))
    while stack.canUndo():
        stack.undo()
    assert dumps(g) == saved


def test_a_user_loss_shows_as_its_ref_and_stays(qtbot, form):
    g = form.g
    loss = CustomObject("book:halved_mse", {"scale": 2})
    g.training = g.training.with_output("priority", loss=loss)
    combo = form.output_rows["priority"].loss
    assert combo.currentText() == "book:halved_mse"
    assert g.training.output("priority").loss == loss
    combo.setCurrentText("mae")
    assert g.training.output("priority").loss == "mae"
    form.stack.undo()
    assert g.training.output("priority").loss == loss and combo.currentText() == loss.ref


def test_user_callbacks_are_typed_beside_the_built_in_ones(qtbot, form):
    g, stack = form.g, form.stack
    g.training = replace(
        g.training, callbacks=(EarlyStopping(), CustomCallback("book:LossHistory", {"file": "h"}))
    )
    assert form.custom_callbacks.text() == "book:LossHistory"
    type_into(qtbot, form.custom_callbacks, "book:LossHistory, book:Plotter")
    assert g.training.callbacks == (
        EarlyStopping(),
        CustomCallback("book:LossHistory", {"file": "h"}),
        CustomCallback("book:Plotter"),
    )
    stack.undo()
    assert form.custom_callbacks.text() == "book:LossHistory"


def test_tensorboard_is_offered_with_its_arguments(qtbot, form):
    g = form.g
    row = form.callback_rows["TensorBoard"]
    row.check.setChecked(True)
    assert TensorBoard() in g.training.callbacks
    type_into(qtbot, row.editors["update_freq"], "batch")
    assert TensorBoard(update_freq="batch") in g.training.callbacks


def test_modules_are_recorded_with_their_content_and_kept_when_retyped(qtbot, tmp_path):
    from graph.user_code import file_sha256

    (tmp_path / "book.py").write_text("x = 1\n")
    (tmp_path / "more.py").write_text("y = 2\n")
    g = load(TEMPLATES / "customer_tickets.graph.json")
    form = TrainingForm()
    qtbot.addWidget(form)
    form.stack = QUndoStack()
    form.set_document(g, form.stack, tmp_path)
    form.show()
    type_into(qtbot, form.modules, "book.py, ../up.py, missing.py")
    assert g.training.modules == (CodeModule("book.py", file_sha256(tmp_path / "book.py")),)
    assert form.modules.text() == "book.py"
    recorded = g.training.modules[0]
    (tmp_path / "book.py").write_text("x = 'changed'\n")
    type_into(qtbot, form.modules, "book.py, more.py")
    assert g.training.modules[0] == recorded  # retyping does not accept the change
    assert g.training.modules[1].path == "more.py"
    form.stack.undo()  # edits of one field in a row are one undo step
    assert form.modules.text() == "" and g.training is None
