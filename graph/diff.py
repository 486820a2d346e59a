"""What changed between two versions of a model: nodes, wiring, outputs, training,
blocks, and what the change costs. Keras-free, from the graphs alone.

Why by node id: a graph file gives every node an id that edits keep (a rename, a new
param, a move leave it alone), so the same id in both versions is the same node.
A node deleted and added again gets a new id and reads as removed plus added.

What counts as a change (`ModelDiff.same` is False when any of these differ):

- The model's name (the Keras Model's `name`).
- Nodes added or removed; for a node in both, each field of its layer (`type`,
  `name`, and any other the `Layer` has, such as a trainable flag) and each param.
  Params are compared as the layer resolves them, so a param written out at its
  Keras default equals one left out; after a type change the params are compared as
  written. `shares`: which node's layer a call site calls (None: its own layer).
- Connections added or removed, each as (from, output, to, port): moving a
  connection to another port or output of its source is one removed, one added.
- The model inputs' order (Keras takes them in graph order) and the outputs' order.
- The training setup (graph.training) in effect: a file without one trains with the
  defaults, so a missing setup equals the default one. Fields by their file path:
  `optimizer`, `outputs.<output name>.loss`, `data.path`, `callbacks[0].patience`.
- The weights the graph records (graph.weights): none on one side, or another sidecar
  content (its sha256). A retrained model has the same layers and other weights.
- Block definitions (graph.blocks) added, removed, or changed: their parameters
  (kind and default) and their bodies, compared like the top graph. A changed
  block lists its `uses`, the new version's top-graph nodes that use it: their
  layers may be as they were, but what they compute is not.

Positions never count, nor the order nodes are listed in beyond the inputs' order.
The cost (graph.cost) of each version at a batch size, with the optimizer of its own
setup, is reported beside the change: it follows from the rest and never makes two
models differ by itself. An invalid version has no cost (None, with the reason); an
empty one (no nodes: a file added or deleted) costs 0.

`ModelDiff.to_json()` is what `kgs diff --json` prints:

    {
      "same": false,
      "name": null,
      "nodes": {
        "added": {"n5": {"type": "Dropout", "name": "dropout", "shares": null}},
        "removed": {"n3": {"type": "Dense", "name": "dense_1", "shares": null}},
        "changed": {"n2": {"name": {"old": "dense", "new": "hidden"},
                           "params": {"units": {"old": 512, "new": 256}}}}
      },
      "edges": {"added": [{"from": "n2", "output": 0, "to": "n5", "port": "input"}],
                "removed": [...]},
      "inputs": null,
      "outputs": {"old": ["n3"], "new": ["n5"]},
      "training": {"optimizer": {"old": "adam", "new": "sgd"}},
      "weights": {"old": null, "new": "<the sidecar's sha256>"},
      "blocks": {"added": [], "removed": [], "changed": {
        "encoder": {"params": {"units": {"old": {"kind": "int", "default": 8},
                                         "new": {"kind": "int", "default": 16}}},
                    "body": {"nodes": ..., "edges": ..., "inputs": ..., "outputs": ...},
                    "uses": ["n4"]}}},
      "cost": {"batch": 1,
               "old": {"params": 407050, "macs": 406528, "train_memory_bytes": 6522120,
                       "optimizer": "adam", "problem": null},
               "new": {...},
               "change": {"params": -203520, "macs": -203264, "train_memory_bytes": -4887632}}
    }

Every key is always there ("name", "inputs", "outputs" and "weights" are null when unchanged;
a changed node has "params", maybe empty, and one key per other field that
changed: "type", "name", "shares"). A `{"old", "new"}` pair holds JSON values; null
stands for "none" (a param left out that has no default, a training field or
callback one side lacks, a block parameter one side lacks). Cost values are ints,
null where unknown (then "problem" says why, and "change" is null for that total).
Nodes and connections are listed in graph order (added and changed: the new
version's; removed: the old one's), params by name, training fields in the setup's
order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from graph.blocks import kind_name
from graph.cost import cost
from graph.model import Connection, Layer, ModelGraph
from graph.params import freeze, thaw
from graph.training import OPTIMIZER_SLOTS, Callback, DataSource, TrainingSetup
from graph.validate import validate


class _Absent:
    """The value on the side of a change that has none (JSON null, "none" in text)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


@dataclass(frozen=True)
class Change:
    """One value, before and after (ABSENT where a side has none)."""

    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"old": _json_value(self.old), "new": _json_value(self.new)}


@dataclass(frozen=True)
class NodeChange:
    """What changed at a node both versions have. `fields`: its layer's fields other
    than params (type, name, ...) and `shares`; `params`: by param name."""

    label: str
    fields: dict[str, Change]
    params: dict[str, Change]

    def to_json(self) -> dict[str, Any]:
        doc = {name: change.to_json() for name, change in self.fields.items()}
        doc["params"] = {name: change.to_json() for name, change in self.params.items()}
        return doc


@dataclass(frozen=True)
class NodeInfo:
    """A node only one version has: its label ("Dense 'dense'"), its layer's type and
    name, and the node whose layer it calls when it is not its own."""

    label: str
    type: str
    name: str
    shares: str | None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "shares": self.shares}


@dataclass(frozen=True)
class GraphDiff:
    """The change in one graph's structure: the top graph or a block's body."""

    added: dict[str, NodeInfo]
    removed: dict[str, NodeInfo]
    changed: dict[str, NodeChange]
    edges_added: list[Connection]
    edges_removed: list[Connection]
    inputs: Change | None
    outputs: Change | None

    @property
    def same(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.edges_added
            or self.edges_removed
            or self.inputs
            or self.outputs
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "nodes": {
                "added": {n: info.to_json() for n, info in self.added.items()},
                "removed": {n: info.to_json() for n, info in self.removed.items()},
                "changed": {n: change.to_json() for n, change in self.changed.items()},
            },
            "edges": {
                "added": [_edge_json(e) for e in self.edges_added],
                "removed": [_edge_json(e) for e in self.edges_removed],
            },
            "inputs": self.inputs.to_json() if self.inputs else None,
            "outputs": self.outputs.to_json() if self.outputs else None,
        }


@dataclass(frozen=True)
class BlockChange:
    """A block both versions define: its parameters ({"kind", "default"} each, by
    name), its body, and the new version's nodes that use it (its top graph's: what a
    change of the block changes there)."""

    params: dict[str, Change]
    body: GraphDiff
    uses: list[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "params": {name: change.to_json() for name, change in self.params.items()},
            "body": self.body.to_json(),
            "uses": list(self.uses),
        }


@dataclass(frozen=True)
class CostTotals:
    """One version's totals at the diff's batch size; None where unknown, and then
    `problem` says why."""

    params: int | None
    macs: int | None
    train_memory_bytes: int | None
    optimizer: str
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "macs": self.macs,
            "train_memory_bytes": self.train_memory_bytes,
            "optimizer": self.optimizer,
            "problem": self.problem,
        }


COST_TOTALS = ("params", "macs", "train_memory_bytes")


@dataclass(frozen=True)
class ModelDiff:
    """Everything that changed from one model version (old) to another (new)."""

    name: Change | None
    graph: GraphDiff
    training: dict[str, Change]
    #: The recorded weights' sha256 before and after (ABSENT: none), None if equal.
    weights: Change | None
    blocks_added: list[str]
    blocks_removed: list[str]
    blocks_changed: dict[str, BlockChange]
    batch: int
    old_cost: CostTotals
    new_cost: CostTotals

    @property
    def same(self) -> bool:
        """Whether the two versions are the same model (positions aside)."""
        return not (
            self.name
            or not self.graph.same
            or self.training
            or self.weights
            or self.blocks_added
            or self.blocks_removed
            or self.blocks_changed
        )

    def cost_change(self, total: str) -> int | None:
        """new - old of one of COST_TOTALS, None when either is unknown."""
        old, new = getattr(self.old_cost, total), getattr(self.new_cost, total)
        return None if old is None or new is None else new - old

    def to_json(self) -> dict[str, Any]:
        """The shape the module docstring documents (`kgs diff --json`)."""
        return {
            "same": self.same,
            "name": self.name.to_json() if self.name else None,
            **self.graph.to_json(),
            "training": {key: change.to_json() for key, change in self.training.items()},
            "weights": self.weights.to_json() if self.weights else None,
            "blocks": {
                "added": list(self.blocks_added),
                "removed": list(self.blocks_removed),
                "changed": {name: b.to_json() for name, b in self.blocks_changed.items()},
            },
            "cost": {
                "batch": self.batch,
                "old": self.old_cost.to_json(),
                "new": self.new_cost.to_json(),
                "change": {total: self.cost_change(total) for total in COST_TOTALS},
            },
        }


def diff(
    old: ModelGraph, new: ModelGraph, batch: int = 1, old_cost: CostTotals | None = None
) -> ModelDiff:
    """What changed from `old` to `new`, with each one's cost at `batch`; `old_cost`,
    when given, is `old`'s (cost_totals(old, batch): a caller comparing one version
    with every edit of another computes it once)."""
    old_names, new_names = old.blocks.names(), new.blocks.names()
    blocks_changed = {}
    for name in new_names:
        if name in old.blocks:
            change = _block_change(old.blocks.body(name), new.blocks.body(name))
            if change is not None:
                params, body = change
                uses = [n for n in new.node_ids() if new.layer(n).type == name]
                blocks_changed[name] = BlockChange(params, body, uses)
    return ModelDiff(
        name=_change(old.name, new.name),
        graph=diff_structure(old, new),
        training=training_changes(old.training, new.training),
        weights=_change(_weights_hash(old), _weights_hash(new)),
        blocks_added=[n for n in new_names if n not in old.blocks],
        blocks_removed=[n for n in old_names if n not in new.blocks],
        blocks_changed=blocks_changed,
        batch=batch,
        old_cost=old_cost or cost_totals(old, batch),
        new_cost=cost_totals(new, batch),
    )


def block_uses_changed(d: ModelDiff) -> dict[str, str]:
    """node id -> block name, for the uses of a changed block that did not change
    themselves (added or changed nodes are reported as that)."""
    seen = {*d.graph.added, *d.graph.changed}
    return {
        node_id: name
        for name, block in d.blocks_changed.items()
        for node_id in block.uses
        if node_id not in seen
    }


def diff_structure(old: ModelGraph, new: ModelGraph) -> GraphDiff:
    """The change in nodes, connections, input order and outputs from `old` to `new`."""
    changed = {}
    for node_id in new.node_ids():
        if node_id in old:
            change = _node_change(old, new, node_id)
            if change is not None:
                changed[node_id] = change
    old_connections, new_connections = old.connections(), new.connections()
    old_edges, new_edges = set(old_connections), set(new_connections)
    old_inputs = [n for n in old.inputs if n in new]
    new_inputs = [n for n in new.inputs if n in old]
    return GraphDiff(
        added={n: _info(new, n) for n in new.node_ids() if n not in old},
        removed={n: _info(old, n) for n in old.node_ids() if n not in new},
        changed=changed,
        edges_added=[e for e in new_connections if e not in old_edges],
        edges_removed=[e for e in old_connections if e not in new_edges],
        inputs=_change(old_inputs, new_inputs),
        outputs=_change(old.outputs, new.outputs),
    )


def cost_totals(g: ModelGraph, batch: int) -> CostTotals:
    """`g`'s params, MACs and training-step memory at `batch`, with its setup's
    optimizer (adam without one); unknown, with the reason, for an invalid graph, and
    0 for an empty one."""
    optimizer = g.training.optimizer if g.training else "adam"
    if not len(g):  # no model (a file git adds or deletes): nothing to pay for
        return CostTotals(0, 0, 0, optimizer)
    if optimizer not in OPTIMIZER_SLOTS:
        return CostTotals(None, None, None, optimizer, f"unknown optimizer {optimizer!r}")
    report = validate(g)
    if not report.valid:
        return CostTotals(None, None, None, optimizer, "the graph is invalid")
    result = cost(g, report, batch=batch, optimizer=optimizer)
    return CostTotals(result.params, result.macs, result.train_memory_bytes, optimizer)


def training_changes(old: TrainingSetup | None, new: TrainingSetup | None) -> dict[str, Change]:
    """The training fields that differ, by path, between the setups in effect (None
    trains with the defaults, so it reads as TrainingSetup())."""
    old, new = old or TrainingSetup(), new or TrainingSetup()
    names = list(dict.fromkeys([*old.outputs, *new.outputs]))
    old_fields, new_fields = _setup_fields(old, names), _setup_fields(new, names)
    return _changes(old_fields, new_fields, dict.fromkeys([*old_fields, *new_fields]))


# ---------------------------------------------------------------- helpers


def _weights_hash(g: ModelGraph) -> str:
    """The content hash of the sidecar `g` records (ABSENT: none)."""
    return ABSENT if g.weights is None else g.weights.sha256


def _change(old: Any, new: Any) -> Change | None:
    """The change from `old` to `new`, None when equal (a list equals its tuple)."""
    return None if freeze(old) == freeze(new) else Change(old, new)


def _changes(old: Mapping[str, Any], new: Mapping[str, Any], keys: Iterable[str]) -> dict:
    """key -> Change for each of `keys` whose value differs (ABSENT where missing)."""
    changes = {k: _change(old.get(k, ABSENT), new.get(k, ABSENT)) for k in keys}
    return {k: c for k, c in changes.items() if c is not None}


def _shares(g: ModelGraph, node_id: str) -> str | None:
    """The node whose layer `node_id` calls, when that is another node's."""
    first = g.layer_sites(g.node(node_id).layer_id)[0]
    return None if first == node_id else first


def _info(g: ModelGraph, node_id: str) -> NodeInfo:
    layer = g.layer(node_id)
    return NodeInfo(g.label(node_id), layer.type, layer.name, _shares(g, node_id))


def _node_change(old: ModelGraph, new: ModelGraph, node_id: str) -> NodeChange | None:
    a, b = old.layer(node_id), new.layer(node_id)
    shares = _change(_shares(old, node_id), _shares(new, node_id))
    if a == b and shares is None:  # the common case, at the cost of one comparison
        return None
    changes = {
        f.name: _change(getattr(a, f.name), getattr(b, f.name))
        for f in fields(Layer)
        if f.name != "params"
    }
    changes["shares"] = shares
    changed_fields = {k: c for k, c in changes.items() if c is not None}
    old_params, new_params = a.params, b.params
    spec = new.spec(node_id)
    if a.type == b.type and spec is not None:
        old_params, new_params = spec.resolve(a.params), spec.resolve(b.params)
    params = _changes(old_params, new_params, sorted({*old_params, *new_params}))
    if not changed_fields and not params:
        return None
    return NodeChange(new.label(node_id), changed_fields, params)


def _block_change(old: ModelGraph, new: ModelGraph) -> tuple[dict, GraphDiff] | None:
    """(parameter changes, body diff) of a block's two definitions, None if equal."""

    def declared(body: ModelGraph) -> dict[str, dict]:
        return {p.name: {"kind": kind_name(p.kind), "default": p.default} for p in body.parameters}

    old_params, new_params = declared(old), declared(new)
    params = _changes(old_params, new_params, sorted({*old_params, *new_params}))
    body = diff_structure(old, new)
    if not params and body.same:
        return None
    return params, body


def _setup_fields(setup: TrainingSetup, output_names: list[str]) -> dict[str, Any]:
    """Every leaf of `setup` by its path, each output in `output_names` included (an
    output a setup leaves out is trained with an OutputSetup's defaults) and an unset
    data source read as an empty one."""
    out: dict[str, Any] = {}
    for f in fields(setup):
        value = getattr(setup, f.name)
        if f.name == "outputs":
            value = {name: setup.output(name) for name in output_names}
        elif value is None and f.name in ("data", "validation_data"):
            value = DataSource()
        elif f.name == "callbacks":
            for i, callback in enumerate(value):
                _flatten(callback, f"callbacks[{i}]", out)
            continue
        _flatten(value, f.name, out)
    return out


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, Callback):
        out[f"{path}.type"] = value.type
    if is_dataclass(value):
        for f in fields(value):
            _flatten(getattr(value, f.name), f"{path}.{f.name}", out)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(item, f"{path}.{key}", out)
    else:
        out[path] = value


def _json_value(value: Any) -> Any:
    return None if value is ABSENT else thaw(value)


def _edge_json(edge: Connection) -> dict[str, Any]:
    return {"from": edge.src, "output": edge.output, "to": edge.dst, "port": edge.port}
