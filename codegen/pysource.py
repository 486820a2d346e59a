"""graph -> Python source: a self-contained module that rebuilds the model in Keras.

`to_python(g, style)` writes the model a graph describes as a person would write it:
"functional" (keras.Input, one statement per layer call, keras.Model) or "subclass"
(a keras.Model subclass with its layers made in `__init__` and the forward pass in
`call()`, like the Keras book's CustomerTicketModel). Both walk the validated, stable
order that `codegen.build` walks, so the generated model and `build_model(g)` have
the same layers, names and parameters.

Block uses are written as a person writes sub-models: functional source has a
function per block definition that builds its keras.Model for one use (the block's
parameters as arguments, the use's name), subclass source a keras.layers.Layer
subclass per definition (parameters in `__init__` and `get_config`); a shared use is
one model or layer called twice. What differs between a definition's uses is taken
from their concrete bodies (codegen.block_uses), so each use is what build_model builds.

Variables are named after layers through a `Namespace`, and text is laid out the way
`ruff format` lays it out (the project's line length, 100), so the same graph always
gives the same bytes and the output is lint-clean without running a formatter.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from codegen.block_uses import (
    block_versions,
    input_param_values,
    varying_input_params,
    written_nodes,
)
from codegen.build import checked_report
from codegen.identifiers import MAX_STEM, Namespace
from codegen.keras_env import import_keras, recursion_limit_for
from codegen.pyexpr import (
    STEP,
    WIDTH,
    Bracket,
    Expr,
    SourceText,
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
from graph.block_validate import Concrete
from graph.blocks import substitute
from graph.operation import OperationSpec
from graph.slice_key import format_key, parse_key
from graph.user_layers import used_modules

#: Above this many layer calls the Functional model needs a raised recursion limit:
#: Keras builds it recursively, one level per layer, and fails past about 1,400 layers
#: under Python's default limit (see codegen.keras_env.allow_depth).
DEEP_GRAPH = 500
#: Recursion frames allowed per layer call, as codegen.keras_env.allow_depth allows.

#: Names every generated module defines or uses itself; layer names never shadow them.
_MODULE_NAMES = ("keras", "os", "sys", "build_model", "model", "self", "inputs", "kwargs")
#: And those of a module that loads weights.
_WEIGHTS_NAMES = ("WEIGHTS", "weights", "load_weights", "h5py")


def _operation_expr(spec: OperationSpec, params: Mapping[str, Any], inputs: list[str]) -> Expr:
    """An operation as a person writes it (`a + b`, `x * 2.0`, `x[:, 0]`,
    `keras.ops.mean(x, axis=1)`): its call arguments (codegen.keras_operations), the
    constant operands as literals, then its other params as keywords."""
    args = spec.call_args(params, inputs)
    if spec.list_operand:
        (tensors,) = args
        operands: list[Expr] = [list_expr(tensors)]
    else:
        pairs = zip(spec.operands, args, strict=True)
        operands = [(a,) if params.get(n) is None else literal(params[n]) for n, a in pairs]
    if spec.subscript:  # the key's text as parse_key reads it, normalized
        return (inputs[0], f"[{format_key(parse_key(params['key']))}]")
    symbol = spec.symbol
    if symbol is not None:
        return (*operands[0], f" {symbol} ", *operands[1])
    init = spec.init_kwargs(params)
    keywords = [kwarg(p.name, literal(init[p.name])) for p in spec.params if p.name in init]
    return call_expr(f"keras.ops.{spec.function}", [*operands, *keywords])


# ------------------------------------------------------------------- the plan


def _name_room(layer_type: str) -> int:
    """The longest stem a name of a `layer_type` layer may have, so that the longest
    line naming it, `self.<name>_NNNN = keras.layers.<Type>(` in a method, fits. A
    block use's callee is an identifier (at most MAX_STEM and a `_NNNN` suffix long),
    however long its block's name."""
    head = len(" " * 2 * STEP + "self. = keras.layers.(") + len("_NNNN")
    return min(MAX_STEM, WIDTH - head - min(len(layer_type), MAX_STEM + len("_NNNN")))


@dataclass
class _Definition:
    """How one block definition is written (a function or a Layer subclass, `callee`),
    and what each of its uses passes it."""

    name: str
    callee: str
    #: Per block parameter, the identifier of its argument.
    params: dict[str, str]
    #: Its concrete bodies (codegen.block_uses): what its uses are built from.
    versions: list[Concrete]
    #: The local names of its function or class, its arguments already taken.
    names: Namespace
    #: Per body Input, its params that differ between versions (functional only: a
    #: Layer subclass has no Inputs), and per (Input, param) its argument.
    varying: dict[str, list[str]] = field(default_factory=dict)
    input_args: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def body(self) -> ModelGraph:
        return self.versions[0].graph.blocks.body(self.name)

    def body_params(self, node: str) -> Mapping[str, Any]:
        """A body node's params as written: block parameters by their argument names,
        an Input's varying params by theirs."""
        first = self.versions[0].graph.layer(node)
        if node in self.varying:
            args = {k: SourceText(self.input_args[(node, k)]) for k in self.varying[node]}
            return {**first.params, **args}
        refs = {name: SourceText(arg) for name, arg in self.params.items()}
        return substitute(self.body.layer(node).params, refs)


@dataclass
class _Plan:
    """What both styles write from, for the model or a block definition: the nodes to
    write, in order, their names, and how each is made."""

    g: ModelGraph
    report: Report
    names: Namespace
    #: The module's block definitions, by name.
    defs: dict[str, _Definition]
    #: The definition written, None for the model itself.
    definition: _Definition | None = None
    #: The nodes to write (codegen.block_uses.written_nodes).
    nodes: list[str] = field(default_factory=list)
    #: Per node, the variable holding its output.
    var: dict[str, str] = field(default_factory=dict)
    #: Per layer id, its nodes to write (several for a shared layer).
    sites: dict[int, list[str]] = field(default_factory=dict)
    #: The nodes that feed others or are outputs (is_read), made on first use.
    _read: set[str] | None = None

    @classmethod
    def of(
        cls,
        g: ModelGraph,
        report: Report,
        names: Namespace,
        defs: dict[str, _Definition],
        definition: _Definition | None = None,
    ) -> _Plan:
        plan = cls(g, report, names, defs, definition)
        for node in written_nodes(g, report):
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

    @classmethod
    def of_definition(cls, d: _Definition, defs: dict[str, _Definition]) -> _Plan:
        """The plan of a definition's body, from its first version (all versions have
        the body's nodes, order and sharing)."""
        first = d.versions[0]
        return cls.of(first.graph, first.report, d.names, defs, d)

    def inputs(self, node: str) -> list[str]:
        """The expressions of a node's inputs in port order (`enc[1]`: a use's output 1)."""
        sources = self.report.sources[node]
        outputs = self.g.source_outputs(node) or (0,) * len(sources)
        return [self.output(s, k) for s, k in zip(sources, outputs, strict=True)]

    def output(self, node: str, index: int) -> str:
        var = self.var[node]
        return f"{var}[{index}]" if self.g.output_count(node) > 1 else var

    def outputs(self) -> list[str]:
        return [self.output(n, 0) for n in self.g.outputs]

    def is_read(self, node: str) -> bool:
        """Whether a written node feeds another or is an output: an Input that is
        neither is not bound in a subclass's call() (its variable would be unused)."""
        if self._read is None:
            sources = (self.report.sources.get(n, ()) for n in self.nodes)
            self._read = {s for group in sources for s in group} | set(self.g.outputs)
        return node in self._read

    def is_shared(self, node: str) -> bool:
        return len(self.sites[self.g.node(node).layer_id]) > 1

    def params(self, node: str) -> Mapping[str, Any]:
        if self.definition is None:
            return self.g.layer(node).params
        return self.definition.body_params(node)

    def make(self, node: str) -> Expr:
        """The expression that makes a node's layer: `keras.layers.Dense(...)`, or for
        a block use its definition's function or class with the use's arguments."""
        layer = self.g.layer(node)
        params = self.params(node)
        d = self.defs.get(layer.type)
        if d is None:
            return layer_expr(layer.type, params, layer.name, layer.trainable, self.g.spec(node))
        spec = self.g.spec(node)
        args = [
            kwarg(d.params[p.name], literal(params[p.name]))
            for p in spec.params
            if p.name in params
        ]
        contexts = [(self.g, self.report)]
        if self.definition is not None:
            contexts = [(v.graph, v.report) for v in self.definition.versions]
        feeds = self.inputs(node)
        for body_input, key, value in input_param_values(contexts, node, d.varying, feeds):
            args.append(kwarg(d.input_args[(body_input, key)], literal(value)))
        args.append(kwarg("name", (string(layer.name),)))
        return call_expr(d.callee, args)


def _definitions(
    g: ModelGraph,
    report: Report,
    reserved: tuple[str, ...],
    module: Namespace,
    callee: Callable[[str], str],
    inputs: bool,
) -> tuple[dict[str, _Definition], tuple[str, ...]]:
    """The block definitions the model uses, each with its callee named in `module`
    (`callee` gives the candidate name), and every name the module then defines at its
    top level (what no local name may shadow: `reserved`, the module's own names, and the
    callees). With `inputs` (functional source), the
    Input params that differ between a definition's versions become its arguments."""
    versions = block_versions(g, report)
    callees = {name: module.create_name(callee(name)) for name in versions}
    top = (*reserved, *callees.values())
    defs = {}
    for name, made in versions.items():
        names = Namespace((*top, "name"))
        body = g.blocks.body(name)
        params = {p.name: names.create_name(p.name) for p in body.parameters}
        d = _Definition(name, callees[name], params, made, names)
        if inputs:
            d.varying = varying_input_params(made)
            d.input_args = {
                (node, key): names.create_name(f"{body.layer(node).name}_{key}")
                for node, keys in d.varying.items()
                for key in keys
            }
        defs[name] = d
    return defs, top


# -------------------------------------------------------------------- writers


def _statement(indent: int, target: str, expr: Expr) -> list[str]:
    prefix = f"{target} = " if target else ""
    return layout((prefix, *expr), indent)


def _header(doc: str, deep: bool, g: ModelGraph) -> list[str]:
    """Module docstring and imports: keras with the torch backend unless chosen, then
    the user's modules the custom layers come from (said in the docstring)."""
    imports = ["import os", "import sys"] if deep else ["import os"]
    modules = used_modules(g)
    if modules:
        files = "".join(f"\n    {m.file_name}, sha256 {m.sha256}" for m in modules)
        doc = (
            f"{doc}\n\nIts custom layers come from the user's code, which it imports:{files}\n"
            "beside this file (kgs compile copies them there) or on sys.path.\n"
        )
    return [
        f'"""{doc}"""',
        "",
        *imports,
        "",
        'os.environ.setdefault("KERAS_BACKEND", "torch")',
        "",
        "import keras  # noqa: E402",
        *(f"import {m.name}  # noqa: E402" for m in modules),
    ]


def _depth_guard(calls: int) -> list[str]:
    """For deep graphs, raise the recursion limit (never lower it) before building
    models of up to `calls` layer calls each."""
    limit = recursion_limit_for(calls)
    return [
        "    # Keras builds a Functional model recursively, one level per layer: make room",
        f"    # for this model's {calls} layer calls (the limit is only ever raised).",
        f"    sys.setrecursionlimit(max(sys.getrecursionlimit(), {limit}))",
    ]


def _layer_calls(plan: _Plan) -> list[str]:
    """The statements of a functional body: an Input or a layer call per node; a
    shared layer (or use) is made once into a variable of its own, then called."""
    g, step = plan.g, STEP
    lines: list[str] = []
    layer_var: dict[int, str] = {}  # shared layers: the variable holding the layer
    for node in plan.nodes:
        spec = g.spec(node)
        if isinstance(spec, OperationSpec):
            expr = _operation_expr(spec, plan.params(node), plan.inputs(node))
            lines += _statement(step, plan.var[node], expr)
            continue
        make = plan.make(node)
        if g.is_input(node):
            lines += _statement(step, plan.var[node], make)
            continue
        args = call_args(g.spec(node), plan.inputs(node))
        if not plan.is_shared(node):
            lines += _statement(step, plan.var[node], (*make, args))
            continue
        layer_id = g.node(node).layer_id
        if layer_id not in layer_var:
            layer = g.layer(node)
            room = _name_room(layer.type)
            layer_var[layer_id] = plan.names.create_name(f"{layer.name}_layer", room)
            lines += _statement(step, layer_var[layer_id], make)
        lines += _statement(step, plan.var[node], (layer_var[layer_id], args))
    return lines


def _block_function(plan: _Plan) -> list[str]:
    """A definition's function: its model for one use, named after the use. Its
    arguments: the Input params that differ between uses, the block's parameters
    (with their defaults) and the name."""
    d, g = plan.definition, plan.g
    args: list[Expr] = [(arg,) for arg in d.input_args.values()]
    args += [kwarg(d.params[p.name], literal(p.default)) for p in d.body.parameters]
    args.append(kwarg("name", (string(d.name),)))
    model = call_expr(
        "keras.Model",
        [
            kwarg("inputs", list_or_single([plan.var[n] for n in g.inputs])),
            kwarg("outputs", list_or_single(plan.outputs())),
            kwarg("name", ("name",)),
        ],
    )
    return [
        *layout((f"def {d.callee}", Bracket("(", tuple(args), ")")), 0, ":"),
        '    """A use of the block: its own model (its own weights), named after the use."""',
        *_layer_calls(plan),
        *layout(("return ", *model), STEP),
    ]


def _functional(g: ModelGraph, report: Report, weights: str | None) -> list[str]:
    """The module of the functional style: a function per block definition that
    builds its model, then build_model(), which builds a keras.Model from keras.Input
    tensors and one statement per layer call (and loads `weights` when given)."""
    reserved = _reserved(weights, g)
    defs, top = _definitions(g, report, reserved, Namespace(reserved), lambda name: name, True)
    plan = _Plan.of(g, report, Namespace(top), defs)
    # Each block's model is built on its own, within build_model(): the deepest counts.
    calls = max(
        [len(plan.nodes)]
        + [len(written_nodes(v.graph, v.report)) for d in defs.values() for v in d.versions]
    )
    deep = calls > DEEP_GRAPH
    body = _docstring(
        weights, "The model, built with the Functional API: inputs, layer calls, keras.Model."
    )
    if deep:
        body += _depth_guard(calls)
    body += _layer_calls(plan)
    model = call_expr(
        "keras.Model",
        [
            kwarg("inputs", list_or_single([plan.var[n] for n in g.inputs])),
            kwarg("outputs", list_expr(plan.outputs())),
            kwarg("name", (string(g.name),)),
        ],
    )
    if weights is None:
        body += layout(("return ", *model), STEP)
    else:
        body += [*layout(("model = ", *model), STEP), *_loading()]
    functions = [
        line
        for d in defs.values()
        for line in ("", "", *_block_function(_Plan.of_definition(d, defs)))
    ]
    doc = "A Keras model in the Functional API, generated by Keras Graph Studio."
    head = [*_header(doc, deep, g), *_weights_block(weights), *functions]
    return [*head, "", "", _signature(weights), *body]


@functools.cache
def _model_attributes() -> frozenset[str]:
    """Every attribute a keras.Model instance has (torch's Module's included): layer
    attributes of a subclass must not overwrite any of them."""
    return frozenset(dir(import_keras().Model()))


def _camel_case(name: str) -> str:
    """CamelCase of a graph's or block's name: customer_tickets -> CustomerTickets."""
    words = "".join(c if c.isascii() and c.isalnum() else " " for c in name).split()
    return "".join(w[0].upper() + w[1:] for w in words)


def _class_name(graph_name: str) -> str:
    """CamelCase of the graph's name, ending in 'Model': customer_tickets ->
    CustomerTicketsModel."""
    stem = _camel_case(graph_name)
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


def _built_shape(plan: _Plan, node: str) -> tuple[Any, ...]:
    """The input shape a build_makes_tensors layer is built for in __init__: a block's
    must be the same in every version (one class serves them all)."""
    (source,) = plan.report.sources[node]
    shape = plan.report.nodes[source].shape
    d = plan.definition
    if d is not None and any(v.report.nodes[source].shape != shape for v in d.versions[1:]):
        raise GraphError(
            f"block '{d.name}': {plan.g.label(node)} makes tensors when built, so its "
            "subclass source needs one input shape for it in every use; the uses differ"
        )
    return shape


def _layers_and_call(plan: _Plan, attrs: Namespace) -> tuple[list[str], list[str]]:
    """The lines of __init__ that make the layers, and of call() that call them, for a
    model or a block; call()'s inputs are the Inputs' variables, already bound."""
    g, step = plan.g, STEP
    attr: dict[int, str] = {}
    init: list[str] = []
    call: list[str] = []
    for node in plan.nodes:
        if g.is_input(node):
            continue
        spec = g.spec(node)
        if isinstance(spec, OperationSpec):  # no layer to make: written in call()
            expr = _operation_expr(spec, plan.params(node), plan.inputs(node))
            call += _statement(2 * step, plan.var[node], expr)
            continue
        layer = g.layer(node)
        layer_id = g.node(node).layer_id
        if layer_id not in attr:
            attr[layer_id] = attrs.create_name(layer.name, _name_room(layer.type))
            init += _statement(2 * step, f"self.{attr[layer_id]}", plan.make(node))
            if g.spec(node).build_makes_tensors:
                init += _build_in_init(attr[layer_id], _built_shape(plan, node))
        args = call_args(g.spec(node), plan.inputs(node))
        call += _statement(2 * step, plan.var[node], (f"self.{attr[layer_id]}", args))
    call += layout(("return ", *list_or_single(plan.outputs())), 2 * step)
    return init, call


def _block_class(plan: _Plan) -> list[str]:
    """A definition's Layer subclass: the block's parameters as __init__ arguments
    (kept as attributes, returned by get_config), its layers made in __init__, its
    forward pass in call() (one input as the tensor, several as a list)."""
    d, g, step = plan.definition, plan.g, STEP
    attrs = Namespace(_model_attributes())
    kept = {p.name: attrs.create_name(d.params[p.name]) for p in d.body.parameters}
    args: list[Expr] = [("self",)]
    args += [kwarg(d.params[p.name], literal(p.default)) for p in d.body.parameters]
    args.append(("**kwargs",))
    init = [
        *layout(("def __init__", Bracket("(", tuple(args), ")")), STEP, ":"),
        "        super().__init__(**kwargs)",
        *(f"        self.{kept[name]} = {arg}" for name, arg in d.params.items()),
    ]
    layers, call_lines = _layers_and_call(plan, attrs)
    inputs = [plan.var[n] for n in g.inputs]
    signature = "inputs" if len(inputs) > 1 else inputs[0]
    call = [f"    def call(self, {signature}):"]
    if len(inputs) > 1:
        bound = [(i, n) for i, n in enumerate(g.inputs) if plan.is_read(n)]
        call += [f"        {plan.var[n]} = inputs[{i}]" for i, n in bound]
    lines = [
        f"class {d.callee}(keras.layers.Layer):",
        '    """A use of the block: its layers made in __init__, forward pass in call()."""',
        "",
        *init,
        *layers,
        "",
        *call,
        *call_lines,
    ]
    if d.params:
        entries = [("**super().get_config()",)]
        entries += [(f"{string(arg)}: self.{kept[name]}",) for name, arg in d.params.items()]
        config = Bracket("{", tuple(entries), "}", explode=True)
        lines += ["", "    def get_config(self):", *layout(("return ", config), 2 * step)]
    return lines


def _subclass(g: ModelGraph, report: Report, weights: str | None) -> list[str]:
    """The module of the subclass style: a keras.layers.Layer subclass per block
    definition, then a keras.Model subclass, its layers (and block uses) made in
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
    reserved = _reserved(weights, g)
    module = Namespace(reserved)
    cls = module.create_name(_class_name(g.name))
    defs, top = _definitions(g, report, reserved, module, _camel_case, False)
    plan = _Plan.of(g, report, Namespace((*top, cls)), defs)
    step = STEP
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
    if several:
        for node in filter(plan.is_read, graph_inputs):
            key = (Bracket("[", ((string(g.layer(node).name),),), "]"),)
            call += _statement(2 * step, plan.var[node], ("inputs", *key))
    layers, call_lines = _layers_and_call(plan, Namespace(_model_attributes()))
    init += layers
    call += call_lines

    def symbolic(node: str) -> Expr:
        layer = g.layer(node)
        return layer_expr(layer.type, layer.params, layer.name, layer.trainable, g.spec(node))

    build = [
        _signature(weights),
        *_docstring(
            weights, "The model, built: called once on symbolic inputs to create its weights."
        ),
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
    build += _loading() if weights is not None else ["    return model"]
    classes = [
        line
        for d in defs.values()
        for line in ("", "", *_block_class(_Plan.of_definition(d, defs)))
    ]
    doc = "A Keras model as a keras.Model subclass, generated by Keras Graph Studio."
    return [
        *_header(doc, False, g),
        *_weights_block(weights),
        *classes,
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


def _reserved(weights: str | None, g: ModelGraph) -> tuple[str, ...]:
    """The names a module defines or uses itself, which no other name may shadow (the
    user's modules it imports included)."""
    names = _MODULE_NAMES if weights is None else (*_MODULE_NAMES, *_WEIGHTS_NAMES)
    return (*names, *(m.name for m in used_modules(g)))


def _signature(weights: str | None) -> str:
    return "def build_model():" if weights is None else "def build_model(weights=WEIGHTS):"


def _docstring(weights: str | None, summary: str) -> list[str]:
    """build_model()'s docstring: `summary`, and what `weights` does when it has one."""
    if weights is None:
        return [f'    """{summary}"""']
    return [
        f'    """{summary}',
        "",
        "    weights: the weights file to load (default: the one beside this module), or",
        "    None to keep the layers' fresh initialization.",
        '    """',
    ]


def _loading() -> list[str]:
    """The end of build_model() in a module with weights: load them, return the model."""
    return [
        "    if weights is not None:",
        "        load_weights(model, weights)",
        "    return model",
    ]


def _weights_block(weights: str | None) -> list[str]:
    """The weights file's path and the function that loads it, for a module with weights."""
    if weights is None:
        return []
    return [
        "",
        "#: The weights Keras Graph Studio wrote beside this module (layer name -> arrays).",
        "WEIGHTS = os.path.join(",
        "    os.path.dirname(os.path.abspath(__file__)),",
        f"    {string(weights)},",
        ")",
        "",
        "",
        "def load_weights(model, path):",
        '    """Put the weights saved at `path` into the layers of `model` with their names;',
        '    each array\'s shape is checked against its layer\'s before it is read."""',
        "    import h5py",
        "",
        '    with h5py.File(path, "r") as f:',
        '        for name, group in f["layers"].items():',
        "            layer = model.get_layer(name)",
        "            expected = [tuple(w.shape) for w in layer.weights]",
        "            found = [group[str(i)].shape for i in range(len(group))]",
        "            if found != expected:",
        '                raise ValueError(f"{path}: {name} has shapes {found}, not {expected}")',
        "            layer.set_weights([group[str(i)][()] for i in range(len(group))])",
    ]


_STYLES: dict[str, Callable[[ModelGraph, Report, str | None], list[str]]] = {
    "functional": _functional,
    "subclass": _subclass,
}


def to_python(g: ModelGraph, style: str, weights: str | None = None) -> str:
    """The source of a module whose `build_model()` returns the model `g` describes.

    `style` is "functional" or "subclass". The module imports only keras (and os, sys),
    so it runs on its own. With `weights`, the name of a weights sidecar beside the
    module (graph.weightsfile's format, as `kgs compile` writes it), `build_model()`
    loads it (h5py, which Keras itself needs for weights); `build_model(weights=None)`
    keeps fresh weights, `build_model(weights=PATH)` loads another file. Raises
    GraphError listing the problems if `g` is invalid.
    """
    writer = _STYLES.get(style)
    if writer is None:
        raise ValueError(
            f"unknown source style. Expected one of: {', '.join(_STYLES)}. "
            f"Received: style={style!r}"
        )
    return "\n".join(writer(g, checked_report(g), weights)) + "\n"
