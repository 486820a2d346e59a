"""validate(): every problem of a graph, with its node, and every shape it can infer.

Validation never stops at the first problem: structure (ports, names, params,
cycles), then shape inference in topological order (a node whose inputs are unknown
is skipped quietly, so one mistake gives one message), then shared layers, then
reachability. The report is what the studio shows on every edit and what
`kgs validate` prints.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import networkx as nx

from graph.errors import ShapeError
from graph.infer import Inferred, check_params, infer
from graph.model import ModelGraph
from graph.naming import name_problem
from graph.shapes import fmt
from graph.spec import LayerSpec, get_spec

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One problem: its severity, a stable code, the node (if any) and a message.

    `message` is complete on its own: it names the node ("Add 'res1': inputs ...").
    `param` names the offending parameter when there is one.
    """

    severity: str
    code: str
    message: str
    node: str | None = None
    param: str | None = None


@dataclass
class Report:
    """What validate() found: problems, and per node what could be inferred."""

    problems: list[Problem] = field(default_factory=list)
    #: Output shape, dtype and weights of every node that could be inferred.
    nodes: dict[str, Inferred] = field(default_factory=dict)
    #: The nodes in a topological order (nodes on a cycle are left out).
    order: list[str] = field(default_factory=list)
    #: Per node whose ports are well wired: its input nodes in port order.
    sources: dict[str, list[str]] = field(default_factory=dict)
    trainable_params: int = 0
    non_trainable_params: int = 0

    @property
    def total_params(self) -> int:
        return self.trainable_params + self.non_trainable_params

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def valid(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def problems_of(self, node_id: str) -> list[Problem]:
        return [p for p in self.problems if p.node == node_id]


class _Validation:
    """One run of validate(): walks the graph's tables once, collecting problems.

    Written for speed (validation runs on every edit, on graphs of thousands of
    nodes): plain dict walks, one pass over layers, one over nodes in order.
    """

    def __init__(self, g: ModelGraph) -> None:
        self.g = g
        self.t = g._tables()
        # Results of the previous run, reused where their inputs are identical (the
        # same immutable Layer and spec objects, equal input results): an edit then
        # costs little more than walking the graph. Rebuilt each run, so it holds
        # only what is still in the graph.
        self.old_layers = g._validation_memo.get("layers", {})
        self.old_nodes = g._validation_memo.get("nodes", {})
        self.old_wiring = g._validation_memo.get("wiring", {})
        self.old_structure = g._validation_memo.get("structure")
        self.new_layers: dict[int, tuple] = {}
        self.new_nodes: dict[str, tuple] = {}
        self.new_wiring: dict[str, tuple] = {}
        g._validation_memo = {
            "layers": self.new_layers,
            "nodes": self.new_nodes,
            "wiring": self.new_wiring,
        }
        self.report = Report()
        #: Per layer id: its spec and resolved params, when both are usable.
        self.usable: dict[int, tuple[LayerSpec, dict]] = {}
        self.sources = self.report.sources

    def error(self, code: str, message: str, node: str | None = None, param=None) -> None:
        self.report.problems.append(Problem(ERROR, code, message, node, param))

    def warn(self, code: str, message: str, node: str | None = None) -> None:
        self.report.problems.append(Problem(WARNING, code, message, node))

    def run(self) -> Report:
        g = self.g
        if not g.inputs:
            self.error("no-inputs", "the model has no Input node")
        if not g.outputs:
            self.error("no-outputs", "no node is marked as a model output")
        self.check_layers()
        self.report.order = self.topological_order()
        for node_id in self.report.order:
            self.infer_node(node_id)
        self.check_shared_layers()
        self.check_reachability()
        return self.report

    def check_layers(self) -> None:
        """Per layer, once: type known, name valid and unique, params acceptable."""
        g = self.g
        first_by_name: dict[str, str] = {}
        for layer_id, layer in self.t.layers.items():
            sites = self.t.sites[layer_id]
            if not sites:
                continue
            node_id = sites[0]
            spec = get_spec(layer.type)
            memo = self.old_layers.get(layer_id)
            if memo is None or memo[0] is not layer or memo[1] is not spec:
                problems, resolved = check_params(spec, layer.params) if spec else ([], None)
                memo = (layer, spec, name_problem(layer.name), problems, resolved)
            self.new_layers[layer_id] = memo
            _, _, problem, problems, resolved = memo
            if problem is not None:
                self.error("bad-name", f"{g.label(node_id)}: name {problem}", node_id)
            elif layer.name in first_by_name:
                other = first_by_name[layer.name]
                self.error(
                    "duplicate-name",
                    f"{g.label(node_id)}: name '{layer.name}' is already used by "
                    f"{g.label(other)}; layer names must be unique",
                    node_id,
                )
            else:
                first_by_name[layer.name] = node_id
            if spec is None:
                message = f"{g.label(node_id)}: unknown layer type '{layer.type}'"
                self.error("unknown-type", message, node_id)
                continue
            for param, reason in problems:
                self.error("bad-param", f"{g.label(node_id)}: {param} {reason}", node_id, param)
            if resolved is not None:
                self.usable[layer_id] = (spec, resolved)

    def topological_order(self) -> list[str]:
        """A stable topological order (Kahn's, ties by graph order); reports cycles.

        The order depends only on the nodes (in graph order) and their connections, so
        it is kept between runs while neither changed (a param edit, a rename, a move).
        """
        structure = (self.t.last_stamp, tuple(self.t.nodes))
        memo = self.old_structure
        if memo is not None and memo[0] == structure:
            order, stuck = memo[1], memo[2]
        else:
            order, stuck = self._kahn()
        self.g._validation_memo["structure"] = (structure, order, stuck)
        if stuck:
            self.report_cycles(stuck)
        return list(order)  # the report's own copy: the memo's must not change

    def _kahn(self) -> tuple[list[str], set[str]]:
        """Kahn's order (ties by graph order), and the nodes it could not order: those on
        or downstream of a cycle."""
        pred, succ = self.t.pred, self.t.succ
        nodes = list(self.t.nodes)
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
        return order, set(nodes) - set(order) if len(order) < len(nodes) else set()

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
        """The node's input sources in port order, or None after reporting bad wiring."""
        ports = spec.ports
        wiring = self.t.pred[node_id]
        if ports.names == ("input",) and len(wiring) == 1:  # the common case, fast
            ((src, keys),) = wiring.items()
            if len(keys) == 1 and "input" in keys:
                return [src]
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
                    f"{self.g.label(node_id)}: needs at least {ports.required} inputs. "
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

    def infer_node(self, node_id: str) -> None:
        layer_id = self.t.nodes[node_id]["node"].layer_id
        layer_spec = self.usable.get(layer_id)
        if layer_spec is None:  # unknown type (ports unknown too) or bad params
            spec = get_spec(self.t.layers[layer_id].type)
            if spec is not None:
                self.port_sources(node_id, spec)
            return
        spec, p = layer_spec
        stamp = self.t.wiring_stamp.get(node_id)
        memo = self.old_wiring.get(node_id)
        if memo is not None and memo[0] == stamp and memo[1] is spec:
            sources = memo[2]
        else:
            sources = self.port_sources(node_id, spec)
            if sources is None:
                return
        self.new_wiring[node_id] = (stamp, spec, sources)
        self.sources[node_id] = sources
        known = self.report.nodes
        inputs = []
        for src in sources:
            result = known.get(src)
            if result is None:
                return  # an upstream problem is reported where it is
            inputs.append(result)
        layer = self.t.layers[layer_id]
        memo = self.old_nodes.get(node_id)
        if memo is None or memo[0] is not layer or memo[1] is not spec or memo[2] != inputs:
            memo = (layer, spec, inputs, *_infer_node(spec, p, inputs))
        self.new_nodes[node_id] = memo
        _, _, _, result, messages = memo
        if result is None:
            self.error("shape", f"{self.g.label(node_id)}: {messages[0]}", node_id)
            return
        known[node_id] = result
        for warning in messages:
            self.warn("dtype", f"{self.g.label(node_id)}: {warning}", node_id)

    def check_shared_layers(self) -> None:
        """Call sites of one layer must fit one set of weights; count weights once."""
        report = self.report
        known = report.nodes
        for layer_id, sites in self.t.sites.items():
            if not sites or sites[0] not in known:
                continue
            first = known[sites[0]]
            report.trainable_params += first.trainable
            report.non_trainable_params += first.non_trainable
            if len(sites) > 1:
                self.compare_call_sites(layer_id, [s for s in sites if s in known])

    def compare_call_sites(self, layer_id: int, sites: list[str]) -> None:
        spec, p = self.usable[layer_id]
        known = self.report.nodes
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

    def check_reachability(self) -> None:
        outputs = self.g.outputs
        if not outputs:
            return
        pred = self.t.pred
        reached = set(outputs)
        stack = list(outputs)
        while stack:
            for src in pred[stack.pop()]:
                if src not in reached:
                    reached.add(src)
                    stack.append(src)
        for node_id in self.t.nodes:
            if node_id not in reached:
                self.warn(
                    "unreachable",
                    f"{self.g.label(node_id)}: does not lead to any model output",
                    node_id,
                )


def _infer_node(
    spec: LayerSpec, p: dict, inputs: list[Inferred]
) -> tuple[Inferred | None, list[str]]:
    """(result, dtype warnings), or (None, [shape error message])."""
    shapes = [r.shape for r in inputs]
    dtypes = [r.dtype for r in inputs]
    try:
        result = infer(spec, p, shapes, dtypes)
    except ShapeError as e:
        return None, [str(e)]
    return result, list(spec.dtype_warnings(dtypes, p))


def validate(g: ModelGraph) -> Report:
    """Check `g` completely and infer every shape it can; never raises on bad graphs."""
    return _Validation(g).run()
