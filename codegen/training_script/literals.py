"""Python values written as source text, laid out the way `ruff format` lays them out.

Generated scripts hold the setup's values (file names, losses per output, the model's
inputs and outputs) as literals. `laid_out` writes one on a line when it fits the
project's line length (100) and splits it as ruff does when not, so the scripts pass
`ruff check` and `ruff format --check` without a formatter run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# pyexpr's string literals are quoted and escaped as ruff format writes them.
from codegen.pyexpr import WIDTH
from codegen.pyexpr import string as string_literal

_STEP = 4


@dataclass(frozen=True)
class Code:
    """Source text used as it is, where a literal would be written."""

    text: str


@dataclass(frozen=True)
class Call:
    """A call with positional arguments, laid out like a literal."""

    callee: str
    args: tuple[Any, ...]


def literal(value: Any) -> str:
    """`value` as a one-line Python expression: strings quoted as ruff quotes them,
    containers in their own order."""
    if isinstance(value, Code):
        return value.text
    if isinstance(value, Call):
        return f"{value.callee}({', '.join(literal(v) for v in value.args)})"
    if isinstance(value, str):
        return string_literal(value)
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)  # None, bools, ints, floats


def laid_out(head: str, value: Any, indent: int = 0, tail: str = "") -> list[str]:
    """`head` + `value` + `tail` at `indent`: on one line if it fits; else a call's
    arguments on one line of their own if they fit there, else the call's arguments
    or the container's items one per line with a comma, each laid out the same way."""
    pad = " " * indent
    line = f"{pad}{head}{literal(value)}{tail}"
    if len(line) <= WIDTH:
        return [line]
    inner = indent + _STEP
    if isinstance(value, Call):
        args = ", ".join(literal(v) for v in value.args)
        if inner + len(args) <= WIDTH:
            return [f"{pad}{head}{value.callee}(", " " * inner + args, f"{pad}){tail}"]
        opener, closer, items = f"{value.callee}(", ")", [("", v) for v in value.args]
    elif isinstance(value, Mapping) and value:
        opener, closer = "{", "}"
        items = [(f"{literal(k)}: ", v) for k, v in value.items()]
    elif isinstance(value, tuple | list) and value:
        opener, closer = ("(", ")") if isinstance(value, tuple) else ("[", "]")
        items = [("", v) for v in value]
    else:
        return [line]
    lines = [f"{pad}{head}{opener}"]
    for item_head, item in items:
        lines += laid_out(item_head, item, inner, ",")
    return [*lines, f"{pad}{closer}{tail}"]
