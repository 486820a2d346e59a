"""Putting a graph's saved weights into its freshly built Keras model, with a report.

Each layer of the built model whose weights have the shapes its saved weights were
recorded with (graph.weights) gets them; the others keep their fresh initialization:
a layer that is new (no saved weights under its name), one whose weights changed shape
(more units, another input size), or every layer when the graph has no weights. The
report says which layers kept their weights and why each other one starts fresh, so a
user sees what an edit cost.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from codegen.keras_env import import_keras
from graph import ModelGraph
from graph.filenames import file_stem
from graph.weights import PATH_SEPARATOR, Shapes, WeightsRecord
from graph.weightsfile import SavedWeights, sidecar_name, write_sidecar
from graph.wording import counted


@dataclass
class WeightsReport:
    """Which layers of a built model got their saved weights, which start fresh (why)."""

    kept: list[str] = field(default_factory=list)
    #: (layer name, why it starts from fresh weights), in graph order.
    fresh: list[tuple[str, str]] = field(default_factory=list)
    #: Saved layers the built model does not have (gone from the graph, renamed, or
    #: leading to no output): their weights are not used.
    unused: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """One line for the kept layers, one per re-initialized layer, one for unused."""
        lines = []
        if self.kept:
            lines.append(
                f"weights kept for {counted(len(self.kept), 'layer')}: " + ", ".join(self.kept)
            )
        lines += [f"re-initialized '{name}': {why}" for name, why in self.fresh]
        if self.unused:
            lines.append(
                "saved weights of layers the model does not have (not used): "
                + ", ".join(self.unused)
            )
        return lines


def put_weights(g: ModelGraph, model: Any, saved: SavedWeights | None) -> WeightsReport:
    """Give each of `model`'s layers (built from `g`) its saved weights where their
    shapes still match; see the module docstring."""
    report = WeightsReport()
    built = graph_layers(g, model)
    layers = keyed_layers(built)
    if saved is not None:
        saved = _uses_keyed_by_path(saved, built)
    for name, keras_layer in layers.items():
        shapes = _shapes(keras_layer)
        if not shapes:
            continue
        why = _why_fresh(name, shapes, saved)
        if why is None:
            keras_layer.set_weights(saved.arrays[name])
            report.kept.append(name)
        else:
            report.fresh.append((name, why))
    if saved is not None:
        report.unused = [name for name in saved.record.layers if name not in layers]
    return report


def _uses_keyed_by_path(saved: SavedWeights, built: Mapping[str, Any]) -> SavedWeights:
    """`saved`, with each block use that an older sidecar keys by the use's own name
    (all its layers' weights in one list, by position, as before they were keyed by
    path) split into its layers' keys (`enc/dense`), so that it loads as a sidecar of
    today would. A use whose saved shapes do not line up with its layers' now is left
    as saved: the report names it unused and its layers fresh."""
    record_layers = dict(saved.record.layers)
    arrays = dict(saved.arrays)
    unread = dict(saved.unread)
    for name, shapes in saved.record.layers.items():
        layer = built.get(name)
        if PATH_SEPARATOR in name or not _is_functional(layer):
            continue
        if any(key.startswith(name + PATH_SEPARATOR) for key in record_layers):
            continue
        inner = keyed_layers({name: layer})
        if tuple(s for sub in inner.values() for s in _shapes(sub)) != shapes:
            continue
        flat = arrays.pop(name, None)
        del record_layers[name]
        start = 0
        for key, sub in inner.items():
            count = len(sub.weights)
            record_layers[key] = shapes[start : start + count]
            if flat is not None:
                arrays[key] = flat[start : start + count]
            elif name in unread:
                unread[key] = unread[name]
            start += count
        unread.pop(name, None)
    if record_layers == saved.record.layers:
        return saved
    record = replace(saved.record, layers=record_layers)
    return SavedWeights(saved.path, record, arrays, unread)


def _is_functional(layer: Any) -> bool:
    from keras.src.models.functional import Functional

    return isinstance(layer, Functional)


def graph_layers(g: ModelGraph, model: Any) -> dict[str, Any]:
    """The Keras layer of each of `g`'s layers but Inputs in `model` (built from `g`),
    by name, in graph order; a layer that leads to no output is not in the model."""
    built = {layer.name: layer for layer in model.layers}
    names = dict.fromkeys(g.layer(n).name for n in g.node_ids() if not g.is_input(n))
    return {name: built[name] for name in names if name in built}


def keyed_layers(layers: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The layers with weights among `layers` (by graph name), by their key in a
    sidecar (graph.weights): a block use's nested model gives the layers inside it,
    keyed by path (`enc/dense`), so they match by name, not by position. A subclassed
    model (a user's custom layer class) is one layer: the names of the layers it makes
    are Keras's counters', not the graph's, and differ from one build to the next."""
    keyed = {}
    for name, layer in layers.items():
        key = prefix + name
        if _is_functional(layer):
            inner = {sub.name: sub for sub in layer.layers}
            keyed.update(keyed_layers(inner, key + PATH_SEPARATOR))
        elif layer.weights:
            keyed[key] = layer
    return keyed


def layer_arrays(layers: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Per key (keyed_layers), the Keras layer's weights as numpy arrays (Keras's
    `layer.weights` order): what a graph's sidecar holds."""
    return flat_arrays(keyed_layers(layers))


def flat_arrays(layers: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Per graph name, all of the Keras layer's weights as numpy arrays in Keras's
    `layer.weights` order (a block use's nested model: those of its layers, by
    position), for the layers that have weights: what generated code loads, written
    beside it from the very model it builds (so positions cannot drift)."""
    ops = import_keras().ops
    return {
        name: [ops.convert_to_numpy(w) for w in layer.weights]
        for name, layer in layers.items()
        if layer.weights
    }


def save_model_weights(g: ModelGraph, model: Any, graph_path: str | os.PathLike) -> WeightsRecord:
    """Write the weights of `model` (built from `g`) to the sidecar of the graph file
    `graph_path` (the one `g` records, else the usual name beside it); returns the
    record for `g`, whose file the caller saves afterwards."""
    graph_path = Path(graph_path)
    name = g.weights.file if g.weights is not None else sidecar_name(graph_path)
    return write_model_weights(g, model, graph_path.parent / name)


def write_model_weights(g: ModelGraph, model: Any, path: str | os.PathLike) -> WeightsRecord:
    """Write the weights of `model` (built from `g`) to a sidecar at `path`, atomically."""
    return write_sidecar(path, layer_arrays(graph_layers(g, model)))


def beside_module_name(g: ModelGraph) -> str:
    """The name of the weights file written beside generated code of `g` (a module,
    a training script), which that code loads: `NAME_weights.h5`."""
    return f"{file_stem(g.name)}_weights.h5"


def write_beside_module(g: ModelGraph, model: Any, folder: str | os.PathLike) -> str:
    """Write the weights of `model` (built from `g`) into `folder` under the name the
    generated module of `g` loads (`kgs compile`, the studio's Python exports); returns
    that name, for `to_python(g, style, weights=...)`."""
    name = beside_module_name(g)
    write_sidecar(Path(folder) / name, flat_arrays(graph_layers(g, model)))
    return name


def _shapes(keras_layer: Any) -> Shapes:
    return tuple(tuple(int(d) for d in w.shape) for w in keras_layer.weights)


def _why_fresh(name: str, shapes: Shapes, saved: SavedWeights | None) -> str | None:
    """Why the layer `name`, whose weights have `shapes` now, cannot take its saved
    weights; None when it can."""
    if saved is None:
        return "the graph has no saved weights"
    recorded = saved.record.layers.get(name)
    if recorded is None:
        return "new layer: no saved weights under its name"
    if recorded != shapes:
        return f"its weights changed shape: saved {_shown(recorded)}, now {_shown(shapes)}"
    if name not in saved.arrays:  # recorded, not read: the sidecar says why
        return saved.unread.get(name, "its saved weights were not read")
    return None


def _shown(shapes: Shapes) -> str:
    return ", ".join(map(str, shapes))
