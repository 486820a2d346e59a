"""graph -> keras.Model: the Functional model a graph describes.

Layers are created once per graph layer (so call sites of a shared layer share one
Keras layer and its weights) and called in the graph's topological order, with the
graph's layer names; inputs and outputs keep graph order.
"""

from __future__ import annotations

from typing import Any

from codegen.keras_env import allow_depth, import_keras
from codegen.keras_errors import plain_text
from codegen.keras_layers import call_layer, make_layer
from graph import GraphError, ModelGraph, Report, validate
from graph.params import thaw


class BuildError(GraphError):
    """Keras failed to create or call a layer of a valid graph (a tensor it could not
    allocate, a limit of the backend): the message names the node."""


def checked_report(g: ModelGraph) -> Report:
    """validate(g), raising GraphError with every error if the graph is not valid."""
    report = validate(g)
    if not report.valid:
        lines = "\n".join(f"  {p.message}" for p in report.errors)
        raise GraphError(f"graph '{g.name}' is not valid:\n{lines}")
    return report


def build_model(g: ModelGraph) -> Any:
    """The keras.Model for `g`; raises GraphError listing the problems if invalid,
    BuildError naming the node if Keras fails on a layer."""
    report = checked_report(g)
    keras = import_keras()
    allow_depth(len(g))
    layers: dict[int, Any] = {}
    tensors: dict[str, Any] = {}
    for node_id in report.order:
        layer = g.layer(node_id)
        if g.is_input(node_id):
            kwargs = {k: thaw(v) for k, v in layer.params.items()}
            tensors[node_id] = keras.Input(name=layer.name, **kwargs)
            continue
        layer_id = g.node(node_id).layer_id
        inputs = [tensors[src] for src in report.sources[node_id]]
        try:
            if layer_id not in layers:
                layers[layer_id] = make_layer(layer.type, layer.params, name=layer.name)
            tensors[node_id] = call_layer(g.spec(node_id), layers[layer_id], inputs)
        except Exception as e:
            reason = plain_text(str(e)).strip().splitlines()
            raise BuildError(
                f"{g.label(node_id)}: Keras could not build it: {type(e).__name__}"
                + (f": {reason[0]}" if reason else "")
            ) from e
    return keras.Model(
        inputs=[tensors[n] for n in g.inputs],
        outputs=[tensors[n] for n in g.outputs],
        name=g.name,
    )
