"""ModelGraph: the editable graph of layer calls that every other part works on.

Nodes are call sites of layers; a layer (type, unique name, params) usually has one
call site, and a shared layer has several (one set of weights, as in a siamese
network). Edges run from a node's output to a named input port of another node;
one source may feed several ports of the same node (MultiHeadAttention(seq, seq)).
A layer has one output; a block use (graph.blocks) has one per output of its block,
and an edge names which one it takes (`output`, 0 by default, the only one of a layer).

The graph owns every mutation: public edit methods check structural rules (no
cycles, one connection per port, unique valid names, param kinds) and raise typed
`GraphEditError`s, then announce the change through `events`. Semantic checks
(shapes, missing inputs, ...) are `validate()`'s job, so a graph may be incomplete
while it is being edited, and a file with problems still loads.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, NamedTuple

import networkx as nx

from graph.blocks import Blocks, refs_in, wired_outputs
from graph.errors import (
    CycleError,
    GraphEditError,
    LayerNameError,
    NodeNotFoundError,
    ParamError,
    PortError,
)
from graph.events import GraphEvents
from graph.infer import shown
from graph.naming import fresh_name, name_problem
from graph.params import Param, freeze
from graph.spec import LayerSpec, get_spec, is_input_type
from graph.user_layers import is_user_layer_type, user_layer_spec

if TYPE_CHECKING:
    from graph.training import TrainingSetup
    from graph.weights import WeightsRecord

Position = tuple[float, float]

#: How many structural changes the graph journals (an edit makes a few; a pass that
#: missed more redoes everything).
_JOURNAL_SPAN = 256


@dataclass(frozen=True)
class Layer:
    """A Keras layer: its type, unique name, params (frozen values) and whether its
    weights train (False: frozen, as Keras's `layer.trainable = False`; every weight
    is then non-trainable, and a BatchNormalization runs in inference mode)."""

    type: str
    name: str
    params: Mapping[str, Any]
    trainable: bool = True


@dataclass(frozen=True)
class Node:
    """One call site of a layer, placed on the canvas."""

    id: str
    layer_id: int
    pos: Position


class Connection(NamedTuple):
    """One connection: from output `output` of `src` to input `port` of `dst`."""

    src: str
    dst: str
    port: str
    output: int = 0


class _Tables(NamedTuple):
    """Read-only access to a ModelGraph's storage; see ModelGraph._tables."""

    #: node id -> Node, in graph order
    nodes: dict[str, Node]
    #: dst -> {src: {port: {}}} and src -> {dst: {port: {}}} (networkx's adjacency)
    pred: dict[str, dict]
    succ: dict[str, dict]
    layers: dict[int, Layer]
    sites: dict[int, list[str]]
    #: a stamp that changes whenever a node or connection is added or removed
    last_stamp: int
    #: layer name -> how many layers use it
    name_counts: dict[str, int]


class ModelGraph:
    """A DAG of layer calls with named input ports, model outputs and shared layers."""

    def __init__(self, name: str = "model", blocks: Blocks | None = None) -> None:
        #: The connections (edge keys are port names); the nodes themselves are in _nodes.
        self._g = nx.MultiDiGraph()
        #: node id -> Node, in graph order (the order networkx holds the ids in too).
        self._nodes: dict[str, Node] = {}
        self._layers: dict[int, Layer] = {}
        self._sites: dict[int, list[str]] = {}
        #: layer name -> how many layers use it (more than one only in loaded files)
        self._name_counts: dict[str, int] = {}
        self._outputs: list[str] = []
        self._name = name
        self._training: TrainingSetup | None = None
        self._weights: WeightsRecord | None = None
        self._next_layer = 0
        self.events = GraphEvents()
        #: Bumped whenever a node or connection is added or removed (see _tables).
        self._stamps = 0
        #: The nodes each of the last stamps touched, oldest first (see _touched_since).
        self._journal: deque[tuple[str, ...]] = deque(maxlen=_JOURNAL_SPAN)
        #: The block definitions, shared with every body (see graph.blocks); the graph
        #: that makes them announces their bodies' changes as its block_changed.
        if blocks is None:
            blocks = Blocks()
            blocks.body_changed.connect(self.events.block_changed.emit)
        self._blocks = blocks
        #: A block's parameters, when this graph is a block's body; None otherwise.
        self._parameters: tuple[Param, ...] | None = None

    # ----------------------------------------------------------------- queries

    @property
    def name(self) -> str:
        """The model's name (the Keras Model's `name`)."""
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        if value != self._name:
            if self.is_body:
                raise GraphEditError(
                    f"block '{self._name}': rename a block with the model's rename_block"
                )
            self._name = value
            self.events.name_changed.emit()

    @property
    def training(self) -> TrainingSetup | None:
        """The training setup saved with the graph (graph.training), or None."""
        return self._training

    @training.setter
    def training(self, value: TrainingSetup | None) -> None:
        if value != self._training:
            self._training = value
            self.events.training_changed.emit()

    @property
    def weights(self) -> WeightsRecord | None:
        """The record of the weights sidecar saved with the graph (graph.weights), or
        None: the graph's layers start from fresh weights."""
        return self._weights

    @weights.setter
    def weights(self, value: WeightsRecord | None) -> None:
        if value != self._weights:
            self._weights = value
            self.events.weights_changed.emit()

    @property
    def blocks(self) -> Blocks:
        """The graph file's block definitions, shared by the top graph and every body."""
        return self._blocks

    @property
    def is_body(self) -> bool:
        """Whether this graph is a block definition's body."""
        return self._parameters is not None

    @property
    def parameters(self) -> tuple[Param, ...]:
        """The block's parameters, when this graph is a body (none otherwise)."""
        return self._parameters or ()

    def define_block(self, name: str, parameters: Iterable[Param] = ()) -> ModelGraph:
        """Define an empty block `name` (Inputs, layers and outputs are then added to
        the body it returns, like to any graph); see graph.blocks.block_param."""
        _check_block_name(name)
        parameters = tuple(parameters)
        names = [p.name for p in parameters]
        if len(set(names)) != len(names):
            raise GraphEditError(f"block '{name}': a parameter is declared twice: {names}")
        body = ModelGraph(name, blocks=self._blocks)
        body._parameters = parameters
        self._blocks.add(body)
        return body

    def rename_block(self, old: str, new: str) -> None:
        """Rename block definition `old` to `new`, in its place among the definitions;
        every use of it, here and in every body, follows. Call it on the top graph
        (a body cannot reach the uses in the model)."""
        body = self._blocks.body(old)
        if new == old:
            return
        _check_block_name(new)
        if new in self._blocks:
            raise GraphEditError(f"a block named {new!r} is already defined")
        body._name = new
        self._blocks.renamed(old, body)
        for graph in (self, *self._blocks.bodies()):
            for layer_id, layer in list(graph._layers.items()):
                if layer.type == old:
                    site = graph._sites[layer_id][0]
                    graph.replace_layer(site, replace(layer, type=new))

    def spec_of_type(self, layer_type: str) -> LayerSpec | None:
        """The spec of `layer_type` in this graph: a block's, a user layer's (from the
        training setup's modules: graph.user_layers), else the layer type's."""
        spec = self._blocks.spec(layer_type)
        if spec is not None:
            return spec
        if is_user_layer_type(layer_type):
            modules = self._training.modules if self._training is not None else ()
            return user_layer_spec(layer_type, modules)
        return get_spec(layer_type)

    def __len__(self) -> int:
        return len(self._g)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._g

    def node_ids(self) -> list[str]:
        """Every node id, in insertion order (the graph's stable order)."""
        return list(self._nodes)

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise NodeNotFoundError(f"no node with id {node_id!r}") from None

    def layer(self, node_id: str) -> Layer:
        """The layer that `node_id` calls."""
        return self._layers[self.node(node_id).layer_id]

    def spec(self, node_id: str) -> LayerSpec | None:
        """The spec of the node's layer type (a BlockSpec for a block use), or None for
        an unknown type."""
        return self.spec_of_type(self.layer(node_id).type)

    def output_count(self, node_id: str) -> int:
        """How many outputs the node has: one for a layer, the block's for a use."""
        spec = self.spec(node_id)
        return 1 if spec is None else spec.output_count

    def call_sites(self, node_id: str) -> list[str]:
        """All nodes calling the same layer as `node_id` (itself included), in order."""
        return list(self._sites[self.node(node_id).layer_id])

    def call_index(self, node_id: str) -> int:
        """1 for a layer's first call site, 2 for the second, ..."""
        return self._sites[self.node(node_id).layer_id].index(node_id) + 1

    def label(self, node_id: str) -> str:
        """How messages name a node: Dense 'dense', or Dense 'dense' (call 2)."""
        layer = self.layer(node_id)
        call = self.call_index(node_id)
        suffix = f" (call {call})" if call > 1 else ""
        return f"{layer.type} '{layer.name}'{suffix}"

    @property
    def inputs(self) -> list[str]:
        """The Input nodes, in graph order: the model's inputs."""
        layers = self._layers
        return [n for n, node in self._nodes.items() if is_input_type(layers[node.layer_id].type)]

    def is_input(self, node_id: str) -> bool:
        """Whether `node_id` is a model input (a call site of an Input layer)."""
        return is_input_type(self.layer(node_id).type)

    @property
    def outputs(self) -> list[str]:
        """The nodes marked as model outputs, in output order."""
        return list(self._outputs)

    def in_edges(self, node_id: str) -> list[tuple[str, str]]:
        """(port, source node) for every connection into `node_id`, in stable order."""
        self.node(node_id)
        return [(port, src) for src, ports in self._g.pred[node_id].items() for port in ports]

    def out_edges(self, node_id: str) -> list[tuple[str, str]]:
        """(destination node, port) for every connection out of `node_id`."""
        self.node(node_id)
        return [(dst, port) for dst, ports in self._g.succ[node_id].items() for port in ports]

    def edges(self) -> list[tuple[str, str, str]]:
        """Every connection as (source, destination, port), in stable order."""
        return [(u, v, port) for u, v, port in self._g.edges(keys=True)]

    def connections(self) -> list[Connection]:
        """Every connection with the source output it takes, in the order of edges()."""
        return [
            Connection(u, v, port, data.get("output", 0))
            for u, v, port, data in self._g.edges(keys=True, data=True)
        ]

    def edge_output(self, src: str, dst: str, port: str) -> int:
        """Which output of `src` the connection to `dst`'s `port` takes."""
        if not self._g.has_edge(src, dst, port):
            raise GraphEditError(f"no connection {src!r} -> {dst!r} port {port!r}")
        return self._g.edges[src, dst, port].get("output", 0)

    def source_outputs(self, node_id: str) -> tuple[int, ...] | None:
        """Which output of its source each of the node's inputs takes, in port order (as
        validate's `sources`); None when every input takes its source's first output."""
        spec = self.spec(node_id)
        if spec is None:
            return None
        return wired_outputs(self._g._pred[node_id], spec.ports)

    def layers(self) -> list[tuple[int, Layer]]:
        """(layer id, layer) for every layer, in the order they were added."""
        return list(self._layers.items())

    def layer_sites(self, layer_id: int) -> list[str]:
        """The call sites of the layer `layer_id`, in order."""
        return list(self._sites[layer_id])

    def names(self) -> set[str]:
        """Every layer name in use."""
        return set(self._name_counts)

    def _tables(self) -> _Tables:
        """The graph's own dicts, for fast read-only walks by graph's own modules.

        The adjacency is networkx's own (`_pred`, `_succ`): its public views wrap every
        access (`G.pred[n].items()` costs 4 times the dict's, `len(G.pred[n])` 10 times),
        which validation's walk over every node cannot afford.
        """
        return _Tables(
            self._nodes,
            self._g._pred,
            self._g._succ,
            self._layers,
            self._sites,
            self._stamps,
            self._name_counts,
        )

    def _touched_since(self, stamp: int) -> set[str] | None:
        """The nodes added, removed or (re)connected since the graph's stamp was
        `stamp`, for an incremental pass (validation) that re-checks only those; None
        when more changes were made since than the journal keeps."""
        count = self._stamps - stamp
        if not 0 <= count <= len(self._journal):
            return None
        journal = self._journal
        return {n for i in range(len(journal) - count, len(journal)) for n in journal[i]}

    @property
    def nx(self) -> nx.MultiDiGraph:
        """A read-only networkx view (edge keys are port names) for algorithms."""
        return nx.freeze(self._g.copy(as_view=True))

    def creates_cycle(self, src: str, dst: str) -> bool:
        """Whether connecting src -> dst would close a cycle."""
        return src == dst or nx.has_path(self._g, dst, src)

    # ------------------------------------------------------------------- edits

    def add_node(
        self,
        layer_type: str,
        *,
        name: str | None = None,
        params: Mapping[str, Any] | None = None,
        pos: Position = (0.0, 0.0),
        node_id: str | None = None,
    ) -> str:
        """Add a layer of `layer_type` with one call site; returns the node id.

        Without a name, a fresh one in Keras's style (dense, dense_1, ...); without
        params, the spec's initial ones.
        """
        spec = self.spec_of_type(layer_type)
        if spec is None:
            raise GraphEditError(f"unknown layer type {layer_type!r}")
        if self.is_body and layer_type in self._blocks:
            self._blocks.check_use(self._name, layer_type)
        if name is None:
            name = fresh_name(layer_type, self._name_counts)
        else:
            self._check_name(name)
        params = spec.initial_params() if params is None else dict(params)
        self._check_params(spec, f"{layer_type} '{name}'", params)
        if node_id is not None and node_id in self._g:
            raise GraphEditError(f"node id {node_id!r} is already in the graph")
        layer_id = self.restore_layer(Layer(layer_type, name, freeze(params)))  # checked above
        return self._add_call_site(node_id or self._fresh_id(), layer_id, pos)

    def call_again(self, node_id: str, pos: Position | None = None) -> str:
        """Add another call site of `node_id`'s layer (shared weights); returns its id."""
        node = self.node(node_id)
        if is_input_type(self._layers[node.layer_id].type):
            raise GraphEditError(f"{self.label(node_id)}: an Input cannot be called again")
        if pos is None:
            pos = (node.pos[0], node.pos[1] + 80.0)
        return self._add_call_site(self._fresh_id(), node.layer_id, pos)

    def remove_node(self, node_id: str) -> None:
        """Remove a call site with its connections; its layer goes with its last call."""
        node = self.node(node_id)
        for port, src in self.in_edges(node_id):
            self.disconnect(src, node_id, port)
        for dst, port in self.out_edges(node_id):
            self.disconnect(node_id, dst, port)
        if node_id in self._outputs:
            self._outputs.remove(node_id)
            self.events.outputs_changed.emit()
        self._g.remove_node(node_id)
        del self._nodes[node_id]
        self._stamp(node_id)
        self._edited()
        sites = self._sites[node.layer_id]
        sites.remove(node_id)
        if not sites:
            del self._sites[node.layer_id]
            self._count_name(self._layers.pop(node.layer_id).name, -1)
        self.events.node_removed.emit(node_id)

    def connect(self, src: str, dst: str, port: str, output: int = 0) -> None:
        """Connect src's output number `output` to dst's input `port`.

        Raises PortError if src has no such output, dst no such port or it is taken,
        CycleError if the connection would close a cycle.
        """
        self.node(src)
        self.node(dst)
        count = self.output_count(src)
        if not 0 <= output < count:
            raise PortError(
                f"{self.label(src)} has no output {output}. Expected: 0 to {count - 1}"
                if count
                else f"{self.label(src)} has no output"
            )
        spec = self.spec(dst)
        if spec is not None and spec.ports.index(port) is None:
            raise PortError(
                f"{self.label(dst)} has no input port {port!r}. "
                f"Expected one of: {spec.ports.describe()}"
            )
        for taken_port, other in self.in_edges(dst):
            if taken_port == port:
                raise PortError(
                    f"port {port!r} of {self.label(dst)} is already connected "
                    f"to '{self.layer(other).name}'"
                )
        if self.creates_cycle(src, dst):
            path = [src] if src == dst else nx.shortest_path(self._g, dst, src)
            names = " -> ".join(self.layer(n).name for n in [*path, path[0]])
            raise CycleError(f"connecting would create a cycle: {names}")
        self._add_edge(src, dst, port, output)

    def disconnect(self, src: str, dst: str, port: str) -> None:
        if not self._g.has_edge(src, dst, port):
            raise GraphEditError(f"no connection {src!r} -> {dst!r} port {port!r}")
        self._g.remove_edge(src, dst, port)
        self._stamp(src, dst)
        self._edited()
        self.events.edge_removed.emit(src, dst, port)

    def set_params(self, node_id: str, params: Mapping[str, Any]) -> None:
        """Replace the params of `node_id`'s layer (every call site sees the change).

        Each value is checked against its param's kind; a bad one raises ParamError
        naming the node and param, and nothing changes.
        """
        layer = self.layer(node_id)
        spec = self.spec_of_type(layer.type)
        if spec is not None:
            self._check_params(spec, self.label(node_id), params)
        frozen = freeze(dict(params))
        if frozen != layer.params:
            self.replace_layer(node_id, replace(layer, params=frozen))

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        """Set one param of `node_id`'s layer; see set_params."""
        params = dict(self.layer(node_id).params)
        params[name] = value
        self.set_params(node_id, params)

    def rename(self, node_id: str, name: str) -> None:
        """Rename `node_id`'s layer; the name must be valid and not taken."""
        layer = self.layer(node_id)
        if name == layer.name:
            return
        self._check_name(name)
        self.replace_layer(node_id, replace(layer, name=name))

    def set_trainable(self, node_id: str, trainable: bool) -> None:
        """Freeze (False) or unfreeze `node_id`'s layer (every call site shares it)."""
        layer = self.layer(node_id)
        if not isinstance(trainable, bool):
            raise ParamError(
                f"{self.label(node_id)}: trainable must be true or false. "
                f"Received: trainable={trainable!r}"
            )
        if trainable != layer.trainable:
            self.replace_layer(node_id, replace(layer, trainable=trainable))

    def move(self, node_id: str, pos: Position) -> None:
        node = self.node(node_id)
        pos = (float(pos[0]), float(pos[1]))
        if pos != node.pos:
            self._nodes[node_id] = replace(node, pos=pos)
            self.events.node_moved.emit(node_id)

    def set_output(self, node_id: str, is_output: bool = True) -> None:
        """Mark or unmark `node_id` as a model output (appended at the end)."""
        self.node(node_id)
        if is_output and node_id not in self._outputs:
            self._outputs.append(node_id)
        elif not is_output and node_id in self._outputs:
            self._outputs.remove(node_id)
        else:
            return
        self._edited()
        self.events.outputs_changed.emit()

    def set_outputs(self, node_ids: Iterable[str]) -> None:
        """Set the model outputs and their order."""
        node_ids = list(node_ids)
        for node_id in node_ids:
            self.node(node_id)
        if len(set(node_ids)) != len(node_ids):
            raise GraphEditError("a node can be a model output only once")
        if node_ids != self._outputs:
            self._outputs = node_ids
            self._edited()
            self.events.outputs_changed.emit()

    # ------------------------------------------------ unchecked, loaders and undo
    # A loaded file, and a state that undo returns to, may hold what the checked edits
    # refuse (a bad param, a duplicate name, a cycle, two sources on one port), and undo
    # must put a removed call site back under its old id. These methods put such a state
    # in place as it was: they check only what would corrupt the graph itself (unknown
    # ids, an id or connection that already exists), and announce each change like the
    # checked edits. Nodes and each source's connections go last in their order,
    # or at the index given (undo puts back what it removed in its place).

    def restore_layer(self, layer: Layer) -> int:
        """Add `layer` with no call site yet (see restore_call_site); returns its id."""
        layer_id = self._next_layer
        self._next_layer += 1
        self._layers[layer_id] = layer
        self._sites[layer_id] = []
        self._count_name(layer.name, +1)
        self._edited()
        return layer_id

    def restore_call_site(
        self, node_id: str, layer_id: int, pos: Position, index: int | None = None
    ) -> str:
        """Add `node_id`, a call site of layer `layer_id`, at `index` in the graph order
        (last by default), as undo puts a removed node back in its place."""
        if node_id in self._g:
            raise GraphEditError(f"node id {node_id!r} is already in the graph")
        if layer_id not in self._sites:
            raise GraphEditError(f"no layer with id {layer_id!r}")
        if index is not None and not 0 <= index <= len(self._nodes):
            raise GraphEditError(f"node index {index} is outside 0..{len(self._nodes)}")
        return self._add_call_site(node_id, layer_id, pos, index)

    def restore_edge(
        self, src: str, dst: str, port: str, output: int = 0, index: int | None = None
    ) -> None:
        """Connect src's output `output` to dst's `port` (an output the source lacks is
        validate's to report), at `index` among src's connections as out_edges lists
        them (last by default). Connections to one destination stay together there, so
        an index that would part them is refused."""
        self.node(src)
        self.node(dst)
        if self._g.has_edge(src, dst, port):
            raise GraphEditError(f"{src!r} is already connected to {dst!r} port {port!r}")
        if index is None:
            self._add_edge(src, dst, port, output)
            return
        wanted = self.out_edges(src)
        if not 0 <= index <= len(wanted):
            raise GraphEditError(f"connection index {index} is outside 0..{len(wanted)}")
        wanted.insert(index, (dst, port))
        groups = [d for i, (d, _) in enumerate(wanted) if i == 0 or wanted[i - 1][0] != d]
        if len(groups) != len(set(groups)):
            raise GraphEditError(
                f"connection index {index} would part the connections of {src!r} to one node"
            )
        self._add_edge(src, dst, port, output, wanted)

    def replace_layer(self, node_id: str, layer: Layer) -> None:
        """Make `layer` the layer of `node_id` and of every other call site of it."""
        layer_id = self.node(node_id).layer_id
        self._count_name(self._layers[layer_id].name, -1)
        self._count_name(layer.name, +1)
        self._layers[layer_id] = layer
        self._edited()
        self.events.layer_changed.emit(tuple(self._sites[layer_id]))

    # ------------------------------------------ the primitives under the edits

    def _add_call_site(
        self, node_id: str, layer_id: int, pos: Position, index: int | None = None
    ) -> str:
        self._g.add_node(node_id)
        self._nodes[node_id] = Node(node_id, layer_id, (float(pos[0]), float(pos[1])))
        sites = self._sites[layer_id]
        sites.append(node_id)
        if index is not None and index < len(self._nodes) - 1:
            # Every table that holds the nodes in graph order (networkx's too, which
            # orders edges()) gets the new node at `index`; the layer's call sites stay
            # in graph order (labels count calls in it).
            g = self._g
            for table in (self._nodes, g._node, g._succ, g._pred):
                _move_last(table, index)
            members = set(sites)
            sites[:] = [n for n in self._nodes if n in members]
        self._stamp(node_id)
        self._edited()
        self.events.node_added.emit(node_id)
        return node_id

    def _add_edge(
        self,
        src: str,
        dst: str,
        port: str,
        output: int = 0,
        order: list[tuple[str, str]] | None = None,
    ) -> None:
        """Connect; `order`, when given, is src's connections as out_edges is to list
        them afterwards (destinations grouped)."""
        # The output goes in the edge's data only when it is not the first, so a layer's
        # edges keep empty data, which validation's wiring walk skips at no cost.
        if output:
            self._g.add_edge(src, dst, key=port, output=output)
        else:
            self._g.add_edge(src, dst, key=port)
        if order is not None:
            out = self._g._succ[src]
            _reorder(out, dict.fromkeys(d for d, _ in order))
            for d, keys in out.items():
                _reorder(keys, [p for d2, p in order if d2 == d])
        self._stamp(src, dst)
        self._edited()
        self.events.edge_added.emit(src, dst, port)

    # ---------------------------------------------------------------- helpers

    def _stamp(self, *touched: str) -> None:
        """A node or connection was added or removed: a new stamp, journalled with
        the nodes it touched."""
        self._stamps += 1
        self._journal.append(touched)

    def _edited(self) -> None:
        """Tell the block definitions a body changed (their uses' checks follow)."""
        if self._parameters is not None:
            self._blocks.revision += 1

    def _fresh_id(self) -> str:
        i = len(self._g) + 1
        while f"n{i}" in self._g:
            i += 1
        return f"n{i}"

    def _check_name(self, name: str) -> None:
        problem = name_problem(name)
        if problem is not None:
            raise LayerNameError(f"layer name {problem}")
        if name in self._name_counts:
            raise LayerNameError(f"layer name {name!r} is already taken")

    def _check_params(self, spec: LayerSpec, label: str, params: Mapping[str, Any]) -> None:
        """Raise ParamError naming `label` and the param unless every one of `params`
        is a param of `spec` whose value fits its kind. In a body a value may refer to
        the block's parameters instead (checked once a use gives their values)."""
        declared = {p.name for p in self.parameters}
        for name, value in params.items():
            param = spec.param_by_name.get(name)
            if param is None:
                raise ParamError(f"{label}: {spec.type} has no parameter {name!r}")
            value = freeze(value)
            refs = list(refs_in(value))
            for ref in refs:
                if ref not in declared:
                    where = f"block '{self._name}'" if self.is_body else "the model"
                    raise ParamError(
                        f"{label}: {name} refers to parameter {ref!r}, which {where} "
                        "does not declare"
                    )
            if refs:
                continue
            reason = param.kind.problem(value)
            if reason is not None:
                raise ParamError(f"{label}: {name} {reason}. Received: {name}={shown(value)}")

    def _count_name(self, name: str, change: int) -> None:
        count = self._name_counts.get(name, 0) + change
        if count:
            self._name_counts[name] = count
        else:
            del self._name_counts[name]


def _check_block_name(name: str) -> None:
    """Raise GraphEditError unless `name` may name a block: a valid name, no layer type."""
    problem = name_problem(name)
    if problem is not None:
        raise GraphEditError(f"block name {problem}")
    if get_spec(name) is not None:
        raise GraphEditError(f"block name {name!r} is a layer type; choose another name")


def _move_last(table: dict, index: int) -> None:
    """Move `table`'s last entry to `index`, in place (views of the dict stay valid)."""
    items = list(table.items())
    table.clear()
    table.update(items[:index] + items[-1:] + items[index:-1])


def _reorder(table: dict, keys: Iterable) -> None:
    """Put `table`'s entries in the order of `keys` (all of its keys), in place."""
    items = [(k, table[k]) for k in keys]
    table.clear()
    table.update(items)
