"""`kgs diff` and `kgs git-diff`: what changed between two versions of a model, and
what the change costs (graph/diff.py says what counts), from the specs alone: no
keras, torch or Qt.

`kgs git-diff` is the same report as git's external diff driver: git calls it with
the path and the old and new file, hex and mode (`diff.kgs.command`, see the README),
or the path alone for an unmerged one.
A side git marks /dev/null (a file added or deleted) is an empty model, and an
unreadable side is reported in the output with exit 0, since git stops the whole
diff when a driver fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from graph import GraphError, ModelGraph, load
from graph.diff import ABSENT, Change, CostTotals, GraphDiff, ModelDiff, diff
from graph.infer import shown
from kgs.cost import size
from kgs.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE

#: What git passes for the missing side of an added or deleted file.
GIT_NO_FILE = "/dev/null"


def run(args: argparse.Namespace) -> int:
    """Print the diff of two graph files; exit 0 same, 1 different, 2 unreadable."""
    if args.batch < 1:
        print(f"--batch must be at least 1. Received: {args.batch}", file=sys.stderr)
        return EXIT_UNREADABLE
    graphs = []
    for path in (args.old, args.new):
        try:
            graphs.append(load(path))
        except GraphError as e:
            print(e, file=sys.stderr)
            return EXIT_UNREADABLE
    result = diff(*graphs, batch=args.batch)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(f"--- {args.old}\n+++ {args.new}")
        print(format_diff(result), end="")
    return EXIT_OK if result.same else EXIT_INVALID


def run_git(args: argparse.Namespace) -> int:
    """git's external diff driver: the model diff of one path; always exit 0."""
    print(f"diff --kgs a/{args.path} b/{args.path}")
    if args.new_file is None:
        print("unmerged: resolve the conflict, then compare")
        return EXIT_OK
    try:
        old = _git_side(args.old_file)
        new = _git_side(args.new_file)
    except GraphError as e:
        print(f"cannot compare: {e}")
        return EXIT_OK
    old = old or ModelGraph(new.name if new else "model")
    new = new or ModelGraph(old.name)
    print(format_diff(diff(old, new)), end="")
    return EXIT_OK


def _git_side(path: str) -> ModelGraph | None:
    return None if path == GIT_NO_FILE else load(path)


def format_diff(d: ModelDiff) -> str:
    """The report people read: one section per kind of change, then the cost."""
    if d.same:
        return "The models are the same (positions aside).\n"
    out = []
    if d.name:
        out.append(f"Model name: {shown(d.name.old)} -> {shown(d.name.new)}")
    out += structure_lines(d.graph)
    if d.training:
        out.append("Training setup:")
        out += [f"  {key}: {_pair(change)}" for key, change in d.training.items()]
    if d.blocks_added or d.blocks_removed or d.blocks_changed:
        out.append("Blocks:")
        out += [f"  + block '{name}'" for name in d.blocks_added]
        out += [f"  - block '{name}'" for name in d.blocks_removed]
        for name, block in d.blocks_changed.items():
            out.append(f"  ~ block '{name}'")
            out += [f"      parameter {p}: {_pair(c)}" for p, c in block.params.items()]
            out += ["    " + line for line in structure_lines(block.body)]
    out += _cost_lines(d)
    return "\n".join(out) + "\n"


def structure_lines(d: GraphDiff) -> list[str]:
    """The nodes, connections, inputs and outputs sections of one graph's diff."""
    out = []
    if d.added or d.removed or d.changed:
        counts = [f"{len(d.added)} added", f"{len(d.removed)} removed", f"{len(d.changed)} changed"]
        out.append("Nodes: " + ", ".join(counts))
        out += [f"  + {n}: {info.label}" for n, info in d.added.items()]
        out += [f"  - {n}: {info.label}" for n, info in d.removed.items()]
        for node_id, change in d.changed.items():
            out.append(f"  ~ {node_id}: {change.label}")
            out += [f"      {field}: {_pair(c)}" for field, c in change.fields.items()]
            out += [f"      {param}: {_pair(c)}" for param, c in change.params.items()]
    if d.edges_added or d.edges_removed:
        out.append(f"Connections: {len(d.edges_added)} added, {len(d.edges_removed)} removed")
        out += [f"  + {_edge(e)}" for e in d.edges_added]
        out += [f"  - {_edge(e)}" for e in d.edges_removed]
    if d.inputs:
        out.append(f"Inputs' order: {_ids(d.inputs.old)} -> {_ids(d.inputs.new)}")
    if d.outputs:
        out.append(f"Outputs: {_ids(d.outputs.old)} -> {_ids(d.outputs.new)}")
    return out


def _cost_lines(d: ModelDiff) -> list[str]:
    old, new = d.old_cost, d.new_cost
    out = [f"Cost at batch {d.batch}:"]
    for side, totals in (("old", old), ("new", new)):
        if totals.problem:
            out.append(f"  {side}: unknown ({totals.problem})")
    out.append("  params: " + _totals(old.params, new.params, "{:,}".format))
    out.append("  MACs: " + _totals(old.macs, new.macs, "{:,}".format))
    optimizers = old.optimizer if old.optimizer == new.optimizer else _optimizers(old, new)
    memory = _totals(old.train_memory_bytes, new.train_memory_bytes, size)
    out.append(f"  training step memory ({optimizers}): {memory}")
    return out


def _optimizers(old: CostTotals, new: CostTotals) -> str:
    return f"{old.optimizer} -> {new.optimizer}"


def _totals(old: int | None, new: int | None, fmt: Any) -> str:
    """'407,050 -> 203,530 (-203,520)'; ? for an unknown side."""
    text = f"{'?' if old is None else fmt(old)} -> {'?' if new is None else fmt(new)}"
    if old is None or new is None or old == new:
        return text
    change = new - old
    return f"{text} ({'+' if change > 0 else '-'}{fmt(abs(change))})"


def _pair(change: Change) -> str:
    return f"{_value(change.old)} -> {_value(change.new)}"


def _value(value: Any) -> str:
    return "(none)" if value is ABSENT else shown(value)


def _ids(node_ids: Any) -> str:
    return "[" + ", ".join(node_ids) + "]" if node_ids else "(none)"


def _edge(edge: Any) -> str:
    output = f"[{edge.output}]" if edge.output else ""
    return f"{edge.src}{output} -> {edge.dst}.{edge.port}"
