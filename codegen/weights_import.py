"""`.keras` file -> graph file and weights sidecar: the import that keeps what was trained.

The model is built from its checked config (codegen.keras_safety), its trained weights
loaded only after they proved to be what Keras writes for that model
(codegen.archive_weights), and the graph imported from it (codegen.importer, which
keeps each layer's trainable flag); each layer's weights then go to the sidecar beside
the graph file, under the layer's graph name (graph.weightsfile). Grouped by names
(graph.grouping), layers move into block uses: the weights follow them by name, each
member of a use given its original layer's (`GroupedUse.members`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codegen.archive_weights import WEIGHTS_ENTRY, load_archive_weights
from codegen.build_weights import layer_arrays
from codegen.importer import Notes, import_keras_layers
from codegen.keras_env import import_keras
from codegen.keras_safety import load_checked
from codegen.user_layers import TrustedLayers
from graph import ModelGraph
from graph.grouping import Grouping
from graph.weights import PATH_SEPARATOR, top_name
from graph.weightsfile import sidecar_name, write_sidecar


def import_with_weights(
    model_path: str | os.PathLike,
    graph_path: str | os.PathLike,
    *,
    flatten: bool = False,
    group_by_names: bool = False,
    user_layers: TrustedLayers | None = None,
) -> tuple[ModelGraph, Notes]:
    """The graph of the `.keras` file at `model_path`, its trained weights written to
    the sidecar of the graph file `graph_path` and recorded in the graph (the graph file
    itself is the caller's to save, after the sidecar, as this writes it first). Nested
    models become block uses (their weights kept under the use's name), or with
    `flatten` nodes of the outer graph; `group_by_names` makes blocks of layers named
    alike too, and their weights go into the uses; the classes of `user_layers` become
    custom layer nodes (codegen.user_layers).

    Raises what import_keras_model raises, and GraphFileError naming the model file
    when its weights are not what Keras writes for its config.
    """
    keras = import_keras()
    model_path = Path(model_path)
    trusted = None if user_layers is None else user_layers.custom_objects()
    model = load_checked(keras, model_path, trusted)
    loaded = load_archive_weights(model, model_path)
    g, notes, layers, grouping = import_keras_layers(
        model, flatten=flatten, group_by_names=group_by_names, user_layers=user_layers
    )
    if not loaded:
        return g, [*notes, f"the file holds no {WEIGHTS_ENTRY}: the graph has no weights"]
    weights = _regrouped(g, grouping, layer_arrays(layers))
    if weights:
        g.weights = write_sidecar(Path(graph_path).parent / sidecar_name(graph_path), weights)
    return g, notes


def _regrouped(
    g: ModelGraph, grouping: Grouping, weights: Mapping[str, list[Any]]
) -> dict[str, list[Any]]:
    """`weights`, keyed by the layers' names before `grouping`, keyed as `g` holds
    them after it: a use's members under the use (`conv2_block1/_1_conv`), found by
    their original names (`conv2_block1_1_conv`)."""
    moved = {
        original: f"{g.layer(use.node).name}{PATH_SEPARATOR}{inner}"
        for use in grouping.uses
        for inner, original in use.members.items()
    }
    regrouped = {}
    for key, arrays in weights.items():
        name = top_name(key)
        regrouped[moved.get(name, name) + key[len(name) :]] = arrays
    return regrouped
