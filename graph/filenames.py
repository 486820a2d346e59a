"""File names derived from a graph's name, which comes from an untrusted file.

A graph file may name its graph '/etc/x', '../../x' or '..'; used as it is, such a
name would put `kgs compile -o DIR` outputs outside DIR. Every file name made from a
graph name goes through `file_stem`, so outputs stay in the folder they are meant for.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath, PureWindowsPath

#: What is left when nothing of the name can be used.
FALLBACK = "model"
#: Bytes of UTF-8 kept, leaving room under the usual 255-byte limit for suffixes
#: such as "_functional.py" and the ".NAME." prefix of atomic_path's folder.
_MAX_BYTES = 120
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def file_stem(name: str) -> str:
    """A file name stem for graph `name`: its last path part, without control
    characters (NUL included), characters Windows refuses, leading dots or trailing
    dots and spaces, at most 120 bytes; "model" when nothing is left."""
    base = re.split(r"[/\\]", name)[-1]
    base = _UNSAFE.sub("_", base).lstrip(". ").rstrip(". ")
    base = base.encode("utf-8")[:_MAX_BYTES].decode("utf-8", errors="ignore").rstrip(". ")
    return base or FALLBACK


def inside_folder(path: str) -> bool:
    """Whether `path`, joined onto any folder, stays in it: relative on every
    platform (no root, drive or share) and without a '..' part."""
    if not path:
        return False
    for flavour in (PurePosixPath, PureWindowsPath):
        pure = flavour(path)
        if pure.anchor or ".." in pure.parts:
            return False
    return True
