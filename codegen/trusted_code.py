"""The user's modules a training setup names, imported only where the user trusts them.

Trust is given per command, file by file (`--trust-code FILE`): a `Trust` holds each
named file's resolved path and the sha256 of its bytes at that moment. A module of the
setup is imported only when all of these hold: its path stays inside the graph file's
folder once symlinks are resolved, its content hashes to what the graph file recorded,
and that very file with that very content was trusted. Trusting one file trusts no
other, nor a copy elsewhere, nor the same file once changed. Modules no loss, metric or
callback uses are never imported, so they need no trust. Keras is not imported here.
"""

from __future__ import annotations

import os
import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen.module_loading import load_verified, make_object
from graph.errors import GraphError
from graph.model import ModelGraph
from graph.training import TrainingSetup
from graph.user_code import CodeModule, CustomObject, file_sha256, split_ref
from graph.user_layers import graph_layer_uses


class UntrustedCodeError(GraphError):
    """A module would have to be imported that the user has not trusted as it is now."""


@dataclass(frozen=True)
class Trust:
    """The files the user trusts for this run: (resolved path, sha256 of its bytes)."""

    files: frozenset[tuple[Path, str]] = frozenset()

    @classmethod
    def of_files(cls, paths: Iterable[str | os.PathLike]) -> Trust:
        """Trust in each file of `paths` with the content it has now; OSError when one
        cannot be read."""
        return cls(frozenset((Path(p).resolve(), file_sha256(p)) for p in paths))

    def trusts(self, path: Path, sha256: str) -> bool:
        return (path.resolve(), sha256) in self.files


#: What uses a module: (where, `module:Name`), as 'training.outputs.y', 'my:Loss'.
Uses = Iterable[tuple[str, str]]


def setup_uses(setup: TrainingSetup) -> list[tuple[str, str]]:
    """(where, `module:Name`) of each user object the setup names."""
    return [(where, obj.ref) for where, obj in setup.custom_objects()]


def graph_uses(g: ModelGraph, setup: TrainingSetup) -> list[tuple[str, str]]:
    """What of the graph `g` trained with `setup` needs a user module: the setup's
    objects, then the graph's custom layers (graph.user_layers)."""
    return setup_uses(setup) + graph_layer_uses(g)


def needed_modules(
    setup: TrainingSetup, uses: Uses | None = None
) -> list[tuple[int, CodeModule, list[str]]]:
    """(index, module, what uses it) for each module of `setup` that one of `uses`
    comes from (default: the setup's own objects; a graph's custom layers are added by
    codegen.user_layers), in the file's order; `what` reads 'training.outputs.y: my:Loss'."""
    by_module: dict[str, list[str]] = {}
    for where, ref in setup_uses(setup) if uses is None else uses:
        by_module.setdefault(split_ref(ref)[0], []).append(f"{where}: {ref}")
    return [(i, m, by_module[m.name]) for i, m in enumerate(setup.modules) if m.name in by_module]


def module_path(module: CodeModule, graph_folder: str | os.PathLike) -> Path:
    """Where `module` is, symlinks resolved; UntrustedCodeError when that is outside the
    graph file's folder."""
    folder = Path(graph_folder).resolve()
    path = (folder / module.path).resolve()
    if not path.is_relative_to(folder):
        raise UntrustedCodeError(
            f"module {module.path!r} resolves to {path}, outside the graph file's folder "
            f"{folder}; not imported"
        )
    return path


def untrusted(
    setup: TrainingSetup, graph_folder: str | os.PathLike, trust: Trust, uses: Uses | None = None
) -> list[str]:
    """Why each module `uses` need may not be imported (one line each); empty when all
    may."""
    reasons = []
    for i, module, users in needed_modules(setup, uses):
        what = f"training.modules[{i}] {module.path!r} (needed by {'; '.join(users)})"
        try:
            path = module_path(module, graph_folder)
            found = file_sha256(path)
        except UntrustedCodeError as e:
            reasons.append(f"{what}: {e}")
            continue
        except OSError as e:
            reasons.append(f"{what}: cannot be read ({e.strerror or e})")
            continue
        if found != module.sha256:
            reasons.append(
                f"{what}: its content changed since the graph file recorded it "
                f"(sha256 {found}, recorded {module.sha256}); not imported even if trusted"
            )
        elif not trust.trusts(path, found):
            reasons.append(f"{what}: not trusted; give --trust-code {path} to import it")
    return reasons


def awaiting_trust(
    setup: TrainingSetup, graph_folder: str | os.PathLike, trust: Trust, uses: Uses | None = None
) -> list[tuple[Path, str, list[str]]]:
    """(resolved path, sha256, what uses it) of each module `setup` needs that is inside
    the graph's folder with the content the graph file recorded, but not trusted by
    `trust`: what a studio asks the user about. The others are `untrusted`'s refusals."""
    found = []
    for _, module, users in needed_modules(setup, uses):
        try:
            path = module_path(module, graph_folder)
            digest = file_sha256(path)
        except (UntrustedCodeError, OSError):
            continue
        if digest == module.sha256 and not trust.trusts(path, digest):
            found.append((path, digest, users))
    return found


def check_trusted(
    setup: TrainingSetup, graph_folder: str | os.PathLike, trust: Trust, uses: Uses | None = None
) -> None:
    """UntrustedCodeError listing every module `uses` need and may not import."""
    reasons = untrusted(setup, graph_folder, trust, uses)
    if reasons:
        lines = "\n".join(f"  {r}" for r in reasons)
        raise UntrustedCodeError(f"the graph needs code that is not trusted:\n{lines}")


def import_modules(
    setup: TrainingSetup, graph_folder: str | os.PathLike, trust: Trust, uses: Uses | None = None
) -> dict[str, types.ModuleType]:
    """The modules `uses` need, by name, each imported from the bytes that were
    checked; UntrustedCodeError (nothing imported) when any may not be."""
    check_trusted(setup, graph_folder, trust, uses)
    return {
        module.name: load_verified(
            f"kgs_user_code.{module.name}_{module.sha256[:16]}",
            module_path(module, graph_folder),
            module.sha256,
        )
        for _, module, _ in needed_modules(setup, uses)
    }


def user_object(obj: CustomObject, modules: dict[str, types.ModuleType]) -> Any:
    """The object `obj` names, made as codegen.module_loading.make_object makes it;
    GraphError when its module does not define it."""
    try:
        return make_object(modules[obj.module], obj.attribute, dict(obj.args))
    except AttributeError as e:
        raise GraphError(f"{obj.ref!r}: {e}") from None
