"""Running one Python file as a module, only when its bytes have the expected sha256.

The bytes that are hashed are the bytes that are run: the file is read once, so a
file swapped between the check and the import cannot slip through. Self-contained
(standard library only), so generated training scripts carry this very code.
"""

from __future__ import annotations

import hashlib
import sys
import types
from pathlib import Path
from typing import Any


class ChangedModuleError(ImportError):
    """A module file's content is not the content that was trusted."""


def load_verified(name: str, path: Path, sha256: str) -> types.ModuleType:
    """The module `name` run from `path`, whose bytes must hash to `sha256`; one
    already loaded under `name` is returned as it is (the name carries the hash)."""
    if name in sys.modules:
        return sys.modules[name]
    source = path.read_bytes()
    found = hashlib.sha256(source).hexdigest()
    if found != sha256:
        raise ChangedModuleError(
            f"{path}: its content changed (sha256 {found}, expected {sha256}); not imported"
        )
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    try:
        exec(compile(source, str(path), "exec"), module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def make_object(module: types.ModuleType, name: str, args: dict[str, Any]) -> Any:
    """`module`'s object `name` as a loss, metric or callback is used: a class made
    with `args`, a function called with them when there are any (a factory), else the
    function itself."""
    found = getattr(module, name, None)
    if found is None:
        raise AttributeError(f"{module.__file__}: defines no {name!r}")
    return found(**args) if args or isinstance(found, type) else found
