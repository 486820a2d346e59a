"""Checking where a command will write, before it does any work.

A folder given where a file is, a path beneath a regular file or a folder that
cannot be written would otherwise surface as a traceback from deep inside a writer,
possibly after a whole training run; these checks name the path up front instead.
"""

from __future__ import annotations

import os
from pathlib import Path


class OutputError(OSError):
    """An output location that cannot be created or written; the message names it."""


def ensure_folder(folder: Path) -> None:
    """Create `folder` (and its parents) if missing and check that it can be written.

    Raises OutputError naming `folder`, and the file in the way when one is.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        blocker = next(
            (p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None
        )
        if blocker is not None:
            raise OutputError(
                f"cannot use {folder} as the output folder: {blocker} is a file, not a folder"
            ) from None
        raise OutputError(f"cannot create the output folder {folder}: {e.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write in the output folder {folder}: permission denied")


def ensure_file_place(path: Path) -> None:
    """Check that the file `path` can be written: not a folder, in a folder that exists
    (created here if missing) and can be written. Raises OutputError naming it."""
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder, not a file")
    ensure_folder(path.parent)
