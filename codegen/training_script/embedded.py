"""Project modules copied into generated training scripts: their code, and their imports.

A training script must run on its own, yet check data exactly as `kgs train` does and
define the book's custom metric exactly as the project does. So it carries the very
source of those modules (`codegen.training.arrays`, `codegen.training.custom_metrics`),
read from their files without importing them (the metric's module imports keras). The
module docstring and imports are left out: the imports go into the script's own
import block, where ruff wants them, and imports of the project itself are dropped
along with the top-level assignments that use them (`keras = import_keras()`).
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

#: Top-level packages of this project: a script never imports them.
_PROJECT = ("codegen", "graph", "studio", "kgs")


@dataclass(frozen=True)
class Embedded:
    """A module's code as a script carries it."""

    #: Its import statements (project and __future__ imports left out), one per line.
    imports: tuple[str, ...]
    #: Its code after the imports, without the statements that are left out.
    body: str


def _source(module: str) -> str:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"no source for module {module!r}")
    return Path(spec.origin).read_text(encoding="utf-8")


def _top_module(node: ast.Import | ast.ImportFrom) -> str:
    name = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
    return (name or "").split(".")[0]


def embedded(module: str, drop: tuple[str, ...] = ()) -> Embedded:
    """The code of `module` after its imports, and its imports; top-level assignments
    to a name in `drop` are left out (with the project imports they rely on)."""
    source = _source(module)
    lines = source.splitlines()
    tree = ast.parse(source)
    imports = []
    start = 0
    skipped: list[tuple[int, int]] = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            start = node.end_lineno
            top = _top_module(node)
            if top not in (*_PROJECT, "__future__"):
                imports.append(ast.unparse(node))
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in drop for t in node.targets
        ):
            skipped.append((node.lineno, node.end_lineno))
    kept = [
        line
        for number, line in enumerate(lines[start:], start=start + 1)
        if not any(first <= number <= last for first, last in skipped)
    ]
    while kept and not kept[0].strip():
        kept.pop(0)
    return Embedded(tuple(imports), "\n".join(kept))


def import_block(statements: list[str]) -> list[str]:
    """Import statements laid out as ruff's isort lays them out: the standard library,
    a blank line, third-party packages; `import x` before `from x import y`, each
    sorted by module. Duplicates are merged, and so are the names imported from one
    module (constants, then classes, then the rest, as ruff orders them)."""

    def section(statement: str) -> int:
        top = statement.split()[1].split(".")[0]
        return 0 if top in sys.stdlib_module_names else 1

    def key(statement: str) -> tuple[int, str]:
        return (statement.startswith("from "), statement.split()[1].lower())

    unique = sorted(_merged_from_imports(set(statements)), key=key)
    out: list[str] = []
    for number in (0, 1):
        lines = [s for s in unique if section(s) == number]
        if lines and out:
            out.append("")
        out.extend(lines)
    return out


def _merged_from_imports(statements: set[str]) -> list[str]:
    """`statements` with every `from m import ...` of one module made one statement."""
    names: dict[str, set[str]] = {}
    merged = []
    for statement in statements:
        node = ast.parse(statement).body[0]
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            imported = (f"{a.name} as {a.asname}" if a.asname else a.name for a in node.names)
            names.setdefault(node.module or "", set()).update(imported)
        else:
            merged.append(statement)
    for module, imported in names.items():
        merged.append(f"from {module} import {', '.join(sorted(imported, key=_name_order))}")
    return merged


def _name_order(name: str) -> tuple[int, str]:
    """Ruff's order of imported names: CONSTANTS, then Classes, then the rest."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return (kind, name)
