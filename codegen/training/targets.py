"""What each output's training targets look like, so that default losses fit the data.

An output's default loss follows its activation and, where the data is known, its
targets (`graph.training.default_loss`): a sigmoid output trained on 0/1 labels gets
binary cross-entropy, one trained on values spread over [0, 1] (the ticket model's
priority) mean squared error, as the book does; a softmax output gets categorical
cross-entropy for one-hot rows and the sparse one for class indices. This module reads
that kind off the arrays for `graph.training.resolve`. Whatever cannot be read is left
out, and the activation alone decides, as without data.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from codegen.training.arrays import ALIASES, DataError, Found
from codegen.training.data import read_source
from graph import ModelGraph
from graph.training import CONTINUOUS, INTEGERS, ONE_HOT, ZERO_ONE, DataSource


def target_kind(array: np.ndarray) -> str | None:
    """ZERO_ONE, ONE_HOT, INTEGERS or CONTINUOUS for numeric `array` (samples first);
    None when it holds no numbers to judge by."""
    if array.dtype.kind not in "biuf" or array.size == 0:
        return None
    if not np.isfinite(array).all():
        return None  # the data check reports it
    if np.isin(array, (0, 1)).all():
        one_hot = array.ndim >= 2 and array.shape[-1] > 1 and (array.sum(axis=-1) == 1).all()
        return ONE_HOT if one_hot else ZERO_ONE
    return INTEGERS if (array == np.round(array)).all() else CONTINUOUS


def target_kinds(targets: Mapping[str, np.ndarray | None]) -> dict[str, str]:
    """The kind of each output's targets, by output name (outputs without any left out)."""
    kinds = {}
    for name, array in targets.items():
        kind = None if array is None else target_kind(np.asarray(array))
        if kind is not None:
            kinds[name] = kind
    return kinds


def found_target_kinds(found: Mapping[str, Found], g: ModelGraph) -> dict[str, str]:
    """The kind of each output's targets among arrays read from a file, looked up as
    the data check looks them up (by the output's name, or 'y' for a model with one
    input and one output)."""
    outputs = [g.layer(n).name for n in g.outputs]
    single_io = len(g.inputs) == 1 and len(outputs) == 1
    arrays = {}
    for name in outputs:
        item = found.get(name)
        if item is None and single_io:
            item = found.get(ALIASES[1])
        arrays[name] = None if item is None else item.array
    return target_kinds(arrays)


#: source_target_kinds's answers by what they depend on; a few files at a time.
_remembered: dict[tuple, dict[str, str]] = {}


def source_target_kinds(source: DataSource | None, g: ModelGraph, base: Path) -> dict[str, str]:
    """The kind of each output's targets in the data `source` names (relative paths
    from `base`); empty when there is no source or it cannot be read (the data check
    says why when training starts). Remembered while the files stay as they are: the
    studio asks on every change of the setup."""
    if source is None:
        return {}
    inputs = [g.layer(n).name for n in g.inputs]
    outputs = [g.layer(n).name for n in g.outputs]
    try:
        stats = [(base / f).resolve().stat() for f in source.files()]
    except OSError:
        return {}
    key = (
        str(base.resolve()),
        source.path,
        tuple(source.arrays.items()),
        tuple(source.columns.items()),
        tuple((s.st_ino, s.st_mtime_ns, s.st_size) for s in stats),
        tuple(inputs),
        tuple(outputs),
    )
    if key not in _remembered:
        try:
            found = read_source(source, base, inputs, outputs)
        except (DataError, OSError, ValueError):
            return {}
        if len(_remembered) >= 8:
            _remembered.clear()
        _remembered[key] = found_target_kinds(found, g)
    return dict(_remembered[key])
