"""The user's own Python modules that a graph file names, and the names it takes from them.

A graph file lists modules by path relative to its own folder, each with the sha256 of
the content the user chose (`CodeModule`). Elsewhere the file names an object in one
of them as `module:Name` (a custom loss, metric or callback; `CustomObject` adds its
constructor arguments), where `module` is the file's stem. This module only describes
and checks such references, keras-free and without reading or running anything but a
file's bytes for its hash: importing is codegen.trusted_code's job, and only for
content the user trusts.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any

from graph.filenames import inside_folder

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class CodeModule:
    """A Python file the graph uses, relative to the graph file's folder, and the
    sha256 (lowercase hex) of the content it was recorded with."""

    path: str
    sha256: str

    @property
    def file_name(self) -> str:
        """The file's name, without its folders."""
        return PurePosixPath(self.path.replace("\\", "/")).name

    @property
    def name(self) -> str:
        """The module's name in `module:Name` references: the file's stem."""
        return PurePosixPath(self.file_name).stem


@dataclass(frozen=True)
class CustomObject:
    """An object of a user module (`ref` is `module:Name`) and the keyword arguments it
    is made with; a function with no arguments is used as it is."""

    ref: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", MappingProxyType(dict(self.args)))

    def __hash__(self) -> int:  # args may hold lists; equal objects share their ref
        return hash(self.ref)

    @property
    def module(self) -> str:
        return split_ref(self.ref)[0]

    @property
    def attribute(self) -> str:
        return split_ref(self.ref)[1]

    @property
    def log_name(self) -> str:
        """The name Keras logs it under, as far as the file tells: its `name` argument,
        else the object's own name (a function's; give a class its `name`)."""
        name = self.args.get("name")
        return name if isinstance(name, str) else self.attribute


def is_ref(text: str) -> bool:
    """Whether a loss or metric identifier names a user object (`module:Name`)."""
    return ":" in text


def identifier_text(item: str | CustomObject) -> str:
    """A loss or metric as messages name it: a Keras name, or `module:Name`."""
    return item.ref if isinstance(item, CustomObject) else item


def refs_text(objects: Iterable[CustomObject]) -> str:
    """Objects as a form shows them: `module:Name, module:Other`."""
    return ", ".join(obj.ref for obj in objects)


def objects_from_text(text: str, kept: Iterable[CustomObject] = ()) -> tuple[CustomObject, ...]:
    """The objects `refs_text` shows, read back: each `module:Name` between commas, with
    the arguments of the object in `kept` of that ref (a new one has none)."""
    known = {obj.ref: obj for obj in kept}
    refs = [part.strip() for part in text.split(",") if part.strip()]
    return tuple(known.get(ref, CustomObject(ref)) for ref in refs)


def split_ref(ref: str) -> tuple[str, str]:
    """('module', 'Name') of `module:Name`."""
    module, _, name = ref.partition(":")
    return module, name


def file_sha256(path: str | os.PathLike) -> str:
    """The sha256 of a file's bytes, as lowercase hex."""
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def record_module(graph_folder: str | os.PathLike, path: str) -> CodeModule:
    """A reference to the module at `path` (relative to `graph_folder`) with the hash of
    its content now: what a graph file records when the user adds a module."""
    return CodeModule(path, file_sha256(os.path.join(graph_folder, path)))


def module_problems(modules: tuple[CodeModule, ...], where: str) -> list[str]:
    """Every problem of a graph file's module list, each naming the entry."""
    problems = []
    seen: set[str] = set()
    for i, module in enumerate(modules):
        at = f"{where}[{i}]"
        if not inside_folder(module.path):
            problems.append(
                f"{at}.path: must be a path inside the graph file's folder (relative, "
                f"without '..'). Received: {module.path!r}"
            )
        if not module.path.endswith(".py") or not module.name.isidentifier():
            problems.append(
                f"{at}.path: must be a .py file named as a Python module. Received: {module.path!r}"
            )
        if not _SHA256.fullmatch(module.sha256):
            problems.append(f"{at}.sha256: must be 64 lowercase hex digits")
        if module.name in seen:
            problems.append(f"{at}: a second module named {module.name!r}")
        seen.add(module.name)
    return problems


def ref_problem(ref: str, modules: tuple[CodeModule, ...]) -> str | None:
    """Why `module:Name` names nothing the graph's modules could hold, or None."""
    module, name = split_ref(ref)
    if not name.isidentifier():
        return f"{ref!r}: expected module:Name with Name a Python identifier"
    known = [m.name for m in modules]
    if module not in known:
        listed = ", ".join(known) or "(none; list the file under training.modules)"
        return f"{ref!r}: no module {module!r} in training.modules. Modules: {listed}"
    return None
