"""`kgs diff` and `kgs git-diff`: what changed between two versions of a model, and
what the change costs (graph/diff.py says what counts), from the specs alone: no
keras, torch or Qt.

`kgs git-diff` is the same report as git's external diff driver: git calls it with
the path and the old and new file, hex and mode (`diff.kgs.command`, see the README),
the path alone for an unmerged one, and for a renamed one also its new path and
git's lines about the rename.
A side git marks /dev/null (a file added or deleted) is an empty model, and an
unreadable side is reported in the output with exit 0, since git stops the whole
diff when a driver fails.
"""

from __future__ import annotations

import argparse
import json
import sys

from graph import GraphError, ModelGraph, load
from graph.diff import diff
from graph.diff_report import format_diff
from kgs.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE

#: What git passes for the missing side of an added or deleted file.
GIT_NO_FILE = "/dev/null"


def run(args: argparse.Namespace) -> int:
    """Print the diff of two graph files; exit 0 same, 1 different, 2 unreadable."""
    if args.batch < 1:
        print(f"--batch must be at least 1. Received: {args.batch}", file=sys.stderr)
        return EXIT_UNREADABLE
    graphs = []
    for path in (args.old, args.new):
        try:
            graphs.append(load(path))
        except GraphError as e:
            print(e, file=sys.stderr)
            return EXIT_UNREADABLE
    result = diff(*graphs, batch=args.batch)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(f"--- {args.old}\n+++ {args.new}")
        print(format_diff(result), end="")
    return EXIT_OK if result.same else EXIT_INVALID


def run_git(args: argparse.Namespace) -> int:
    """git's external diff driver: the model diff of one path; always exit 0."""
    print(f"diff --kgs a/{args.path} b/{args.new_path or args.path}")
    if args.rename_note:
        print(args.rename_note.rstrip("\n"))
    if args.new_file is None:
        print("unmerged: resolve the conflict, then compare")
        return EXIT_OK
    try:
        old = _git_side(args.old_file)
        new = _git_side(args.new_file)
    except GraphError as e:
        print(f"cannot compare: {e}")
        return EXIT_OK
    old = old or ModelGraph(new.name if new else "model")
    new = new or ModelGraph(old.name)
    print(format_diff(diff(old, new)), end="")
    return EXIT_OK


def _git_side(path: str) -> ModelGraph | None:
    return None if path == GIT_NO_FILE else load(path)
