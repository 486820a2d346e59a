"""Reading the arrays a DataSource names: .npz archives, .npy files and .csv tables.

Only reads; whether the arrays fit the model is `codegen.training.data`'s job. Every
array comes with where it was found ("digits.npz, key 'digits'"), so a later message
can point at it. Nothing is unpickled: .npz and .npy files load with
`allow_pickle=False`, so a file holding Python objects is refused, never executed.
"""

from __future__ import annotations

import csv
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from codegen.training.errors import DataError
from graph.training import DataSource


@dataclass(frozen=True)
class Found:
    """An array read from a file, and where: for messages and for flat .csv rows."""

    array: np.ndarray
    origin: str
    #: True for .csv columns: one row per sample, to be reshaped to the input's shape.
    flat: bool = False


def _resolved(path: str, base: Path) -> Path:
    return Path(path) if os.path.isabs(path) else base / path


def _load_npy(path: Path, origin: str) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DataError([f"{path}: no such file"]) from None
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise DataError([f"{origin}: holds Python objects, not numbers"]) from None
        raise DataError([f"{origin}: not a numpy array file ({e})"]) from None
    except OSError as e:
        raise DataError([f"{origin}: cannot read ({e})"]) from None


def read_npz(path: Path) -> dict[str, Found]:
    """Every array of an .npz archive, by key."""
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
        for key in archive.files:
            origin = f"{path}, key '{key}'"
            try:
                found[key] = Found(archive[key], origin)
            except ValueError as e:
                reason = "holds Python objects, not numbers" if "allow_pickle" in str(e) else e
                raise DataError([f"{origin}: {reason}"]) from None
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


def read_source(
    source: DataSource, base: Path, inputs: list[str], outputs: list[str]
) -> dict[str, Found]:
    """The arrays `source` names, by key; relative paths are relative to `base`."""
    if source.path is None:
        return read_npy(dict(source.arrays), base)
    path = _resolved(source.path, base)
    if source.kind == "csv":
        return read_csv(path, dict(source.columns), inputs, outputs)
    return read_npz(path)
