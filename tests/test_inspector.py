"""The inspector edits the selected node's layer through undo commands: typed editors
from the spec's params, refusals shown with the graph's reason and reverted, undo and
edits elsewhere shown back, shared layers edited from any call site."""

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QUndoStack, QWheelEvent
from PySide6.QtWidgets import QApplication

import graph
from graph import validate
from graph.params import thaw
from studio.canvas.scene import GraphScene
from studio.panels.inspector import Inspector
from studio.panels.param_editors import (
    BoolEditor,
    ChoiceEditor,
    FloatEditor,
    IntEditor,
    KerasObjectEditor,
    LiteralEditor,
    OptionalEditor,
    SizesEditor,
)

TEMPLATES = Path(__file__).parent.parent / "resources" / "templates"


@pytest.fixture
def mnist():
    return graph.load(TEMPLATES / "mnist_mlp.graph.json")


@pytest.fixture
def stack():
    return QUndoStack()


@pytest.fixture
def inspector(qtbot, mnist, stack):
    """An inspector on the MNIST graph, fed the reports of a scene on it."""
    scene = GraphScene(mnist)
    widget = Inspector(stack)
    qtbot.addWidget(widget)
    widget.set_graph(mnist)
    scene.validated.connect(widget.show_report)
    widget.show_report(scene.report)
    widget.resize(380, 640)
    widget.show()
    yield widget
    widget.set_graph(None)
    scene.detach()


@pytest.fixture
def snapshot(artifacts):
    """Save what a widget looks like (after the queued showing of new editors)."""

    def save(widget, name: str) -> None:
        QApplication.processEvents()
        assert widget.grab().save(str(artifacts / name))

    return save


def click_check(qtbot, check):
    """Click a checkbox on its box (a wide checkbox's middle may lie past its text)."""
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton, pos=QPoint(6, check.height() // 2))


def type_into(qtbot, line_edit, text):
    """Replace a line edit's text as a user would, and press Enter."""
    line_edit.selectAll()
    qtbot.keyClicks(line_edit, text)
    qtbot.keyClick(line_edit, Qt.Key.Key_Return)


def test_editors_are_typed_from_the_params(qtbot, inspector, mnist, snapshot):
    inspector.show_node("dense")
    assert inspector.title.text() == "Dense"
    assert inspector.name_edit.text() == "dense"
    assert isinstance(inspector.fields["units"].editor, IntEditor)
    assert inspector.fields["units"].editor.spin.minimum() == 1
    assert isinstance(inspector.fields["activation"].editor, ChoiceEditor)
    assert inspector.fields["activation"].editor.combo.currentText() == "relu"
    assert isinstance(inspector.fields["use_bias"].editor, BoolEditor)
    assert inspector.inferred.text().startswith("Output (None, 512)")
    inspector.show_node("dropout")
    rate = inspector.fields["rate"].editor
    assert isinstance(rate, FloatEditor) and rate.spin.maximum() == 1.0
    assert rate.spin.text() == "0.5"
    inspector.show_node("digits")
    assert isinstance(inspector.fields["shape"].editor, LiteralEditor)
    assert inspector.fields["shape"].editor.line.text() == "[784]"
    assert isinstance(inspector.fields["batch_size"].editor, OptionalEditor)
    assert not inspector.call_again.isEnabled()  # an Input cannot be called again
    snapshot(inspector, "inspector_input.png")


def test_editing_units_with_the_spin_box_changes_graph_and_shape(
    qtbot, inspector, mnist, stack, snapshot
):
    inspector.show_node("dense")
    editor = inspector.fields["units"].editor
    type_into(qtbot, editor.spin.lineEdit(), "128")
    assert mnist.layer("dense").params["units"] == 128
    report = validate(mnist)
    assert report.nodes["dense"].shape == (None, 128)
    assert report.nodes["dense"].params == 784 * 128 + 128
    assert inspector.inferred.text() == f"Output (None, 128)  ·  {784 * 128 + 128:,} params"
    assert stack.count() == 1
    assert inspector.fields["units"].editor is editor  # written back, not rebuilt
    inspector.show_node("dense")  # the same node again (a repeated selection signal)
    assert inspector.fields["units"].editor is editor
    snapshot(inspector, "inspector_dense_edited.png")


def test_undo_restores_the_graph_and_the_editor(qtbot, inspector, mnist, stack):
    before = graph.dumps(mnist)
    inspector.show_node("dense")
    spin = inspector.fields["units"].editor.spin
    type_into(qtbot, spin.lineEdit(), "64")
    combo = inspector.fields["activation"].editor.combo
    combo.setCurrentIndex(combo.findText("tanh"))
    combo.activated.emit(combo.currentIndex())  # what a user's pick in the list sends
    assert mnist.layer("dense").params == {"units": 64, "activation": "tanh"}
    stack.undo()
    assert combo.currentText() == "relu"
    stack.undo()
    assert graph.dumps(mnist) == before
    assert spin.value() == 512
    assert inspector.inferred.text().startswith("Output (None, 512)")


def test_refused_value_shows_the_reason_and_reverts(qtbot, inspector, mnist, stack, snapshot):
    before = graph.dumps(mnist)
    inspector.show_node("digits")
    field = inspector.fields["shape"]
    type_into(qtbot, field.editor.line, "0, 28")
    assert "must be a list of up to 8 integers >= 1 or None" in field.error.text()
    assert field.error.isVisibleTo(inspector)
    assert field.editor.line.text() == "[784]"
    snapshot(inspector, "inspector_refused.png")
    type_into(qtbot, field.editor.line, "[28, (")
    assert field.error.text().startswith("cannot read '[28, ('")
    assert field.editor.line.text() == "[784]"
    assert graph.dumps(mnist) == before and stack.count() == 0
    type_into(qtbot, field.editor.line, "28, 28")
    assert mnist.layer("digits").params["shape"] == (28, 28)
    assert not field.error.isVisibleTo(inspector)


def test_rename_checked_by_the_graph(qtbot, inspector, mnist, stack):
    inspector.show_node("dropout")
    type_into(qtbot, inspector.name_edit, "dense")
    assert inspector.name_field.error.text() == "layer name 'dense' is already taken"
    assert inspector.name_edit.text() == "dropout"
    type_into(qtbot, inspector.name_edit, "2bad")
    assert "layer name" in inspector.name_field.error.text()
    assert mnist.layer("dropout").name == "dropout" and stack.count() == 0
    type_into(qtbot, inspector.name_edit, "drop_half")
    assert mnist.layer("dropout").name == "drop_half"
    assert not inspector.name_field.error.isVisibleTo(inspector)
    stack.undo()
    assert inspector.name_edit.text() == "dropout"


def test_shared_layer_edited_from_any_call_site(qtbot, inspector, mnist, stack, snapshot):
    inspector.show_node("predictions")
    assert not inspector.shared.isVisibleTo(inspector)
    qtbot.mouseClick(inspector.call_again, Qt.MouseButton.LeftButton)
    sites = mnist.call_sites("predictions")
    assert len(sites) == 2
    assert inspector.shared.text() == "Shared by 2 call sites (this is call 1)"
    second = sites[1]
    inspector.show_node(second)
    assert inspector.shared.text() == "Shared by 2 call sites (this is call 2)"
    snapshot(inspector, "inspector_shared.png")
    type_into(qtbot, inspector.fields["units"].editor.spin.lineEdit(), "7")
    assert mnist.layer("predictions").params["units"] == 7
    assert mnist.layer(second) is mnist.layer("predictions")
    inspector.show_node("predictions")
    assert inspector.fields["units"].editor.spin.value() == 7
    stack.undo()  # the edit
    stack.undo()  # the call site
    assert len(mnist.call_sites("predictions")) == 1
    assert not inspector.shared.isVisibleTo(inspector)


def test_output_mark_and_removal_follow_the_graph(qtbot, inspector, mnist, stack):
    inspector.show_node("dropout")
    assert not inspector.output_check.isChecked()
    click_check(qtbot, inspector.output_check)
    assert mnist.outputs == ["predictions", "dropout"]
    stack.undo()
    assert mnist.outputs == ["predictions"] and not inspector.output_check.isChecked()
    mnist.remove_node("dropout")
    assert inspector.node_id is None and inspector.empty.isVisibleTo(inspector)


def test_optional_and_tuple_editors_commit_their_values(qtbot, inspector, mnist):
    inspector.show_node("digits")
    optional = inspector.fields["batch_size"].editor
    click_check(qtbot, optional.check)
    assert mnist.layer("digits").params["batch_size"] == 1
    type_into(qtbot, optional.inner.spin.lineEdit(), "32")
    assert mnist.layer("digits").params["batch_size"] == 32
    click_check(qtbot, optional.check)
    assert mnist.layer("digits").params["batch_size"] is None
    conv = mnist.add_node("Conv2D", params={"filters": 8, "kernel_size": 3})
    inspector.show_node(conv)
    sizes = inspector.fields["kernel_size"].editor
    assert isinstance(sizes, SizesEditor)
    assert [s.value() for s in sizes.spins] == [3, 3]
    type_into(qtbot, sizes.spins[1].lineEdit(), "5")
    assert mnist.layer(conv).params["kernel_size"] == (3, 5)


def test_keras_backed_layers_get_the_same_typed_editors(qtbot, inspector, mnist, snapshot):
    from studio.panels.layer_search import keras_backed_layers

    keras_backed_layers()  # lists them, and lets the graph resolve their types
    masking = mnist.add_node("Masking")
    inspector.show_node(masking)
    editor = inspector.fields["mask_value"].editor
    assert isinstance(editor, FloatEditor)
    type_into(qtbot, editor.spin.lineEdit(), "0.5")
    assert mnist.layer(masking).params == {"mask_value": 0.5}
    einsum = mnist.add_node(
        "EinsumDense", params={"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}
    )
    inspector.show_node(einsum)
    equation = inspector.fields["equation"].editor
    assert isinstance(equation, LiteralEditor) and equation.line.text() == "ab,bc->ac"
    type_into(qtbot, inspector.fields["output_shape"].editor.line, "16")
    assert mnist.layer(einsum).params["output_shape"] == 16
    snapshot(inspector, "inspector_keras_backed.png")


def test_wheel_edits_only_a_focused_spin_box(qtbot, inspector, mnist):
    """Scrolling the inspector past a spin box must not edit its param."""
    inspector.show_node("dense")
    spin = inspector.fields["units"].editor.spin

    def turn_wheel():
        center = QPointF(spin.rect().center())
        QApplication.sendEvent(
            spin,
            QWheelEvent(
                center,
                QPointF(spin.mapToGlobal(center)),
                QPoint(),
                QPoint(0, 120),
                Qt.MouseButton.NoButton,
                Qt.KeyboardModifier.NoModifier,
                Qt.ScrollPhase.NoScrollPhase,
                False,
            ),
        )

    turn_wheel()
    assert mnist.layer("dense").params["units"] == 512
    inspector.activateWindow()
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus)
    turn_wheel()
    assert mnist.layer("dense").params["units"] == 513


def test_edits_go_to_the_stack_set_last(qtbot, inspector, mnist, stack):
    other = QUndoStack()
    inspector.set_stack(other)
    inspector.show_node("dense")
    type_into(qtbot, inspector.fields["units"].editor.spin.lineEdit(), "10")
    assert (stack.count(), other.count()) == (0, 1)
    other.undo()
    assert mnist.layer("dense").params["units"] == 512


def pick(combo, text):
    """Pick `text` in a combo as a user's pick in its list does."""
    combo.setCurrentIndex(combo.findText(text))
    combo.activated.emit(combo.currentIndex())


def test_initializers_take_a_name_or_an_object_with_arguments(
    qtbot, inspector, mnist, stack, snapshot
):
    before = graph.dumps(mnist)
    inspector.show_node("dense")
    editor = inspector.fields["kernel_initializer"].editor
    assert isinstance(editor, KerasObjectEditor)
    assert editor.combo.currentText() == "glorot_uniform" and editor.line.isHidden()
    pick(editor.combo, "he_normal")
    assert mnist.layer("dense").params["kernel_initializer"] == "he_normal"
    pick(editor.combo, "(with arguments)")  # the same object, its arguments now editable
    assert thaw(mnist.layer("dense").params["kernel_initializer"]) == {
        "class_name": "HeNormal",
        "config": {},
    }
    assert (
        not editor.line.isHidden()
        and editor.line.text() == '{"class_name": "HeNormal", "config": {}}'
    )
    scaled = {
        "class_name": "VarianceScaling",
        "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
    }
    type_into(qtbot, editor.line, json.dumps(scaled))
    assert thaw(mnist.layer("dense").params["kernel_initializer"]) == scaled
    snapshot(inspector, "inspector_initializer_object.png")
    assert stack.count() == 1  # edits of one param in a row are one undo step
    field = inspector.fields["kernel_initializer"]
    type_into(qtbot, editor.line, '{"class_name": "VarianceScaling", "config": {"scael": 2.0}}')
    assert "must give only VarianceScaling's arguments" in field.error.text()
    assert editor.line.text() == json.dumps(scaled)  # the graph's value again
    type_into(qtbot, editor.line, '{"class_name": ')
    assert "cannot read" in field.error.text() and stack.count() == 1
    constraint = inspector.fields["kernel_constraint"].editor
    assert constraint.combo.currentText() == "None"
    pick(constraint.combo, "non_neg")
    assert mnist.layer("dense").params["kernel_constraint"] == "non_neg"
    stack.undo()
    assert thaw(mnist.layer("dense").params["kernel_initializer"]) == scaled
    assert editor.line.text() == json.dumps(scaled)
    stack.undo()
    assert graph.dumps(mnist) == before
    assert editor.combo.currentText() == "glorot_uniform" and editor.line.isHidden()


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_refused_value_takes_the_themes_error_colour(qtbot, inspector, theme):
    from graph.report import ERROR
    from studio.severity import COLORS

    inspector.set_theme(theme)
    inspector.show_node("digits")
    type_into(qtbot, inspector.fields["shape"].editor.line, "0, 28")
    type_into(qtbot, inspector.name_edit, "dense")
    for field in (inspector.fields["shape"], inspector.name_field):
        assert field.error.isVisibleTo(inspector)
        assert field.error.styleSheet() == f"color: {COLORS[theme][ERROR]};"
    other = "light" if theme == "dark" else "dark"
    inspector.set_theme(other)
    assert inspector.fields["shape"].error.styleSheet() == f"color: {COLORS[other][ERROR]};"


def test_operation_params_edit_as_numbers_and_key_text(qtbot, inspector, mnist):
    """A constant operand is a number (None: a tensor); a slicing key is text, so
    "0" stays the key "0"."""
    from studio.panels.param_editors import TextEditor

    times = mnist.add_node("ops.multiply", params={"x2": 2.0})
    inspector.show_node(times)
    assert set(inspector.fields) == {"x1", "x2"}
    item = mnist.add_node("ops.get_item")
    inspector.show_node(item)
    key = inspector.fields["key"].editor
    assert isinstance(key, TextEditor) and key.line.text() == ":, 0"
    type_into(qtbot, key.line, "0")
    assert mnist.layer(item).params == {"key": "0"}
    type_into(qtbot, key.line, "..., 1:3")
    assert mnist.layer(item).params == {"key": "..., 1:3"}


def test_trainable_box_freezes_the_layer_as_one_undo_step(qtbot, inspector, mnist, stack):
    before = graph.dumps(mnist)
    inspector.show_node("dense")
    check = inspector.trainable_check
    assert check.isVisibleTo(inspector) and check.isChecked()
    click_check(qtbot, check)
    assert mnist.layer("dense").trainable is False and not check.isChecked()
    assert stack.count() == 1 and stack.text(0) == "Freeze 'dense'"
    report = validate(mnist)
    dense, head = 784 * 512 + 512, 512 * 10 + 10
    assert (report.trainable_params, report.non_trainable_params) == (head, dense)
    stack.undo()
    assert mnist.layer("dense").trainable and check.isChecked()
    assert graph.dumps(mnist) == before
    stack.redo()
    assert not mnist.layer("dense").trainable and not check.isChecked()
    inspector.show_node("digits")
    assert not inspector.trainable_check.isVisibleTo(inspector)  # an Input has no weights
