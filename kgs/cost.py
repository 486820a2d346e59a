"""`kgs cost`: what a graph costs at a batch size (weights, MACs, activation and
training memory), from the specs alone: no keras, torch or Qt. The conventions are
graph/cost.py's."""

from __future__ import annotations

import argparse
import json
import sys

from graph import GraphError, ModelGraph, load, validate
from graph.cost import ModelCost, at_batch, cost
from graph.shapes import fmt
from graph.training import OPTIMIZER_SLOTS
from graph.wording import byte_size as size
from kgs.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE

HEADERS = ("Layer (type)", "Output Shape", "Param #", "MACs", "Output")


def run(args: argparse.Namespace) -> int:
    """Print the cost table (or JSON); exit 0, 1 for an invalid graph, 2 unreadable."""
    if args.batch < 1:
        print(f"--batch must be at least 1. Received: {args.batch}", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        g = load(args.file)
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_UNREADABLE
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
    result = cost(g, report, batch=args.batch, optimizer=optimizer)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(format_cost(g, result, {n: r.shape for n, r in report.nodes.items()}), end="")
    return EXIT_OK


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
