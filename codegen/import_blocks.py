"""Nested Keras models imported as blocks (graph.blocks), not flattened.

Each nested Functional or Sequential model becomes a block definition and each of its
calls a use: the model's first call a use named after the model, a later call of the
same model object a call again of that use (one set of weights, as Keras shares the
model's). The body is the model imported on its own, into a graph that shares the
outer graph's definitions (its own nested models become blocks too), so the body
holds the model's Inputs, under their names (the use's ports), and its layers under
their own names. Models whose bodies have the same structure (graph.regions: layers,
params, wiring; names aside) share one definition, named after the first; later ones
are noted, since their layers then take the first model's names.

A model some of whose layers are also called outside it cannot be a block (a block's
weights are its own), nor one whose later output is an output of the model around it
(a graph's outputs name nodes, so a use's first output): it is flattened, with a note.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from graph import ModelGraph
from graph.grouping import free_block_name
from graph.regions import copy_region, region_key


class SubModelBlocks:
    """The blocks made from one import's nested models (shared by the whole import)."""

    def __init__(self, top: Any, is_model: Callable[[Any], bool]) -> None:
        self.is_model = is_model
        #: id(model) -> its block's name; a body's structure -> the block's name.
        self.by_model: dict[int, str] = {}
        self.by_key: dict[tuple, str] = {}
        #: id(nested model) -> why it is flattened, not a block.
        self.flattened = _flattened(top, is_model)

    def block_of(self, importer: Any, label: str, model: Any, functional: Any) -> str | None:
        """The name of the block `model` is a use of, its body imported on first sight
        (see the module docstring); None if the body was refused (recorded)."""
        known = self.by_model.get(id(model))
        if known is not None:
            return known
        outer: ModelGraph = importer.g
        scratch = ModelGraph(model.name, blocks=outer.blocks)
        importer.body_importer(scratch).fill(functional, model.name)
        nodes = scratch.node_ids()
        key = region_key(scratch, nodes, scratch.outputs)
        name = self.by_key.get(key)
        if name is None:
            name = self.by_key[key] = free_block_name(model.name, outer.blocks)
            body = outer.define_block(name)
            made = copy_region(scratch, nodes, body)
            body.set_outputs([made[n] for n in scratch.outputs])
        elif name != model.name:
            importer.notes.add(
                label,
                f"has the structure of block '{name}' and is imported as a use of it "
                "(its layers take that block's names)",
            )
        self.by_model[id(model)] = name
        return name

    def use(
        self, importer: Any, label: str, model: Any, functional: Any, sources: list
    ) -> list[tuple[str, int] | None]:
        """The use node of one call of `model` on `sources` ((port, node, output) each),
        connected; (node, output) for each of its outputs, or Nones where refused."""
        nothing: list[tuple[str, int] | None] = [None] * len(functional.outputs)
        if len(sources) != len(functional.inputs):
            importer.refuse_call_count(label, len(sources), len(functional.inputs))
            return nothing
        g: ModelGraph = importer.g
        node = importer.first_site.get(id(model))
        if node is not None:
            node = g.call_again(node)
        else:
            block = self.block_of(importer, label, model, functional)
            if block is None:
                return nothing
            node = importer.add_layer_node(label, block, model, {}, prefix=None)
            if node is None:
                return nothing
            importer.keras_layers[node] = model
            if not model.trainable:  # a frozen model: its use is frozen as a whole
                g.set_trainable(node, False)
        ports = g.spec(node).ports.names
        for port, (_, src, output) in zip(ports, sources, strict=True):
            g.connect(src, node, port, output)
        return [(node, i) for i in range(len(functional.outputs))]


def _flattened(top: Any, is_model: Callable[[Any], bool]) -> dict[int, str]:
    """Why each model nested in `top` (at any depth) that cannot be a block is
    flattened (see the module docstring), by its id."""
    owners: dict[int, set[int]] = defaultdict(set)
    within: dict[int, set[int]] = {}
    held: dict[int, set[int]] = {}
    reasons: dict[int, str] = {}

    def visit(model: Any) -> None:
        if id(model) in within:
            return
        inside, layers = {id(model)}, set()
        for layer in model.layers:
            owners[id(layer)].add(id(model))
            layers.add(id(layer))
            if is_model(layer):
                visit(layer)
                inside |= within[id(layer)]
                layers |= held[id(layer)]
        within[id(model)], held[id(model)] = inside, layers
        for tensor in model.outputs:
            maker, _, index = tensor._keras_history
            if index and is_model(maker):
                reasons[id(maker)] = (
                    f"flattened: its output {index + 1} is an output of '{model.name}', "
                    "which a graph output names only as a use's first"
                )

    visit(top)
    for model in within:
        if model != id(top) and any(not owners[layer] <= within[model] for layer in held[model]):
            reasons[model] = (
                "flattened: some of its layers are also called outside it, and a block's "
                "weights are its own"
            )
    return reasons
