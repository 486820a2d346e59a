"""graph -> keras.Model: the Functional model a graph describes.

Layers are created once per graph layer (so call sites of a shared layer share one
Keras layer and its weights) and called in the graph's topological order, with the
graph's layer names; inputs and outputs keep graph order. An operation node is the
keras.src.ops operation that `keras.ops` makes, named after the node.

A block use is a layer too: a nested Functional model named after the use, built from
the use's body made concrete (graph.block_validate: the use's input shapes and
parameter values), the very graph validation checked. So each use has its own weights,
a use called again is one model called twice (a siamese pair), and the saved .keras
keeps the nesting, as `keras.Model(...)` inside a hand-written `def block(x)` would.
"""

from __future__ import annotations

from typing import Any

from codegen.build_weights import WeightsReport, put_weights
from codegen.generic_spec import KerasBackedSpec
from codegen.keras_env import allow_depth, import_keras
from codegen.keras_errors import plain_text
from codegen.keras_layers import call_layer, make_layer
from codegen.keras_operations import call_operation, make_operation
from codegen.trusted_code import UntrustedCodeError
from graph import GraphError, ModelGraph, Report, validate
from graph.block_validate import use_body
from graph.blocks import BlockSpec
from graph.operation import OperationSpec
from graph.params import thaw
from graph.user_layers import UNCHECKED
from graph.weightsfile import SavedWeights


class BuildError(GraphError):
    """Keras failed to create or call a layer of a valid graph (a tensor it could not
    allocate, a limit of the backend): the message names the node."""


def checked_report(g: ModelGraph) -> Report:
    """validate(g), raising GraphError with every error if the graph is not valid, and
    UntrustedCodeError naming the modules of custom layers not trusted (unchecked)."""
    report = validate(g)
    if not report.valid:
        lines = "\n".join(f"  {p.message}" for p in report.errors)
        raise GraphError(f"graph '{g.name}' is not valid:\n{lines}")
    unchecked = [p.message for p in report.warnings if p.code == UNCHECKED]
    if unchecked:
        lines = "\n".join(f"  {m}" for m in unchecked)
        raise UntrustedCodeError(f"graph '{g.name}' uses code that is not trusted:\n{lines}")
    return report


def build_model(g: ModelGraph, weights: SavedWeights | None = None) -> Any:
    """The keras.Model for `g`, its layers given their saved `weights` (read from the
    graph's sidecar: graph.weightsfile.read_sidecar) where shapes still match, fresh
    ones elsewhere; raises GraphError listing the problems if invalid, BuildError
    naming the node if Keras fails on a layer. See build_with_weights for the report."""
    return build_with_weights(g, weights)[0]


def build_with_weights(g: ModelGraph, weights: SavedWeights | None) -> tuple[Any, WeightsReport]:
    """build_model's model, and which layers kept their saved weights and why each other
    one was re-initialized (codegen.build_weights)."""
    report = checked_report(g)
    # Each use's model is built on its own: the largest graph, top or body, counts.
    allow_depth(max([len(g)] + [len(g.blocks.body(name)) for name in g.blocks.names()]))
    model = _functional(g, report, g.name, nested=False)
    return model, put_weights(g, model, weights)


def _functional(g: ModelGraph, report: Report, name: str, nested: bool) -> Any:
    """The Functional model of valid `g`. A nested one (a block use's) takes and
    returns a bare tensor where it has one input or output, as a layer would."""
    keras = import_keras()
    layers: dict[int, Any] = {}
    tensors: dict[str, Any] = {}
    for node_id in report.order:
        layer = g.layer(node_id)
        if g.is_input(node_id):
            kwargs = {k: thaw(v) for k, v in layer.params.items()}
            tensors[node_id] = keras.Input(name=layer.name, **kwargs)
            continue
        layer_id = g.node(node_id).layer_id
        spec = g.spec(node_id)
        sources = report.sources[node_id]
        outputs = g.source_outputs(node_id) or (0,) * len(sources)
        inputs = [_output(g, tensors, s, k) for s, k in zip(sources, outputs, strict=True)]
        try:
            if layer_id not in layers:
                layers[layer_id] = _make_layer(g, report, node_id)
            if isinstance(spec, OperationSpec):
                tensors[node_id] = call_operation(spec, layers[layer_id], layer.params, inputs)
            else:
                tensors[node_id] = call_layer(spec, layers[layer_id], inputs)
        except Exception as e:
            reason = plain_text(str(e)).strip().splitlines()
            raise BuildError(
                f"{g.label(node_id)}: Keras could not build it: {type(e).__name__}"
                + (f": {reason[0]}" if reason else "")
            ) from e
    ins = [tensors[n] for n in g.inputs]
    outs = [_output(g, tensors, n, 0) for n in g.outputs]
    if nested:
        ins = ins[0] if len(ins) == 1 else ins
        outs = outs[0] if len(outs) == 1 else outs
    return keras.Model(inputs=ins, outputs=outs, name=name)


def _make_layer(g: ModelGraph, report: Report, node_id: str) -> Any:
    """The Keras layer of `node_id`'s layer: a nested model for a block use, an
    operation (keras.src.ops) for an operation node."""
    layer = g.layer(node_id)
    spec = g.spec(node_id)
    if isinstance(spec, OperationSpec):
        return make_operation(spec, layer.params, name=layer.name)
    if isinstance(spec, BlockSpec):
        made = use_body(g, report, node_id)
        keras_layer = _functional(made.graph, made.report, layer.name, nested=True)
    elif isinstance(spec, KerasBackedSpec):
        keras_layer = spec.new_layer(layer.params, layer.name)
    else:
        keras_layer = make_layer(layer.type, layer.params, name=layer.name)
    if not layer.trainable:
        keras_layer.trainable = False
    return keras_layer


def _output(g: ModelGraph, tensors: dict[str, Any], node_id: str, index: int) -> Any:
    """The tensor of output `index` of `node_id` (a use of several outputs gives a list)."""
    tensor = tensors[node_id]
    return tensor[index] if g.output_count(node_id) > 1 else tensor
