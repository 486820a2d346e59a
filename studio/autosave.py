"""Autosave and crash recovery: unsaved work copied aside, offered back after a crash.

Each open document autosaves to its own pair of files in one folder: the graph
(`<key>.graph.json`, the normal file format, written atomically) and a small
`<key>.json` record saying which file it stands for, which process wrote it and
when. A clean close or save removes the pair. A pair whose process is no longer
running was left by a crash: `orphans()` lists those, newest first, for the app to
offer back. Nothing here imports Qt, so the logic is tested without a window.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Autosaved:
    """One autosaved document: where it lives and what it stands for."""

    graph_path: Path
    record_path: Path
    #: The file the user was editing, or None for an untitled document.
    original: Path | None
    pid: int
    saved_at: float

    def load(self) -> ModelGraph:
        """The autosaved graph (GraphFileError names the autosave file if damaged)."""
        return load(self.graph_path)

    def discard(self) -> None:
        """Remove the autosaved pair (after it was recovered or declined)."""
        self.graph_path.unlink(missing_ok=True)
        self.record_path.unlink(missing_ok=True)


class AutosaveSlot:
    """Where one document of this process autosaves; `write` replaces, `clear` removes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        key = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self.graph_path = folder / f"{key}{_GRAPH_SUFFIX}"
        self.record_path = folder / f"{key}{_RECORD_SUFFIX}"

    def write(self, g: ModelGraph, original: Path | None) -> None:
        """Save `g` aside, with a record naming `original` (the user's file)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        save(g, self.graph_path)
        record = {
            "original": str(original) if original else None,
            "pid": os.getpid(),
            "saved_at": time.time(),
        }
        with atomic_path(self.record_path) as tmp:
            tmp.write_text(json.dumps(record), encoding="utf-8")

    def clear(self) -> None:
        """Forget the autosave (the work was saved, or deliberately discarded)."""
        self.graph_path.unlink(missing_ok=True)
        self.record_path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _read_record(record_path: Path) -> Autosaved | None:
    """The record's content, or None if it is not one of ours (never raises)."""
    try:
        text = record_path.read_text(encoding="utf-8")
        if len(text) > 64 * 1024 or too_deep(text):
            return None
        record = json.loads(text)
        original, pid, saved_at = record["original"], record["pid"], record["saved_at"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (
        isinstance(pid, int)
        and isinstance(saved_at, int | float)
        and (original is None or isinstance(original, str))
    ):
        return None
    graph_path = record_path.with_name(record_path.name[: -len(_RECORD_SUFFIX)] + _GRAPH_SUFFIX)
    if not graph_path.is_file():
        return None
    return Autosaved(graph_path, record_path, Path(original) if original else None, pid, saved_at)


def orphans(folder: Path) -> list[Autosaved]:
    """Autosaves left by processes that are gone (crashed), newest first."""
    if not folder.is_dir():
        return []
    found = []
    for record_path in folder.glob(f"*{_RECORD_SUFFIX}"):
        if record_path.name.endswith(_GRAPH_SUFFIX):
            continue
        autosaved = _read_record(record_path)
        if autosaved is not None and not _alive(autosaved.pid):
            found.append(autosaved)
    return sorted(found, key=lambda a: a.saved_at, reverse=True)
