"""`kgs studio [FILE]`: open the desktop app, on FILE if given.

A file that cannot be read is reported here, on stderr with exit 2, before any
window opens, so a script that launches the studio sees the same message as
`kgs validate`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graph import GraphFileError, load
from kgs.exits import EXIT_UNREADABLE


def run(args: argparse.Namespace) -> int:
    path = Path(args.file) if args.file else None
    if path is not None:
        try:
            load(path)
        except GraphFileError as e:
            print(e, file=sys.stderr)
            return EXIT_UNREADABLE
    from studio.app import run as run_studio

    return run_studio(path, Path(args.screenshot) if args.screenshot else None)
