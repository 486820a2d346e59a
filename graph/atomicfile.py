"""Atomic file replacement: a crash mid-write leaves the old file whole."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write; when the block succeeds, it replaces `path`.

    The temporary file lies in a fresh folder beside `path` (same file system, so the
    move is atomic) and has `path`'s own name, since some writers insist on a suffix
    (Keras on `.keras`). Files written beside it (an ONNX model over 2 GB keeps its
    weights in `<name>.data`) are moved too, `path` last. Whatever writes there (our
    code, Keras, an exporter) never leaves a half-written `path`: on an exception the
    folder is removed and `path` is untouched. A replaced file keeps its permissions.
    """
    path = Path(path)
    folder = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    tmp = folder / path.name
    try:
        yield tmp
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        for name in sorted(os.listdir(folder), key=lambda name: name == path.name):
            os.replace(folder / name, path.parent / name)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
