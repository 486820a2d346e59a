"""What a model costs: per node its weights, forward compute and output size; for the
model, the memory one training step needs. From the specs and validate()'s shapes
alone (no keras or torch), at a batch size.

Conventions (proven against torch's own counters by tests/test_cost.py):

- MACs: multiply-accumulates of the forward pass in matrix products and convolutions,
  which is what torch's `FlopCounterMode` counts (its FLOPs are 2 x MACs). Biases,
  activations, normalization, pooling, dropout and element-wise merges count 0: they
  are a few operations per value, not a product per weight. Recurrent layers count
  every time step; attention counts its projections and both score products.
- Output bytes: the node's output at the batch size, in its dtype. `activation_bytes`
  sums them over every node (the model inputs included): the forward pass's tensors.
- Training memory: weights (all of them) + gradients (trainable weights) + the
  optimizer's slots per trainable weight (graph/training.py's OPTIMIZER_SLOTS: adam 2,
  sgd 0 as Keras's default momentum 0 keeps none, rmsprop 1, ...) in float32, + the
  tensors autograd keeps for backward. What each layer keeps is its spec's `saved`
  rule; a tensor two layers keep (a ReLU's output, the next Dense's input) counts once,
  views (Reshape, Flatten) count as the tensor they view, and a layer that no gradient
  flows through (no trainable weight at or upstream of it) keeps nothing. Temporaries
  that backward allocates and frees, the data loader and torch's allocator slack are
  not counted.

A node whose shape has an unknown axis besides the batch (a free time axis) has no
MACs and no sizes (None); the totals sum the nodes that have them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graph.model import ModelGraph
from graph.report import Report
from graph.shapes import Shape
from graph.spec import Saved
from graph.training import OPTIMIZER_SLOTS
from graph.validate import validate

#: Bytes per element of each dtype a tensor can have.
_ITEMSIZE = {
    "float16": 2,
    "bfloat16": 2,
    "float32": 4,
    "float64": 8,
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "uint16": 2,
    "int32": 4,
    "uint32": 4,
    "int64": 8,
    "uint64": 8,
    "bool": 1,
}
#: Weights, gradients and optimizer slots: float32, Keras's default variable dtype.
_WEIGHT_BYTES = 4
#: Index tensors kept for backward (max pooling's): int64.
_INDEX_BYTES = 8


def itemsize(dtype: str) -> int:
    """Bytes per element of `dtype` (4 for a dtype this table does not know)."""
    return _ITEMSIZE.get(dtype, 4)


@dataclass(frozen=True)
class NodeCost:
    """One node's cost at a batch size. `params` is 0 at a shared layer's later calls
    (its weights are counted at the first); `macs` and `output_bytes` are None where a
    size is unknown."""

    params: int
    macs: int | None
    output_bytes: int | None


@dataclass(frozen=True)
class ModelCost:
    """A model's cost at `batch` with `optimizer`, per node and in total."""

    batch: int
    optimizer: str
    nodes: dict[str, NodeCost]
    params: int
    trainable_params: int
    macs: int
    activation_bytes: int
    #: The tensors autograd keeps for backward in one training step.
    saved_bytes: int

    @property
    def weight_bytes(self) -> int:
        return self.params * _WEIGHT_BYTES

    @property
    def gradient_bytes(self) -> int:
        return self.trainable_params * _WEIGHT_BYTES

    @property
    def optimizer_bytes(self) -> int:
        return self.trainable_params * _WEIGHT_BYTES * OPTIMIZER_SLOTS[self.optimizer]

    @property
    def train_memory_bytes(self) -> int:
        """Weights, gradients, optimizer slots and saved activations of one step."""
        return self.weight_bytes + self.gradient_bytes + self.optimizer_bytes + self.saved_bytes

    def to_json(self) -> dict[str, Any]:
        """The shape `kgs cost --json` prints."""
        return {
            "batch": self.batch,
            "total": {
                "params": self.params,
                "macs": self.macs,
                "activation_bytes": self.activation_bytes,
                "train_memory_bytes": self.train_memory_bytes,
            },
            "nodes": {
                node_id: {"params": c.params, "macs": c.macs, "output_bytes": c.output_bytes}
                for node_id, c in self.nodes.items()
            },
        }


def at_batch(shape: Shape, batch: int) -> Shape | None:
    """`shape` with a free batch axis set to `batch`; None if another axis is unknown."""
    if not shape:
        return shape  # a scalar (an operation reduced every axis, the batch's too)
    concrete = (batch if shape[0] is None else shape[0], *shape[1:])
    return None if None in concrete else concrete


def cost(
    g: ModelGraph, report: Report | None = None, batch: int = 1, optimizer: str = "adam"
) -> ModelCost:
    """The cost of `g` at `batch` with `optimizer` (a key of OPTIMIZER_SLOTS), from
    `report` (validate(g) by default). Nodes the report could not infer are left out."""
    if optimizer not in OPTIMIZER_SLOTS:
        raise ValueError(f"unknown optimizer {optimizer!r}: one of {', '.join(OPTIMIZER_SLOTS)}")
    report = report or validate(g)
    nodes: dict[str, NodeCost] = {}
    sizes: dict[str, int] = {}  # node -> output bytes, where known
    storage: dict[str, str] = {}  # node -> the node whose output its output views
    with_grad: set[str] = set()
    kept: set[str] = set()
    made = 0  # bytes of kept tensors made inside layers
    for node_id in report.order:
        result = report.nodes.get(node_id)
        spec = g.spec(node_id)
        if result is None or spec is None:
            continue
        sources = report.sources.get(node_id, [])
        p = spec.resolve(g.layer(node_id).params)
        output = at_batch(result.shape, batch)
        inputs = [_concrete(report, src, batch) for src in sources]
        known = output is not None and None not in inputs
        macs = spec.macs(inputs, output, p) if known else None
        out_bytes = math.prod(output) * itemsize(result.dtype) if output is not None else None
        first_call = g.call_index(node_id) == 1
        nodes[node_id] = NodeCost(result.params if first_call else 0, macs, out_bytes)
        if out_bytes is not None:
            sizes[node_id] = out_bytes
        storage[node_id] = storage[sources[0]] if spec.output_is_view and sources else node_id
        if result.trainable or any(src in with_grad for src in sources):
            with_grad.add(node_id)
            if known:
                saved = spec.saved(inputs, output, p)
                kept.update(_kept_tensors(saved, node_id, sources, storage))
                made += saved.extra * itemsize(result.dtype) + saved.indices * _INDEX_BYTES
    return ModelCost(
        batch=batch,
        optimizer=optimizer,
        nodes=nodes,
        params=report.total_params,
        trainable_params=report.trainable_params,
        macs=sum(c.macs for c in nodes.values() if c.macs is not None),
        activation_bytes=sum(sizes.values()),
        saved_bytes=made + sum(sizes.get(n, 0) for n in kept),
    )


def _concrete(report: Report, node_id: str, batch: int) -> Shape | None:
    return at_batch(report.nodes[node_id].shape, batch)


def _kept_tensors(
    saved: Saved, node_id: str, sources: list[str], storage: Mapping[str, str]
) -> set[str]:
    """The nodes whose output tensors `saved` names, each by the tensor it views."""
    names = {storage[sources[i]] for i in saved.inputs if i < len(sources)}
    if saved.output:
        names.add(storage[node_id])
    return names
