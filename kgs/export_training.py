"""`kgs export-training`: write a graph's training as a standalone Python script.

The script trains the graph's model as its training setup says (the file's own, else
the defaults inferred from the outputs) in one of three styles: `fit` (Keras's fit),
`loop` (the torch training loop of the Keras book's section 7.4) or `ddp` (that loop
under torch DistributedDataParallel, launched with torchrun). The setup's data paths
are relative to the graph file; the script takes them relative to its own folder, so
they are rewritten for where it is written. Without data in the setup, a bundled
sample file with the graph's array names is used, as `kgs train` does. Keras is not
imported. Exit status: 0 written, 1 invalid graph, 2 unreadable graph or unusable
setup.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from graph import GraphError, load
from graph.atomicfile import atomic_path
from graph.training import DataSource, TrainingSetup, TrainingSetupError
from kgs.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE


def _moved(path: str, old_base: Path, new_base: Path) -> str:
    """`path`, relative to `old_base` unless absolute, as seen from `new_base`."""
    if os.path.isabs(path):
        return path
    return os.path.relpath(os.path.abspath(old_base / path), os.path.abspath(new_base))


def relocated(source: DataSource | None, old_base: Path, new_base: Path) -> DataSource | None:
    """`source` with its relative paths rewritten from `old_base` to `new_base`."""
    if source is None:
        return None
    return dataclasses.replace(
        source,
        path=None if source.path is None else _moved(source.path, old_base, new_base),
        arrays={name: _moved(p, old_base, new_base) for name, p in source.arrays.items()},
    )


def run(args: argparse.Namespace) -> int:
    try:
        g = load(args.file)
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_UNREADABLE
    from codegen.training.samples import sample_data_for
    from codegen.training_script import to_training_script

    out = Path(args.out)
    graph_folder = Path(args.file).parent
    setup = g.training or TrainingSetup()
    if setup.data is None and (sample := sample_data_for(g)) is not None:
        print(f"training on the bundled sample data {sample.path}", file=sys.stderr)
        setup = dataclasses.replace(setup, data=sample)
    setup = dataclasses.replace(
        setup,
        data=relocated(setup.data, graph_folder, out.parent),
        validation_data=relocated(setup.validation_data, graph_folder, out.parent),
    )
    try:
        text = to_training_script(g, setup, args.style)
    except TrainingSetupError as e:
        print(f"{args.file}: {e}", file=sys.stderr)
        return EXIT_UNREADABLE
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_INVALID
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return EXIT_OK
