"""Copying a graph's weights sidecar beside the file the graph is saved as.

A graph file names its sidecar by a plain file name in its own folder (graph.weights),
so saving the graph into another folder or under another name would leave the record
pointing at a sidecar that is not there. The copy is written atomically under the new
graph file's usual sidecar name (its own, so that training one graph later never
rewrites the other's weights), and its bytes are checked against the record's sha256
while they are copied: a sidecar that does not match is refused, never carried along.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

from graph.atomicfile import atomic_path
from graph.weights import WeightsRecord
from graph.weightsfile import WeightsFileError, sidecar_name

_CHUNK = 1 << 20


def copy_sidecar(
    record: WeightsRecord, source_graph: str | os.PathLike, target_graph: str | os.PathLike
) -> WeightsRecord:
    """Copy the sidecar that `record` names beside the graph file `source_graph` to
    the usual sidecar of `target_graph`; returns the record pointing at the copy.
    Raises WeightsFileError naming the sidecar when it is missing or does not match."""
    source = Path(source_graph).parent / record.file
    name = sidecar_name(target_graph)
    target = Path(target_graph).parent / name
    if target.resolve() == source.resolve():
        return record
    digest = hashlib.sha256()
    try:
        with atomic_path(target) as tmp, open(source, "rb") as src, open(tmp, "wb") as dst:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                dst.write(chunk)
            if digest.hexdigest() != record.sha256:
                raise WeightsFileError(
                    source,
                    f"does not match its graph file {Path(source_graph).name} (changed or "
                    f"from another graph): not copied beside {Path(target_graph).name}",
                )
    except OSError as e:
        raise WeightsFileError(source, f"cannot copy to {target}: {e.strerror or e}") from None
    return dataclasses.replace(record, file=name)
