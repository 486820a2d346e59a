"""The weights sidecar: a graph's trained weights in an HDF5 file beside the graph file.

HDF5 holds arrays and nothing that runs: no pickle, no code, no class names. The file
is keyed by layer name (not Keras's own `.weights.h5` layout, which keys layers by
class name and position, so a renamed or reordered graph would mix them up; Keras's
`model.load_weights` refuses this file, it never loads it half):

    /              attrs: format = "keras-graph-studio.weights", version = 1
    /layers/<layer name>/0, 1, ...   the layer's weights, in Keras's `layer.weights` order
    /layers/<use>/<layer name>/0, ...   those of a layer inside a block use (its key
                                        in the record `use/layer name`)

The graph file records the sidecar (graph.weights): its name, its sha256 and each
layer's weight shapes. Reading trusts neither file. Before a byte of data is read:

- the sidecar's sha256 must equal the record's, else it is refused naming the file;
- every link must be a plain (hard) link, every dataset a plain numeric array stored in
  the file itself (no external or virtual storage, no filters), with exactly the
  shape the record declares, and the sidecar must hold exactly the recorded layers;
- the data cannot exceed the file's own size, and only layers whose recorded size is
  the size the graph itself infers for them are read: a hostile record or sidecar
  declaring a huge array is refused, or left unread, without allocating it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.atomicfile import atomic_path
from graph.errors import GraphFileError
from graph.model import ModelGraph
from graph.validate import validate
from graph.weights import Shapes, WeightsRecord, saved_sizes, top_name

FORMAT = "keras-graph-studio.weights"
VERSION = 1
SUFFIX = ".weights.h5"
_LAYERS = "layers"
#: Array kinds a weight may have: bool, signed and unsigned integers, floats.
_KINDS = "biuf"
_CHUNK = 1 << 20


class WeightsFileError(GraphFileError):
    """A weights sidecar is missing, does not match its graph file, or is malformed;
    the message names the sidecar."""


@dataclass
class SavedWeights:
    """The weights read from a graph's sidecar, ready to be put into its layers."""

    #: The sidecar read, and the record it was checked against.
    path: Path
    record: WeightsRecord
    #: Per layer name: its arrays, in Keras's `layer.weights` order.
    arrays: dict[str, list[Any]] = field(default_factory=dict)
    #: Per recorded layer left unread: why (not in the graph, or another size now).
    unread: dict[str, str] = field(default_factory=dict)


def sidecar_name(graph_path: str | os.PathLike) -> str:
    """The sidecar's file name for a graph file: `model.graph.json` -> `model.weights.h5`."""
    name = Path(graph_path).name
    for suffix in (".graph.json", ".json"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)] + SUFFIX
    return name + SUFFIX


def write_sidecar(path: str | os.PathLike, weights: Mapping[str, Sequence[Any]]) -> WeightsRecord:
    """Write `weights` (per layer name, its arrays) to the sidecar `path` atomically;
    returns the record the graph file keeps of it (file name, sha256, shapes)."""
    import h5py
    import numpy as np

    path = Path(path)
    shapes: dict[str, Shapes] = {}
    try:
        with atomic_path(path) as tmp:
            with h5py.File(tmp, "w", track_order=True) as f:
                f.attrs["format"] = FORMAT
                f.attrs["version"] = VERSION
                layers = f.create_group(_LAYERS, track_order=True)
                for name, arrays in weights.items():
                    group = layers.create_group(name, track_order=True)
                    for i, array in enumerate(arrays):
                        group.create_dataset(str(i), data=np.asarray(array), track_times=False)
                    shapes[name] = tuple(tuple(np.shape(a)) for a in arrays)
            digest = _sha256(tmp)
    except OSError as e:
        raise WeightsFileError(path, f"cannot write: {e.strerror or e}") from None
    return WeightsRecord(path.name, digest, shapes)


def read_sidecar(g: ModelGraph, graph_path: str | os.PathLike) -> SavedWeights | None:
    """The weights of `g`'s sidecar (None when `g` records none), checked as the module
    docstring says. Raises WeightsFileError naming the sidecar when it cannot be used."""
    record = g.weights
    if record is None:
        return None
    path = Path(graph_path).parent / record.file
    digest = _sha256(path)
    if digest != record.sha256:
        raise WeightsFileError(
            path,
            f"does not match its graph file {Path(graph_path).name}: its sha256 is "
            f"{digest[:16]}..., the graph file records {record.sha256[:16]}... (changed "
            "or from another graph); refused, none of its weights is used",
        )
    saved = SavedWeights(path, record)
    wanted = _layers_to_read(g, record, saved.unread)
    import h5py

    try:
        with h5py.File(path, "r") as f:
            datasets = _checked_datasets(path, f, record)
            total = sum(d.size * d.dtype.itemsize for sets in datasets.values() for d in sets)
            if total > path.stat().st_size:
                raise WeightsFileError(
                    path, f"declares {total:,} bytes of weights, more than the file holds"
                )
            for name in wanted:
                saved.arrays[name] = [d[()] for d in datasets[name]]
    except OSError as e:
        raise WeightsFileError(path, f"not a readable HDF5 weights file: {e}") from None
    return saved


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    except OSError as e:
        raise WeightsFileError(path, f"cannot read: {e.strerror or e}") from None
    return digest.hexdigest()


def _layers_to_read(g: ModelGraph, record: WeightsRecord, unread: dict[str, str]) -> list[str]:
    """The recorded layers whose recorded size is what the graph infers for them now
    (a block use's layers: the use's); the others go to `unread` with why."""
    report = validate(g)
    counts = {}
    for layer_id, layer in g.layers():
        sites = g.layer_sites(layer_id)
        result = report.nodes.get(sites[0]) if sites else None
        counts[layer.name] = None if result is None else result.params
    sizes = saved_sizes(record)
    wanted = []
    for key in record.layers:
        name = top_name(key)
        if name not in counts:
            unread[key] = "the graph has no layer of that name"
        elif counts[name] != sizes[name]:
            now = "an unknown number of" if counts[name] is None else f"{counts[name]:,}"
            unread[key] = f"saved with {sizes[name]:,} weights, the graph infers {now} now"
        else:
            wanted.append(key)
    return wanted


def _checked_datasets(path: Path, f: Any, record: WeightsRecord) -> dict[str, list[Any]]:
    """Per recorded layer, its datasets, each checked against the record (see the module
    docstring); raises WeightsFileError naming the first that is not as recorded."""
    if f.attrs.get("format") != FORMAT:
        raise WeightsFileError(
            path, f"not a Keras Graph Studio weights file (format {FORMAT!r} expected)"
        )
    datasets = plain_datasets(path, f)
    expected = {
        f"{_LAYERS}/{name}/{i}": shape
        for name, shapes in record.layers.items()
        for i, shape in enumerate(shapes)
    }
    if set(datasets) != set(expected):
        extra = sorted(set(datasets) - set(expected))[:3]
        missing = sorted(set(expected) - set(datasets))[:3]
        raise WeightsFileError(
            path,
            f"holds other weights than the graph file records (not recorded: {extra}, "
            f"missing: {missing}); refused",
        )
    for where, shape in expected.items():
        if datasets[where].shape != shape:
            raise WeightsFileError(
                path,
                f"{where}: declares shape {list(datasets[where].shape)}, the graph file "
                f"records {list(shape)}; refused before reading it",
            )
    return {
        name: [datasets[f"{_LAYERS}/{name}/{i}"] for i in range(len(shapes))]
        for name, shapes in record.layers.items()
    }


def plain_datasets(path: Path, f: Any) -> dict[str, Any]:
    """Every dataset of the open HDF5 file `f` (the file at `path`), by its path.

    Raises WeightsFileError naming `path` and the member unless every member is a hard
    link (a soft or external link could point anywhere, another file included) to a
    group or to a plain numeric array stored in the file itself, unfiltered: then a
    dataset's data is its shape times its item size, all of it in the file.
    """
    import h5py

    found: dict[str, Any] = {}

    def walk(group: Any, prefix: str) -> None:
        for name in group:
            where = prefix + name
            link = group.get(name, getlink=True)
            if not isinstance(link, h5py.HardLink):
                raise WeightsFileError(
                    path, f"{where}: is a link ({type(link).__name__}), not a plain member; refused"
                )
            member = group[name]
            if isinstance(member, h5py.Group):
                walk(member, where + "/")
            elif isinstance(member, h5py.Dataset):
                _check_storage(path, where, member)
                found[where] = member
            else:
                raise WeightsFileError(path, f"{where}: is neither a group nor an array")

    walk(f, "")
    return found


def _check_storage(path: Path, where: str, dataset: Any) -> None:
    dtype = dataset.dtype
    if dtype.kind not in _KINDS or dtype.fields or dtype.subdtype or dtype.itemsize > 8:
        raise WeightsFileError(path, f"{where}: is not a plain numeric array (dtype {dtype})")
    if dataset.is_virtual or dataset.external:
        raise WeightsFileError(path, f"{where}: keeps its data outside the file; refused")
    if dataset.id.get_create_plist().get_nfilters():
        raise WeightsFileError(path, f"{where}: is stored compressed or filtered; refused")
