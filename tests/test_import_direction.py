"""Which way imports run: between the packages, and between the studio's rooms.

graph never imports keras, torch or Qt, and codegen never Qt (checked by importing
them in a fresh process). Among our own packages the direction is
studio -> codegen -> graph, and inside studio the rooms (canvas, document, panels,
training) depend only on the document room and on the small shared services at
the top, never on each other or on the window; these are checked on the source,
so an import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.processes import python_output

ROOT = Path(__file__).resolve().parent.parent

#: The studio's top-level modules that any room may use: services with no window.
SHARED = {
    "studio.jobs",
    "studio.gc_guard",
    "studio.visibility",
    "studio.mime",
    "studio.exporting",
    "studio.graph_weights",
    "studio.severity",
    "studio.diff_colors",
}

#: What each room may import from the studio, besides itself.
ROOM_MAY_IMPORT = {
    "document": set(),
    "canvas": {"document"},
    "panels": {"document"},
    "training": {"document"},
}

#: Which of our packages each package may import, besides itself.
PACKAGE_MAY_IMPORT = {"graph": set(), "codegen": {"graph"}, "kgs": {"graph", "codegen", "studio"}}


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("graph", ("keras", "torch", "PySide6")), ("codegen", ("PySide6",))],
)
def test_package_does_not_pull_in(package, forbidden):
    code = (
        f"import sys, pkgutil, importlib, {package}\n"
        f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    importlib.import_module(m.name)\n"
        f"print([m for m in {forbidden!r} if m in sys.modules])"
    )
    assert python_output(code) == "[]"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports anywhere in its source, `from a import b` as a.b too
    (b may be a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def room_of(module: str) -> str | None:
    """The room a studio module is in, or None for the top-level modules."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "studio" else None


def studio_modules() -> set[str]:
    return {module_name(p) for p in sources("studio")}


def test_the_rooms_are_the_ones_this_test_knows():
    rooms = {p.parent.name for p in (ROOT / "studio").glob("*/__init__.py")}
    assert rooms == set(ROOM_MAY_IMPORT)


def test_shared_services_exist_and_import_no_room():
    known = studio_modules()
    assert known >= SHARED
    for module in SHARED:
        path = ROOT / (module.replace(".", "/") + ".py")
        used = {m for m in imported_modules(path) if m in known}
        assert used <= SHARED, f"{module} imports {sorted(used - SHARED)}"


@pytest.mark.parametrize("room", sorted(ROOM_MAY_IMPORT))
def test_room_imports_only_what_it_may(room):
    known = studio_modules()
    wrong = []
    for path in sources(f"studio/{room}"):
        for target in imported_modules(path) & known:
            target_room = room_of(target)
            if target_room in (room, *ROOM_MAY_IMPORT[room]) or target in SHARED:
                continue
            if target in {"studio", f"studio.{room}"}:
                continue
            wrong.append(f"{path.relative_to(ROOT)} imports {target}")
    assert wrong == []


@pytest.mark.parametrize("package", sorted(PACKAGE_MAY_IMPORT))
def test_package_imports_only_downward(package):
    ours = {"graph", "codegen", "studio", "kgs"}
    allowed = PACKAGE_MAY_IMPORT[package] | {package}
    wrong = [
        f"{path.relative_to(ROOT)} imports {target}"
        for path in sources(package)
        for target in imported_modules(path)
        if target.split(".")[0] in ours - allowed
    ]
    assert wrong == []


def test_studio_imports_neither_kgs_nor_tests():
    wrong = [
        f"{path.relative_to(ROOT)} imports {target}"
        for path in sources("studio")
        for target in imported_modules(path)
        if target.split(".")[0] in {"kgs", "tests", "bench"}
    ]
    assert wrong == []
