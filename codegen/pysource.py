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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from codegen.build import checked_report
from codegen.identifiers import MAX_STEM, Namespace
from codegen.keras_env import import_keras, recursion_limit_for
from codegen.pyexpr import (
    STEP,
    WIDTH,
    Bracket,
    Expr,
    call_args,
    call_expr,
    kwarg,
    layer_expr,
    layout,
    list_expr,
    list_or_single,
    literal,
    string,
)
from graph import GraphError, ModelGraph, Report

#: Above this many layer calls the Functional model needs a raised recursion limit:
#: Keras builds it recursively, one level per layer, and fails past about 1,400 layers
#: under Python's default limit (see codegen.keras_env.allow_depth).
DEEP_GRAPH = 500
#: Recursion frames allowed per layer call, as codegen.keras_env.allow_depth allows.

#: Names every generated module defines or uses itself; layer names never shadow them.
_MODULE_NAMES = ("keras", "os", "sys", "build_model", "model", "self", "inputs", "kwargs")

# ------------------------------------------------------------------- the plan


def _name_room(layer_type: str) -> int:
    """The longest stem a name of a `layer_type` layer may have, so that the longest
    line naming it, `self.<name>_NNNN = keras.layers.<Type>(` in a method, fits."""
    head = len(" " * 2 * STEP + "self. = keras.layers.(") + len("_NNNN")
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
    return layout((prefix, *expr), indent)


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
    g, step = plan.g, STEP
    deep = len(plan.nodes) > DEEP_GRAPH
    body = ['    """The model, built with the Functional API: inputs, layer calls, keras.Model."""']
    if deep:
        body += _depth_guard(plan)
    layer_var: dict[int, str] = {}  # shared layers: the variable holding the layer
    for node in plan.nodes:
        layer = g.layer(node)
        make = layer_expr(layer.type, layer.params, layer.name)
        if g.is_input(node):
            body += _statement(step, plan.var[node], make)
            continue
        args = call_args(g.spec(node), plan.inputs(node))
        if not plan.is_shared(node):
            body += _statement(step, plan.var[node], (*make, args))
            continue
        layer_id = g.node(node).layer_id
        if layer_id not in layer_var:
            room = _name_room(layer.type)
            layer_var[layer_id] = plan.names.create_name(f"{layer.name}_layer", room)
            body += _statement(step, layer_var[layer_id], make)
        body += _statement(step, plan.var[node], (layer_var[layer_id], args))
    model = call_expr(
        "keras.Model",
        [
            kwarg("inputs", list_or_single([plan.var[n] for n in g.inputs])),
            kwarg("outputs", list_expr([plan.var[n] for n in g.outputs])),
            kwarg("name", (string(g.name),)),
        ],
    )
    body += layout(("return ", *model), step)
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
        *layout((f"self.{attribute}.build", Bracket("(", (literal(shape),), ")")), 2 * STEP),
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
    g, names, step = plan.g, plan.names, STEP
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
        *_statement(2 * step, "", call_expr("kwargs.setdefault", [('"name"',), literal(name)])),
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
                key = (Bracket("[", ((string(layer.name),),), "]"),)
                call += _statement(2 * step, plan.var[node], ("inputs", *key))
            continue
        layer_id = g.node(node).layer_id
        if layer_id not in attr:
            attr[layer_id] = attrs.create_name(layer.name, _name_room(layer.type))
            make = layer_expr(layer.type, layer.params, layer.name)
            init += _statement(2 * step, f"self.{attr[layer_id]}", make)
            if g.spec(node).build_makes_tensors:
                (source,) = plan.report.sources[node]
                init += _build_in_init(attr[layer_id], plan.report.nodes[source].shape)
        args = call_args(g.spec(node), plan.inputs(node))
        call += _statement(2 * step, plan.var[node], (f"self.{attr[layer_id]}", args))
    call += layout(("return ", *list_or_single([plan.var[n] for n in g.outputs])), 2 * step)

    def symbolic(node: str) -> Expr:
        layer = g.layer(node)
        return layer_expr(layer.type, layer.params, layer.name)

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
        build += layout(("model", Bracket("(", (symbolic(graph_inputs[0]),), ")")), step)
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
