"""graph -> Python source: a self-contained module that rebuilds the model in Keras.

`to_python(g, style)` writes the model a graph describes as a person would write it:
"functional" (keras.Input, one statement per layer call, keras.Model) or "subclass"
(a keras.Model subclass with its layers made in `__init__` and the forward pass in
`call()`, like the Keras book's CustomerTicketModel). Both walk the validated, stable
order that `codegen.build` walks, so the generated model and `build_model(g)` have
the same layers, names and parameters.

Variables are named after layers through a `Namespace`, and text is laid out the way
`ruff format` lays it out (the project's line length, 100), so the same graph always
gives the same bytes and the output is lint-clean without running a formatter.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from codegen.build import checked_report
from codegen.identifiers import MAX_STEM, Namespace
from codegen.keras_env import import_keras, recursion_limit_for
from graph import GraphError, ModelGraph, Report, get_spec
from graph.calls import layer_call
from graph.operation import OperationSpec
from graph.params import KerasObject, NestedLayer, Param
from graph.slice_key import format_key, parse_key
from graph.spec import LayerSpec

#: The line length generated text is laid out for (the project's ruff setting).
WIDTH = 100
_STEP = 4

#: Above this many layer calls the Functional model needs a raised recursion limit:
#: Keras builds it recursively, one level per layer, and fails past about 1,400 layers
#: under Python's default limit (see codegen.keras_env.allow_depth).
DEEP_GRAPH = 500
#: Recursion frames allowed per layer call, as codegen.keras_env.allow_depth allows.

#: Names every generated module defines or uses itself; layer names never shadow them.
_MODULE_NAMES = ("keras", "os", "sys", "build_model", "model", "self", "inputs", "kwargs")

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


def _layout(expr: Expr, indent: int, suffix: str = "") -> list[str]:
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
        lines.extend(_split_items(piece, indent + _STEP))
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
        return _layout(bracket.items[0], indent)
    return [line for item in bracket.items for line in _layout(item, indent, ",")]


# ---------------------------------------------------------------- expressions


def _string(text: str) -> str:
    """`text` as a string literal, quoted as ruff quotes it: double quotes unless
    single ones need fewer escapes. Never pasted raw: every character that is not
    printable is escaped as repr() escapes it."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + "".join(_escaped(c, quote) for c in text) + quote


def _escaped(char: str, quote: str) -> str:
    if char in ("\\", quote):
        return "\\" + char
    return char if char.isprintable() else repr(char)[1:-1]


def _literal(value: Any) -> Expr:
    """A param value (frozen: tuples, mappings) as a Python expression."""
    if isinstance(value, str):
        return (_string(value),)
    if isinstance(value, float):
        return (repr(value).replace("e+", "e"),)  # ruff writes 1e20, not 1e+20
    if isinstance(value, tuple):
        if not value:
            return ("()",)
        items = tuple(_literal(v) for v in value)
        return (Bracket("(", items, ")", explode=True, one_tuple=len(value) == 1),)
    if isinstance(value, Mapping):
        items = tuple((*_literal(k), ": ", *_literal(v)) for k, v in value.items())
        return (Bracket("{", items, "}", explode=True),)
    return (repr(value),)  # None, bools, ints


def _call(callee: str, args: list[Expr]) -> Expr:
    return (callee, Bracket("(", tuple(args), ")")) if args else (callee + "()",)


def _kwarg(name: str, value: Expr) -> Expr:
    return (f"{name}=", *value)


def _param_literal(param: Param, value: Any) -> Expr:
    """A param's value as an expression: an initializer, regularizer or constraint with
    arguments as the Keras object (`keras.initializers.VarianceScaling(scale=2.0)`), a
    nested layer as the layer (as keras_kwargs builds it), anything else as a literal."""
    if isinstance(param.kind, NestedLayer):
        return _layer_expr(*NestedLayer.parts(value))
    if isinstance(param.kind, KerasObject) and isinstance(value, Mapping):
        config = value.get("config", {})
        args = [_kwarg(k, _json_literal(v)) for k, v in config.items()]
        return _call(f"keras.{param.kind.family}.{value['class_name']}", args)
    return _literal(value)


def _json_literal(value: Any) -> Expr:
    """A JSON value as Keras's configs hold it: lists stay lists (MaxNorm's axis)."""
    if isinstance(value, tuple):
        return (Bracket("[", tuple(_json_literal(v) for v in value), "]", explode=True),)
    return _literal(value)


def _layer_expr(layer_type: str, params: Mapping[str, Any], name: str | None = None) -> Expr:
    """`keras.layers.Type(param=..., name=...)`: the params set, in the spec's order."""
    spec = get_spec(layer_type)
    args = [
        _kwarg(p.name, _param_literal(p, params[p.name])) for p in spec.params if p.name in params
    ]
    if name is not None:
        args.append(_kwarg("name", (_string(name),)))
    callee = "keras.Input" if spec.is_input else f"keras.layers.{layer_type}"
    return _call(callee, args)


def _call_args(spec: LayerSpec, inputs: list[str]) -> Bracket:
    """The arguments of a layer call on `inputs` (in port order), as
    codegen.keras_layers.call_layer passes them for the spec's call style."""
    call = layer_call(spec, inputs)
    args = tuple(_list(a) if isinstance(a, list) else (a,) for a in call.args)
    args += tuple((f"{k}={x}",) for k, x in call.kwargs.items())
    return Bracket("(", args, ")")


def _operation_expr(spec: OperationSpec, params: Mapping[str, Any], inputs: list[str]) -> Expr:
    """An operation as a person writes it (`a + b`, `x * 2.0`, `x[:, 0]`,
    `keras.ops.mean(x, axis=1)`): its call arguments (codegen.keras_operations), the
    constant operands as literals, then its other params as keywords."""
    args = spec.call_args(params, inputs)
    if spec.list_operand:
        (tensors,) = args
        operands: list[Expr] = [_list(tensors)]
    else:
        pairs = zip(spec.operands, args, strict=True)
        operands = [(a,) if params.get(n) is None else _literal(params[n]) for n, a in pairs]
    if spec.subscript:  # the key's text as parse_key reads it, normalized
        return (inputs[0], f"[{format_key(parse_key(params['key']))}]")
    symbol = spec.symbol
    if symbol is not None:
        return (*operands[0], f" {symbol} ", *operands[1])
    init = spec.init_kwargs(params)
    keywords = [_kwarg(p.name, _literal(init[p.name])) for p in spec.params if p.name in init]
    return _call(f"keras.ops.{spec.function}", [*operands, *keywords])


def _list(names: list[str]) -> Expr:
    return (Bracket("[", tuple((n,) for n in names), "]", explode=True),)


def _list_or_single(names: list[str]) -> Expr:
    return (names[0],) if len(names) == 1 else _list(names)


# ------------------------------------------------------------------- the plan


def _name_room(layer_type: str) -> int:
    """The longest stem a name of a `layer_type` layer may have, so that the longest
    line naming it, `self.<name>_NNNN = keras.layers.<Type>(` in a method, fits."""
    head = len(" " * 2 * _STEP + "self. = keras.layers.(") + len("_NNNN")
    return min(MAX_STEM, WIDTH - head - len(layer_type))


@dataclass
class _Plan:
    """What both styles write from: the nodes to write, in order, and their names."""

    g: ModelGraph
    report: Report
    names: Namespace
    #: The nodes to write, in topological order: Inputs and nodes that lead to an
    #: output (Keras drops the others from a Functional model too).
    nodes: list[str] = field(default_factory=list)
    #: Per node, the variable holding its output.
    var: dict[str, str] = field(default_factory=dict)
    #: Per layer id, its nodes to write (several for a shared layer).
    sites: dict[int, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, g: ModelGraph, report: Report, names: Namespace) -> _Plan:
        plan = cls(g, report, names)
        dropped = {p.node for p in report.warnings if p.code == "unreachable"}
        for node in report.order:
            if node not in dropped or g.is_input(node):
                plan.nodes.append(node)
                plan.sites.setdefault(g.node(node).layer_id, []).append(node)
        call_index = {
            node: index
            for layer_id, _ in g.layers()
            for index, node in enumerate(g.layer_sites(layer_id), start=1)
        }
        # First call sites first, so a layer's own name wins over 'dense_2'-style ones.
        for first in (True, False):
            for node in plan.nodes:
                call = call_index[node]
                if (call == 1) == first:
                    layer = g.layer(node)
                    candidate = layer.name if first else f"{layer.name}_{call}"
                    plan.var[node] = names.create_name(candidate, _name_room(layer.type))
        return plan

    def inputs(self, node: str) -> list[str]:
        return [self.var[src] for src in self.report.sources[node]]

    def is_shared(self, node: str) -> bool:
        return len(self.sites[self.g.node(node).layer_id]) > 1


# -------------------------------------------------------------------- writers


def _statement(indent: int, target: str, expr: Expr) -> list[str]:
    prefix = f"{target} = " if target else ""
    return _layout((prefix, *expr), indent)


def _header(doc: str, deep: bool) -> list[str]:
    """Module docstring and imports: keras with the torch backend unless chosen."""
    imports = ["import os", "import sys"] if deep else ["import os"]
    return [
        f'"""{doc}"""',
        "",
        *imports,
        "",
        'os.environ.setdefault("KERAS_BACKEND", "torch")',
        "",
        "import keras  # noqa: E402",
    ]


def _depth_guard(plan: _Plan) -> list[str]:
    """For deep graphs, raise the recursion limit (never lower it) before building."""
    limit = recursion_limit_for(len(plan.nodes))
    return [
        "    # Keras builds a Functional model recursively, one level per layer: make room",
        f"    # for this model's {len(plan.nodes)} layer calls (the limit is only ever raised).",
        f"    sys.setrecursionlimit(max(sys.getrecursionlimit(), {limit}))",
    ]


def _functional(plan: _Plan) -> list[str]:
    """The module of the functional style: build_model() builds a keras.Model from
    keras.Input tensors and one statement per layer call."""
    g, step = plan.g, _STEP
    deep = len(plan.nodes) > DEEP_GRAPH
    body = ['    """The model, built with the Functional API: inputs, layer calls, keras.Model."""']
    if deep:
        body += _depth_guard(plan)
    layer_var: dict[int, str] = {}  # shared layers: the variable holding the layer
    for node in plan.nodes:
        layer = g.layer(node)
        spec = g.spec(node)
        if isinstance(spec, OperationSpec):
            body += _statement(
                step, plan.var[node], _operation_expr(spec, layer.params, plan.inputs(node))
            )
            continue
        make = _layer_expr(layer.type, layer.params, layer.name)
        if g.is_input(node):
            body += _statement(step, plan.var[node], make)
            continue
        args = _call_args(g.spec(node), plan.inputs(node))
        if not plan.is_shared(node):
            body += _statement(step, plan.var[node], (*make, args))
            continue
        layer_id = g.node(node).layer_id
        if layer_id not in layer_var:
            room = _name_room(layer.type)
            layer_var[layer_id] = plan.names.create_name(f"{layer.name}_layer", room)
            body += _statement(step, layer_var[layer_id], make)
        body += _statement(step, plan.var[node], (layer_var[layer_id], args))
    model = _call(
        "keras.Model",
        [
            _kwarg("inputs", _list_or_single([plan.var[n] for n in g.inputs])),
            _kwarg("outputs", _list([plan.var[n] for n in g.outputs])),
            _kwarg("name", (_string(g.name),)),
        ],
    )
    body += _layout(("return ", *model), step)
    doc = "A Keras model in the Functional API, generated by Keras Graph Studio."
    return [*_header(doc, deep), "", "", "def build_model():", *body]


@functools.cache
def _model_attributes() -> frozenset[str]:
    """Every attribute a keras.Model instance has (torch's Module's included): layer
    attributes of a subclass must not overwrite any of them."""
    return frozenset(dir(import_keras().Model()))


def _class_name(graph_name: str) -> str:
    """CamelCase of the graph's name, ending in 'Model': customer_tickets ->
    CustomerTicketsModel."""
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in graph_name).split()
    stem = "".join(w[0].upper() + w[1:] for w in words)
    return stem if stem.endswith("Model") else stem + "Model"


def _build_in_init(attribute: str, shape: tuple[Any, ...]) -> list[str]:
    """The lines of __init__ that build the layer `attribute` for inputs of `shape`.

    For layers whose spec says build_makes_tensors (Normalization: its mean and
    variance): a subclassed model builds its layers while Keras traces call() on
    torch's "meta" device, where such tensors are placeholders that later read as
    uninitialised memory; so these are built in __init__, on the real device."""
    return [
        "        # Built here: built while Keras traces call() on torch's meta device, the",
        "        # tensors its build() makes would be uninitialised placeholders.",
        *_layout((f"self.{attribute}.build", Bracket("(", (_literal(shape),), ")")), 2 * _STEP),
    ]


def _subclass_name(graph_name: str) -> str:
    """The subclassed model's Keras name: the graph's, with '_' for each '.'. On torch a
    subclassed model's name begins the path of every variable its layers make (a
    Functional model's does not), and torch refuses a '.' in a parameter's name."""
    return graph_name.replace(".", "_")


def _subclass(plan: _Plan) -> list[str]:
    """The module of the subclass style: a keras.Model subclass, its layers made in
    __init__ (with their names) and its forward pass in call(). One input comes as the
    tensor itself (`model(x)`); several come as a dict keyed by the Input layers' names,
    like the book's CustomerTicketModel.

    build_model() builds the model by calling it once on keras.Input tensors. On
    Keras 3.15 with torch, that symbolic call builds every layer (real weights, on
    the real device: count_params() and set_weights() work) without computing
    anything, and it needs no sample data: free axes (None) and integer inputs need
    no made-up sizes or values, which calling on zeros would. (The call traces on
    torch's meta device, so layers whose build() makes tensors are built in __init__.)
    """
    g, names, step = plan.g, plan.names, _STEP
    cls = names.create_name(_class_name(g.name))
    attrs = Namespace(_model_attributes())
    attr: dict[int, str] = {}
    name = _subclass_name(g.name)
    init = ["    def __init__(self, **kwargs):"]
    if name != g.name:
        init += [
            "        # The graph's name with '_' for '.': torch refuses a '.' in variable paths,",
            "        # and a subclassed model's name begins them.",
        ]
    init += [
        *_statement(2 * step, "", _call("kwargs.setdefault", [('"name"',), _literal(name)])),
        "        super().__init__(**kwargs)",
    ]
    graph_inputs = g.inputs
    several = len(graph_inputs) > 1
    signature = "inputs" if several else plan.var[graph_inputs[0]]
    call = [f"    def call(self, {signature}):"]
    for node in plan.nodes:
        layer = g.layer(node)
        if g.is_input(node):
            if several:
                key = (Bracket("[", ((_string(layer.name),),), "]"),)
                call += _statement(2 * step, plan.var[node], ("inputs", *key))
            continue
        spec = g.spec(node)
        if isinstance(spec, OperationSpec):
            expr = _operation_expr(spec, layer.params, plan.inputs(node))
            call += _statement(2 * step, plan.var[node], expr)
            continue
        layer_id = g.node(node).layer_id
        if layer_id not in attr:
            attr[layer_id] = attrs.create_name(layer.name, _name_room(layer.type))
            make = _layer_expr(layer.type, layer.params, layer.name)
            init += _statement(2 * step, f"self.{attr[layer_id]}", make)
            if g.spec(node).build_makes_tensors:
                (source,) = plan.report.sources[node]
                init += _build_in_init(attr[layer_id], plan.report.nodes[source].shape)
        args = _call_args(g.spec(node), plan.inputs(node))
        call += _statement(2 * step, plan.var[node], (f"self.{attr[layer_id]}", args))
    call += _layout(("return ", *_list_or_single([plan.var[n] for n in g.outputs])), 2 * step)

    def symbolic(node: str) -> Expr:
        layer = g.layer(node)
        return _layer_expr(layer.type, layer.params, layer.name)

    build = [
        "def build_model():",
        '    """The model, built: called once on symbolic inputs to create its weights."""',
        f"    model = {cls}()",
    ]
    if several:
        # A list, then keyed by the tensors' names (the Input names): a dict literal
        # would put long names and code on one line, past any line length.
        entries = tuple(symbolic(n) for n in graph_inputs)
        build += _statement(step, "inputs", (Bracket("[", entries, "]", explode=True),))
        build.append("    model({x.name: x for x in inputs})")
    else:
        build += _layout(("model", Bracket("(", (symbolic(graph_inputs[0]),), ")")), step)
    build.append("    return model")
    doc = "A Keras model as a keras.Model subclass, generated by Keras Graph Studio."
    return [
        *_header(doc, deep=False),
        "",
        "",
        f"class {cls}(keras.Model):",
        '    """The graph\'s model: layers made in __init__, forward pass in call()."""',
        "",
        *init,
        "",
        *call,
        "",
        "",
        *build,
    ]


_STYLES: dict[str, Callable[[_Plan], list[str]]] = {
    "functional": _functional,
    "subclass": _subclass,
}


def to_python(g: ModelGraph, style: str) -> str:
    """The source of a module whose `build_model()` returns the model `g` describes.

    `style` is "functional" or "subclass". The module imports only keras (and os, sys),
    so it runs on its own. Raises GraphError listing the problems if `g` is invalid.
    """
    writer = _STYLES.get(style)
    if writer is None:
        raise ValueError(
            f"unknown source style. Expected one of: {', '.join(_STYLES)}. "
            f"Received: style={style!r}"
        )
    report = checked_report(g)
    uses = [layer.name for _, layer in g.layers() if layer.type in g.blocks]
    if uses:
        raise GraphError(
            f"graph '{g.name}': {style} source of block uses is not written yet "
            f"(uses: {', '.join(uses)}); build or save it as .keras instead"
        )
    plan = _Plan.of(g, report, Namespace(_MODULE_NAMES))
    return "\n".join(writer(plan)) + "\n"
