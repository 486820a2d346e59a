"""validate(): every problem of a graph, with its node, and every shape it can infer.

Validation never stops at the first problem: structure (ports, names, params,
cycles), then shape inference in topological order (a node whose inputs are unknown
is skipped quietly, so one mistake gives one message), then shared layers, then
reachability. The report is what the studio shows on every edit and what
`kgs validate` prints. A block use's rules are its body's (graph.block_validate).
"""

from __future__ import annotations

import heapq
import weakref
from collections.abc import Container, Mapping
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter, is_not
from typing import Any, NamedTuple

import networkx as nx

from graph.block_validate import at_use, check_use
from graph.blocks import BlockSpec, wired_outputs
from graph.downstream import Downstream
from graph.errors import ShapeError
from graph.infer import Inferred, check_params, infer, size_problem
from graph.model import Layer, ModelGraph
from graph.naming import name_problem, names_valid_and_unique
from graph.report import ERROR, WARNING, Problem, Report
from graph.shapes import fmt
from graph.spec import LayerSpec, inputs_text
from graph.user_layers import UNCHECKED, UncheckedLayerError

#: Codes of the problems a layer's name causes; they depend on every layer's name.
_NAME_CODES = frozenset({"bad-name", "duplicate-name"})


class _Key(NamedTuple):
    """What the structure of the last run is known by: while both are the same, so are
    the nodes, their layer ids, connections, order, reachability and "no-..." problems."""

    stamp: int
    outputs: tuple[str, ...]


class _Edit(NamedTuple):
    """What changed since the last run, as _Validation.edit_since found it."""

    #: The nodes added, removed or (re)connected.
    touched: set[str]
    #: The new topological order, its nodes' indices and whether it is the graph
    #: order, when nodes or connections changed; else None.
    order: tuple[list[str], dict[str, int], bool] | None
    #: The layers replaced (params, name, type, trainable), added and removed.
    changed: list[int]
    added: list[int]
    removed: list[int]


@dataclass(frozen=True, eq=False, slots=True)
class _ParamCheck:
    """check_params' answer for one spec and one set of params, shared by every layer
    with those exact params. Compared and hashed by identity: it keys _rules."""

    spec: LayerSpec
    problems: tuple[tuple[str, str], ...]
    #: The full param dict when there is no problem (read-only: layers share it).
    resolved: dict[str, Any] | None


class _Rule(NamedTuple):
    """The shape, dtype and weight rules applied to one param check and inputs."""

    #: The result; None when a rule raised or the result is too large to exist.
    result: Inferred | None
    #: The shape error or the size problem when result is None, else dtype warnings.
    messages: tuple[str, ...]
    #: Which code `messages` are reported with: "shape", "size" or "dtype".
    code: str
    #: A block use's body problems (graph.block_validate), reported at the use.
    inner: tuple[Problem, ...] = ()
    #: The input a shape error blames (its position among the inputs), if one.
    index: int | None = None


#: The weight counts of a result, and a node's layer id (for walks by map()).
_TRAINABLE, _NON_TRAINABLE = attrgetter("trainable"), attrgetter("non_trainable")
_LAYER_ID = attrgetter("layer_id")

#: What dict.get returns for a layer type not met yet (None is an unknown type's spec).
_UNSEEN = object()


class _Validation:
    """validate()'s work on one graph, kept by validate() between runs.

    Problems are kept by the part of the graph they come from (per layer, per node,
    ...), with the results they came from, so a run after an edit redoes only what
    the edit can change (see run()) and the report is assembled from the parts in
    the order a cold run finds them. Checks and rules are pure functions of a spec, its
    params and input results, so their answers are also shared by every layer with the
    same params and every node with the same param check and inputs (a model repeats
    its blocks). Written for speed (validation runs on every edit, on graphs of
    thousands of nodes): one pass over layers, then one over nodes in order doing
    wiring, inference and weights together, with plain dict walks, few calls and few
    objects made per layer or node.
    """

    def __init__(self) -> None:
        #: The graph and its tables, set by run() for that run only: a graph's
        #: validation must not keep the graph alive (see _VALIDATIONS).
        self.g: ModelGraph | None = None
        self.t = None
        #: The structure of the last run.
        self.key: _Key | None = None
        #: Per layer type met: its spec (a resolver added later may change it).
        self.specs: dict[str, LayerSpec | None] = {}
        # Per layer id: the Layer object checked and its param check (for a known type);
        # per spec and exact params: the param check; per param check and input
        # results: the rules' answer. Reused while their inputs are the same objects
        # or values. A full run rebuilds them, so they hold only what is still in the
        # graph; an update adds to them.
        self.checked: dict[int, Layer] = {}
        self.param_of: dict[int, _ParamCheck] = {}
        self.param_checks: dict[tuple, _ParamCheck] = {}
        self.rules: dict[tuple, _Rule] = {}
        self.old_checked = self.old_param_of = self.old_param_checks = self.old_rules = {}
        #: The layers in the order of their first call sites in the graph: the order in
        #: which a graph file lists them, so a reloaded graph reports alike.
        self.layer_ids: list[int] = []
        #: Those of them with more than one call site.
        self.shared_ids: list[int] = []
        self.order: list[str] = []
        #: Per node in `order`: its index there.
        self.position: dict[str, int] = {}
        self.stuck: set[str] = set()
        #: Whether `order` is the graph order (every connection runs forward in it).
        self.forward = False
        self.unreachable: list[str] = []
        #: The same nodes as a set.
        self.unreached: set[str] = set()
        # The report's parts, each filled in the order a cold run walks it.
        self.head: list[Problem] = []
        self.layer_problems: dict[int, list[Problem]] = {}
        self.cycle_problems: list[Problem] = []
        self.node_problems: dict[str, list[Problem]] = {}
        self.shared_problems: dict[int, list[Problem]] = {}
        self.unreachable_problems: list[Problem] = []
        self.known: dict[str, Inferred] = {}
        self.sources: dict[str, list[str]] = {}
        #: Per layer whose first call site is inferred: that result, whose weights count.
        self.weights: dict[int, Inferred] = {}
        self.trainable = self.non_trainable = 0
        #: The nodes of the last run, whether every name was fine and whether no layer
        #: is an Input.
        self.nodes: dict = {}
        self.names_fine = True
        self.no_inputs = False
        #: Where error() and warn() put problems, until the part they belong to takes them.
        self.sink: list[Problem] = []

    def error(
        self, code: str, message: str, node: str | None = None, param=None, port=None
    ) -> None:
        self.sink.append(Problem(ERROR, code, message, node, param, port))

    def warn(self, code: str, message: str, node: str | None = None) -> None:
        self.sink.append(Problem(WARNING, code, message, node))

    def take(self) -> list[Problem] | None:
        """The problems found since the last take(), or None."""
        problems = self.sink
        if not problems:
            return None
        self.sink = []
        return problems

    def run(self, g: ModelGraph) -> Report:
        """Validate `g`: an update of the last run's parts where it can say what an edit
        touched (see edit_since), else a full run (reusing per-layer and per-node
        results where inputs match)."""
        self.g, self.t = g, g._tables()
        #: Whether the graph defines blocks (only a block use has several outputs).
        self.blocks = len(g.blocks) > 0
        try:
            key = _Key(self.t.last_stamp, tuple(g.outputs))
            edit = self.edit_since(key)
            if edit is None:
                self.full_run(key)
            else:
                self.update(key, edit)
            return self.report()
        finally:
            self.g = self.t = None

    def report(self) -> Report:
        """A report of its own (callers keep and compare reports) from the parts."""
        problems = [*_model_name_problems(self.g.name), *self.head]
        for part in self.layer_problems.values():
            problems += part
        problems += self.cycle_problems
        for part in self.node_problems.values():
            problems += part
        for part in self.shared_problems.values():
            problems += part
        problems += self.unreachable_problems
        return Report(
            problems,
            dict(self.known),
            list(self.order),
            dict(self.sources),
            self.trainable,
            self.non_trainable,
        )

    # ------------------------------------------------------------ full run

    def full_run(self, key: _Key) -> None:
        """Every check over every layer and node; the order and the unreachable nodes
        are kept from the last run while the structure (and outputs) are the same."""
        structure_kept = self.key is not None and key.stamp == self.key.stamp
        outputs_kept = key == self.key
        self.key = key
        self.old_checked, self.checked = self.checked, {}
        self.old_param_of, self.param_of = self.param_of, {}
        self.old_param_checks, self.param_checks = self.param_checks, {}
        self.old_rules, self.rules = self.rules, {}
        self.specs = {}
        self.layer_problems, self.node_problems, self.shared_problems = {}, {}, {}
        if not structure_kept:
            nodes, sites = self.t.nodes, self.t.sites
            self.layer_ids = list(dict.fromkeys(map(_LAYER_ID, nodes.values())))
            if len(self.layer_ids) == len(nodes):  # as many layers as nodes: none is shared
                self.shared_ids = []
            else:
                self.shared_ids = [i for i in self.layer_ids if len(sites[i]) > 1]
        self.check_layers()
        self.no_inputs = not any(spec is not None and spec.is_input for spec in self.specs.values())
        self.check_head()
        self.nodes = dict(self.t.nodes)
        self.topological_order(structure_kept)
        self.infer_nodes()
        for layer_id in self.shared_ids:
            self.compare_call_sites(layer_id)
            _store(self.shared_problems, layer_id, self.take())
        self.check_reachability(outputs_kept)
        self.old_checked = self.old_param_of = self.old_param_checks = self.old_rules = {}

    def check_head(self) -> None:
        """The model's first problems: no Input, no output."""
        if self.no_inputs:
            self.error("no-inputs", "the model has no Input node")
        if not self.g.outputs:
            self.error("no-outputs", "no node is marked as a model output")
        self.head = self.take() or []

    def check_layers(self) -> None:
        """Per layer, once: type known, name valid and unique, params acceptable."""
        layers, problems, layer_entry = self.t.layers, self.layer_problems, self.layer_entry
        # The names are tested all together; one by one only when one is at fault.
        names_fine = names_valid_and_unique([layers[i].name for i in self.layer_ids])
        self.names_fine = names_fine
        first_by_name: dict[str, int] = {}
        for layer_id in self.layer_ids:
            check = layer_entry(layer_id, layers[layer_id])
            if not names_fine:
                self.check_name(layer_id, first_by_name)
            if check is None or check.resolved is None:
                self.check_type_and_params(layer_id, check)
            if self.sink:
                problems[layer_id] = self.take()

    def layer_entry(self, layer_id: int, layer: Layer) -> _ParamCheck | None:
        """The layer's param check (None for an unknown type), the last run's while the
        layer and its spec are the same objects; recorded for the layer."""
        specs = self.specs
        spec = specs.get(layer.type, _UNSEEN)
        if spec is _UNSEEN:
            spec = specs[layer.type] = self.g.spec_of_type(layer.type)
        old = self.old_param_of.get(layer_id)
        if old is not None and old.spec is spec and self.old_checked.get(layer_id) is layer:
            check = old
        elif spec is None:
            check = None
        else:  # check_params' answer, shared by the layers of `spec` with these exact params
            params = layer.params
            exact = _params_key(params)
            if exact is None:  # an unhashable value: these params are checked alone
                check = _ParamCheck(spec, *_checked(spec, params))
            else:
                key = (spec, exact)
                check = self.param_checks.get(key)
                if check is None:
                    check = self.old_param_checks.get(key)
                    if check is None:
                        check = _ParamCheck(spec, *_checked(spec, params))
                    self.param_checks[key] = check
        self.checked[layer_id] = layer
        if check is not None:
            self.param_of[layer_id] = check
        else:  # an update's layer may have had a known type
            self.param_of.pop(layer_id, None)
        return check

    def check_name(self, layer_id: int, first_by_name: dict[str, int]) -> None:
        """Report a bad name, else a name already used by an earlier layer (in
        `first_by_name`, where a good name not used yet is added)."""
        g, t = self.g, self.t
        node_id, name = t.sites[layer_id][0], t.layers[layer_id].name
        problem = name_problem(name)
        if problem is not None:
            self.error("bad-name", f"{g.label(node_id)}: name {problem}", node_id)
        elif name not in first_by_name:
            first_by_name[name] = layer_id
        else:
            other = t.sites[first_by_name[name]][0]
            self.error(
                "duplicate-name",
                f"{g.label(node_id)}: name '{name}' is already used by "
                f"{g.label(other)}; layer names must be unique",
                node_id,
            )

    def check_type_and_params(self, layer_id: int, check: _ParamCheck | None) -> None:
        """Report an unknown type or bad params (a layer whose nodes are not inferred)."""
        node_id = self.t.sites[layer_id][0]
        if check is None:
            layer_type = self.t.layers[layer_id].type
            message = f"{self.g.label(node_id)}: unknown layer type '{layer_type}'"
            self.error("unknown-type", message, node_id)
            return
        for param, reason in check.problems:
            message = f"{self.g.label(node_id)}: {param} {reason}"
            self.error("bad-param", message, node_id, param)

    def topological_order(self, structure_kept: bool) -> None:
        """A stable topological order (Kahn's, ties by graph order); reports cycles.

        The order depends only on the nodes (in graph order) and their connections, so
        it is kept while neither changed (a param edit, a rename, a move, outputs).
        """
        if not structure_kept:
            self.order, self.stuck, self.forward = self._kahn()
            self.position = dict(zip(self.order, range(len(self.order)), strict=True))
        if self.stuck:
            self.report_cycles(self.stuck)
        self.cycle_problems = self.take() or []

    def _kahn(self) -> tuple[list[str], set[str], bool]:
        """Kahn's order (ties by graph order), the nodes it could not order (those on
        or downstream of a cycle), and whether the order is the graph order."""
        pred, succ = self.t.pred, self.t.succ
        nodes = list(self.t.nodes)
        # Where every connection runs forward in graph order (as in most files), Kahn's
        # would pop the nodes in graph order: each is ready once those before it are.
        before: set[str] = set()
        has_all, add = before.issuperset, before.add
        for node_id in nodes:
            if not has_all(pred[node_id]):
                break
            add(node_id)
        else:
            return nodes, set(), True
        position = {n: i for i, n in enumerate(nodes)}
        # Degrees count distinct neighbours: several ports fed by one source are one
        # dependency.
        indegree = {n: len(pred[n]) for n in nodes}
        heap = [i for i, n in enumerate(nodes) if not indegree[n]]
        order = []
        while heap:
            node_id = nodes[heapq.heappop(heap)]
            order.append(node_id)
            for dst in succ[node_id]:
                indegree[dst] -= 1
                if not indegree[dst]:
                    heapq.heappush(heap, position[dst])
        return order, set(nodes) - set(order) if len(order) < len(nodes) else set(), False

    def report_cycles(self, stuck: set[str]) -> None:
        """Report each cycle among `stuck` once per node on it, starting from its first
        node in graph order (sets iterate in a per-process order: messages must not)."""
        g = self.g
        sub = self._ordered_subgraph(stuck)
        position = {n: i for i, n in enumerate(sub)}
        components = sorted(
            nx.strongly_connected_components(sub), key=lambda c: min(position[n] for n in c)
        )
        for component in components:
            first = min(component, key=position.__getitem__)
            if len(component) == 1 and not sub.has_edge(first, first):
                continue  # downstream of a cycle, not on one
            cycle = [u for u, *_ in nx.find_cycle(self._ordered_subgraph(component), first)]
            names = " -> ".join(g.layer(n).name for n in [*cycle, cycle[0]])
            for node_id in cycle:
                self.error("cycle", f"{g.label(node_id)}: is on a cycle: {names}", node_id)

    def _ordered_subgraph(self, keep: set[str]) -> nx.DiGraph:
        """The nodes `keep` and their connections, as a graph filled in graph order (a
        networkx subgraph view iterates its node set, in a per-process order)."""
        ordered = [n for n in self.t.nodes if n in keep]
        sub = nx.DiGraph()
        sub.add_nodes_from(ordered)
        sub.add_edges_from((u, v) for u in ordered for v in self.t.succ[u] if v in keep)
        return sub

    def port_sources(self, node_id: str, spec: LayerSpec) -> list[str] | None:
        """The node's input sources in port order, or None after reporting bad wiring
        (Ports.in_order is the fast check; this finds out what is wrong)."""
        ports = spec.ports
        wiring = self.t.pred[node_id]
        sources = ports.in_order(wiring)
        if sources is not None:  # well wired: the common case, fast
            return sources
        by_index: dict[int, list[str]] = {}
        bad = False
        for src, keys in wiring.items():
            for port in keys:
                index = ports.index(port)
                if index is None:
                    self.error(
                        "surplus-input",
                        f"{self.g.label(node_id)}: has no input port '{port}' "
                        f"(expected: {ports.describe()}). "
                        f"Received: a connection from '{self.g.layer(src).name}'",
                        node_id,
                    )
                    bad = True
                elif index in by_index:
                    by_index[index].append(src)
                else:
                    by_index[index] = [src]
        for index, srcs in by_index.items():
            if len(srcs) > 1:
                names = ", ".join(f"'{self.g.layer(s).name}'" for s in srcs)
                self.error(
                    "surplus-input",
                    f"{self.g.label(node_id)}: port '{ports.name(index)}' takes one "
                    f"connection. Received: {len(srcs)} ({names})",
                    node_id,
                )
                bad = True
        if ports.variadic:
            if len(by_index) < ports.required:
                self.error(
                    "missing-input",
                    f"{self.g.label(node_id)}: needs at least {inputs_text(ports.required)}. "
                    f"Received: {len(by_index)}",
                    node_id,
                )
                bad = True
            order = sorted(by_index)
        else:
            order = range(max(len(by_index) and max(by_index) + 1, ports.required))
            for i in order:
                if i not in by_index:
                    message = f"{self.g.label(node_id)}: input port '{ports.names[i]}' "
                    self.error("missing-input", message + "is not connected", node_id)
                    bad = True
        return None if bad else [by_index[i][0] for i in order]

    def infer_nodes(self) -> None:
        """Every node in order: its wiring, its result, and the weights of a layer at its
        first call site."""
        nodes, sites, layers = self.t.nodes, self.t.sites, self.t.layers
        known, sources, weights, node_problems = {}, {}, {}, self.node_problems
        self.known, self.sources, self.weights = known, sources, weights
        infer_node = self.infer_node
        shared = bool(self.shared_ids)  # else each node is its layer's first call site
        for node_id in self.order:
            layer_id = nodes[node_id].layer_id
            node_sources, result = infer_node(node_id, layer_id)
            if node_sources is not None:
                sources[node_id] = node_sources
            if result is not None:
                known[node_id] = result
                if not shared or sites[layer_id][0] == node_id:
                    layer = layers[layer_id]
                    weights[layer_id] = result if layer.trainable else _frozen(result)
            if self.sink:
                node_problems[node_id] = self.take()
        self.trainable = sum(map(_TRAINABLE, weights.values()))
        self.non_trainable = sum(map(_NON_TRAINABLE, weights.values()))

    def infer_node(self, node_id: str, layer_id: int) -> tuple[list[str] | None, Inferred | None]:
        """(sources, result): the node's inputs in port order, None when its layer is
        unusable or it is badly wired; its result, None when it cannot be inferred."""
        check = self.param_of.get(layer_id)
        if check is None or check.resolved is None:  # unknown type (no ports known) or bad params
            if check is not None:
                self.port_sources(node_id, check.spec)
            return None, None
        fed = self.t.pred[node_id]
        sources = check.spec.ports.in_order(fed)
        if sources is None:
            sources = self.port_sources(node_id, check.spec)
            if sources is None:
                return None, None
        # The rules' key: the param check, then the inputs' results. Built by a plain
        # loop: list(map(...)) and (check, *inputs) cost several times as much on the
        # one or two inputs of most nodes.
        inputs = [check]
        known = self.known
        for src in sources:
            result = known.get(src)
            if result is None:
                return sources, None  # an upstream problem is reported where it is
            inputs.append(result)
        if self.blocks:  # only a block use has a later output to take
            outputs = wired_outputs(fed, check.spec.ports)
            if outputs is not None:
                picked = self.picked_outputs(node_id, sources, outputs, inputs[1:])
                if picked is None:
                    return sources, None
                inputs[1:] = picked
        key = tuple(inputs)
        rule = self.rules.get(key)
        if rule is None:
            rule = self.old_rules.get(key) or _apply_rules(check.spec, check.resolved, inputs[1:])
            self.rules[key] = rule
        if rule.messages:
            self.report_rule(node_id, check.spec, rule)
        if rule.inner:
            self.sink += at_use(rule.inner, node_id, self.g.label(node_id))
        return sources, rule.result

    def report_rule(self, node_id: str, spec: LayerSpec, rule: _Rule) -> None:
        """The rule's error (at the input port it blames, if one), or its warnings, on
        `node_id`."""
        label = self.g.label(node_id)
        if rule.code == UNCHECKED:
            self.warn(rule.code, f"{label}: {rule.messages[0]}", node_id)
        elif rule.result is None:
            port = None
            if rule.index is not None:
                port = spec.ports.fed_port(self.t.pred[node_id], rule.index)
            self.error(rule.code, f"{label}: {rule.messages[0]}", node_id, port=port)
        else:
            for warning in rule.messages:
                self.warn(rule.code, f"{label}: {warning}", node_id)

    def picked_outputs(
        self, node_id: str, sources: list[str], outputs: tuple[int, ...], inputs: list
    ) -> list[Inferred] | None:
        """The results of the outputs the node's inputs take, or None after reporting
        an input that takes an output its source does not have."""
        picked = [result.output(k) for result, k in zip(inputs, outputs, strict=True)]
        for src, k, result in zip(sources, outputs, picked, strict=True):
            if result is None:
                self.error(
                    "bad-output",
                    f"{self.g.label(node_id)}: takes output {k} of {self.g.label(src)}, "
                    f"which has {self.g.output_count(src)}",
                    node_id,
                )
        return None if None in picked else picked

    def check_shared_layer(self, layer_id: int) -> bool:
        """After the layer's call sites were inferred again: count its weights anew and
        check its call sites against each other. Returns whether that adds the layer to
        `shared_problems` (see _store)."""
        old = self.weights.pop(layer_id, None)
        if old is not None:
            self.trainable -= old.trainable
            self.non_trainable -= old.non_trainable
        first = self.known.get(self.t.sites[layer_id][0])
        if first is not None:
            if not self.t.layers[layer_id].trainable:
                first = _frozen(first)
            self.weights[layer_id] = first
            self.trainable += first.trainable
            self.non_trainable += first.non_trainable
        self.compare_call_sites(layer_id)
        return _store(self.shared_problems, layer_id, self.take())

    def compare_call_sites(self, layer_id: int) -> None:
        """Call sites of one layer must fit one set of weights: those inferred are
        compared with the first, when it is."""
        sites, known = self.t.sites[layer_id], self.known
        if len(sites) < 2 or sites[0] not in known:
            return
        check = self.param_of[layer_id]
        spec, p = check.spec, check.resolved
        sites = [s for s in sites if s in known]
        base_shapes = [known[s].shape for s in self.sources[sites[0]]]
        base = spec.weight_signature(base_shapes, p)
        for site in sites[1:]:
            shapes = [known[s].shape for s in self.sources[site]]
            if spec.weight_signature(shapes, p) != base:
                self.error(
                    "shared-mismatch",
                    f"{self.g.label(site)}: a shared layer needs inputs that fit its "
                    f"weights, built for {', '.join(map(fmt, base_shapes))} at its first "
                    f"call. Received: {', '.join(map(fmt, shapes))}",
                    site,
                )

    def check_reachability(self, outputs_kept: bool) -> None:
        """Warn of nodes no output depends on; which they are is kept with the key."""
        if not outputs_kept:
            self.unreachable = self._unreachable()
            self.unreached = set(self.unreachable)
        for node_id in self.unreachable:
            self.warn(
                "unreachable",
                f"{self.g.label(node_id)}: does not lead to any model output",
                node_id,
            )
        self.unreachable_problems = self.take() or []

    def _unreachable(self) -> list[str]:
        """The nodes, in graph order, that lead to no output (none without outputs)."""
        outputs = self.g.outputs
        if not outputs:
            return []
        pred = self.t.pred
        reached = set(outputs)
        if not self.stuck:
            # Without cycles, every walk along connections ends at a node that feeds
            # none; so when each such node is an output, every node leads to one.
            for node_id, successors in self.t.succ.items():
                if not successors and node_id not in reached:
                    break
            else:
                return []
            # Else a walk back: every node is in the order, after all it depends on.
            reach = reached.update
            for node_id in reversed(self.order):
                if node_id in reached:
                    reach(pred[node_id])
        else:  # nodes on a cycle are not ordered: walk back from the outputs
            stack = list(outputs)
            while stack:
                for src in pred[stack.pop()]:
                    if src not in reached:
                        reached.add(src)
                        stack.append(src)
        if len(reached) == len(self.t.nodes):
            return []
        return [n for n in self.t.nodes if n not in reached]

    # -------------------------------------------------------------- update

    def edit_since(self, key: _Key) -> _Edit | None:
        """What changed since the last run, or None when a full run is due: before a
        first run; after a spec changed (a resolver added, a block's body revised: its
        uses' checks follow the body, so every use is checked again); when the graph's
        journal no longer reaches back to the last run; when a name is at fault, before
        or after (each name's check depends on every other name); and when there is a
        cycle, before or after (its messages follow the nodes along it)."""
        if self.key is None or self.stuck:
            return None
        if any(self.g.spec_of_type(t) is not spec for t, spec in self.specs.items()):
            return None
        t = self.t
        touched: set[str] = set()
        order = None
        if key.stamp != self.key.stamp:
            touched = self.g._touched_since(self.key.stamp)
            if touched is None:
                return None
            order = self.order_after(touched)
            if order is None:
                return None
        layers, checked = t.layers, self.checked
        # In C loops: this runs on every edit, over every layer.
        changed = list(compress(layers, map(is_not, map(checked.get, layers), layers.values())))
        removed = list(checked.keys() - layers.keys())
        added = [i for i in changed if i not in checked]
        if added:
            changed = [i for i in changed if i in checked]
            added = [i for i in added if t.sites[i]]  # a layer undo restores before its call
        renamed = [i for i in changed if layers[i].name != self.checked[i].name]
        if not self.names_fine and (
            renamed or touched or removed or any(layers[i].type != checked[i].type for i in changed)
        ):
            return None  # name problems stay only while labels and first calls do
        if renamed or added:
            if len(t.name_counts) != len(layers):  # a name used twice
                return None
            if any(name_problem(layers[i].name) is not None for i in (*renamed, *added)):
                return None
        return _Edit(touched, order, changed, added, removed)

    def order_after(self, touched: set[str]) -> tuple[list[str], dict[str, int], bool] | None:
        """_kahn's order after an edit that touched `touched`, with each node's index in
        it and whether it is the graph order; None when a cycle stops it. Where every
        connection ran forward in graph order before the edit, only the touched nodes'
        need checking: the others keep their places relative to each other."""
        t = self.t
        if self.forward:
            nodes = list(t.nodes)
            position = dict(zip(nodes, range(len(nodes)), strict=True))
            pred, succ = t.pred, t.succ
            for node_id in touched:
                i = position.get(node_id)
                if i is None:
                    continue
                if any(position[p] >= i for p in pred[node_id]) or any(
                    position[d] <= i for d in succ[node_id]
                ):
                    break
            else:
                return nodes, position, True
        order, stuck, forward = self._kahn()
        if stuck:
            return None
        return order, dict(zip(order, range(len(order)), strict=True)), forward

    def update(self, key: _Key, edit: _Edit) -> None:
        """Redo the last run's work only where `edit` reaches: the checks of the layers
        it changed, added or relabelled (a layer's problems name its first call site,
        a node's its call number), the inference of the nodes it touched and of the
        call sites of those layers, and of what lies downstream while results differ;
        the shared-layer checks of the layers met on the way, the head and reachability.

        Each part is stored in place and put back in the order a cold run fills it.
        """
        t, old_key = self.t, self.key
        self.key = key
        self.old_checked, self.old_param_of = self.checked, self.param_of
        sites, layers = t.sites, t.layers
        # The layers whose call sites changed, and those they lost or gained.
        relabelled = set(edit.changed)
        for node_id in edit.touched:
            for node in (t.nodes.get(node_id), self.nodes.get(node_id)):
                if node is not None and node.layer_id in sites:
                    relabelled.add(node.layer_id)
        relabelled.update(edit.added)
        if edit.order is not None:
            self.restructure(edit)
        inputs_changed = False
        old_checked = dict(self.checked) if edit.removed else self.checked
        for layer_id in edit.removed:
            del self.checked[layer_id]
            self.param_of.pop(layer_id, None)
            self.layer_problems.pop(layer_id, None)
            self.shared_problems.pop(layer_id, None)
            old = self.weights.pop(layer_id, None)
            if old is not None:
                self.trainable -= old.trainable
                self.non_trainable -= old.non_trainable
            inputs_changed |= self._is_input(old_checked[layer_id].type)
        layers_mended = False
        for layer_id in relabelled:
            layer = layers[layer_id]
            old = self.checked.get(layer_id)
            was_input = old is not None and self._is_input(old.type)
            inputs_changed |= was_input != self._is_input(layer.type)
            check = self.layer_entry(layer_id, layer)
            old_problems = self.layer_problems.get(layer_id, ())
            self.sink = [p for p in old_problems if p.code in _NAME_CODES]
            self.check_type_and_params(layer_id, check)
            layers_mended |= _store(self.layer_problems, layer_id, self.take())
        if layers_mended or (edit.order is not None and self.layer_problems):
            self.layer_problems = _in_order(self.layer_problems, self.layer_ids)
        if inputs_changed:
            self.no_inputs = not any(self._is_input(layer.type) for layer in layers.values())
        self.check_head()
        seeds = [n for n in edit.touched if n in t.nodes]
        succ = t.succ
        for layer_id in relabelled:
            for node_id in sites[layer_id]:
                seeds.append(node_id)
                seeds += succ[node_id]  # their messages may name it
        touched = self.reinfer(seeds)
        touched |= relabelled
        shared_mended = False
        for layer_id in touched:
            shared_mended |= self.check_shared_layer(layer_id)
        if shared_mended or (edit.order is not None and self.shared_problems):
            self.shared_problems = _in_order(self.shared_problems, self.layer_ids)
        if edit.order is not None or key.outputs != old_key.outputs:
            self.update_reachability(edit, old_key.outputs)
        self.check_reachability(outputs_kept=True)
        self.old_checked = self.old_param_of = {}

    def order_layers(self, gone: list[str], new: list[str]) -> None:
        """The layers in their first calls' order again, after the nodes `gone` went
        and `new` came: a layer that went with its only call leaves
        its place, one that came with the graph's last node goes last; anything else
        (a first call gone or come) orders them all again."""
        t, layer_ids = self.t, self.layer_ids
        again = False
        for node_id in gone:
            layer_id = self.nodes[node_id].layer_id
            if layer_id in t.sites:
                again = True
            elif layer_id in layer_ids:
                layer_ids.remove(layer_id)
        if len(new) > 1:
            again = True
        for node_id in new:
            layer_id = t.nodes[node_id].layer_id
            first = t.sites[layer_id][0]
            if len(t.sites[layer_id]) == 1 and node_id == next(reversed(t.nodes)):
                layer_ids.append(layer_id)
            elif first == node_id:
                again = True
        nodes, sites = t.nodes, t.sites
        if again:
            self.layer_ids = list(dict.fromkeys(map(_LAYER_ID, nodes.values())))
        if len(self.layer_ids) == len(nodes):  # as many layers as nodes: none is shared
            self.shared_ids = []
        else:
            self.shared_ids = [i for i in self.layer_ids if len(sites[i]) > 1]

    def update_reachability(self, edit: _Edit, old_outputs: tuple[str, ...]) -> None:
        """Which nodes lead to no output, after `edit` or a change of outputs: walking
        upstream from the nodes touched and the outputs changed, while a node's answer
        changes (a node leads to an output when it is one or a successor leads to one)."""
        g, t = self.g, self.t
        outputs = set(g.outputs)
        if not outputs or not old_outputs:  # without outputs no node is reported
            self.unreachable = self._unreachable()
            self.unreached = set(self.unreachable)
            return
        unreached, succ = self.unreached, t.succ
        seeds = [n for n in edit.touched if n in t.nodes]
        seeds += outputs.symmetric_difference(old_outputs)
        unreached.difference_update(edit.touched - t.nodes.keys())
        walk = Downstream(seeds, self.order, self.position, t.pred, upstream=True)
        mended = False
        for node_id in walk:
            leads = node_id in outputs or any(d not in unreached for d in succ[node_id])
            if leads == (node_id in unreached):
                if leads:
                    unreached.discard(node_id)
                else:
                    unreached.add(node_id)
                mended = True
                walk.spread(node_id)
        if not unreached:
            self.unreachable = []
        elif self.forward:  # the order is the graph order, in which they are reported
            self.unreachable = sorted(unreached, key=self.position.__getitem__)
        elif mended or edit.order is not None:
            self.unreachable = [n for n in t.nodes if n in unreached]

    def _is_input(self, layer_type: str) -> bool:
        """Whether layers of `layer_type` are model inputs (its spec says so)."""
        spec = self.specs.get(layer_type, _UNSEEN)
        if spec is _UNSEEN:
            spec = self.specs[layer_type] = self.g.spec_of_type(layer_type)
        return spec is not None and spec.is_input

    def restructure(self, edit: _Edit) -> None:
        """After nodes or connections were added or removed: the new order, the nodes
        gone withdrawn from the node parts, the layers in their first calls' order."""
        t = self.t
        old_order = self.order
        order, self.position, self.forward = edit.order
        self.order = order
        # A node removed and added again under its id (ids are reused) is a new node.
        nodes, old_nodes = t.nodes, self.nodes
        gone = [n for n in edit.touched if n in old_nodes and nodes.get(n) is not old_nodes[n]]
        for node_id in gone:
            self.known.pop(node_id, None)
            self.sources.pop(node_id, None)
            self.node_problems.pop(node_id, None)
        # The node parts keep their order unless nodes that stay changed places.
        if not _same_relative_order(old_order, order, t.nodes, self.nodes):
            self.known = _in_order(self.known, order)
            self.sources = _in_order(self.sources, order)
            self.node_problems = _in_order(self.node_problems, order)
        if gone or len(t.nodes) != len(self.nodes):
            new = [n for n in edit.touched if n in nodes and old_nodes.get(n) is not nodes[n]]
            self.order_layers(gone, new)
        self.nodes = dict(t.nodes)

    def reinfer(self, seeds: list[str]) -> set[int]:
        """Infer `seeds` again, and in order each node downstream of one whose result
        changed; returns the layers of the nodes inferred."""
        nodes = self.t.nodes
        walk = Downstream(seeds, self.order, self.position, self.t.succ)
        touched: set[int] = set()
        mended = False
        position = self.position
        for node_id in walk:
            layer_id = nodes[node_id].layer_id
            touched.add(layer_id)
            old = self.known.get(node_id)
            sources, result = self.infer_node(node_id, layer_id)
            mended |= _store_at(self.sources, node_id, sources, position)
            mended |= _store_at(self.known, node_id, result, position)
            mended |= _store_at(self.node_problems, node_id, self.take(), position)
            if result != old:
                walk.spread(node_id)
        if mended:
            self.sources = _in_order(self.sources, self.order)
            self.known = _in_order(self.known, self.order)
            self.node_problems = _in_order(self.node_problems, self.order)
        return touched


def _frozen(result: Inferred) -> Inferred:
    """`result` as the totals count it for a frozen layer: its weights are all
    non-trainable (Keras's `trainable_weights` of a layer with `trainable = False` is
    empty)."""
    return result._replace(trainable=0, non_trainable=result.params)


#: Param value types of which no value equals one of another of them, so that equal
#: values of them are alike to every check and message.
_UNMISTAKABLE_TYPES = frozenset({int, str, type(None)})
#: Param value types whose equal values are alike to every check and message.
_PLAIN_TYPES = _UNMISTAKABLE_TYPES | {bool}


def _params_key(params: Mapping[str, Any]) -> tuple | None:
    """A hashable key, equal only for params that every check treats alike, or None
    when a value is unhashable.

    Python's equality is too loose for that: 1 == 1.0 == True though a param's kind
    tells them apart, and 0.0 == -0.0 though messages print them apart. Params whose
    values are all of _UNMISTAKABLE_TYPES (the common case) are keyed by their items;
    beyond those, values of _PLAIN_TYPES are keyed with their types, others by type,
    floats by their bits, containers item by item (these keys start with a string, so
    they never equal a tuple of items). Keys keep the params' order, as messages do.
    """
    if not params:
        return ()
    for value in params.values():
        if type(value) not in _UNMISTAKABLE_TYPES:
            break
    else:
        return tuple(params.items())
    types = tuple(map(type, params.values()))
    if _PLAIN_TYPES.issuperset(types):
        return ("plain", tuple(params.items()), types)
    key = ("exact", _exact(params))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _exact(value: Any) -> tuple:
    """`value` as _params_key keys it."""
    kind = type(value)
    if kind is tuple:
        return (kind, tuple(map(_exact, value)))
    if kind is float:
        return (kind, value.hex())
    if isinstance(value, Mapping):
        return (Mapping, tuple((k, _exact(v)) for k, v in value.items()))
    return (kind, value)


def _checked(spec: LayerSpec, params: Mapping[str, Any]) -> tuple[tuple, dict | None]:
    """check_params' (problems, resolved params), the problems as a tuple."""
    problems, resolved = check_params(spec, params)
    return tuple(problems), resolved


def _apply_rules(spec: LayerSpec, p: dict, inputs: list[Inferred]) -> _Rule:
    """The spec's rules on resolved params `p` and the input results."""
    if isinstance(spec, BlockSpec):
        check = check_use(spec, p, inputs)
        return _Rule(check.result, (), "block", check.problems)
    shapes = [r.shape for r in inputs]
    dtypes = [r.dtype for r in inputs]
    try:
        result = infer(spec, p, shapes, dtypes)
    except UncheckedLayerError as e:
        return _Rule(None, (str(e),), UNCHECKED)
    except ShapeError as e:
        # A layer of one input can only be wrong about that input.
        index = 0 if e.index is None and len(shapes) == 1 else e.index
        return _Rule(None, (str(e),), "shape", index=index)
    too_large = size_problem(result)
    if too_large is not None:
        return _Rule(None, (too_large,), "size")
    return _Rule(result, tuple(spec.dtype_warnings(dtypes, p)), "dtype")


def _model_name_problems(name: str) -> list[Problem]:
    """The model's own name as Keras takes it: a string without '/' (Keras refuses one
    when it builds the Model). Checked on every report: renaming bumps no stamp."""
    if "/" not in name:
        return []
    return [Problem(ERROR, "model-name", f"the model name {name!r} cannot contain '/'")]


def _store(parts: dict, key, value) -> bool:
    """Set `parts[key]` to `value`, or remove it when `value` is None. Returns whether
    that added a key (it then goes last: the dict's order needs mending)."""
    if value is None:
        parts.pop(key, None)
        return False
    added = key not in parts
    parts[key] = value
    return added


def _store_at(parts: dict, key: str, value, position: Mapping[str, int]) -> bool:
    """_store for parts kept in the order of `position`: returns whether `key` was
    added before a key it comes after (the dict's order needs mending)."""
    if value is None:
        parts.pop(key, None)
        return False
    if key in parts or not parts:
        parts[key] = value
        return False
    misplaced = position[next(reversed(parts))] > position[key]
    parts[key] = value
    return misplaced


def _same_relative_order(old: list[str], new: list[str], now: Container, before: Container) -> bool:
    """Whether the nodes in both orders (in the graph `now` and `before`) come in the
    same order in each."""
    if len(new) >= len(old) and new[: len(old)] == old:  # nodes added after the rest
        return True
    return [n for n in old if n in now] == [n for n in new if n in before]


def _in_order(parts: dict, keys) -> dict:
    """`parts` with its keys in the order of `keys`, as a cold run fills it."""
    return {key: parts[key] for key in keys if key in parts}


#: Each graph's validation from its last run, for as long as the graph lives: validate
#: owns it, the graph knows nothing of it.
_VALIDATIONS: weakref.WeakKeyDictionary[ModelGraph, _Validation] = weakref.WeakKeyDictionary()


def validate(g: ModelGraph) -> Report:
    """Check `g` completely and infer every shape it can; never raises on bad graphs.

    The graph's validation keeps this run's work for the next one; until this run ends
    it keeps none, so a run cut short by an exception leaves nothing half-done to reuse.
    """
    validation = _VALIDATIONS.pop(g, None)
    if validation is None:
        validation = _Validation()
    report = validation.run(g)
    _VALIDATIONS[g] = validation
    return report
