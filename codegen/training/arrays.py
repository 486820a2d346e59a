"""Training arrays read from files and checked against a model's inputs and outputs.

This module is self-contained on purpose: it imports only the standard library and
numpy, never the project. `kgs train` and the studio use it through
`codegen.training.data`, and every generated training script carries its source,
copied verbatim by `codegen.training_script`, so a script checks its data with the
same code and the same messages as `kgs train`, and the two cannot drift apart.

The model is described by plain values (`ModelInput`, `ModelOutput`) rather than by
the graph. Every problem found is collected into one `DataError`, each naming the
file and key ("digits.npz, key 'digits'"), so a user fixes them in one go. Nothing
is unpickled: .npz and .npy files load with `allow_pickle=False`, so a file holding
Python objects is refused, never executed; and each array's header is checked
before numpy allocates it, so a header declaring more data than the file holds is
refused, naming the file and key, instead of exhausting memory.
"""

from __future__ import annotations

import csv
import math
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

#: What a single-input, single-output model's arrays may also be called.
ALIASES = ("x", "y")
#: The loss of an output trained by the other outputs only (graph.training.NO_LOSS).
NO_LOSS = "none"


class DataError(Exception):
    """Training data cannot be used; the message lists every problem with file and key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"the training data does not fit the model:\n{lines}")


@dataclass(frozen=True)
class ModelInput:
    """A model input as the data must fit it: its name, shape (batch axis first,
    None for a free axis) and the dtype it takes."""

    name: str
    shape: tuple[int | None, ...]
    dtype: str


@dataclass(frozen=True)
class ModelOutput:
    """A model output as its targets must fit it: its loss (NO_LOSS for an output
    trained by the others only) and metrics; `sparse` when the loss takes class indices."""

    name: str
    shape: tuple[int | None, ...]
    loss: str
    metrics: tuple[str, ...]
    sparse: bool


@dataclass(frozen=True)
class Found:
    """An array read from a file, and where: for messages and for flat .csv rows."""

    array: np.ndarray
    origin: str
    #: True for .csv columns: one row per sample, to be reshaped to the input's shape.
    flat: bool = False


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

    def x(self) -> np.ndarray | list[np.ndarray]:
        """The inputs as Keras takes them: one array, or a list in input order."""
        arrays = list(self.inputs.values())
        return arrays[0] if len(arrays) == 1 else arrays

    def y(self) -> np.ndarray | list[np.ndarray]:
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


# ------------------------------------------------------------------ reading


def _resolved(path: str, base: Path) -> Path:
    return Path(path) if os.path.isabs(path) else base / path


#: numpy's public header readers, by .npy format version. Version 3.0 differs from
#: 2.0 only by allowing UTF-8 field names, which arrays of numbers never have.
_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}
#: The most one byte of deflate data can expand to (zlib's limit is about 1032:1).
_DEFLATE_RATIO = 1032


def _check_header(stream: IO[bytes], size: int, origin: str) -> None:
    """Refuse the array `stream` begins with, before numpy allocates it, if its header
    declares Python objects or more data than the `size` bytes of the file can hold.

    numpy trusts the header: a file of a few bytes declaring shape (10**12,) made it
    allocate 4 TB and fail with a MemoryError traceback.
    """
    try:
        version = np.lib.format.read_magic(stream)
        reader = _HEADER_READERS.get(version)
        if reader is None:
            raise ValueError(f"format version {version[0]}.{version[1]}; expected 1.0 or 2.0")
        shape, _, dtype = reader(stream)
    except ValueError as e:
        raise DataError([f"{origin}: not a numpy array file ({e})"]) from None
    if dtype.hasobject:
        raise DataError([f"{origin}: holds Python objects, not numbers"])
    if min(shape, default=0) < 0:
        raise DataError([f"{origin}: its header declares a negative dimension: shape {shape}"])
    declared = math.prod(shape) * dtype.itemsize
    held = size - stream.tell()
    if declared > held:
        raise DataError(
            [
                f"{origin}: its header declares an array of shape {shape} and dtype {dtype} "
                f"({declared:,} bytes), but the file holds {held:,} bytes of data"
            ]
        )


def _member_size(info: zipfile.ZipInfo) -> int:
    """The most bytes an .npz member can hold: its declared size, and no more than
    its stored bytes can expand to (a zip bomb declares what it likes)."""
    if info.compress_type == zipfile.ZIP_STORED:
        return min(info.file_size, info.compress_size)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return min(info.file_size, info.compress_size * _DEFLATE_RATIO)
    return info.file_size


def _load_npy(path: Path, origin: str) -> np.ndarray:
    try:
        with open(path, "rb") as f:
            _check_header(f, os.fstat(f.fileno()).st_size, origin)
            f.seek(0)
            return np.load(f, allow_pickle=False)
    except FileNotFoundError:
        raise DataError([f"{path}: no such file"]) from None
    except ValueError as e:
        raise DataError([f"{origin}: not a numpy array file ({e})"]) from None
    except OSError as e:
        raise DataError([f"{origin}: cannot read ({e})"]) from None


def read_npz(path: Path) -> dict[str, Found]:
    """Every array of an .npz archive, by key; each member's header is checked first."""
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataError([f"{path}: no such file"]) from None
    except (OSError, ValueError, zipfile.BadZipFile) as e:
        raise DataError([f"{path}: not an .npz archive ({e})"]) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError([f"{path}: holds a single array, not an .npz archive of named arrays"])
    found = {}
    with archive:
        members = set(archive.zip.namelist())
        for key in archive.files:
            origin = f"{path}, key '{key}'"
            # The member numpy reads for `key` (NpzFile.__getitem__): itself, else key.npy.
            info = archive.zip.getinfo(key if key in members else f"{key}.npy")
            try:
                with archive.zip.open(info) as stream:
                    _check_header(stream, _member_size(info), origin)
                found[key] = Found(archive[key], origin)
            except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:
                raise DataError([f"{origin}: cannot read ({e})"]) from None
    return found


def read_npy(arrays: dict[str, str], base: Path) -> dict[str, Found]:
    """One array per .npy file, by the name it is given."""
    found = {}
    for name, file in arrays.items():
        path = _resolved(file, base)
        found[name] = Found(_load_npy(path, str(path)), str(path))
    return found


def _numbers(path: Path, header: list[str], rows: list[list[str]]) -> np.ndarray:
    for i, row in enumerate(rows):
        if len(row) != len(header):
            raise DataError(
                [f"{path}, line {i + 2}: has {len(row)} values; the header has {len(header)}"]
            )
    try:
        return np.array(rows, dtype=np.float64).reshape(len(rows), len(header))
    except ValueError:
        pass
    for i, row in enumerate(rows):
        for column, cell in zip(header, row, strict=True):
            try:
                float(cell)
            except ValueError:
                raise DataError(
                    [f"{path}, line {i + 2}, column '{column}': not a number: {cell!r}"]
                ) from None
    raise AssertionError("unreachable: some cell failed to convert")


def read_csv(
    path: Path, columns: dict[str, tuple[str, ...]], inputs: list[str], outputs: list[str]
) -> dict[str, Found]:
    """Arrays of a .csv file with a header row, by input and output name.

    `columns` maps a name to its columns; a name without a mapping takes the column
    of that name, and a single input without one takes every column not used.
    """
    try:
        with path.open(newline="", encoding="utf-8") as f:
            table = list(csv.reader(f))
    except FileNotFoundError:
        raise DataError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise DataError([f"{path}: cannot read as CSV ({e})"]) from None
    if not table:
        raise DataError([f"{path}: empty; expected a header row of column names"])
    header, rows = table[0], [row for row in table[1:] if row]
    values = _numbers(path, header, rows)
    mapping = {name: tuple(cols) for name, cols in columns.items()}
    for name in [*inputs, *outputs]:
        if name not in mapping and name in header:
            mapping[name] = (name,)
    unmapped = [name for name in inputs if name not in mapping]
    if len(inputs) == 1 and unmapped:
        used = {col for cols in mapping.values() for col in cols}
        mapping[inputs[0]] = tuple(col for col in header if col not in used)
    found = {}
    for name, cols in mapping.items():
        missing = [col for col in cols if col not in header]
        if missing:
            raise DataError([f"{path}: no column '{missing[0]}' (mapped to '{name}')"])
        index = [header.index(col) for col in cols]
        origin = f"{path}, column{'s' if len(cols) > 1 else ''} {', '.join(cols)}"
        found[name] = Found(values[:, index], origin, flat=True)
    return found


def read_arrays(
    path: str | None,
    arrays: dict[str, str],
    columns: dict[str, tuple[str, ...]],
    base: Path,
    inputs: list[str],
    outputs: list[str],
) -> dict[str, Found]:
    """The arrays of an .npz or .csv file (`path`), else of .npy files by name
    (`arrays`), by key; relative paths are relative to `base`."""
    if path is None:
        return read_npy(arrays, base)
    if Path(path).suffix.lower() == ".csv":
        return read_csv(_resolved(path, base), columns, inputs, outputs)
    return read_npz(_resolved(path, base))


# ------------------------------------------------------------------ checking


def _shape_text(shape: tuple) -> str:
    """A shape as Keras prints it: (None, 28, 28, 1)."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def _expected(shape: tuple) -> str:
    return _shape_text(("N", *shape[1:]))


def _fits(array: np.ndarray, shape: tuple) -> bool:
    return array.ndim == len(shape) and all(
        d is None or d == a for d, a in zip(shape[1:], array.shape[1:], strict=True)
    )


def _integral(array: np.ndarray) -> bool:
    return array.dtype.kind in "biu" or bool(np.all(np.mod(array, 1) == 0))


class _Checker:
    """One check of named arrays against a model; collects problems."""

    def __init__(self, found: dict[str, Found], single_io: bool, what: str):
        self.found = found
        self.what = what
        self.problems: list[str] = []
        self.single_io = single_io

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

    def input(self, model_input: ModelInput) -> np.ndarray | None:
        name, shape = model_input.name, model_input.shape
        item = self.lookup(name, ALIASES[0])
        if item is None:
            self.missing("input", name, ALIASES[0])
            return None
        array = item.array
        if not self.numeric(item):
            return None
        fixed = all(d is not None for d in shape[1:])
        if item.flat and fixed and array.ndim == 2:
            size = int(np.prod(shape[1:], dtype=np.int64))
            if array.shape[1] == size:
                array = array.reshape((len(array), *shape[1:]))
        if not _fits(array, shape):
            self.problems.append(
                f"{item.origin}: shape {_shape_text(item.array.shape)} does not fit input "
                f"'{name}'; expected {_expected(shape)}"
            )
            return None
        if not self.finite(item, array):
            return None
        if np.dtype(model_input.dtype).kind in "iu" and not _integral(array):
            self.problems.append(
                f"{item.origin}: input '{name}' takes {model_input.dtype}; found non-integer values"
            )
            return None
        return array.astype(model_input.dtype, copy=False)

    def target(self, out: ModelOutput) -> np.ndarray | None:
        name, shape = out.name, out.shape
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
        if out.sparse:
            return self.labels(item, out)
        array = item.array
        if shape[-1] == 1 and array.ndim == len(shape) - 1:
            array = array[..., np.newaxis]
        if not _fits(array, shape):
            self.problems.append(
                f"{item.origin}: shape {_shape_text(item.array.shape)} does not fit output "
                f"'{name}' (loss {out.loss}); expected {_expected(shape)}"
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

    def labels(self, item: Found, out: ModelOutput) -> np.ndarray | None:
        """Class indices for a sparse loss: shape (N, ...) or (N, ..., 1), 0 <= label < C."""
        array, classes = item.array, out.shape[-1]
        label_shape = out.shape[:-1]
        if _fits(array, (*label_shape, 1)):
            array = array[..., 0]
        if not _fits(array, label_shape):
            hint = ""
            if _fits(item.array, out.shape) and classes and classes > 1:
                hint = " (these look one-hot: use loss categorical_crossentropy)"
            self.problems.append(
                f"{item.origin}: shape {_shape_text(item.array.shape)} does not fit output "
                f"'{out.name}' (loss {out.loss}); expected class indices "
                f"{_expected(label_shape)}{hint}"
            )
            return None
        if not _integral(array):
            self.problems.append(
                f"{item.origin}: {out.loss} needs integer class labels; found non-integer values"
            )
            return None
        if classes is not None and len(array) and (array.min() < 0 or array.max() >= classes):
            self.problems.append(
                f"{item.origin}: class labels must be from 0 to {classes - 1} for output "
                f"'{out.name}'; found {array.min():g} to {array.max():g}"
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


def check_found(
    found: dict[str, Found],
    inputs: tuple[ModelInput, ...],
    outputs: tuple[ModelOutput, ...],
    what: str,
) -> TrainingData:
    """Check `found` arrays against a model's `inputs` and `outputs`; DataError if unfit.

    `what` names the data in messages that concern no single key (e.g. the file).
    """
    checker = _Checker(found, len(inputs) == 1 and len(outputs) == 1, what)
    arrays = {i.name: checker.input(i) for i in inputs}
    targets = {out.name: checker.target(out) for out in outputs}
    if not checker.problems:
        used = [checker.lookup(name, ALIASES[0]) for name in arrays]
        used += [checker.lookup(n, ALIASES[1]) for n, a in targets.items() if a is not None]
        checker.counts([item for item in used if item is not None])
    if checker.problems:
        raise DataError(checker.problems)
    return TrainingData(arrays, targets)
