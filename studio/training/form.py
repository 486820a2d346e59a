"""The training setup form: optimizer, epochs, seed, losses, metrics and loss weights per
output, callbacks, data, and whether the trained model is also written as ONNX.

The form shows the *resolved* setup (graph.training.resolve), so the losses and
metrics inferred from each output layer and the data it will train on (0/1 labels or
values to regress, one-hot rows or class indices) are visible and can be overridden. Every
change is one `SetTraining` undo command on the stored setup (an output left unset
stays unset until the user picks something for it); the form follows the graph's
`training_changed` event, so undo and redo update it. Other graph edits (an output
renamed, an activation changed) refresh it once they pause.
"""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QDoubleValidator, QUndoStack
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from codegen.onnx_readiness import onnx_problems
from codegen.training.samples import sample_data_for
from codegen.training.targets import source_target_kinds
from graph.filenames import inside_folder
from graph.model import ModelGraph
from graph.training import (
    CALLBACKS,
    LOSSES,
    METRICS,
    NO_LOSS,
    OPTIMIZERS,
    Callback,
    CustomCallback,
    DataSource,
    TrainingSetup,
    log_names,
    output_names,
    resolve,
)
from graph.user_code import (
    CodeModule,
    CustomObject,
    identifier_text,
    is_ref,
    objects_from_text,
    record_module,
    refs_text,
)
from studio.document.commands import push_checked
from studio.document.training_commands import SetTraining
from studio.training.budget_field import BudgetField
from studio.training.data_field import DataFileField

#: How long other graph edits must pause before the form catches up.
REFRESH_MS = 100
#: What the seed box shows for no seed (its lowest value).
NO_SEED = "none (random)"


class FloatEdit(QLineEdit):
    """A number typed in full (1e-4 and 0.0001 alike); `committed(value)` on Enter or focus out."""

    committed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setValidator(QDoubleValidator(self))
        self._value = 0.0
        self.editingFinished.connect(self._commit)

    def set_value(self, value: float) -> None:
        self._value = float(value)
        self.setText(f"{value:.10g}")

    def _commit(self) -> None:
        try:
            value = float(self.text())
        except ValueError:
            self.set_value(self._value)
            return
        if value != self._value:
            self._value = value
            self.committed.emit(value)


def _inferred_from(data_known: bool) -> str:
    """The tooltip of a loss the user left unset."""
    if data_known:
        return "inferred from the output layer and its training data"
    return "inferred from the output layer (no training data to look at)"


def _set_items(combo: QComboBox, items: list[str], current: str) -> None:
    """Give `combo` these items (plus `current` when missing: a file's odd value) and select."""
    wanted = items if current in items else [*items, current]
    if [combo.itemText(i) for i in range(combo.count())] != wanted:
        combo.clear()
        combo.addItems(wanted)
    combo.setCurrentText(current)


def _user_callbacks(setup: TrainingSetup) -> list[CustomObject]:
    return [CustomObject(c.ref, c.args) for c in setup.callbacks if isinstance(c, CustomCallback)]


class MetricsButton(QToolButton):
    """Picks any number of metrics from a menu of checkable entries."""

    picked = Signal(tuple)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        self.actions_by_name: dict[str, QAction] = {}
        for name in METRICS:
            action = menu.addAction(name)
            action.setCheckable(True)
            action.toggled.connect(self._toggled)
            self.actions_by_name[name] = action
        self.setMenu(menu)
        self._updating = False

    def set_metrics(self, metrics: tuple[str | CustomObject, ...]) -> None:
        self._updating = True
        for name, action in self.actions_by_name.items():
            action.setChecked(name in metrics)
        self._updating = False
        self.setText(", ".join(map(identifier_text, metrics)) or "(none)")

    def metrics(self) -> tuple[str, ...]:
        return tuple(n for n, a in self.actions_by_name.items() if a.isChecked())

    def _toggled(self) -> None:
        if not self._updating:
            self.picked.emit(self.metrics())


class OutputRow:
    """The loss combo, metrics button, user metrics and loss weight of one model output.

    A loss from the user's modules shows as `module:Name` in the combo (kept with its
    arguments while picked); the user's metrics are typed as `module:Name, ...`.
    """

    def __init__(self, form: TrainingForm, name: str) -> None:
        self.name = name
        self.form = form
        self.loss = QComboBox()
        self.loss.addItems([*LOSSES, NO_LOSS])
        self.loss.currentTextChanged.connect(
            lambda text: form.edit(
                f"loss of {name}", form.stored().with_output(name, loss=self._loss(text))
            )
        )
        self.metrics = MetricsButton()
        self.metrics.picked.connect(
            lambda metrics: form.edit(
                f"metrics of {name}",
                form.stored().with_output(name, metrics=(*metrics, *self.user_metrics())),
            )
        )
        self.custom_metrics = QLineEdit()
        self.custom_metrics.setPlaceholderText("your metrics: module:Name, ...")
        self.custom_metrics.setToolTip(
            f"metrics of {name} from the Python files the setup lists (module:Name)"
        )
        self.custom_metrics.editingFinished.connect(self._custom_metrics_edited)
        self.weight = FloatEdit()
        self.weight.validator().setBottom(0.0)
        self.weight.setMaximumWidth(80)
        self.weight.setToolTip(f"the weight of {name}'s loss in the total loss")
        self.weight.committed.connect(
            lambda v: form.edit(
                f"loss weight of {name}", form.stored().with_output(name, loss_weight=v)
            )
        )

    def _loss(self, text: str) -> str | CustomObject:
        stored = self.form.stored().output(self.name).loss
        if isinstance(stored, CustomObject) and stored.ref == text:
            return stored
        return CustomObject(text) if is_ref(text) else text

    def user_metrics(self) -> tuple[CustomObject, ...]:
        """The user's metrics of this output, as resolved."""
        metrics = self.form.resolved().outputs[self.name].metrics
        return tuple(m for m in metrics if isinstance(m, CustomObject))

    def _custom_metrics_edited(self) -> None:
        typed = objects_from_text(self.custom_metrics.text(), self.user_metrics())
        metrics = (*self.metrics.metrics(), *typed)
        setup = self.form.stored().with_output(self.name, metrics=metrics)
        self.form.edit(f"metrics of {self.name}", setup)


class CallbackRow:
    """A checkbox turning one callback on, and an editor per argument of its class."""

    def __init__(self, form: TrainingForm, kind: type[Callback]) -> None:
        self.form = form
        self.kind = kind
        self.check = QCheckBox(kind.type)
        self.check.toggled.connect(self._toggled)
        self.params = QWidget()
        layout = QFormLayout(self.params)
        layout.setContentsMargins(20, 0, 0, 4)
        self.editors: dict[str, QWidget] = {}
        for f in fields(kind):
            editor = self._editor(f.name, f.default)
            self.editors[f.name] = editor
            layout.addRow(f.name, editor)

    def _editor(self, name: str, default: Any) -> QWidget:
        def changed(value: Any) -> None:
            self._param_changed(name, value)

        if name == "monitor":
            editor = QComboBox()
            editor.currentTextChanged.connect(changed)
        elif isinstance(default, bool):
            editor = QCheckBox()
            editor.toggled.connect(changed)
        elif isinstance(default, int):
            editor = QSpinBox()
            editor.setRange(0, 100_000)
            editor.valueChanged.connect(changed)
        elif isinstance(default, float):
            editor = FloatEdit()
            editor.committed.connect(changed)
        else:
            editor = QLineEdit()
            editor.editingFinished.connect(lambda: changed(editor.text()))
        return editor

    def current(self) -> Callback | None:
        """This callback as the stored setup has it, or None when off."""
        return next((c for c in self.form.stored().callbacks if c.type == self.kind.type), None)

    def show(self, monitors: list[str]) -> None:
        callback = self.current()
        self.check.setChecked(callback is not None)
        self.params.setEnabled(callback is not None)
        shown = callback or self.kind()
        for name, editor in self.editors.items():
            value = getattr(shown, name)
            if isinstance(editor, QComboBox):
                _set_items(editor, monitors, value)
            elif isinstance(editor, QCheckBox):
                editor.setChecked(value)
            elif isinstance(editor, QSpinBox):
                editor.setValue(value)
            elif isinstance(editor, FloatEdit):
                editor.set_value(value)
            else:
                editor.setText(value)

    def _toggled(self, on: bool) -> None:
        setup = self.form.stored()
        others = tuple(c for c in setup.callbacks if c.type != self.kind.type)
        callbacks = (*others, self.kind()) if on else others
        self.form.edit(self.kind.type, replace(setup, callbacks=callbacks))

    def _param_changed(self, name: str, value: Any) -> None:
        callback = self.current()
        if callback is None or getattr(callback, name) == value:
            return
        setup = self.form.stored()
        callbacks = tuple(
            replace(c, **{name: value}) if c is callback else c for c in setup.callbacks
        )
        self.form.edit(f"{self.kind.type} {name}", replace(setup, callbacks=callbacks))


class TrainingForm(QWidget):
    """Edits one graph's training setup through undo commands."""

    #: The output rows were rebuilt (the form's width may have changed).
    rows_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.g: ModelGraph | None = None
        self.stack: QUndoStack | None = None
        self.base: Path | None = None
        self.sample: DataSource | None = None
        #: Data files outside the graph's folder that the user gave or confirmed in
        #: this session, resolved: only these are read (graph.training.data_outside_folder).
        self.confirmed: set[Path] = set()
        self._updating = False
        self._shown: TrainingSetup | None = None
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.setInterval(REFRESH_MS)
        self._later.timeout.connect(self.refresh)

        self.optimizer = QComboBox()
        self.optimizer.addItems(OPTIMIZERS)
        self.optimizer.currentTextChanged.connect(
            lambda text: self.edit("optimizer", replace(self.stored(), optimizer=text))
        )
        self.learning_rate = FloatEdit()
        self.learning_rate.committed.connect(
            lambda v: self.edit("learning rate", replace(self.stored(), learning_rate=v))
        )
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 100_000)
        self.epochs.valueChanged.connect(
            lambda v: self.edit("epochs", replace(self.stored(), epochs=v))
        )
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 1_000_000)
        self.batch_size.valueChanged.connect(
            lambda v: self.edit("batch size", replace(self.stored(), batch_size=v))
        )
        # The lowest value, shown as NO_SEED, is None: weights drawn afresh each run.
        self.seed = QSpinBox()
        self.seed.setRange(-1, 2**31 - 1)
        self.seed.setSpecialValueText(NO_SEED)
        self.seed.setToolTip("seed for the initial weights and the shuffling")
        self.seed.valueChanged.connect(
            lambda v: self.edit("seed", replace(self.stored(), seed=None if v < 0 else v))
        )
        self.validation_split = QDoubleSpinBox()
        self.validation_split.setRange(0.0, 0.95)
        self.validation_split.setSingleStep(0.05)
        self.validation_split.valueChanged.connect(
            lambda v: self.edit("validation split", replace(self.stored(), validation_split=v))
        )
        self.data = DataFileField(self, "data", "Training data")
        self.validation_data = DataFileField(self, "validation_data", "Validation data")
        self.export_onnx = QCheckBox("also write the trained model as ONNX")
        self.export_onnx.setToolTip(
            "kgs train -o MODEL.keras and exported scripts then write MODEL.onnx beside it"
        )
        self.export_onnx.toggled.connect(
            lambda on: self.edit("ONNX export", replace(self.stored(), export_onnx=on))
        )
        self.onnx_problems = QLabel()
        self.onnx_problems.setWordWrap(True)
        self.onnx_problems.setVisible(False)
        self.memory_budget = BudgetField()
        self.memory_budget.committed.connect(
            lambda b: self.edit("memory budget", replace(self.stored(), memory_budget=b))
        )

        self.modules = QLineEdit()
        self.modules.setPlaceholderText("your Python files beside the graph: a.py, b.py")
        self.modules.setToolTip(
            "files whose losses, metrics and callbacks the setup names as module:Name; "
            "each is recorded with its content now, and imported only when trusted as such"
        )
        self.modules.editingFinished.connect(self._modules_edited)
        # The data across the top, then two columns, the fields set most often at the
        # top of each: a short panel (a 700-pixel window) shows them without scrolling.
        data = QFormLayout()
        data.addRow("Data", self.data)
        first, second = QFormLayout(), QFormLayout()
        first.addRow("Optimizer", self.optimizer)
        first.addRow("Learning rate", self.learning_rate)
        first.addRow("Memory budget", self.memory_budget)
        first.addRow("Seed", self.seed)
        first.addRow("Modules", self.modules)
        second.addRow("Epochs", self.epochs)
        second.addRow("Batch size", self.batch_size)
        second.addRow("Validation split", self.validation_split)
        second.addRow("Validation data", self.validation_data)
        second.addRow("ONNX", self.export_onnx)
        general = QHBoxLayout()
        general.addLayout(first, 1)
        general.addLayout(second, 1)

        self.outputs_box = QGroupBox("Outputs: loss, metrics and loss weight")
        self.outputs_layout = QFormLayout(self.outputs_box)
        self.output_rows: dict[str, OutputRow] = {}

        callbacks_box = QGroupBox("Callbacks")
        callbacks_layout = QVBoxLayout(callbacks_box)
        self.callback_rows = {kind.type: CallbackRow(self, kind) for kind in CALLBACKS.values()}
        for row in self.callback_rows.values():
            callbacks_layout.addWidget(row.check)
            callbacks_layout.addWidget(row.params)
        self.custom_callbacks = QLineEdit()
        self.custom_callbacks.setPlaceholderText("your callbacks: module:Name, ...")
        self.custom_callbacks.setToolTip(
            "callback classes from the Python files the setup lists (module:Name)"
        )
        self.custom_callbacks.editingFinished.connect(self._custom_callbacks_edited)
        callbacks_layout.addWidget(self.custom_callbacks)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(data)
        layout.addLayout(general)
        layout.addWidget(self.onnx_problems)
        layout.addWidget(self.outputs_box)
        layout.addWidget(callbacks_box)
        layout.addStretch(1)
        self.setEnabled(False)

    # ------------------------------------------------------------ document

    def set_document(
        self, g: ModelGraph | None, stack: QUndoStack | None, base: Path | None
    ) -> None:
        """Edit `g`'s setup on `stack`; `base` is the graph file's folder (None: untitled)."""
        if self.g is not None:
            for event in self.g.events.all():
                event.disconnect(self._graph_changed)
        self.g, self.stack, self.base = g, stack, base
        if g is not None:
            for event in g.events.all():
                event.connect(self._graph_changed)
        self.setEnabled(g is not None)
        self.refresh()

    def _graph_changed(self, *args: object) -> None:
        if self.g is not None and self.g.training is not self._shown:
            self.refresh()  # the setup itself: show it at once (undo, redo, a load)
        else:
            self._later.start()

    def stored(self) -> TrainingSetup:
        """The setup as the graph stores it (defaults where it has none, or no graph)."""
        return (self.g.training if self.g is not None else None) or TrainingSetup()

    def resolved(self) -> TrainingSetup:
        """The stored setup with every output explicit, as the form shows it."""
        return resolve(self.g, self.stored(), self.targets())

    def data_source(self) -> DataSource | None:
        """The data to train on: the setup's, else the bundled sample for this graph."""
        return self.stored().data or self.sample

    def targets(self) -> dict[str, str]:
        """The kind of each output's targets in `data_source()` (empty where unknown, or
        in a file outside the graph's folder not yet confirmed): the losses the form
        shows, and training uses, are inferred with them."""
        stored = self.stored().data
        if self.g is None or (stored is not None and self._unconfirmed(stored)):
            return {}
        return source_target_kinds(self.data_source(), self.g, self.base or Path.cwd())

    def unconfirmed_outside(self) -> list[Path]:
        """The files the graph's setup names outside its folder that the user has not
        given or confirmed in this session: a run asks before reading them."""
        setup = self.stored()
        sources = [s for s in (setup.data, setup.validation_data) if s is not None]
        return [path for source in sources for path in self._unconfirmed(source)]

    def confirm(self, files: list[str] | list[Path]) -> None:
        """The user gave or accepted `files` (relative to the graph's folder, or absolute)."""
        self.confirmed.update(self._resolved(f) for f in files)

    def _unconfirmed(self, source: DataSource) -> list[Path]:
        resolved = (self._resolved(path) for path in source.outside())
        return [path for path in resolved if path not in self.confirmed]

    def _resolved(self, path: str | Path) -> Path:
        return ((self.base or Path.cwd()) / path).resolve()

    def edit(self, field: str, setup: TrainingSetup) -> None:
        """Push the change of `field` as one undo step (nothing when unchanged)."""
        if self._updating or self.g is None or setup == self.stored():
            return
        push_checked(self.stack, SetTraining(self.g, setup, field))

    # ---------------------------------------------------------------- view

    def refresh(self) -> None:
        """Show the graph's resolved setup."""
        self._later.stop()
        if self.g is None:
            return
        self._updating = True
        try:
            self._show(self.g)
        finally:
            self._updating = False

    def _show(self, g: ModelGraph) -> None:
        self._shown = g.training
        stored = self.stored()
        self.sample = sample_data_for(g)
        targets = self.targets()
        setup = resolve(g, stored, targets)
        sample = f"bundled sample: {Path(self.sample.path).name}" if self.sample else "none"
        self.data.show_source(stored.data, f".npz or .csv file ({sample})")
        self.validation_data.show_source(
            stored.validation_data, "optional .npz or .csv file (else the split above)"
        )
        self.validation_split.setEnabled(stored.validation_data is None)
        _set_items(self.optimizer, list(OPTIMIZERS), setup.optimizer)
        self.learning_rate.set_value(setup.learning_rate)
        self.epochs.setValue(setup.epochs)
        self.batch_size.setValue(setup.batch_size)
        self.memory_budget.show_setup(g, setup)
        self.seed.setValue(-1 if setup.seed is None else setup.seed)
        self.validation_split.setValue(setup.validation_split)
        self.export_onnx.setChecked(setup.export_onnx)
        problems = onnx_problems(g) if setup.export_onnx else []
        self.onnx_problems.setText(
            "\n".join(["The model cannot go to ONNX:", *(p.message for p in problems)])
        )
        self.onnx_problems.setVisible(bool(problems))
        names = output_names(g)
        if list(self.output_rows) != names:
            self._rebuild_outputs(names)
        for name, out in setup.outputs.items():
            row = self.output_rows[name]
            _set_items(row.loss, [*LOSSES, NO_LOSS], identifier_text(out.loss))
            inferred = stored.output(name).loss is None
            row.loss.setToolTip(_inferred_from(name in targets) if inferred else "")
            row.metrics.set_metrics(out.metrics)
            row.custom_metrics.setText(refs_text(row.user_metrics()))
            row.weight.set_value(out.loss_weight)
        monitors = log_names(g, stored, targets)
        for row in self.callback_rows.values():
            row.show(monitors)
        self.custom_callbacks.setText(refs_text(_user_callbacks(stored)))
        self.modules.setText(", ".join(m.path for m in stored.modules))

    def _modules_edited(self) -> None:
        """The typed paths as the setup's modules: one already listed keeps its recorded
        hash (a changed file is not accepted by retyping it: remove it, then add it);
        a new one is recorded with its content now. Paths outside the graph's folder and
        files that cannot be read are left out (nothing outside the folder is read)."""
        setup = self.stored()
        listed = {m.path: m for m in setup.modules}
        modules: list[CodeModule] = []
        for path in (p.strip() for p in self.modules.text().split(",")):
            if path in listed:
                modules.append(listed[path])
            elif path and self.base is not None and inside_folder(path):
                try:
                    modules.append(record_module(self.base, path))
                except OSError:
                    continue
        self.edit("modules", replace(setup, modules=tuple(modules)))
        self.modules.setText(", ".join(m.path for m in self.stored().modules))

    def _custom_callbacks_edited(self) -> None:
        setup = self.stored()
        typed = objects_from_text(self.custom_callbacks.text(), _user_callbacks(setup))
        kept = tuple(c for c in setup.callbacks if not isinstance(c, CustomCallback))
        callbacks = (*kept, *(CustomCallback(obj.ref, obj.args) for obj in typed))
        self.edit("custom callbacks", replace(setup, callbacks=callbacks))

    def _rebuild_outputs(self, names: list[str]) -> None:
        while self.outputs_layout.rowCount():
            self.outputs_layout.removeRow(0)
        self.output_rows = {name: OutputRow(self, name) for name in names}
        for name, row in self.output_rows.items():
            line = QHBoxLayout()
            line.addWidget(row.loss, 1)
            line.addWidget(row.metrics, 1)
            line.addWidget(row.custom_metrics, 1)
            line.addWidget(QLabel("weight"))
            line.addWidget(row.weight)
            self.outputs_layout.addRow(QLabel(name), line)
        self.rows_changed.emit()

    # ---------------------------------------------------------------- data

    def ask_data_path(self, title: str) -> Path | None:
        """The data file the user picks for `title` (tests override this)."""
        path, _ = QFileDialog.getOpenFileName(
            self, title, str(self.base or ""), "Data (*.npz *.csv)"
        )
        return Path(path) if path else None
