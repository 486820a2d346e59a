"""One typed editor per param kind, for the inspector: what a user edits a layer with.

`editor_for(kind)` picks the editor from one table keyed by kind class: spin boxes
with the kind's bounds for Int and Float, a checkbox for Bool, a combo for Choice,
a row of spin boxes for a fixed-length tuple of sizes (kernel_size, strides), a
checkbox plus the wrapped kind's editor for Optional, and a line edit that reads
Python literals ("28, 28", "None", "[[1, 1], [2, 2]]") for everything else.

Editors only propose values: `committed` carries the user's value, and the graph
judges it (the inspector pushes it as an undo command and shows a refusal). An
editor's own bounds come from its kind, so spin boxes rarely propose a refused value.
`set_value` writes the graph's value back without emitting anything.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator, QWheelEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from graph.params import (
    Bool,
    Choice,
    Float,
    Int,
    IntTuple,
    KerasObject,
    Kind,
    Optional,
    freeze,
    thaw,
)
from graph.slice_key import SliceKey

#: Spin box limits where a kind sets none (QSpinBox holds a C int).
_INT_LIMIT = 2**31 - 1
_FLOAT_LIMIT = 1e12
#: The longest tuple shown as a row of spin boxes; longer ones are typed as text.
_MAX_SPIN_ROW = 3
#: The longest text read as a literal (ast.literal_eval is safe, but not on any size).
_MAX_LITERAL = 10_000


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class ParamEditor(QWidget):
    """The editor of one param value; subclasses build their controls."""

    #: The user finished editing: the proposed value.
    committed = Signal(object)
    #: The user's text cannot be read as a value: the reason.
    unreadable = Signal(str)

    def __init__(self, kind: Kind, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    def value(self) -> Any:
        """The value shown; raises ValueError when the user's text is not one."""
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        """Show `value` (the graph's) without emitting `committed`."""
        for child in self.findChildren(QWidget):
            child.blockSignals(True)
        try:
            self._show(value)
        finally:
            for child in self.findChildren(QWidget):
                child.blockSignals(False)

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def _commit(self, *_: Any) -> None:
        try:
            value = self.value()
        except ValueError as error:
            self.unreadable.emit(str(error))
            return
        self.committed.emit(value)


class IntEditor(ParamEditor):
    """A spin box bounded by the kind; commits on Enter, focus loss and each step."""

    def __init__(self, kind: Int, parent: QWidget | None = None) -> None:
        super().__init__(kind, parent)
        self.spin = _int_spin(kind.min, kind.max)
        self.spin.valueChanged.connect(self._commit)
        self._layout.addWidget(self.spin)

    def value(self) -> int:
        return self.spin.value()

    def _show(self, value: Any) -> None:
        if _is_int(value):
            self.spin.setValue(value)


class _FocusedWheel:
    """Spin boxes and combos take wheel turns only once focused: scrolling the
    inspector past one must not edit its param (each edit is an undo command)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # a wheel turn gives no focus

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # the scroll area behind scrolls instead


class _IntSpin(_FocusedWheel, QSpinBox):
    pass


class _Combo(_FocusedWheel, QComboBox):
    """Asks for room for a few characters, not its longest choice, so a narrow
    inspector shows it whole (the list drops down as wide as it needs)."""

    def __init__(self) -> None:
        super().__init__()
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(8)


class _NumberSpin(_FocusedWheel, QDoubleSpinBox):
    """A double spin box that shows numbers as written (0.001, 1e-07), not padded."""

    def textFromValue(self, value: float) -> str:
        return f"{value:.10g}"

    def valueFromText(self, text: str) -> float:
        return float(text)

    def validate(self, text: str, pos: int) -> object:
        try:
            float(text)
        except ValueError:
            return QValidator.State.Intermediate
        return QValidator.State.Acceptable


class FloatEditor(ParamEditor):
    """A number spin box bounded by the kind (open bounds are left to the graph)."""

    def __init__(self, kind: Float, parent: QWidget | None = None) -> None:
        super().__init__(kind, parent)
        self.spin = _NumberSpin()
        self.spin.setDecimals(10)
        low = -_FLOAT_LIMIT if kind.min is None else kind.min
        high = _FLOAT_LIMIT if kind.max is None else kind.max
        self.spin.setRange(low, high)
        self.spin.setSingleStep(0.1 if high - low <= 1 else 1.0)
        self.spin.setKeyboardTracking(False)
        self.spin.valueChanged.connect(self._commit)
        self._layout.addWidget(self.spin)

    def value(self) -> float:
        return self.spin.value()

    def _show(self, value: Any) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.spin.setValue(value)


class BoolEditor(ParamEditor):
    def __init__(self, kind: Bool, parent: QWidget | None = None) -> None:
        super().__init__(kind, parent)
        self.check = QCheckBox()
        self.check.toggled.connect(self._commit)
        self._layout.addWidget(self.check)

    def value(self) -> bool:
        return self.check.isChecked()

    def _show(self, value: Any) -> None:
        self.check.setChecked(value is True)


class ChoiceEditor(ParamEditor):
    """A combo of the kind's values (None shown as "None")."""

    def __init__(self, kind: Choice, parent: QWidget | None = None) -> None:
        super().__init__(kind, parent)
        self.combo = _Combo()
        for choice in kind.values:
            self.combo.addItem("None" if choice is None else str(choice), choice)
        self.combo.activated.connect(self._commit)
        self._layout.addWidget(self.combo)

    def value(self) -> Any:
        return self.combo.currentData()

    def _show(self, value: Any) -> None:
        self.combo.setCurrentIndex(self.combo.findData(value))


class SizesEditor(ParamEditor):
    """One spin box per entry of a fixed-length tuple of sizes (kernel_size (3, 3));
    a scalar value (Keras repeats it) shows in every box."""

    def __init__(self, kind: IntTuple, parent: QWidget | None = None) -> None:
        super().__init__(kind, parent)
        self.spins = [_int_spin(kind.min, None) for _ in range(kind.length)]
        for spin in self.spins:
            spin.valueChanged.connect(self._commit)
            self._layout.addWidget(spin)

    def value(self) -> tuple[int, ...]:
        return tuple(spin.value() for spin in self.spins)

    def _show(self, value: Any) -> None:
        entries = (value,) * len(self.spins) if _is_int(value) else value
        if isinstance(entries, tuple) and len(entries) == len(self.spins):
            for spin, entry in zip(self.spins, entries, strict=True):
                if _is_int(entry):
                    spin.setValue(entry)


class LiteralEditor(ParamEditor):
    """A line edit for any other value, read as a Python literal on Enter or focus loss.

    "28, 28" reads as a tuple and a lone number as a one-entry tuple where the kind
    takes only tuples; text the kind accepts as a string (an equation, a mode) is
    taken as typed.
    """

    def __init__(self, kind: Kind, parent: QWidget | None = None) -> None:
        super().__init__(kind, parent)
        self.line = QLineEdit()
        self.line.setPlaceholderText(kind.describe())
        self.line.editingFinished.connect(self._commit_if_changed)
        self._layout.addWidget(self.line)
        self._text_only = kind.problem("text") is None and kind.problem(0) is not None
        self._shown = ""

    def value(self) -> Any:
        return self._read(self.line.text().strip())

    def _read(self, text: str) -> Any:
        if self._text_only:
            return text
        try:
            if len(text) > _MAX_LITERAL:
                raise ValueError
            value = freeze(ast.literal_eval(text))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            if self.kind.problem(text) is None:
                return text
            raise ValueError(f"cannot read {text!r}: expected {self.kind.describe()}") from None
        if self.kind.problem(value) is not None and self.kind.problem((value,)) is None:
            return (value,)
        return value

    def _show(self, value: Any) -> None:
        # A string shows as typed (an equation) unless it would read back as another value.
        self._shown = _literal(value)
        if isinstance(value, str):
            try:
                if self._read(value) == value:
                    self._shown = value
            except ValueError:
                pass
        self.line.setText(self._shown)

    def _commit_if_changed(self) -> None:
        # editingFinished comes on Enter and again on focus loss: commit a change once.
        if self.line.text() != self._shown:
            self._shown = self.line.text()
            self._commit()


class TextEditor(LiteralEditor):
    """A line whose text is the value as typed, never read as a literal: the slicing
    key "0" stays the text "0", not the number 0."""

    def __init__(self, kind: Kind, parent: QWidget | None = None) -> None:
        super().__init__(kind, parent)
        self._text_only = True


#: The combo entry of a Keras object with arguments (its JSON is on the line beside).
_WITH_ARGUMENTS = "(with arguments)"


class KerasObjectEditor(ParamEditor):
    """An initializer, regularizer or constraint: a combo of Keras's names (None where
    accepted) and a line for the object with its arguments, as JSON:
    {"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out"}}.

    Picking a name commits it; picking "(with arguments)" commits the current name's
    class with no arguments (the same object), to be edited on the line. The line
    commits on Enter or focus loss; text that is not JSON is reported as unreadable.
    """

    def __init__(self, kind: KerasObject, parent: QWidget | None = None) -> None:
        super().__init__(kind, parent)
        self.combo = _Combo()
        if kind.none:
            self.combo.addItem("None", None)
        for name in kind.offered:
            self.combo.addItem(name, name)
        self.combo.addItem(_WITH_ARGUMENTS, _WITH_ARGUMENTS)
        self.combo.activated.connect(self._on_picked)
        self.line = QLineEdit()
        self.line.setPlaceholderText('{"class_name": ..., "config": {...}}')
        self.line.editingFinished.connect(self._commit_if_changed)
        # The line under the combo, full width, and only for an object: JSON is long.
        self._layout.setDirection(QBoxLayout.Direction.TopToBottom)
        self._layout.addWidget(self.combo)
        self._layout.addWidget(self.line)
        self._shown = ""
        self._value: Any = None

    def value(self) -> Any:
        text = self.line.text().strip()
        if self.combo.currentData() != _WITH_ARGUMENTS:
            return self.combo.currentData()
        try:
            if len(text) > _MAX_LITERAL:
                raise ValueError
            return freeze(json.loads(text))
        except (ValueError, RecursionError):
            raise ValueError(f"cannot read {text!r}: expected {self.kind.describe()}") from None

    def _show(self, value: Any) -> None:
        self._value = value
        if isinstance(value, Mapping):
            self.combo.setCurrentIndex(self.combo.findData(_WITH_ARGUMENTS))
            self._shown = json.dumps(thaw(value))
        else:
            if self.combo.findData(value) < 0:  # an accepted name not offered (HeNormal)
                self.combo.insertItem(self.combo.count() - 1, str(value), value)
            self.combo.setCurrentIndex(self.combo.findData(value))
            self._shown = ""
        self.line.setText(self._shown)
        self.line.setCursorPosition(0)  # the class name first
        self.line.setToolTip(self._shown)
        self.line.setVisible(isinstance(value, Mapping))

    def _on_picked(self) -> None:
        if self.combo.currentData() != _WITH_ARGUMENTS:
            self._propose()
            return
        class_name = self.kind.class_of(self._value)
        if class_name is None:  # from None: nothing to start from, so wait for the text
            self.line.setVisible(True)
            self.line.setFocus()
            return
        self.set_value(freeze({"class_name": class_name, "config": {}}))
        self._propose()

    def _commit_if_changed(self) -> None:
        # editingFinished comes on Enter and again on focus loss: commit a change once.
        if self.line.text() != self._shown:
            self._shown = self.line.text()
            self._propose()

    def _propose(self) -> None:
        """Commit the value shown, and keep it as the current one: the inspector does not
        write back the value it is pushing (a refusal writes the graph's back)."""
        try:
            value = self.value()
        except ValueError as error:
            self.unreadable.emit(str(error))
            return
        self._value = value
        self.committed.emit(value)


class OptionalEditor(ParamEditor):
    """A checkbox (set or None) beside the wrapped kind's editor."""

    def __init__(self, kind: Optional, parent: QWidget | None = None) -> None:
        super().__init__(kind, parent)
        self.check = QCheckBox()
        self.check.setToolTip("Unchecked: None")
        self.inner = editor_for(kind.kind)
        self.check.toggled.connect(self._on_toggled)
        self.inner.committed.connect(self._commit)
        self.inner.unreadable.connect(self.unreadable)
        self._layout.addWidget(self.check)
        self._layout.addWidget(self.inner, 1)

    def value(self) -> Any:
        return self.inner.value() if self.check.isChecked() else None

    def _show(self, value: Any) -> None:
        self.check.setChecked(value is not None)
        self.inner.setEnabled(value is not None)
        if value is not None:
            self.inner.set_value(value)

    def _on_toggled(self, checked: bool) -> None:
        self.inner.setEnabled(checked)
        if not checked:
            self.committed.emit(None)
            return
        try:
            self.committed.emit(self.inner.value())
        except ValueError:  # nothing typed yet: wait for the user's value
            self.inner.setFocus()


def _int_spin(low: int | None, high: int | None) -> QSpinBox:
    spin = _IntSpin()
    spin.setRange(-_INT_LIMIT if low is None else low, _INT_LIMIT if high is None else high)
    spin.setKeyboardTracking(False)
    return spin


def _literal(value: Any) -> str:
    """A value as the literal editor shows it: Python's notation, lists for tuples."""
    return repr(thaw(value))


def _sizes_or_literal(kind: IntTuple) -> ParamEditor:
    if kind.length is not None and kind.length <= _MAX_SPIN_ROW and not kind.none:
        return SizesEditor(kind)
    return LiteralEditor(kind)


#: The editor of each kind class; any other kind gets a LiteralEditor.
_EDITORS: dict[type[Kind], Callable[[Any], ParamEditor]] = {
    Int: IntEditor,
    Float: FloatEditor,
    Bool: BoolEditor,
    Choice: ChoiceEditor,
    KerasObject: KerasObjectEditor,
    IntTuple: _sizes_or_literal,
    Optional: OptionalEditor,
    SliceKey: TextEditor,
}


def editor_for(kind: Kind) -> ParamEditor:
    """A new editor for values of `kind`."""
    return _EDITORS.get(type(kind), LiteralEditor)(kind)
