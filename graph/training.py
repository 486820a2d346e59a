"""The training setup of a graph: optimizer, losses and metrics per output, data, callbacks.

Plain immutable data, free of Keras, so the graph file, the studio's form, `kgs train`
and generated training scripts all read one description. Names are Keras's own
(loss, metric and optimizer identifiers, callback arguments; every loss and metric
name Keras accepts, from `graph.keras_names`), so turning a setup into
`model.compile(...)` and `model.fit(...)` arguments is a lookup, not a translation.

An output's loss or metrics left unset (None) are inferred from its layer's
activation and, where the data is known, from what its targets look like
(`default_loss`, `default_metrics`); `resolve` replaces every unset value by the
inferred one, so what will be used can always be shown. `setup_problems` lists every
semantic problem with the field it is about; the file reader only checks types, so a
file with a bad setup still opens and can be fixed.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import PurePath
from types import MappingProxyType
from typing import Any, ClassVar

from graph import keras_names
from graph.errors import GraphError
from graph.filenames import inside_folder
from graph.model import ModelGraph
from graph.spec import activation_of, get_spec
from graph.user_code import CodeModule, CustomObject, module_problems, ref_problem

#: Each optimizer Keras offers, with the slots it keeps per trainable weight (Keras's
#: defaults: SGD's momentum is 0, so it keeps none; RMSprop is not centered; Adam has
#: no amsgrad), checked against Keras by tests/test_cost.py.
OPTIMIZER_SLOTS: Mapping[str, int] = MappingProxyType(
    {
        "adam": 2,
        "adamw": 2,
        "sgd": 0,
        "rmsprop": 1,
        "adagrad": 1,
        "adadelta": 2,
        "adamax": 2,
        "nadam": 2,
        "lion": 1,
    }
)
OPTIMIZERS = tuple(OPTIMIZER_SLOTS)

#: An output's loss when it is trained by the other outputs only.
NO_LOSS = "none"

#: Every loss name Keras accepts, its aliases included (mae, MAE, MeanAbsoluteError).
ACCEPTED_LOSSES: Mapping[str, str] = MappingProxyType(keras_names.LOSSES)

#: The losses the studio offers: Keras's lowercase names (aliases like mae included,
#: class names like MeanAbsoluteError left out, though accepted).
LOSSES = tuple(name for name in ACCEPTED_LOSSES if name.islower())

#: The book's custom metric (chapter 7): root mean squared error of softmax outputs
#: against integer labels. codegen.training.custom_metrics implements it.
SPARSE_RMSE = "sparse_rmse"

#: Every metric name Keras accepts (aliases included), and the book's custom one.
ACCEPTED_METRICS: Mapping[str, str] = MappingProxyType(
    {**keras_names.METRICS, SPARSE_RMSE: SPARSE_RMSE}
)

#: The metrics the studio offers, as LOSSES.
METRICS = tuple(name for name in ACCEPTED_METRICS if name.islower())


def canonical_loss(name: str) -> str:
    """The name that every alias of loss `name` shares ("mae" -> "mean_absolute_error");
    `name` itself when Keras does not know it."""
    return ACCEPTED_LOSSES.get(name, name)


#: Losses whose targets are class indices rather than arrays shaped like the output.
SPARSE_LOSSES = frozenset(
    name for name in ACCEPTED_LOSSES if canonical_loss(name) == "sparse_categorical_crossentropy"
)

DATA_SUFFIXES = (".npz", ".csv")

#: What an output's targets look like (codegen.training.targets reads it from the
#: data), so that a default loss fits the data and not only the activation.
ZERO_ONE = "zero_one"  # every value 0 or 1: labels of a binary classifier
ONE_HOT = "one_hot"  # rows of 0s with a single 1 along the last axis
INTEGERS = "integers"  # whole numbers, not all 0 or 1: class indices
CONTINUOUS = "continuous"  # anything else: values to regress
TARGET_KINDS = (ZERO_ONE, ONE_HOT, INTEGERS, CONTINUOUS)


class TrainingSetupError(GraphError):
    """A training setup cannot be used; the message lists every problem with its field."""


def _frozen_map(value: Mapping[str, Any]) -> MappingProxyType:
    return MappingProxyType(dict(value))


@dataclass(frozen=True)
class OutputSetup:
    """How one model output is trained. None means: inferred from the output layer.

    A loss or metric is a Keras identifier, or a user module's object (CustomObject).
    """

    loss: str | CustomObject | None = None
    metrics: tuple[str | CustomObject, ...] | None = None
    loss_weight: float = 1.0

    def __post_init__(self) -> None:
        if self.metrics is not None:
            object.__setattr__(self, "metrics", tuple(self.metrics))


@dataclass(frozen=True)
class DataSource:
    """Where arrays come from: an .npz or .csv file (`path`), or .npy files (`arrays`).

    Arrays are named by the model's input and output layer names; a model with one
    input and one output may call them `x` and `y`. `columns` maps those names to
    the columns of a .csv file (by default a name takes the column of that name, and
    a single input takes every column no output uses). Relative paths are relative
    to the graph file's folder; a file outside it is read only when the user gives or
    confirms it for a run (see data_outside_folder).
    """

    path: str | None = None
    arrays: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "arrays", _frozen_map(self.arrays))
        columns = {name: tuple(cols) for name, cols in self.columns.items()}
        object.__setattr__(self, "columns", _frozen_map(columns))

    @property
    def kind(self) -> str:
        """'npz', 'csv' or 'npy'."""
        if self.path is None:
            return "npy"
        return PurePath(self.path).suffix.lower().lstrip(".")

    def files(self) -> list[str]:
        return [self.path] if self.path is not None else list(self.arrays.values())

    def outside(self) -> list[str]:
        """The files named outside the graph file's folder (absolute, or with '..')."""
        return [path for path in self.files() if not inside_folder(path)]


@dataclass(frozen=True)
class Callback:
    """Base of the callbacks a setup offers; fields are the Keras class's arguments.

    A field's default is Keras's own, so an argument a file leaves out means what it
    means to Keras. An argument Keras requires is listed in `required`: a file must
    give it, and its default here is only what a callback the studio adds starts with.
    """

    type: ClassVar[str]
    required: ClassVar[frozenset[str]] = frozenset()

    def kwargs(self) -> dict[str, Any]:
        """The Keras constructor arguments."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class EarlyStopping(Callback):
    type: ClassVar[str] = "EarlyStopping"
    monitor: str = "val_loss"
    patience: int = 0
    min_delta: float = 0.0
    restore_best_weights: bool = False


@dataclass(frozen=True)
class ModelCheckpoint(Callback):
    type: ClassVar[str] = "ModelCheckpoint"
    required: ClassVar[frozenset[str]] = frozenset({"filepath"})
    filepath: str = "best.keras"
    monitor: str = "val_loss"
    save_best_only: bool = False


@dataclass(frozen=True)
class ReduceLROnPlateau(Callback):
    type: ClassVar[str] = "ReduceLROnPlateau"
    monitor: str = "val_loss"
    factor: float = 0.1
    patience: int = 10
    min_lr: float = 0.0


@dataclass(frozen=True)
class CSVLogger(Callback):
    type: ClassVar[str] = "CSVLogger"
    required: ClassVar[frozenset[str]] = frozenset({"filename"})
    filename: str = "training_log.csv"
    append: bool = False


@dataclass(frozen=True)
class TensorBoard(Callback):
    """TensorBoard logs: Keras's own callback needs TensorFlow, so this one writes the
    same scalars with torch's SummaryWriter (codegen.training.tensorboard): under
    `log_dir`, `train/` and `validation/` hold `epoch_<log name>` per epoch and, with
    update_freq "batch", `batch_<log name>` per training batch."""

    type: ClassVar[str] = "TensorBoard"
    log_dir: str = "logs"
    update_freq: str = "epoch"


#: TensorBoard's update_freq values.
TENSORBOARD_FREQUENCIES = ("epoch", "batch")

CALLBACKS: Mapping[str, type[Callback]] = MappingProxyType(
    {c.type: c for c in (EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, CSVLogger, TensorBoard)}
)


@dataclass(frozen=True)
class CustomCallback(Callback):
    """A callback class of a user module (`ref` is `module:Name`), made with `args`."""

    type: ClassVar[str] = "custom"
    ref: str = ""
    args: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", _frozen_map(self.args))

    def kwargs(self) -> dict[str, Any]:
        return dict(self.args)


@dataclass(frozen=True)
class TrainingSetup:
    """Everything `fit` needs besides the model. Edit with `dataclasses.replace`.

    `outputs` is keyed by output layer name; an output missing from it is trained
    with the inferred defaults. Validation uses `validation_data` when it is set,
    else the last `validation_split` of the training data (as Keras does). With
    `export_onnx`, the trained model is also written as ONNX beside the `.keras` file
    (by `kgs train -o` and by generated training scripts). `memory_budget` (bytes, or
    None for none) is what one training step may take at `batch_size` with
    `optimizer` (graph/budget.py checks it; nothing refuses to train past it).
    `modules` are the user's Python files (graph.user_code) whose objects the setup
    names as `module:Name`.
    """

    optimizer: str = "adam"
    learning_rate: float = 0.001
    outputs: Mapping[str, OutputSetup] = field(default_factory=dict)
    batch_size: int = 32
    epochs: int = 10
    validation_split: float = 0.2
    validation_data: DataSource | None = None
    data: DataSource | None = None
    seed: int | None = None
    callbacks: tuple[Callback, ...] = ()
    export_onnx: bool = False
    memory_budget: int | None = None
    modules: tuple[CodeModule, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "outputs", _frozen_map(self.outputs))
        object.__setattr__(self, "callbacks", tuple(self.callbacks))
        object.__setattr__(self, "modules", tuple(self.modules))

    def output(self, name: str) -> OutputSetup:
        """The setup of output `name` as stored (unset fields stay None)."""
        return self.outputs.get(name, OutputSetup())

    def with_output(self, name: str, **changes: Any) -> TrainingSetup:
        """A copy with output `name`'s setup changed, e.g. with_output("y", loss="mae")."""
        outputs = dict(self.outputs)
        outputs[name] = replace(self.output(name), **changes)
        return replace(self, outputs=outputs)

    @property
    def has_validation(self) -> bool:
        return self.validation_data is not None or self.validation_split > 0

    def custom_objects(self) -> list[tuple[str, CustomObject]]:
        """(what uses it, object) for each user object the setup names, in setup order:
        losses and metrics per output, then custom callbacks."""
        found = []
        for name, out in self.outputs.items():
            for item in (out.loss, *(out.metrics or ())):
                if isinstance(item, CustomObject):
                    found.append((f"training.outputs.{name}", item))
        for i, callback in enumerate(self.callbacks):
            if isinstance(callback, CustomCallback):
                found.append(
                    (f"training.callbacks[{i}]", CustomObject(callback.ref, callback.args))
                )
        return found


# ------------------------------------------------------------------ defaults


def output_names(g: ModelGraph) -> list[str]:
    """The model's output names (their layers' names), in output order."""
    return [g.layer(node_id).name for node_id in g.outputs]


def output_activation(g: ModelGraph, node_id: str) -> str:
    """The activation that ends `node_id`'s layer: 'softmax', 'sigmoid', 'linear', ..."""
    layer = g.layer(node_id)
    spec = get_spec(layer.type)
    if spec is None:  # an unknown type: read its params as a layer's would be
        return activation_of(layer.params)
    return spec.output_activation(spec.resolve(layer.params))


#: Losses of classifiers (by canonical name), whose natural metric is accuracy.
_CLASSIFICATION_LOSSES = frozenset(
    {
        "sparse_categorical_crossentropy",
        "categorical_crossentropy",
        "binary_crossentropy",
        "binary_focal_crossentropy",
        "categorical_focal_crossentropy",
        "hinge",
        "squared_hinge",
        "categorical_hinge",
        "crossentropy",
    }
)


def default_loss(g: ModelGraph, node_id: str, target: str | None = None) -> str:
    """The loss inferred for output `node_id` from its activation and, when known, the
    kind of its targets (one of TARGET_KINDS).

    softmax: categorical_crossentropy for one-hot targets, else
    sparse_categorical_crossentropy (integer class targets); sigmoid:
    binary_crossentropy, unless the targets are values to regress (continuous, or
    numbers beyond 0 and 1), which get mse as the book's ticket model's priority
    does; anything else: mse.
    """
    activation = output_activation(g, node_id)
    if activation == "softmax" and target == ONE_HOT:
        return "categorical_crossentropy"
    if activation == "softmax":
        return "sparse_categorical_crossentropy"
    if activation == "sigmoid" and target not in (CONTINUOUS, INTEGERS):
        return "binary_crossentropy"
    return "mse"


def default_metrics(loss: str | CustomObject) -> tuple[str, ...]:
    """The metrics inferred for an output trained with `loss`: accuracy for a
    classifier's loss, mae for a regression's, none without a loss or with a user's."""
    if loss == NO_LOSS or isinstance(loss, CustomObject):
        return ()
    return ("accuracy",) if canonical_loss(loss) in _CLASSIFICATION_LOSSES else ("mae",)


def resolve(
    g: ModelGraph, setup: TrainingSetup | None = None, targets: Mapping[str, str] | None = None
) -> TrainingSetup:
    """`setup` (default: the graph's, else a fresh one) with every output explicit.

    The result has exactly the model's outputs, in output order, each with its loss
    and metrics set: the stored ones, else the loss inferred from the output's
    activation and the kind of its targets in `targets` (by output name, where the
    data is known; see default_loss) and the metrics inferred from the loss. Entries
    for names that are not outputs are dropped; `setup_problems` reports them. The
    result resolves to itself: resolved where the data is known, it can be handed on.
    """
    setup = setup or g.training or TrainingSetup()
    targets = targets or {}
    outputs = {}
    for node_id in g.outputs:
        name = g.layer(node_id).name
        stored = setup.output(name)
        loss = stored.loss
        if loss is None:
            loss = default_loss(g, node_id, targets.get(name))
        metrics = stored.metrics if stored.metrics is not None else default_metrics(loss)
        outputs[name] = OutputSetup(loss, metrics, stored.loss_weight)
    return replace(setup, outputs=outputs)


def with_inferred_losses(
    g: ModelGraph, setup: TrainingSetup, targets: Mapping[str, str]
) -> TrainingSetup:
    """`setup` with the loss of every output that has none set to the one inferred
    with `targets` (see resolve), all else as stored: for a setup handed on where
    the data is no longer known (a generated script)."""
    for node_id in g.outputs:
        name = g.layer(node_id).name
        if setup.output(name).loss is None:
            setup = setup.with_output(name, loss=default_loss(g, node_id, targets.get(name)))
    return setup


#: The log name of a metric whose identifier is not its name.
_METRIC_LOG_NAMES = {SPARSE_RMSE: "rmse"}


def _metric_log_name(metric: str | CustomObject) -> str:
    if isinstance(metric, CustomObject):
        return metric.log_name
    return _METRIC_LOG_NAMES.get(metric, metric)


def log_names(
    g: ModelGraph, setup: TrainingSetup | None = None, targets: Mapping[str, str] | None = None
) -> list[str]:
    """The names Keras logs for `g` trained with `setup` (history keys, monitors), the
    defaults inferred with the kinds of `targets` where known (see resolve).

    "loss"; "<output>_loss" per output with a loss when two or more have one; each
    metric by its name, prefixed "<output>_" when the model has several outputs;
    then all of them again prefixed "val_" when the setup validates.
    """
    resolved = resolve(g, setup, targets)
    outputs = resolved.outputs
    with_loss = [name for name, out in outputs.items() if out.loss != NO_LOSS]
    names = ["loss"]
    if len(with_loss) > 1:
        names += [f"{name}_loss" for name in with_loss]
    for name, out in outputs.items():
        prefix = f"{name}_" if len(outputs) > 1 else ""
        names += [prefix + _metric_log_name(m) for m in out.metrics]
    if resolved.has_validation:
        names += [f"val_{name}" for name in names]
    return names


# ------------------------------------------------------------------ problems


def _one_of(
    name: str, value: str, allowed: Collection[str], offered: Collection[str] | None = None
) -> str | None:
    """None when `value` is `allowed`, else why not, listing the `offered` names
    (default: all allowed ones)."""
    if value in allowed:
        return None
    shown = allowed if offered is None else offered
    return f"unknown {name} {value!r}. Expected one of: {', '.join(shown)}"


def _finite(value: float) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _data_problems(source: DataSource, where: str) -> list[str]:
    if (source.path is None) == (not source.arrays):
        return [f"{where}: give either a path (.npz or .csv) or .npy arrays by name"]
    problems = []
    if source.path is not None and source.kind not in ("npz", "csv"):
        problems.append(f"{where}.path: must end with .npz or .csv. Received: path={source.path!r}")
    for name, path in source.arrays.items():
        if not path.lower().endswith(".npy"):
            problems.append(f"{where}.arrays.{name}: must be a .npy file. Received: {path!r}")
    if source.columns and source.kind != "csv":
        problems.append(f"{where}.columns: only a .csv file has columns")
    return problems


def _output_problems(name: str, out: OutputSetup, modules: tuple[CodeModule, ...]) -> list[str]:
    where = f"training.outputs.{name}"
    problems = []
    if isinstance(out.loss, CustomObject):
        if reason := ref_problem(out.loss.ref, modules):
            problems.append(f"{where}.loss: {reason}")
    elif out.loss is not None and out.loss != NO_LOSS:
        reason = _one_of("loss", out.loss, ACCEPTED_LOSSES, LOSSES)
        if reason:
            problems.append(f"{where}.loss: {reason} (or '{NO_LOSS}')")
    for metric in out.metrics or ():
        if isinstance(metric, CustomObject):
            reason = ref_problem(metric.ref, modules)
        else:
            reason = _one_of("metric", metric, ACCEPTED_METRICS, METRICS)
        if reason:
            problems.append(f"{where}.metrics: {reason}")
    if not _finite(out.loss_weight) or out.loss_weight < 0:
        problems.append(
            f"{where}.loss_weight: must be a number >= 0. Received: {out.loss_weight!r}"
        )
    return problems


#: Callbacks that write a file, and the field naming it (relative to the run's folder).
_WRITTEN_FILES = {"ModelCheckpoint": "filepath", "CSVLogger": "filename", "TensorBoard": "log_dir"}


def data_outside_folder(setup: TrainingSetup) -> list[str]:
    """Why each data file `setup` names would be read from outside the graph file's
    folder (an absolute path, or one with '..'); empty when none would.

    A graph file names its data beside it. A file received from someone else must not
    make a run read whatever it names on this machine, so data from elsewhere is given
    for a run by whoever starts it (`kgs train --data`, the studio's file picker or a
    confirmation there), never taken from the file unasked.
    """
    found = []
    for where, source in (("data", setup.data), ("validation_data", setup.validation_data)):
        for path in source.outside() if source is not None else ():
            found.append(
                f"training.{where}: {path!r} is outside the graph file's folder "
                "(absolute, or with '..')"
            )
    return found


def _callback_problems(
    g: ModelGraph, setup: TrainingSetup, targets: Mapping[str, str] | None
) -> list[str]:
    problems = []
    seen = set()
    logged = log_names(g, setup, targets)
    unnamed = any(
        "name" not in obj.args
        for where, obj in setup.custom_objects()
        if where.startswith("training.outputs")
    )
    for i, callback in enumerate(setup.callbacks):
        where = f"training.callbacks[{i}] ({callback.type})"
        if isinstance(callback, CustomCallback):
            if reason := ref_problem(callback.ref, setup.modules):
                problems.append(f"{where}.ref: {reason}")
            continue
        if callback.type in seen:
            problems.append(f"{where}: appears twice")
        seen.add(callback.type)
        if (
            isinstance(callback, TensorBoard)
            and callback.update_freq not in TENSORBOARD_FREQUENCIES
        ):
            problems.append(
                f"{where}.update_freq: must be one of {', '.join(TENSORBOARD_FREQUENCIES)}. "
                f"Received: {callback.update_freq!r}"
            )
        monitor = getattr(callback, "monitor", None)
        if monitor is not None and monitor not in logged:
            reason = None
            if monitor.startswith("val_") and not setup.has_validation:
                reason = "needs validation data (set validation_split or validation_data)"
            elif not unnamed:  # else a user metric may log under a name only its code knows
                reason = f"is not logged. Expected one of: {', '.join(logged)}"
            if reason:
                problems.append(f"{where}.monitor: {monitor!r} {reason}")
        field_name = _WRITTEN_FILES.get(callback.type)
        if field_name is not None and not inside_folder(path := getattr(callback, field_name)):
            problems.append(
                f"{where}.{field_name}: must be a path inside the run's folder "
                f"(relative, without '..'). Received: {path!r}"
            )
        if getattr(callback, "patience", 0) < 0:
            problems.append(f"{where}.patience: must be >= 0. Received: {callback.patience}")
        if isinstance(callback, ReduceLROnPlateau) and not 0 < callback.factor < 1:
            problems.append(
                f"{where}.factor: must be between 0 and 1. Received: {callback.factor!r}"
            )
    return problems


def setup_problems(
    g: ModelGraph, setup: TrainingSetup, targets: Mapping[str, str] | None = None
) -> list[str]:
    """Every problem of `setup` for graph `g`, each naming its field or output; the
    defaults inferred with the kinds of `targets` where known (see resolve)."""
    problems = []
    reason = _one_of("optimizer", setup.optimizer, OPTIMIZERS)
    if reason:
        problems.append(f"training.optimizer: {reason}")
    if not _finite(setup.learning_rate) or setup.learning_rate <= 0:
        problems.append(
            f"training.learning_rate: must be a number > 0. Received: {setup.learning_rate!r}"
        )
    for name in ("batch_size", "epochs"):
        if getattr(setup, name) < 1:
            problems.append(f"training.{name}: must be >= 1. Received: {getattr(setup, name)}")
    if setup.memory_budget is not None and setup.memory_budget < 1:
        problems.append(
            f"training.memory_budget: must be a number of bytes >= 1. "
            f"Received: {setup.memory_budget}"
        )
    if not _finite(setup.validation_split) or not 0 <= setup.validation_split < 1:
        problems.append(
            f"training.validation_split: must be >= 0 and < 1. Received: {setup.validation_split!r}"
        )
    names = output_names(g)
    for name in setup.outputs:
        if name not in names:
            problems.append(
                f"training.outputs.{name}: the model has no output named {name!r}. "
                f"Outputs: {', '.join(names) or '(none)'}"
            )
    resolved = resolve(g, setup, targets)
    problems.extend(module_problems(setup.modules, "training.modules"))
    for name, out in resolved.outputs.items():
        problems.extend(_output_problems(name, out, setup.modules))
    if names and all(out.loss == NO_LOSS for out in resolved.outputs.values()):
        problems.append("training.outputs: every output has loss 'none'; nothing to train")
    for where, source in (("data", setup.data), ("validation_data", setup.validation_data)):
        if source is not None:
            problems.extend(_data_problems(source, f"training.{where}"))
    problems.extend(_callback_problems(g, setup, targets))
    return problems


def check_setup(
    g: ModelGraph, setup: TrainingSetup, targets: Mapping[str, str] | None = None
) -> TrainingSetup:
    """`resolve(g, setup, targets)`, or TrainingSetupError listing every problem."""
    problems = setup_problems(g, setup, targets)
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise TrainingSetupError(f"training setup of graph '{g.name}' is not usable:\n{lines}")
    return resolve(g, setup, targets)
