"""`kgs validate` and `kgs summary`: checks from the specs alone, no keras, torch or Qt."""

from __future__ import annotations

import argparse
import json
import sys

from graph import GraphError, ModelGraph, Report, load, validate
from graph.summary import format_summary
from graph.wording import counted
from kgs.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE


def run_validate(args: argparse.Namespace) -> int:
    """Validate graph files: one line per problem; exit 0 valid, 1 invalid, 2 unreadable."""
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
                print(f"{path}: valid ({counted(len(g), 'node')}, {report.total_params:,} params)")
    if args.json:
        print(json.dumps(results, indent=2))
    return status


def _report_json(path: str, g: ModelGraph, report: Report) -> dict:
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
                "port": p.port,
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


def run_summary(args: argparse.Namespace) -> int:
    """Print a model.summary()-style table computed from the specs alone; with
    --expand, the inside of each block use too."""
    try:
        g = load(args.file)
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_UNREADABLE
    report = validate(g)
    print(format_summary(g, report, expand=args.expand), end="")
    for problem in report.errors:
        print(f"{args.file}: {problem.message}", file=sys.stderr)
    return EXIT_OK if report.valid else EXIT_INVALID
