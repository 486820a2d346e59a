"""`kgs cost`: what a graph costs at a batch size (weights, MACs, activation and
training memory), from the specs alone: no keras, torch or Qt. The conventions are
graph/cost.py's."""

from __future__ import annotations

import argparse
import json
import sys

from graph import GraphError, ModelGraph, load, validate
from graph.budget import BudgetCheck, budget_lines, check_budget
from graph.bytesize import parse_bytes
from graph.cost import ModelCost, at_batch, cost
from graph.shapes import fmt
from graph.training import OPTIMIZER_SLOTS
from graph.wording import byte_size as size
from kgs.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE

HEADERS = ("Layer (type)", "Output Shape", "Param #", "MACs", "Output")


def run(args: argparse.Namespace) -> int:
    """Print the cost table (or JSON), and the memory budget's check where there is a
    budget; exit 0, 1 for an invalid graph or a step past the budget, 2 unreadable."""
    if args.batch is not None and args.batch < 1:
        print(f"--batch must be at least 1. Received: {args.batch}", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        budget = None if args.budget is None else parse_bytes(args.budget)
    except ValueError as e:
        print(f"--budget: {e}", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        g = load(args.file)
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_UNREADABLE
    batch = args.batch or (g.training.batch_size if g.training else 1)
    budget = budget or (g.training.memory_budget if g.training else None)
    optimizer = args.optimizer or (g.training.optimizer if g.training else "adam")
    if optimizer not in OPTIMIZER_SLOTS:
        print(
            f"{args.file}: unknown optimizer {optimizer!r}; one of {', '.join(OPTIMIZER_SLOTS)}",
            file=sys.stderr,
        )
        return EXIT_UNREADABLE
    report = validate(g)
    if not report.valid:
        for problem in report.errors:
            print(f"{args.file}: {problem.message}", file=sys.stderr)
        print(f"{args.file}: invalid, so its cost is unknown", file=sys.stderr)
        return EXIT_INVALID
    result = cost(g, report, batch=batch, optimizer=optimizer)
    check = None if budget is None else check_budget(g, report, budget, batch, optimizer)
    if args.json:
        doc = result.to_json()
        if check is not None:
            doc["budget"] = budget_json(check)
        print(json.dumps(doc, indent=2))
    else:
        print(format_cost(g, result, {n: r.shape for n, r in report.nodes.items()}), end="")
        if check is not None:
            print("\n".join(budget_lines(g, check)))
    return EXIT_INVALID if check is not None and not check.fits else EXIT_OK


def format_cost(g: ModelGraph, result: ModelCost, shapes: dict) -> str:
    """The per-node table, then the totals and the training step's memory."""
    rows = []
    for node_id, node in result.nodes.items():
        macs = "?" if node.macs is None else f"{node.macs:,}"
        shape = fmt(at_batch(shapes[node_id], result.batch) or shapes[node_id])
        rows.append((g.label(node_id), shape, f"{node.params:,}", macs, size(node.output_bytes)))
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]

    def line(row: tuple[str, ...]) -> str:
        name, shape, *numbers = row
        cells = [f"{name:<{widths[0]}}", f"{shape:<{widths[1]}}"]
        cells += [f"{n:>{w}}" for n, w in zip(numbers, widths[2:], strict=True)]
        return "  ".join(cells).rstrip()

    rule = "=" * (sum(widths) + 2 * (len(widths) - 1))
    out = [f'Model: "{g.name}" at batch {result.batch}', line(HEADERS), rule]
    out += [line(row) for row in rows]
    out += [
        rule,
        f"Total params: {result.params:,}",
        f"MACs: {result.macs:,} (FLOPs: {2 * result.macs:,})",
        f"Activations (every node's output): {size(result.activation_bytes)}",
        f"Training step ({result.optimizer}): {size(result.train_memory_bytes)} = "
        f"weights {size(result.weight_bytes)} + gradients {size(result.gradient_bytes)} + "
        f"optimizer {size(result.optimizer_bytes)} + saved activations "
        f"{size(result.saved_bytes)}",
    ]
    return "\n".join(out) + "\n"


def budget_json(check: BudgetCheck) -> dict:
    """The budget's check as `kgs cost --json` adds it, under "budget"."""
    return {
        "bytes": check.budget,
        "needed": check.needed,
        "fits": check.fits,
        "heaviest": [{"node": node, "bytes": size} for node, size in check.heaviest],
        "largest_batch": check.largest_batch,
    }
