"""Graphs whose validation reports are pinned: a fixed, seeded set of them (the bundled
templates, the tests' graphs, random graph files with every kind of flaw, and random
edits of them), and each report as text.

tests/validate_expected.json holds a digest of each report as graph/validate.py gave it
when the set was written; tests/test_validate_expected.py checks that validation still
gives exactly those reports, so a change made for speed cannot change a result.
Rewrite the file only for a change meant to change reports:

    PYTHONPATH=$PWD .venv/bin/python -m tests.validate_cases --write
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path

from graph import ModelGraph, Report, load, loads, validate
from graph.operation import OperationSpec
from graph.params import thaw
from graph.spec import builtin_specs
from tests.graphs import bounded_residual, chain, residual, shared_dense, siamese_text
from tests.test_validate import FLAWED, apply_edit

EXPECTED = Path(__file__).with_name("validate_expected.json")
TEMPLATES = Path(__file__).resolve().parents[1] / "resources" / "templates"

#: Param values random graphs try, good and bad for most kinds (JSON values).
_VALUES = [0, 1, 2, 3, 4, -1, 1.0, 0.5, -0.0, 2.5, True, False, None, "relu", "softmax"]
_VALUES += ["same", "valid", "channels_first", "bogus", [2, 2], [1], [3, 3, 3], [1, 2, 3, 4]]
_VALUES += [{"a": 1}, [], "int32", "float32"]
_DIM = [1, 2, 3, 4, 5, 8, None]


def outcome_text(report: Report) -> str:
    """The whole report as text: problems and node results (their fields by name, so a
    field added to Problem or Inferred later leaves the text alone), order, sources and
    weight totals."""
    problems = [(p.severity, p.code, p.message, p.node, p.param) for p in report.problems]
    nodes = [
        (node, (r.shape, r.dtype, r.trainable, r.non_trainable)) for node, r in report.nodes.items()
    ]
    return repr(
        (
            problems,
            nodes,
            report.order,
            list(report.sources.items()),
            report.trainable_params,
            report.non_trainable_params,
        )
    )


def random_doc(rng: random.Random) -> str:
    """A random graph file: mostly layers wired to earlier nodes through their own
    ports, with now and then a bad param, name or port, a missing or surplus input, an
    unknown type, a shared call site, a backward edge (a cycle, or an order that is not
    topological) and shuffled nodes."""
    # Layers only: the pinned reports were drawn before operation specs existed.
    specs = [s for s in builtin_specs() if not s.is_input and not isinstance(s, OperationSpec)]
    nodes, edges, spec_of = [], [], {}
    for i in range(rng.randint(1, 3)):
        shape = [rng.choice(_DIM) for _ in range(rng.randint(1, 4))]
        params = {"shape": shape} | ({"dtype": "int32"} if rng.random() < 0.15 else {})
        nodes.append({"id": f"i{i}", "type": "Input", "name": f"in{i}", "params": params})
    for i in range(rng.randint(1, 20)):
        node_id = f"n{i}"
        if spec_of and rng.random() < 0.1:
            shared = rng.choice(list(spec_of))
            nodes.append({"id": node_id, "shares": shared})
            spec = spec_of[shared]
        else:
            spec = rng.choice(specs)
            params = thaw(spec.initial_params())
            for _ in range(rng.choice([0, 0, 0, 0, 1, 2])):
                name = rng.choice([p.name for p in spec.params] or ["x"])
                params[name] = rng.choice(_VALUES)
            if rng.random() < 0.03:
                params["not_a_param"] = 1
            name = rng.choice(["l0", "bad name", node_id]) if rng.random() < 0.1 else node_id
            layer_type = "Frobnicate" if rng.random() < 0.04 else spec.type
            nodes.append({"id": node_id, "type": layer_type, "name": name, "params": params})
            spec_of[node_id] = spec
        ports = spec.ports
        count = rng.randint(ports.required, ports.required + 1)
        ports = [ports.name(k) for k in range(count)] if ports.variadic else ports.names
        for port in ports:
            roll = rng.random()
            if roll < 0.05:
                continue  # a missing input
            if roll < 0.08:
                port = "bogus"
            earlier = [n["id"] for n in nodes[:-1]]
            src = rng.choice(earlier)
            if rng.random() < 0.05:
                src = rng.choice([n["id"] for n in nodes])  # maybe later: a cycle
            edges.append({"from": src, "to": node_id, "port": port})
    if rng.random() < 0.3:
        order = list(range(len(nodes)))
        rng.shuffle(order)
        placed: set[str] = set()
        shuffled = []
        for k in order:  # a shared call site still comes after the layer it shares
            node = nodes[k]
            if node.get("shares") in placed or "shares" not in node:
                shuffled.append(node)
                placed.add(node["id"])
        nodes = shuffled + [n for n in nodes if n["id"] not in placed]
    edges = list({(e["from"], e["to"], e["port"]): e for e in edges}.values())
    ids = [n["id"] for n in nodes]
    outputs = rng.sample(ids, k=min(len(ids), rng.choice([0, 1, 1, 2])))
    doc = {"format": "keras-graph-studio.graph", "version": 1, "nodes": nodes}
    return json.dumps(doc | {"edges": edges, "outputs": outputs})


def _edited(g: ModelGraph, rng: random.Random, name: str) -> Iterator[tuple[str, str]]:
    """The graph's report before and after each of a few random edits (each report an
    update of the last run's work, where the edit allows one)."""
    yield name, outcome_text(validate(g))
    for step in range(rng.randint(1, 8)):
        apply_edit(g, rng.randrange(12), rng.randrange(10**6), rng.randrange(10**6))
        yield f"{name} edit {step}", outcome_text(validate(g))


def _shared_mismatch() -> ModelGraph:
    """A shared Dense called on inputs of two widths."""
    g, (a, b, dense, again) = shared_dense()
    g.set_params(b, {"shape": [5]})
    return g


def cases() -> Iterator[tuple[str, str]]:
    """(case name, report text) of every pinned case, in a fixed order."""
    for path in sorted(TEMPLATES.glob("*.graph.json")):
        yield path.name, outcome_text(validate(load(path)))
    fixed = {
        "chain": chain(("Dense", {"units": 4}), ("Dense", {"units": 2}), name="a/b"),
        "shared_dense": shared_dense()[0],
        "residual 3": residual(3, width=4),
        "residual 750": residual(750, width=32),
        "siamese_text": siamese_text(),
        "bounded_residual 4": bounded_residual(4),
        "flawed": loads(FLAWED),
        "shared mismatch": _shared_mismatch(),
        "too large": chain(("Dense", {"units": 2**16}), ("Dense", {"units": 2**16})),
    }
    rng = random.Random(15)
    for name, g in fixed.items():
        yield from _edited(g, rng, name)
    for i in range(300):
        yield from _edited(loads(random_doc(rng)), rng, f"random {i}")


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    table = {name: digest(text) for name, text in cases()}
    EXPECTED.write_text(json.dumps(table, indent=0) + "\n")
    print(f"{len(table)} reports written to {EXPECTED}")
