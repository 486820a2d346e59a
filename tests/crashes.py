"""Autosaves as a crashed studio leaves them: written by a process that then dies."""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import graph

ROOT = Path(__file__).parent.parent

#: Autosaves argv[1] as standing for argv[3] (or untitled) in folder argv[2], then
#: dies with no cleanup, or with argv[4] == "wait" waits for a line on stdin first.
_WRITER = """
import os, sys
from pathlib import Path
from graph import load
from studio.document.autosave import AutosaveSlot
AutosaveSlot(Path(sys.argv[2])).write(load(sys.argv[1]), Path(sys.argv[3]) if sys.argv[3] else None)
if sys.argv[4] == "wait":
    print("written", flush=True)
    sys.stdin.readline()
os._exit(1)  # a crash: no cleanup runs
"""


@contextmanager
def _writer(folder: Path, g: graph.ModelGraph, original: Path | None, mode: str):
    """The writer's command line; its graph file lasts while the context is open."""
    with TemporaryDirectory() as tmp:
        source = Path(tmp) / "autosaved.graph.json"
        graph.save(g, source)
        yield [sys.executable, "-c", _WRITER, str(source), str(folder), str(original or ""), mode]


def leave_orphan(folder: Path, g: graph.ModelGraph, original: Path | None) -> None:
    """An autosave of `g` (standing for `original`) whose writer crashed."""
    with _writer(folder, g, original, "crash") as command:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr


def live_writer(folder: Path, g: graph.ModelGraph, original: Path | None) -> subprocess.Popen:
    """A running process that has autosaved `g`; it crashes when sent a line."""
    with _writer(folder, g, original, "wait") as command:
        process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert process.stdout.readline() == "written\n"
    return process
