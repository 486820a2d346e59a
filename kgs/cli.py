"""Argument parsing and dispatch for `kgs`; each command lives in its own function."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate graph files: one line per problem; exit 0 valid, 1 invalid, 2 unreadable."""
    from graph import GraphError, load, validate

    status = EXIT_OK
    results = []
    for path in args.files:
        try:
            g = load(path)
        except GraphError as e:
            status = EXIT_UNREADABLE
            results.append({"file": path, "readable": False, "valid": False, "error": str(e)})
            if not args.json:
                print(e, file=sys.stderr)
            continue
        report = validate(g)
        if not report.valid:
            status = max(status, EXIT_INVALID)
        results.append(_report_json(path, g, report))
        if not args.json:
            for problem in report.problems:
                tag = "warning: " if problem.severity == "warning" else ""
                print(f"{path}: {tag}{problem.message}")
            if report.valid:
                print(f"{path}: valid ({len(g)} nodes, {report.total_params:,} params)")
    if args.json:
        print(json.dumps(results, indent=2))
    return status


def _report_json(path: str, g, report) -> dict:
    return {
        "file": path,
        "readable": True,
        "valid": report.valid,
        "total_params": report.total_params,
        "trainable_params": report.trainable_params,
        "non_trainable_params": report.non_trainable_params,
        "problems": [
            {
                "severity": p.severity,
                "code": p.code,
                "node": p.node,
                "layer": g.layer(p.node).name if p.node else None,
                "param": p.param,
                "message": p.message,
            }
            for p in report.problems
        ],
        "nodes": {
            node_id: {
                "layer": g.layer(node_id).name,
                "shape": list(result.shape),
                "dtype": result.dtype,
                "params": result.params,
            }
            for node_id, result in report.nodes.items()
        },
    }


def cmd_summary(args: argparse.Namespace) -> int:
    """Print a model.summary()-style table computed from the specs alone."""
    from graph import GraphError, load, validate
    from graph.summary import format_summary

    try:
        g = load(args.file)
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_UNREADABLE
    report = validate(g)
    print(format_summary(g, report), end="")
    for problem in report.errors:
        print(f"{args.file}: {problem.message}", file=sys.stderr)
    return EXIT_OK if report.valid else EXIT_INVALID


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kgs", description="Keras Graph Studio: build, check and compile Keras models."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check graph files and list every problem")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    validate.set_defaults(run=cmd_validate)

    summary = commands.add_parser("summary", help="print a model.summary()-style table")
    summary.add_argument("file", metavar="FILE")
    summary.set_defaults(run=cmd_summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
