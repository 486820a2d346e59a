"""Autosave and crash recovery: unsaved work copied aside, offered back after a crash.

Each open document autosaves to its own pair of files in one folder: the graph
(`<key>.graph.json`, the normal file format, written atomically) and a small
`<key>.json` record saying which file it stands for and when it was written. A clean
close or save removes the pair. A pair whose writer is no longer running was left by
a crash: `orphans()` lists those, newest first, for the app to offer back. Nothing
here imports Qt, so the logic is tested without a window.

Whether the writer still runs is told by a lock, not by its process id: the writer
holds an exclusive `flock` on `<key>.lock` for as long as its slot exists, and the
kernel drops it however the process ends. A process id says nothing once the system
has given it to another process (a crashed session's work would then never be
offered), and a process's start time is Linux-only and still needs the boot told
apart; a lock answers exactly "is the process that wrote this alive", on Linux and
macOS alike, and is free to take by the first studio that finds it left behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from graph import ModelGraph, load, save
from graph.atomicfile import atomic_path
from graph.jsontext import too_deep

_GRAPH_SUFFIX = ".graph.json"
_RECORD_SUFFIX = ".json"
_LOCK_SUFFIX = ".lock"


@dataclass(frozen=True)
class Autosaved:
    """One autosaved document: where it lives and what it stands for."""

    graph_path: Path
    record_path: Path
    #: The file the user was editing, or None for an untitled document.
    original: Path | None
    saved_at: float

    def load(self) -> ModelGraph:
        """The autosaved graph (GraphFileError names the autosave file if damaged)."""
        return load(self.graph_path)

    def discard(self) -> None:
        """Remove the autosaved pair (after it was recovered or declined)."""
        _remove(self.graph_path, self.record_path, _lock_path(self.record_path))


class AutosaveSlot:
    """Where one document of this process autosaves; `write` replaces, `clear` removes.

    From the first write until `clear`, the slot holds the lock that tells other
    processes its writer is alive.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        key = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.graph_path = folder / f"{key}{_GRAPH_SUFFIX}"
        self.record_path = folder / f"{key}{_RECORD_SUFFIX}"
        self._lock: int | None = None

    def write(self, g: ModelGraph, original: Path | None) -> None:
        """Save `g` aside, with a record naming `original` (the user's file).

        OSError when the folder or a file cannot be written (GraphError from the graph
        file itself); a failed write leaves the previous copy in place."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._lock is None:
            self._lock = _hold_lock(_lock_path(self.record_path))
        save(g, self.graph_path)
        record = {"original": str(original) if original else None, "saved_at": time.time()}
        with atomic_path(self.record_path) as tmp:
            tmp.write_text(json.dumps(record), encoding="utf-8")

    def clear(self) -> None:
        """Forget the autosave (the work was saved, or deliberately discarded)."""
        _remove(self.graph_path, self.record_path)
        if self._lock is not None:
            _remove(_lock_path(self.record_path))
            os.close(self._lock)
            self._lock = None


def _remove(*paths: Path) -> None:
    """Delete `paths`, never raising: a copy left behind (a folder gone read-only)
    must not fail the save or close that asked for it."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _lock_path(record_path: Path) -> Path:
    return record_path.with_name(record_path.name[: -len(_RECORD_SUFFIX)] + _LOCK_SUFFIX)


def _hold_lock(path: Path) -> int:
    """An open descriptor of `path` holding its exclusive lock (the slot's own file)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise
    return fd


def _writer_alive(record_path: Path) -> bool:
    """Whether the process that wrote `record_path` still holds its lock. flock locks
    belong to open files, so this process's own slots count as alive too."""
    try:
        fd = os.open(_lock_path(record_path), os.O_RDWR)
    except FileNotFoundError:
        return False  # never locked, or written by a studio before locks
    except OSError:
        return True  # not ours to judge (another user's file): leave it alone
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError: the writer holds it
        return True
    finally:
        os.close(fd)  # closing also drops a lock taken here
    return False


def _read_record(record_path: Path) -> Autosaved | None:
    """The record's content, or None if it is not one of ours (never raises)."""
    try:
        text = record_path.read_text(encoding="utf-8")
        if len(text) > 64 * 1024 or too_deep(text):
            return None
        record = json.loads(text)
        original, saved_at = record["original"], record["saved_at"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (isinstance(saved_at, int | float) and (original is None or isinstance(original, str))):
        return None
    graph_path = record_path.with_name(record_path.name[: -len(_RECORD_SUFFIX)] + _GRAPH_SUFFIX)
    if not graph_path.is_file():
        return None
    return Autosaved(graph_path, record_path, Path(original) if original else None, saved_at)


def orphans(folder: Path) -> list[Autosaved]:
    """Autosaves left by processes that are gone (crashed), newest first."""
    if not folder.is_dir():
        return []
    found = []
    for record_path in folder.glob(f"*{_RECORD_SUFFIX}"):
        if record_path.name.endswith(_GRAPH_SUFFIX):
            continue
        autosaved = _read_record(record_path)
        if autosaved is not None and not _writer_alive(record_path):
            found.append(autosaved)
    return sorted(found, key=lambda a: a.saved_at, reverse=True)
