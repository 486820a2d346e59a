"""No code outside graph/layers/ tests a layer's type name: facts about a layer live
in its spec (roles such as `is_input`, `call_style`, ...), so adding a layer type is
one new spec. The scan reads the source (AST) of graph/, codegen/, studio/ and kgs/."""

import ast
from pathlib import Path

from graph import builtin_specs

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("graph", "codegen", "studio", "kgs")
SPEC_HOME = ROOT / "graph" / "layers"

_PREFIX_METHODS = frozenset({"startswith", "endswith"})


def _type_names() -> frozenset[str]:
    return frozenset(spec.type for spec in builtin_specs())


def _names_in(node: ast.AST, types: frozenset[str]) -> list[str]:
    """The registered type names a comparison operand spells out: a string, or a
    tuple, list, set or frozenset(...) of strings."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("frozenset", "set", "tuple")
        and node.args
    ):
        return _names_in(node.args[0], types)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [name for item in node.elts for name in _names_in(item, types)]
    if isinstance(node, ast.Constant) and node.value in types:
        return [node.value]
    return []


def _is_about_a_type(node: ast.AST) -> bool:
    """Whether an expression reads as a layer type: `x.type`, `layer_type`."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name == "type" or name.endswith("_type")


def type_name_tests(source: str, types: frozenset[str]) -> list[tuple[int, str]]:
    """(line, what is tested) for each comparison with a registered type name (also
    through a module-level collection of them) and each prefix test of a type."""
    tree = ast.parse(source)
    collections = {
        target.id: names
        for stmt in tree.body
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None
        for target in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
        if isinstance(target, ast.Name) and (names := _names_in(stmt.value, types))
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                names = _names_in(operand, types)
                if isinstance(operand, ast.Name):
                    names = collections.get(operand.id, [])
                found += [(node.lineno, name) for name in names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _PREFIX_METHODS
            and _is_about_a_type(node.func.value)
        ):
            found.append((node.lineno, node.func.attr))
    return found


def test_the_scan_finds_each_kind_of_type_name_test():
    source = (
        "KINDS = frozenset({'Dense'})\n"
        "a = layer.type == 'Input'\n"
        "b = 'Add' != t\n"
        "c = layer_type in ('Flatten', 'Other')\n"
        "d = spec.type in KINDS\n"
        "e = layer.type.startswith('Random')\n"
        "f = name == 'Other' or path.startswith('x')\n"
    )
    found = type_name_tests(source, _type_names())
    assert found == [
        (2, "Input"),
        (3, "Add"),
        (4, "Flatten"),
        (5, "Dense"),
        (6, "startswith"),
    ]


def _sources() -> list[Path]:
    files = [p for d in SCANNED for p in sorted((ROOT / d).rglob("*.py"))]
    return [p for p in files if SPEC_HOME not in p.parents]


def test_no_layer_type_name_is_tested_outside_the_specs():
    found = []
    for path in _sources():
        relative = path.relative_to(ROOT).as_posix()
        found += [
            f"{relative}:{line}: tests the layer type name {what!r}; ask the spec instead"
            for line, what in type_name_tests(path.read_text(encoding="utf-8"), _type_names())
        ]
    assert found == []
