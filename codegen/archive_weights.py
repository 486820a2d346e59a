"""The trained weights of a `.keras` file, read without trusting the file.

`codegen.keras_safety.load_checked` builds the model from the file's checked config
with fresh weights. Its trained weights are in the archive's model.weights.h5, in
Keras's own layout (layers keyed by class name and position). Before Keras reads it,
that file is held to the layout Keras itself writes for this very model: the model's
fresh weights are saved to a scratch file, and the archive's must have exactly its
datasets, each with the same shape and dtype, plain and in the file (no links, no
external storage, no filters: graph.weightsfile.plain_datasets). So nothing is read
that the model would not allocate anyway, and only then does `model.load_weights` run.

A model saved after training also holds its optimizer's state there (`optimizer/...`:
Adam keeps two slots per weight). The graph keeps no training state and the model is
built without an optimizer, so those datasets are never read; the entry's size may
take them into account, up to OPTIMIZER_SLOTS_AT_MOST slots per weight.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from graph import GraphFileError
from graph.weightsfile import plain_datasets

WEIGHTS_ENTRY = "model.weights.h5"
#: What the archive's weights file may exceed the scratch file by (HDF5 metadata).
_SLACK_BYTES = 1 << 20
#: The most slots per weight a Keras optimizer keeps (Adam with amsgrad: m, v, v_hat).
OPTIMIZER_SLOTS_AT_MOST = 3
#: The group of a saved model's optimizer state in its weights file.
_OPTIMIZER = "optimizer/"


def load_archive_weights(model: Any, path: Path) -> bool:
    """Load the trained weights of the `.keras` file at `path` into `model` (built from
    its config); False when the archive holds no model.weights.h5 (the model keeps its
    fresh weights). Raises GraphFileError naming the file when its weights are not
    what Keras writes for this model."""
    with tempfile.TemporaryDirectory(prefix="kgs-weights-") as scratch:
        fresh = Path(scratch) / "fresh.weights.h5"
        model.save_weights(fresh)
        limit = (1 + OPTIMIZER_SLOTS_AT_MOST) * fresh.stat().st_size + _SLACK_BYTES
        stored = Path(scratch) / "stored.weights.h5"
        if not _extract(path, stored, limit):
            return False
        _check_layout(path, stored, fresh)
        model.load_weights(stored)
    return True


def _extract(path: Path, target: Path, limit: int) -> bool:
    """Copy the archive's weights entry to `target`, refusing one over `limit` bytes."""
    try:
        with zipfile.ZipFile(path) as archive:
            try:
                info = archive.getinfo(WEIGHTS_ENTRY)
            except KeyError:
                return False
            if info.file_size > limit:
                raise GraphFileError(
                    path,
                    f"{WEIGHTS_ENTRY} declares {info.file_size:,} bytes, more than this "
                    f"model's weights need ({limit:,} at most); refused",
                )
            with archive.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    except (OSError, zipfile.BadZipFile) as e:
        raise GraphFileError(path, f"cannot read {WEIGHTS_ENTRY}: {e}") from e
    return True


def _check_layout(path: Path, stored: Path, fresh: Path) -> None:
    """Refuse `stored` (from the archive at `path`) unless it holds exactly the datasets
    of `fresh`, with their shapes and dtypes, besides an optimizer's state."""
    import h5py

    def layout(file: Path) -> dict[str, tuple]:
        with h5py.File(file, "r") as f:
            return {k: (d.shape, d.dtype.str) for k, d in plain_datasets(path, f).items()}

    try:
        want, got = layout(fresh), layout(stored)
    except OSError as e:
        raise GraphFileError(path, f"{WEIGHTS_ENTRY} is not a readable HDF5 file: {e}") from e
    got = {k: v for k, v in got.items() if not k.startswith(_OPTIMIZER)}
    if got == want:
        return
    differs = sorted(k for k in want.keys() & got.keys() if want[k] != got[k])
    extra, missing = sorted(got.keys() - want.keys()), sorted(want.keys() - got.keys())
    detail = "; ".join(
        [
            f"{k}: {list(got[k][0])} {got[k][1]}, the model has {list(want[k][0])}"
            for k in differs[:3]
        ]
        + [f"not in the model: {', '.join(extra[:3])}"] * bool(extra)
        + [f"missing: {', '.join(missing[:3])}"] * bool(missing)
    )
    raise GraphFileError(
        path,
        f"{WEIGHTS_ENTRY} does not hold the weights of the model its config describes "
        f"({detail}); refused before reading them",
    )
