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
  tensors autograd keeps for backward. What each layer keeps is its spec's
  `saved_with_grads` rule, told which of its inputs carry a gradient (a product keeps
  an input only for the other's gradient); a tensor two layers keep (a ReLU's output,
  the next Dense's input) counts once, views (Reshape, Flatten) count as the tensor
  they view, and a layer that no gradient flows through (no trainable weight at or
  upstream of it; a frozen layer's weights train none) keeps nothing. Temporaries
  that backward allocates and frees, the data loader and torch's allocator slack are
  not counted.

A node whose shape has an unknown axis besides the batch (a free time axis) has no
MACs and no sizes (None); the totals sum the nodes that have them.

cost() runs on every edit in the studio, so it keeps its work per graph and, after an
edit, costs again only the nodes the edit reaches (see _Costing).
"""

from __future__ import annotations

import itertools
import math
import operator
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from graph.block_validate import concrete
from graph.blocks import BlockSpec
from graph.downstream import Downstream
from graph.infer import Inferred
from graph.model import Layer, ModelGraph
from graph.report import Report
from graph.shapes import Shape
from graph.spec import LayerSpec, Saved
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
    """One node's cost at a batch size. `params` and `trainable` (the trainable part of
    them) are 0 at a shared layer's later calls (its weights are counted at the first);
    `macs` and `output_bytes` are None where a size is unknown."""

    params: int
    macs: int | None
    output_bytes: int | None
    trainable: int = 0


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
    #: The nodes whose output is kept for backward (by themselves or by another node);
    #: per node a gradient flows through, the bytes of the tensors it makes and keeps.
    kept_outputs: frozenset[str] = frozenset()
    made_by: Mapping[str, int] = field(default_factory=dict)

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

    @cached_property
    def memory_by_node(self) -> dict[str, int]:
        """Each node's share of `train_memory_bytes`: its weights with their gradients
        and optimizer slots, its output if kept for backward, and what it makes and
        keeps. The shares add up to the total (a tensor kept twice counts at the node
        that made it)."""
        per_trainable = _WEIGHT_BYTES * (1 + OPTIMIZER_SLOTS[self.optimizer])
        kept, made = self.kept_outputs, self.made_by
        return {
            node_id: c.params * _WEIGHT_BYTES
            + c.trainable * per_trainable
            + ((c.output_bytes or 0) if node_id in kept else 0)
            + made.get(node_id, 0)
            for node_id, c in self.nodes.items()
        }

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
    `report` (validate(g) of `g` as it is now; validate(g) by default). Nodes the report
    could not infer are left out.

    The graph's last costing is kept (as validate keeps its validation), so after an
    edit only the nodes whose inputs changed are costed again: the same answer as a
    cold run, to the byte (tests/test_cost_incremental.py).
    """
    if optimizer not in OPTIMIZER_SLOTS:
        raise ValueError(f"unknown optimizer {optimizer!r}: one of {', '.join(OPTIMIZER_SLOTS)}")
    if report is None or not report.nodes.keys() <= g._tables().nodes.keys():
        report = validate(g)  # none given, or one of nodes the graph no longer has
    costings = _COSTINGS.setdefault(g, {})
    costing = costings.pop(batch, None) or _Costing(batch)
    result = costing.run(g, report, optimizer)
    costings[batch] = costing  # the latest last
    while len(costings) > _BATCHES_KEPT:
        del costings[next(iter(costings))]
    return result


class _Local(NamedTuple):
    """What one node costs on its own: a pure function of its layer, spec, result,
    input results, which inputs carry a gradient, whether it is its layer's first call
    and the batch; reused while those are the same."""

    layer: Layer
    spec: LayerSpec
    result: Inferred
    inputs: tuple[Inferred, ...]
    input_grads: tuple[bool, ...]
    first_call: bool
    cost: NodeCost
    #: What backward keeps when a gradient flows through; None when a size is unknown.
    saved: Saved | None
    #: Bytes of the tensors `saved` makes inside the layer.
    made: int


class _Costing:
    """cost()'s work on one graph at one batch size, kept between runs.

    Per node: its _Local, whether a gradient flows through it, the tensor its output
    views, and the tensors it keeps for backward; totals are kept as running sums,
    each node's share taken out before its new share goes in. A run after an edit
    visits only the nodes whose result or layer changed (and after a structural edit,
    those whose sources or first call may have), then in order what lies downstream of
    a node whose result, gradient or storage changed. A first run, or one after a spec
    changed (a resolver added), visits every node, reusing each node's _Local where
    its inputs are the same.
    """

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.stamp: int | None = None
        #: The graph's nodes (as of the last structural change), the report's results
        #: and sources and the graph's layers, as the last run saw them.
        self.nodes: dict = {}
        self.results: dict[str, Inferred] = {}
        self.sources: dict[str, list[str]] = {}
        self.layers: dict[int, Layer] = {}
        #: Whether the order changed since the costs were last put in it.
        self.reordered = False
        self.local: dict[str, _Local] = {}
        #: The graph, its tables and the report, set by run() for that run only: a
        #: graph's costing must not keep the graph alive (see _COSTINGS).
        self.g = self.t = self.report = None
        self.reset()

    def reset(self) -> None:
        """Forget every node's share of the totals (not the _Locals: they are reused)."""
        self.order: list[str] = []
        self.position: dict[str, int] = {}
        self.specs: dict[str, LayerSpec | None] = {}
        #: The cost of every node costed, in the order a cold run puts them.
        self.costs: dict[str, NodeCost] = {}
        self.sizes: dict[str, int] = {}
        self.storage: dict[str, str] = {}
        self.with_grad: set[str] = set()
        #: Per node a gradient flows through: the tensors it keeps, by the node that
        #: made them, and the bytes of those it makes itself.
        self.kept: dict[str, tuple[str, ...]] = {}
        self.made_of: dict[str, int] = {}
        #: Per tensor kept: how many nodes keep it.
        self.refs: dict[str, int] = {}
        self.macs = self.activation_bytes = self.made = self.kept_bytes = 0

    def run(self, g: ModelGraph, report: Report, optimizer: str) -> ModelCost:
        t = g._tables()
        self.g, self.t, self.report = g, t, report
        try:
            seeds = self.changed_nodes(g, t, report)
            if seeds is None:
                self.full_pass()
            else:
                self.update(seeds)
            if t.last_stamp != self.stamp:
                self.stamp, self.nodes = t.last_stamp, dict(t.nodes)
            self.results, self.layers = dict(report.nodes), dict(t.layers)
            self.sources = dict(report.sources)
        finally:
            self.g = self.t = self.report = None
        return ModelCost(
            batch=self.batch,
            optimizer=optimizer,
            nodes=dict(self.costs),
            params=report.total_params,
            trainable_params=report.trainable_params,
            macs=self.macs,
            activation_bytes=self.activation_bytes,
            saved_bytes=self.made + self.kept_bytes,
            kept_outputs=frozenset(self.refs),
            made_by=dict(self.made_of),
        )

    def changed_nodes(self, g: ModelGraph, t, report: Report) -> list[str] | None:
        """The nodes whose inputs may not be what the last run saw (result, layer, and
        after a structural edit sources and first calls), or None before a first run or
        when a spec may have changed."""
        if self.stamp is None:
            return None
        if any(g.spec_of_type(name) is not spec for name, spec in self.specs.items()):
            return None
        seeds = _changed_keys(self.results, report.nodes)
        for layer_id in _changed_keys(self.layers, t.layers):
            seeds += t.sites.get(layer_id, ())
        if t.last_stamp != self.stamp:
            seeds += self.restructure(t, report)
        return seeds

    def restructure(self, t, report: Report) -> list[str]:
        """After nodes or connections were added or removed: take the report's order,
        withdraw the nodes it no longer has, and return the nodes whose sources or
        first call may have changed (every call site of a layer that gained or lost
        one: which is first may have changed)."""
        seeds = _changed_keys(self.sources, report.sources, operator.ne)
        nodes = self.nodes
        for node_id in t.nodes.keys() - nodes.keys():
            seeds += t.sites[t.nodes[node_id].layer_id]
        for node_id in nodes.keys() - t.nodes.keys():
            seeds += t.sites.get(nodes[node_id].layer_id, ())
        if report.order != self.order:
            self.order = list(report.order)
            self.position = dict(zip(self.order, range(len(self.order)), strict=True))
            for node_id in list(itertools.filterfalse(self.position.__contains__, self.local)):
                self.withdraw(node_id)
                del self.local[node_id]
                self.costs.pop(node_id, None)
            self.reordered = True
        return seeds

    def full_pass(self) -> None:
        """Every node in order, from fresh totals."""
        reuse = self.local
        self.reset()
        self.local = {}
        self.order = list(self.report.order)
        self.position = dict(zip(self.order, range(len(self.order)), strict=True))
        for node_id in self.order:
            self.visit(node_id, reuse.get(node_id))

    def update(self, seeds: list[str]) -> None:
        """Visit `seeds` in order, and what lies downstream while a visit changes what
        the next node reads."""
        walk = Downstream(seeds, self.order, self.position, self.t.succ)
        added = self.reordered
        for node_id in walk:
            was_costed = node_id in self.costs
            if self.visit(node_id, self.local.get(node_id)):
                walk.spread(node_id)
            added |= not was_costed and node_id in self.costs
        if added:  # put the costs in the order, as a cold run fills them (in C loops)
            costs = self.costs
            ordered = list(filter(costs.__contains__, self.order))
            if ordered != list(costs):
                self.costs = dict(zip(ordered, map(costs.__getitem__, ordered), strict=True))
        self.reordered = False

    def visit(self, node_id: str, old: _Local | None) -> bool:
        """Cost `node_id` again (reusing `old` where its inputs are the same); returns
        whether what its successors read changed: its result, whether a gradient flows
        through it, or the tensor its output views."""
        old_grad, old_storage = node_id in self.with_grad, self.storage.get(node_id)
        self.withdraw(node_id)
        sources = self.report.sources.get(node_id, [])
        input_grads = tuple(s in self.with_grad for s in sources)
        entry = self.local_cost(node_id, old, input_grads)
        if entry is None:
            self.local.pop(node_id, None)
            self.costs.pop(node_id, None)
            return old is not None
        self.local[node_id] = entry
        storage = self.storage
        if entry.spec.output_is_view and sources:
            storage[node_id] = storage[sources[0]]
        else:
            storage[node_id] = node_id
        with_grad = (entry.layer.trainable and entry.result.trainable > 0) or any(input_grads)
        self.costs[node_id] = entry.cost
        self.set_size(node_id, entry.cost.output_bytes)
        self.macs += entry.cost.macs or 0
        if with_grad:
            self.with_grad.add(node_id)
            if entry.saved is not None:
                self.keep(node_id, _kept_tensors(entry.saved, node_id, sources, storage))
                self.made_of[node_id] = entry.made
                self.made += entry.made
        return (
            old is None
            or old.result != entry.result
            or with_grad != old_grad
            or storage[node_id] != old_storage
        )

    def local_cost(
        self, node_id: str, old: _Local | None, input_grads: tuple[bool, ...]
    ) -> _Local | None:
        """The node's _Local: `old` while its inputs are the same; None when the
        report could not infer it or its type is unknown."""
        report, t = self.report, self.t
        result = report.nodes.get(node_id)
        if result is None:
            return None
        node = t.nodes[node_id]
        layer = t.layers[node.layer_id]
        spec = self.specs.get(layer.type, _UNSEEN)
        if spec is _UNSEEN:
            spec = self.specs[layer.type] = self.g.spec_of_type(layer.type)
        if spec is None:
            return None
        nodes = report.nodes
        inputs = tuple(nodes[s] for s in report.sources.get(node_id, ()))
        first_call = t.sites[node.layer_id][0] == node_id
        if (
            old is not None
            and old.layer is layer
            and old.spec is spec
            and old.first_call == first_call
            and old.result == result  # values: a result validated again is a new object
            and old.inputs == inputs
            and old.input_grads == input_grads
        ):
            return old
        return _local_cost(layer, spec, result, inputs, input_grads, first_call, self.batch)

    def withdraw(self, node_id: str) -> None:
        """Take the node's share out of the totals."""
        node_cost = self.costs.get(node_id)  # replaced or removed by visit()
        if node_cost is not None:
            self.macs -= node_cost.macs or 0
        self.set_size(node_id, None)
        self.keep(node_id, ())
        self.with_grad.discard(node_id)
        self.made -= self.made_of.pop(node_id, 0)
        self.storage.pop(node_id, None)

    def set_size(self, node_id: str, size: int | None) -> None:
        """Record the node's output bytes (None: unknown or not costed)."""
        old = self.sizes.pop(node_id, 0)
        new = size or 0
        if size is not None:
            self.sizes[node_id] = size
        self.activation_bytes += new - old
        if node_id in self.refs:
            self.kept_bytes += new - old

    def keep(self, node_id: str, tensors: tuple[str, ...]) -> None:
        """Make `tensors` the ones the node keeps for backward (instead of its last)."""
        refs, sizes = self.refs, self.sizes
        for name in self.kept.pop(node_id, ()):
            refs[name] -= 1
            if not refs[name]:
                del refs[name]
                self.kept_bytes -= sizes.get(name, 0)
        if tensors:
            self.kept[node_id] = tensors
        for name in tensors:
            if name in refs:
                refs[name] += 1
            else:
                refs[name] = 1
                self.kept_bytes += sizes.get(name, 0)


def _local_cost(
    layer: Layer,
    spec: LayerSpec,
    result: Inferred,
    inputs: tuple[Inferred, ...],
    input_grads: tuple[bool, ...],
    first_call: bool,
    batch: int,
) -> _Local:
    """One node's _Local, from its spec's rules at `batch`."""
    p = spec.resolve(layer.params)
    output = at_batch(result.shape, batch)
    shapes = [at_batch(r.shape, batch) for r in inputs]
    known = output is not None and None not in shapes
    body_saved = None
    if known and isinstance(spec, BlockSpec):
        macs, body_saved = _use_cost(spec, p, inputs, batch, result.dtype)
    else:
        macs = spec.macs(shapes, output, p) if known else None
    out_bytes = math.prod(output) * itemsize(result.dtype) if output is not None else None
    if first_call:
        trainable = result.trainable if layer.trainable else 0  # frozen: none train
        node_cost = NodeCost(result.params, macs, out_bytes, trainable)
    else:
        node_cost = NodeCost(0, macs, out_bytes)
    saved = None
    if body_saved is not None:
        saved = body_saved
    elif known:
        saved = spec.saved_with_grads(shapes, output, p, input_grads, layer.trainable)
    made = 0
    if saved is not None:
        made = saved.extra * itemsize(result.dtype) + saved.indices * _INDEX_BYTES
    return _Local(layer, spec, result, inputs, input_grads, first_call, node_cost, saved, made)


def _use_cost(
    spec: BlockSpec, p: dict[str, Any], inputs: tuple[Inferred, ...], batch: int, dtype: str
) -> tuple[int, Saved]:
    """A block use's MACs and what its layers keep for backward: its concrete body's
    (graph.block_validate, one per signature) cost at `batch`, the kept tensors sized as
    made inside the use. Inside, the body's Inputs carry no gradient and a tensor kept
    on both sides of the use's boundary counts twice: a few tensors per use, within 1%
    on the bundled block templates (tests/test_cost.py)."""
    body = concrete(spec, p, inputs)
    inner = cost(body.graph, body.report, batch)
    return inner.macs, Saved(extra=-(-inner.saved_bytes // itemsize(dtype)))


def _changed_keys(old: dict, new: dict, differ=operator.is_not) -> list:
    """The keys of `new` whose values `differ` from `old`'s (by default: are not the
    same objects), then the keys only `old` has. In C loops: this runs on every edit,
    over every node."""
    changed = list(itertools.compress(new, map(differ, map(old.get, new), new.values())))
    return changed + list(old.keys() - new.keys())


#: What dict.get returns for a layer type not met yet (None is an unknown type's spec).
_UNSEEN = object()

#: Each graph's latest costings by batch size, for as long as the graph lives: the
#: studio costs at the setup's batch and, for a memory budget, at batches 1 and 2.
_COSTINGS: weakref.WeakKeyDictionary[ModelGraph, dict[int, _Costing]] = weakref.WeakKeyDictionary()
_BATCHES_KEPT = 3


def _kept_tensors(
    saved: Saved, node_id: str, sources: list[str], storage: Mapping[str, str]
) -> set[str]:
    """The nodes whose output tensors `saved` names, each by the tensor it views."""
    names = {storage[sources[i]] for i in saved.inputs if i < len(sources)}
    if saved.output:
        names.add(storage[node_id])
    return names
