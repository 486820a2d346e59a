"""The inspector: the selected node's layer, with one typed editor per parameter.

Every edit is an undo command pushed with `push_checked`, so the graph judges it: a
refused value or name shows the graph's reason under its field and the field goes
back to the graph's value. The inspector follows the graph's events (undo, edits
from elsewhere, other call sites of a shared layer) by writing values into its
editors, never by rebuilding them, and skips the editor whose edit it is pushing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from graph import GraphEditError, ModelGraph, Report
from graph.params import Param
from graph.report import ERROR
from graph.shapes import fmt
from studio.document.commands import (
    CallAgain,
    GraphCommand,
    Rename,
    SetOutput,
    SetParams,
    SetTrainable,
    push_checked,
)
from studio.panels.param_editors import editor_for
from studio.severity import css_color, worst

_DIM_STYLE = "color: gray;"


def _label(style: str = "") -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setStyleSheet(style)
    return label


class _Field(QWidget):
    """An editor with the line under it that shows why the graph refused an edit."""

    def __init__(self, editor: QWidget, theme: str) -> None:
        super().__init__()
        self.editor = editor
        self.error = _label()
        self.error.hide()
        self.set_theme(theme)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(editor)
        layout.addWidget(self.error)

    def show_error(self, reason: str | None) -> None:
        self.error.setText(reason or "")
        self.error.setVisible(bool(reason))

    def set_theme(self, name: str) -> None:
        """Show the refusal in theme `name`'s error colour."""
        self.error.setStyleSheet(css_color(name, ERROR))


class Inspector(QWidget):
    """Shows and edits one node: its layer's name, params and trainable flag, output
    mark, call sites."""

    def __init__(self, stack: QUndoStack | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stack = stack
        self.graph: ModelGraph | None = None
        self.node_id: str | None = None
        self.report: Report | None = None
        self.fields: dict[str, _Field] = {}
        self._params: dict[str, Param] = {}
        self._writing: str | None = None

        self.title = _label()
        self.title.setStyleSheet("font-weight: bold; font-size: 14px;")
        self.doc = _label(_DIM_STYLE)
        self.name_edit = QLineEdit()
        #: The theme whose severity colours the node's problems and refusals take.
        self.theme = "light"
        self.name_field = _Field(self.name_edit, self.theme)
        self.inferred = _label()
        self.shared = _label(_DIM_STYLE)
        self.problems = _label()
        self.output_check = QCheckBox("Model output")
        self.trainable_check = QCheckBox("Trainable")
        self.trainable_check.setToolTip(
            "Unchecked: the layer is frozen, its weights count as non-trainable and\n"
            "training leaves them as they are (Keras's layer.trainable = False)"
        )
        self.call_again = QPushButton("Call again")
        self.call_again.setToolTip("Add another call site of this layer (shared weights)")
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # In a narrow dock an editor goes under its name rather than off the side.
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.empty = _label(_DIM_STYLE)
        self.empty.setText("Select a node to see its layer here.")

        self.body = QWidget()
        body = QVBoxLayout(self.body)
        for widget in (self.title, self.doc, self.inferred, self.shared, self.problems):
            body.addWidget(widget)
        head = QFormLayout()
        head.addRow("Name", self.name_field)
        body.addLayout(head)
        body.addWidget(self.output_check)
        body.addWidget(self.trainable_check)
        body.addWidget(self.call_again)
        body.addLayout(self.form)
        body.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        # It scrolls down only: every line wraps or shrinks to the dock's width.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(scroll)
        self._scroll = scroll

        self.name_edit.editingFinished.connect(self._on_name_edited)
        self.name_edit.textEdited.connect(lambda _: self.name_field.show_error(None))
        self.output_check.clicked.connect(self._on_output_clicked)
        self.trainable_check.clicked.connect(self._on_trainable_clicked)
        self.call_again.clicked.connect(self._on_call_again)
        self.show_node(None)

    # ------------------------------------------------------------------ public

    def set_stack(self, stack: QUndoStack) -> None:
        """Push later edits onto `stack` (a newly opened document's)."""
        self.stack = stack

    def set_graph(self, g: ModelGraph | None) -> None:
        """Follow `g` (None: no graph); shows no node until `show_node`."""
        if self.graph is not None:
            for event, callback in self._subscriptions():
                event.disconnect(callback)
        self.graph, self.report = g, None
        if g is not None:
            for event, callback in self._subscriptions():
                event.connect(callback)
        self.show_node(None)

    def show_node(self, node_id: str | None) -> None:
        """Inspect `node_id` (None: nothing); builds its editors, unless it is the node
        shown already (a selection signal repeated mid-edit keeps the editors)."""
        if node_id is not None and (self.graph is None or node_id not in self.graph):
            node_id = None
        if node_id != self.node_id:
            self.node_id = node_id
            self._build_fields()
        self.empty.setVisible(node_id is None)
        self._scroll.setVisible(node_id is not None)
        if node_id is not None:
            self._refresh()

    def show_report(self, report: Report) -> None:
        """Show what validation found for the node (connect the scene's `validated`)."""
        self.report = report
        if self.node_id is not None:
            self._show_inferred()

    def set_theme(self, name: str) -> None:
        """Colour the node's problems and refused values as theme `name` colours them."""
        self.theme = name
        for field in (self.name_field, *self.fields.values()):
            field.set_theme(name)
        if self.node_id is not None and self.report is not None:
            self._show_inferred()

    # ------------------------------------------------------------- building

    def _subscriptions(self) -> list[tuple[Any, Any]]:
        events = self.graph.events
        return [
            (events.layer_changed, self._on_layer_changed),
            (events.node_added, self._on_call_sites_changed),
            (events.node_removed, self._on_node_removed),
            (events.outputs_changed, self._on_outputs_changed),
        ]

    def _build_fields(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields, self._params = {}, {}
        self.name_field.show_error(None)
        if self.node_id is None:
            return
        spec = self.graph.spec(self.node_id)
        for param in spec.params if spec is not None else ():
            editor = editor_for(param.kind)
            field = _Field(editor, self.theme)
            label = QLabel(param.name)
            tip = f"{param.help}\n\nAccepts {param.kind.describe()}.".strip()
            label.setToolTip(tip)
            editor.setToolTip(tip)
            editor.committed.connect(lambda value, n=param.name: self._on_param_committed(n, value))
            editor.unreadable.connect(lambda reason, n=param.name: self._refuse(n, reason))
            self.form.addRow(label, field)
            self.fields[param.name] = field
            self._params[param.name] = param

    def _refresh(self) -> None:
        """Write the graph's values into every field (not the one being pushed)."""
        g, node_id = self.graph, self.node_id
        layer = g.layer(node_id)
        spec = g.spec(node_id)
        self.title.setText(layer.type)
        self.doc.setText(spec.doc if spec is not None else "Unknown layer type")
        if self._writing != "name":
            self.name_edit.setText(layer.name)
        values = spec.resolve(layer.params) if spec is not None else {}
        for name, field in self.fields.items():
            if name != self._writing:
                field.editor.set_value(values.get(name))
        self.trainable_check.setChecked(layer.trainable)
        self.trainable_check.setVisible(not g.is_input(node_id))  # an Input has no weights
        self._on_outputs_changed()
        self._show_call_sites()
        self._show_inferred()

    def _show_call_sites(self) -> None:
        sites = self.graph.call_sites(self.node_id)
        index = self.graph.call_index(self.node_id)
        self.shared.setText(
            f"Shared by {len(sites)} call sites (this is call {index})" if len(sites) > 1 else ""
        )
        self.shared.setVisible(len(sites) > 1)
        self.call_again.setEnabled(not self.graph.is_input(self.node_id))

    def _show_inferred(self) -> None:
        inferred = self.report.nodes.get(self.node_id) if self.report is not None else None
        if inferred is not None:
            self.inferred.setText(f"Output {fmt(inferred.shape)}  ·  {inferred.params:,} params")
        else:
            self.inferred.setText("Output shape unknown" if self.report is not None else "")
        mine = self.report.problems_of(self.node_id) if self.report is not None else []
        self.problems.setText("\n".join(p.message for p in mine))
        self.problems.setStyleSheet(css_color(self.theme, worst(mine)))
        self.problems.setVisible(bool(mine))

    # ------------------------------------------------------------ user edits

    def _push(self, command: GraphCommand, field: _Field, what: str) -> bool:
        """Push `command`; on refusal show the graph's reason under `field`."""
        field.show_error(None)
        self._writing = what
        try:
            push_checked(self.stack, command)
        except GraphEditError as error:
            field.show_error(str(error))
            return False
        finally:
            self._writing = None
        return True

    def _on_param_committed(self, name: str, value: Any) -> None:
        g, node_id = self.graph, self.node_id
        layer = g.layer(node_id)
        field = self.fields[name]
        if value == self._value(name) and (name in layer.params or not self._params[name].required):
            # no change (an explicit default is not written into the layer's params)
            field.show_error(None)
            return
        if not self._push(SetParams.one(g, node_id, name, value), field, name):
            field.editor.set_value(self._value(name))

    def _refuse(self, name: str, reason: str) -> None:
        """Text that is no value at all: say why, and show the graph's value again."""
        self.fields[name].show_error(reason)
        self.fields[name].editor.set_value(self._value(name))

    def _value(self, name: str) -> Any:
        """The graph's value of param `name` of the node (Keras's default if unset)."""
        layer = self.graph.layer(self.node_id)
        return self.graph.spec(self.node_id).resolve(layer.params).get(name)

    def _on_name_edited(self) -> None:
        if self.node_id is None:  # the field lost focus after its node was deselected
            return
        name = self.name_edit.text()
        layer = self.graph.layer(self.node_id)
        if name == layer.name:
            return
        if not self._push(Rename(self.graph, self.node_id, name), self.name_field, "name"):
            self.name_edit.setText(layer.name)

    def _on_output_clicked(self, checked: bool) -> None:
        push_checked(self.stack, SetOutput(self.graph, self.node_id, checked))

    def _on_trainable_clicked(self, checked: bool) -> None:
        push_checked(self.stack, SetTrainable(self.graph, self.node_id, checked))

    def _on_call_again(self) -> None:
        push_checked(self.stack, CallAgain(self.graph, self.node_id))

    # ---------------------------------------------------------- graph events

    def _on_layer_changed(self, node_ids: tuple[str, ...]) -> None:
        if self.node_id in node_ids:
            self._refresh()

    def _on_node_removed(self, node_id: str) -> None:
        if node_id == self.node_id:
            self.show_node(None)
        elif self.node_id is not None:
            self._show_call_sites()

    def _on_call_sites_changed(self, node_id: str) -> None:
        if self.node_id is not None:
            self._show_call_sites()

    def _on_outputs_changed(self) -> None:
        if self.node_id is not None:
            self.output_check.setChecked(self.node_id in self.graph.outputs)
