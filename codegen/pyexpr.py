"""Python expressions for generated source, laid out the way `ruff format` lays them out.

An `Expr` is text interleaved with the brackets where a line may break; `layout` gives
its lines at an indent as ruff would, so generated modules are lint-clean without
running a formatter. The helpers below write params, layers and layer calls as such
expressions (codegen.pysource writes whole modules from them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from codegen.keras_registry import constructor
from graph.calls import layer_call
from graph.params import KerasObject, NestedLayer, Param
from graph.spec import LayerSpec, get_spec
from graph.user_code import split_ref
from graph.user_layers import is_user_layer_type

#: The line length generated text is laid out for (the project's ruff setting).
WIDTH = 100
#: One indentation step.
STEP = 4

# ------------------------------------------------------------- layout (ruff's rules)


@dataclass(frozen=True)
class Bracket:
    """A bracketed, comma-separated part of an expression: call arguments, a list ...

    `explode`: a collection literal, which ruff splits one item per line; call
    arguments and subscripts first try all items on one line of their own.
    `one_tuple`: a 1-tuple, whose comma stays even on one line.
    """

    open: str
    items: tuple[Expr, ...]
    close: str
    explode: bool = False
    one_tuple: bool = False


#: An expression: text interleaved with the brackets where a line may break.
Expr = tuple[str | Bracket, ...]


def _flat(expr: Expr) -> str:
    return "".join(p if isinstance(p, str) else _flat_bracket(p) for p in expr)


def _flat_bracket(bracket: Bracket) -> str:
    inner = ", ".join(_flat(item) for item in bracket.items)
    return f"{bracket.open}{inner}{',' if bracket.one_tuple else ''}{bracket.close}"


def layout(expr: Expr, indent: int, suffix: str = "") -> list[str]:
    """The lines of `expr` at `indent`, followed by `suffix`, as ruff format gives them.

    On one line if it fits. Otherwise each bracket, left to right, stays on the line
    when it and the text up to the next place a line can break still fit; else it is
    split, its items indented one step (see `_split_items`). These are ruff's rules
    for the statements written here (assignments of calls, chained calls, returns),
    checked against ruff itself in the tests; they hold as long as a statement's head
    fits on its line, which `_name_room` ensures (else ruff would parenthesize).
    """
    flat = _flat(expr)
    if indent + len(flat) + len(suffix) <= WIDTH:
        return [" " * indent + flat + suffix]
    lines = []
    line = " " * indent
    for i, piece in enumerate(expr):
        if isinstance(piece, str):
            line += piece
            continue
        text = _flat_bracket(piece)
        if len(line) + len(text) + len(_until_break(expr[i + 1 :], suffix)) <= WIDTH:
            line += text
            continue
        lines.append(line + piece.open)
        lines.extend(_split_items(piece, indent + STEP))
        line = " " * indent + piece.close
    lines.append(line + suffix)
    return lines


def _until_break(rest: Expr, suffix: str) -> str:
    """The text that follows a bracket up to the next place a line can break."""
    text = ""
    for piece in rest:
        if isinstance(piece, Bracket):
            return text + piece.open
        text += piece
    return text + suffix


def _split_items(bracket: Bracket, indent: int) -> list[str]:
    """The items of a split bracket: on one line if allowed and it fits, a lone item
    laid out on its own (no comma added), else one item per line with a comma."""
    if not bracket.explode:
        joined = ", ".join(_flat(item) for item in bracket.items)
        if indent + len(joined) <= WIDTH:
            return [" " * indent + joined]
    if len(bracket.items) == 1 and not bracket.one_tuple:
        return layout(bracket.items[0], indent)
    return [line for item in bracket.items for line in layout(item, indent, ",")]


# ---------------------------------------------------------------- expressions


def string(text: str) -> str:
    """`text` as a string literal, quoted as ruff quotes it: double quotes unless
    single ones need fewer escapes. Never pasted raw: every character that is not
    printable is escaped as repr() escapes it."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + "".join(_escaped(c, quote) for c in text) + quote


def _escaped(char: str, quote: str) -> str:
    if char in ("\\", quote):
        return "\\" + char
    return char if char.isprintable() else repr(char)[1:-1]


class SourceText(str):
    """Source text written as it is where a param value would be: a block parameter's
    argument name, an expression reading a tensor's shape."""


def literal(value: Any) -> Expr:
    """A param value (frozen: tuples, mappings) as a Python expression."""
    if isinstance(value, SourceText):
        return (str(value),)
    if isinstance(value, str):
        return (string(value),)
    if isinstance(value, float):
        return (repr(value).replace("e+", "e"),)  # ruff writes 1e20, not 1e+20
    if isinstance(value, tuple):
        if not value:
            return ("()",)
        items = tuple(literal(v) for v in value)
        return (Bracket("(", items, ")", explode=True, one_tuple=len(value) == 1),)
    if isinstance(value, Mapping):
        items = tuple((*literal(k), ": ", *literal(v)) for k, v in value.items())
        return (Bracket("{", items, "}", explode=True),)
    return (repr(value),)  # None, bools, ints


def call_expr(callee: str, args: list[Expr]) -> Expr:
    return (callee, Bracket("(", tuple(args), ")")) if args else (callee + "()",)


def kwarg(name: str, value: Expr) -> Expr:
    return (f"{name}=", *value)


def _param_literal(param: Param, value: Any) -> Expr:
    """A param's value as an expression: an initializer, regularizer or constraint with
    arguments as the Keras object (`keras.initializers.VarianceScaling(scale=2.0)`), a
    nested layer as the layer (as keras_kwargs builds it), anything else as a literal."""
    if isinstance(param.kind, NestedLayer):
        return layer_expr(*NestedLayer.parts(value))
    if isinstance(param.kind, KerasObject) and isinstance(value, Mapping):
        config = value.get("config", {})
        args = [kwarg(k, _json_literal(v)) for k, v in config.items()]
        return call_expr(f"keras.{param.kind.family}.{value['class_name']}", args)
    return literal(value)


def _json_literal(value: Any) -> Expr:
    """A JSON value as Keras's configs hold it: lists stay lists (MaxNorm's axis)."""
    if isinstance(value, tuple):
        return (Bracket("[", tuple(_json_literal(v) for v in value), "]", explode=True),)
    return literal(value)


def layer_expr(
    layer_type: str,
    params: Mapping[str, Any],
    name: str | None = None,
    trainable: bool = True,
    spec: LayerSpec | None = None,
) -> Expr:
    """`keras.layers.Type(param=..., name=...)`: the params set, in the spec's order,
    and `trainable=False` for a frozen layer. A custom layer (`module:Name`, whose
    `spec` the graph gives) is `module.Name(...)`: the module the source imports."""
    spec = get_spec(layer_type) if spec is None else spec
    args = [
        kwarg(p.name, _param_literal(p, params[p.name])) for p in spec.params if p.name in params
    ]
    if name is not None:
        args.append(kwarg("name", (string(name),)))
    if not trainable:
        args.append(kwarg("trainable", ("False",)))
    if is_user_layer_type(layer_type):
        callee = ".".join(split_ref(layer_type))
    else:
        callee = "keras.Input" if spec.is_input else constructor(layer_type)
    return call_expr(callee, args)


def call_args(spec: LayerSpec, inputs: list[str]) -> Bracket:
    """The arguments of a layer call on `inputs` (in port order), as
    codegen.keras_layers.call_layer passes them for the spec's call style."""
    call = layer_call(spec, inputs)
    args = tuple(list_expr(a) if isinstance(a, list) else (a,) for a in call.args)
    args += tuple((f"{k}={x}",) for k, x in call.kwargs.items())
    return Bracket("(", args, ")")


def list_expr(names: list[str]) -> Expr:
    return (Bracket("[", tuple((n,) for n in names), "]", explode=True),)


def list_or_single(names: list[str]) -> Expr:
    return (names[0],) if len(names) == 1 else list_expr(names)
