"""The user's block library: block definitions saved in a folder, reusable in any graph.

A library entry is a graph file (`NAME.block.json`, graph.fileformat) named after
its block, whose definitions are the block and every block it uses, nested, with no
top-level nodes; loading one parses data only, as every graph file, and saving is
atomic. `save_to_library` writes one; `read_library` lists a folder's (a file that
is no block file is reported by name and left out); `add_definition` copies a
definition, with the definitions it needs, into a graph.

Name clashes, when a definition is copied in: a definition whose body is the same
(the same parameters, nodes, layers, wiring and outputs; positions aside), the one
of the same name first, is the one used; one of the same name that differs is left
alone and the copy takes a free name (`encoder_1`), uses inside the copies
following the renames.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graph.block_edit import copy_graph
from graph.errors import GraphFileError
from graph.fileformat import load, save
from graph.grouping import free_block_name
from graph.model import ModelGraph

#: How a library entry's file name ends (after the block's name).
SUFFIX = ".block.json"


@dataclass(frozen=True)
class Library:
    """A library folder's contents: each block's file by name, in name order, and a
    line for every file that could not be read as a block file."""

    blocks: dict[str, Path]
    problems: list[str]


def add_definition(into: ModelGraph, source: ModelGraph, name: str) -> str:
    """Copy definition `name` of `source`'s file, and the definitions it uses, into the
    definitions of `into`'s file (see the module docstring for clashes); returns the
    name the definition has there."""
    names: dict[str, str] = {}
    for needed in _needed(source, name):
        body = source.blocks.body(needed)
        blocks = into.blocks
        same = _same_definition(into, _definition(body, names), needed)
        if same is not None:
            names[needed] = same
            continue
        new = needed if needed not in blocks else free_block_name(needed, set(blocks.names()))
        copy_graph(body, into.define_block(new, body.parameters), names)
        names[needed] = new
    return names[name]


def _same_definition(g: ModelGraph, definition: tuple[Any, ...], name: str) -> str | None:
    """The definition of `g`'s file that is `definition`: the one named `name` first,
    else any (one copied in before under a free name)."""
    others = [n for n in g.blocks.names() if n != name]
    for candidate in [name, *others] if name in g.blocks else others:
        if _definition(g.blocks.body(candidate), {}) == definition:
            return candidate
    return None


def save_to_library(g: ModelGraph, name: str, folder: str | os.PathLike) -> Path:
    """Write definition `name` of `g`'s file (with the definitions it uses) to the
    library `folder` (made if missing) as `NAME.block.json`, replacing one there;
    returns the file's path."""
    entry = ModelGraph(name)
    add_definition(entry, g, name)
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GraphFileError(folder, f"cannot make the block library folder: {e.strerror}") from e
    path = folder / f"{name}{SUFFIX}"
    save(entry, path)
    return path


def read_library(folder: str | os.PathLike) -> Library:
    """The blocks saved in `folder` (none when it does not exist)."""
    folder = Path(folder)
    blocks: dict[str, Path] = {}
    problems: list[str] = []
    paths = sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []
    for path in paths:
        try:
            entry = load_library_block(path)
        except GraphFileError as e:
            problems.append(str(e))
            continue
        blocks[entry.name] = path
    return Library(dict(sorted(blocks.items())), problems)


def load_library_block(path: str | os.PathLike) -> ModelGraph:
    """Read a library entry: a graph file with the definition its name names. Raises
    GraphFileError naming the file when it is not one."""
    entry = load(path)
    if entry.name not in entry.blocks:
        defined = ", ".join(entry.blocks.names()) or "none"
        raise GraphFileError(
            path, f"not a block file: it defines no block {entry.name!r} (defined: {defined})"
        )
    return entry


def _needed(source: ModelGraph, name: str) -> list[str]:
    """`name` and every definition its body uses, nested, each after those it uses."""
    order: list[str] = []

    def visit(block: str) -> None:
        if block in order:
            return
        for used in source.blocks.used_by(block):
            visit(used)
        order.append(block)

    source.blocks.body(name)  # unknown: GraphEditError naming it
    visit(name)
    return order


def _definition(body: ModelGraph, names: Mapping[str, str]) -> tuple[Any, ...]:
    """What makes two bodies the same definition (positions aside), the uses inside
    read through `names` (a copied definition's name in the graph it goes to)."""
    owners: dict[int, str] = {}
    nodes = []
    for node_id in body.node_ids():
        layer = body.layer(node_id)
        owner = owners.setdefault(body.node(node_id).layer_id, node_id)
        nodes.append((node_id, owner, replace(layer, type=names.get(layer.type, layer.type))))
    return body.parameters, nodes, body.connections(), body.outputs
