"""Training data checked against the model, before any training starts.

`load_data` reads a DataSource and checks every array against the graph and its
resolved training setup: a missing key, a wrong shape or dtype, labels out of range,
NaN values, sample counts that differ. All problems are collected into one
`DataError`, each naming the file and key, so a user fixes them in one go. What
passes comes back as `TrainingData`, cast to the dtypes the model takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from codegen.build import checked_report
from codegen.training.errors import DataError
from codegen.training.files import Found, read_source
from graph import ModelGraph, Report
from graph.shapes import Shape, fmt
from graph.training import NO_LOSS, SPARSE_LOSSES, DataSource, OutputSetup, TrainingSetup

#: What a single-input, single-output model's arrays may also be called.
ALIASES = ("x", "y")


@dataclass(frozen=True)
class TrainingData:
    """Arrays by the model's input and output names, checked and cast.

    `targets` holds None for an output without a loss or metrics and without data.
    """

    inputs: dict[str, np.ndarray]
    targets: dict[str, np.ndarray | None]

    @property
    def samples(self) -> int:
        return len(next(iter(self.inputs.values())))

    def x(self) -> Any:
        """The inputs as Keras takes them: one array, or a list in input order."""
        arrays = list(self.inputs.values())
        return arrays[0] if len(arrays) == 1 else arrays

    def y(self) -> Any:
        """The targets in output order; an output without targets gets a placeholder
        (its loss is None, so Keras never reads it)."""
        placeholder = np.zeros((self.samples, 1), np.float32)
        arrays = [placeholder if a is None else a for a in self.targets.values()]
        return arrays[0] if len(arrays) == 1 else arrays

    def rows(self, start: int, stop: int | None = None) -> TrainingData:
        """The samples start:stop."""
        return TrainingData(
            {k: a[start:stop] for k, a in self.inputs.items()},
            {k: None if a is None else a[start:stop] for k, a in self.targets.items()},
        )

    def split(self, fraction: float) -> tuple[TrainingData, TrainingData]:
        """(training, validation): the last `fraction` of the samples validate, as
        Keras's `validation_split` takes them (no shuffling)."""
        cut = int(self.samples * (1 - fraction))
        if not 0 < cut < self.samples:
            raise DataError(
                [f"too few samples ({self.samples}) to keep {fraction:g} of them for validation"]
            )
        return self.rows(0, cut), self.rows(cut)


def _expected(shape: Shape) -> str:
    return fmt(("N", *shape[1:]))


def _fits(array: np.ndarray, shape: Shape) -> bool:
    return array.ndim == len(shape) and all(
        d is None or d == a for d, a in zip(shape[1:], array.shape[1:], strict=True)
    )


class _Checker:
    """One check of named arrays against a model; collects problems."""

    def __init__(self, g: ModelGraph, report: Report, found: dict[str, Found], what: str):
        self.g = g
        self.report = report
        self.found = found
        self.what = what
        self.problems: list[str] = []
        self.single_io = len(g.inputs) == 1 and len(g.outputs) == 1

    def lookup(self, name: str, alias: str) -> Found | None:
        if name in self.found:
            return self.found[name]
        return self.found.get(alias) if self.single_io else None

    def missing(self, kind: str, name: str, alias: str, why: str = "") -> None:
        keys = f"'{name}'" + (f" or '{alias}'" if self.single_io else "")
        available = ", ".join(f"'{k}'" for k in self.found) or "none"
        self.problems.append(
            f"{self.what}: no array for {kind} '{name}'{why} (looked for {keys}; found {available})"
        )

    def numeric(self, item: Found) -> bool:
        if item.array.dtype.kind in "biuf":
            return True
        self.problems.append(
            f"{item.origin}: dtype {item.array.dtype} is not numeric; expected numbers"
        )
        return False

    def finite(self, item: Found, array: np.ndarray) -> bool:
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            self.problems.append(f"{item.origin}: contains NaN or infinite values")
            return False
        return True

    def input(self, node_id: str) -> np.ndarray | None:
        name = self.g.layer(node_id).name
        item = self.lookup(name, ALIASES[0])
        if item is None:
            self.missing("input", name, ALIASES[0])
            return None
        inferred = self.report.nodes[node_id]
        array = item.array
        if not self.numeric(item):
            return None
        fixed = all(d is not None for d in inferred.shape[1:])
        if item.flat and fixed and array.ndim == 2:
            size = int(np.prod(inferred.shape[1:], dtype=np.int64))
            if array.shape[1] == size:
                array = array.reshape((len(array), *inferred.shape[1:]))
        if not _fits(array, inferred.shape):
            self.problems.append(
                f"{item.origin}: shape {fmt(item.array.shape)} does not fit input '{name}'; "
                f"expected {_expected(inferred.shape)}"
            )
            return None
        if not self.finite(item, array):
            return None
        if np.dtype(inferred.dtype).kind in "iu" and not _integral(array):
            self.problems.append(
                f"{item.origin}: input '{name}' takes {inferred.dtype}; found non-integer values"
            )
            return None
        return array.astype(inferred.dtype, copy=False)

    def target(self, node_id: str, out: OutputSetup) -> np.ndarray | None:
        name = self.g.layer(node_id).name
        item = self.lookup(name, ALIASES[1])
        if item is None:
            if out.loss != NO_LOSS:
                self.missing("output", name, ALIASES[1], f", needed by its loss {out.loss}")
            elif out.metrics:
                needs = f", needed by its metrics {', '.join(out.metrics)}"
                self.missing("output", name, ALIASES[1], needs)
            return None
        if not self.numeric(item) or not self.finite(item, item.array):
            return None
        shape = self.report.nodes[node_id].shape
        if out.loss in SPARSE_LOSSES:
            return self.labels(item, name, out.loss, shape)
        array = item.array
        if shape[-1] == 1 and array.ndim == len(shape) - 1:
            array = array[..., np.newaxis]
        if not _fits(array, shape):
            self.problems.append(
                f"{item.origin}: shape {fmt(item.array.shape)} does not fit output '{name}' "
                f"(loss {out.loss}); expected {_expected(shape)}"
            )
            return None
        if (
            out.loss == "binary_crossentropy"
            and array.size
            and (array.min() < 0 or array.max() > 1)
        ):
            self.problems.append(
                f"{item.origin}: binary_crossentropy needs targets from 0 to 1; "
                f"found {array.min():g} to {array.max():g}"
            )
            return None
        return array.astype(np.float32, copy=False)

    def labels(self, item: Found, name: str, loss: str, shape: Shape) -> np.ndarray | None:
        """Class indices for a sparse loss: shape (N, ...) or (N, ..., 1), 0 <= label < C."""
        array, classes = item.array, shape[-1]
        label_shape = shape[:-1]
        if _fits(array, (*label_shape, 1)):
            array = array[..., 0]
        if not _fits(array, label_shape):
            hint = ""
            if _fits(item.array, shape) and classes and classes > 1:
                hint = " (these look one-hot: use loss categorical_crossentropy)"
            self.problems.append(
                f"{item.origin}: shape {fmt(item.array.shape)} does not fit output '{name}' "
                f"(loss {loss}); expected class indices {_expected(label_shape)}{hint}"
            )
            return None
        if not _integral(array):
            self.problems.append(
                f"{item.origin}: {loss} needs integer class labels; found non-integer values"
            )
            return None
        if classes is not None and len(array) and (array.min() < 0 or array.max() >= classes):
            self.problems.append(
                f"{item.origin}: class labels must be from 0 to {classes - 1} for output "
                f"'{name}'; found {array.min():g} to {array.max():g}"
            )
            return None
        return array.astype(np.int32, copy=False)

    def counts(self, used: list[Found]) -> None:
        counts = {item.origin: len(item.array) for item in used if item.array.ndim}
        if len(set(counts.values())) > 1:
            listed = ", ".join(f"{origin} has {n}" for origin, n in counts.items())
            self.problems.append(f"{self.what}: sample counts differ: {listed}")
        elif counts and not next(iter(counts.values())):
            self.problems.append(f"{self.what}: no samples")


def _integral(array: np.ndarray) -> bool:
    return array.dtype.kind in "biu" or bool(np.all(np.mod(array, 1) == 0))


def check_arrays(
    found: dict[str, Found], g: ModelGraph, setup: TrainingSetup, what: str
) -> TrainingData:
    """Check `found` arrays against `g` and its resolved `setup`; DataError if unfit.

    `what` names the data in messages that concern no single key (e.g. the file).
    """
    report = checked_report(g)
    checker = _Checker(g, report, found, what)
    inputs = {g.layer(n).name: checker.input(n) for n in g.inputs}
    targets = {}
    for node_id in g.outputs:
        name = g.layer(node_id).name
        targets[name] = checker.target(node_id, setup.outputs[name])
    if not checker.problems:
        used = [checker.lookup(name, ALIASES[0]) for name in inputs]
        used += [checker.lookup(n, ALIASES[1]) for n, a in targets.items() if a is not None]
        checker.counts([item for item in used if item is not None])
    if checker.problems:
        raise DataError(checker.problems)
    return TrainingData(inputs, targets)


def load_data(
    source: DataSource, g: ModelGraph, setup: TrainingSetup, base: str | Path = "."
) -> TrainingData:
    """Read `source` and check it against `g` and its resolved `setup`."""
    inputs = [g.layer(n).name for n in g.inputs]
    outputs = [g.layer(n).name for n in g.outputs]
    found = read_source(source, Path(base), inputs, outputs)
    return check_arrays(found, g, setup, " + ".join(source.files()))
