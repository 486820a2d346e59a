"""`kgs compile`: graph files to .keras, ONNX and Python source, many at a time.

For a graph named NAME the targets are DIR/NAME.keras, DIR/NAME.onnx,
DIR/NAME_functional.py and DIR/NAME_subclass.py, NAME made a plain file name first
(graph.filenames.file_stem: a name like '../x' must not write outside DIR). The
.keras and ONNX files of one graph come from one built model, so they hold the same
weights: the graph's saved weights (its sidecar, graph.weightsfile) for every layer
whose weight shapes still match, fresh ones elsewhere, with a note per graph saying
which layers kept theirs and why the others were re-initialized. The Python source of
a graph with weights loads the built model's weights from DIR/NAME_weights.h5, written
beside it (a name no graph's own sidecar has, so compiling never overwrites one). A
sidecar that does not match its graph file fails that file.
Custom layers (graph.user_layers) need their modules trusted as they are now
(--trust-code FILE); otherwise that file fails naming them, and nothing of them runs.
A failing file is reported with its name and the batch goes on; the exit status is 1
if any failed, 2 (before any work) if the output folder cannot be created or written.
With -j N, files compile in N worker processes.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from graph import GraphError, ModelGraph, load
from graph.filenames import file_stem
from graph.user_layers import graph_layer_uses as layer_uses_of
from graph.user_layers import used_modules
from graph.wording import counted
from kgs.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE
from kgs.outputs import OutputError, ensure_folder

#: Targets in the order they are written, with their file names.
TARGETS = {
    "keras": "{name}.keras",
    "onnx": "{name}.onnx",
    "functional": "{name}_functional.py",
    "subclass": "{name}_subclass.py",
}


@dataclass
class Job:
    """One graph file to compile, with everything a worker process needs."""

    path: str
    targets: tuple[str, ...]
    out_dir: str
    seed: int | None
    check: bool
    #: The Python files the user trusts (--trust-code), as they are now.
    trust: tuple[str, ...] = ()


@dataclass
class Outcome:
    path: str
    written: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def expand(patterns: list[str]) -> list[str]:
    """Files named or matched by glob patterns, in order, each once.

    A pattern that names no file and matches nothing is kept, so that it is reported
    as unreadable rather than silently skipped.
    """
    files: list[str] = []
    for pattern in patterns:
        matches = [pattern] if os.path.exists(pattern) else sorted(glob.glob(pattern))
        for path in matches or [pattern]:
            if path not in files:
                files.append(path)
    return files


def compile_file(job: Job) -> Outcome:
    """Compile one graph file to every target of `job`; errors go into the outcome."""
    outcome = Outcome(job.path)
    try:
        _compile(job, outcome)
    except GraphError as e:
        outcome.error = str(e)
    except Exception as e:  # noqa: BLE001 - one broken file must not stop the batch
        outcome.error = f"{type(e).__name__}: {e}"
    return outcome


def _compile(job: Job, outcome: Outcome) -> None:
    g = load(job.path)
    if layer_uses_of(g):
        from codegen.trusted_code import Trust
        from codegen.user_layers import trust_layers

        trust_layers(g, Path(job.path).parent, Trust.of_files(job.trust))
    out_dir = Path(job.out_dir)
    model = None
    sources = {"functional", "subclass"} & set(job.targets)
    # Source of a graph with weights loads them from a file beside it: the built model's.
    weights_file = None
    with_weights = bool(g.weights and sources)
    if {"keras", "onnx"} & set(job.targets) or with_weights:
        from codegen.build import build_with_weights
        from codegen.keras_env import import_keras
        from graph.weightsfile import read_sidecar

        saved = read_sidecar(g, job.path)  # refused (an error) when it does not match
        if job.seed is not None:
            import_keras().utils.set_random_seed(job.seed)
        model, weights = build_with_weights(g, saved)
        if saved is not None:
            outcome.notes += weights.lines()
    if with_weights:
        from codegen.build_weights import write_beside_module

        weights_file = write_beside_module(g, model, out_dir)
        outcome.written.append(str(out_dir / weights_file))
    if sources:
        outcome.written += _copy_user_modules(g, Path(job.path).parent, out_dir)
    for target in TARGETS:
        if target not in job.targets:
            continue
        path = out_dir / TARGETS[target].format(name=file_stem(g.name))
        if target == "keras":
            from codegen.export import save_keras

            save_keras(model, path)
        elif target == "onnx":
            from codegen.export import export_onnx

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch.export's internal deprecations
                parity = export_onnx(model, g, path, check=job.check)
            if parity is not None:
                outcome.notes.append(str(parity))
        else:
            from codegen.pysource import to_python
            from graph.atomicfile import atomic_path

            text = to_python(g, target, weights_file)
            with atomic_path(path) as tmp:
                tmp.write_text(text, encoding="utf-8")
        outcome.written.append(str(path))


def _copy_user_modules(g: ModelGraph, graph_folder: Path, out_dir: Path) -> list[str]:
    """Copy the modules the graph's custom layers come from beside its sources (which
    import them), each the very bytes that were trusted; the paths written."""
    import hashlib

    from codegen.trusted_code import UntrustedCodeError, module_path
    from graph.atomicfile import atomic_path

    written = []
    for module in used_modules(g):
        source = module_path(module, graph_folder)
        target = out_dir / module.file_name
        if target.resolve() == source:
            continue
        content = source.read_bytes()
        if hashlib.sha256(content).hexdigest() != module.sha256:
            raise UntrustedCodeError(f"{source}: its content changed since it was trusted")
        with atomic_path(target) as tmp:
            tmp.write_bytes(content)
        written.append(str(target))
    return written


def _graph_names(files: list[str]) -> dict[str, str]:
    """file -> graph name, for files that load (the others fail later, in order)."""
    names = {}
    for path in files:
        with contextlib.suppress(GraphError):
            names[path] = load(path).name
    return names


def run(args: argparse.Namespace) -> int:
    files = expand(args.files)
    out_dir = Path(args.out)
    try:
        ensure_folder(out_dir)
    except OutputError as e:
        print(f"kgs compile: {e}", file=sys.stderr)
        return EXIT_UNREADABLE
    targets = tuple(dict.fromkeys(args.to))
    jobs, outcomes = [], {}
    first_with_name: dict[str, str] = {}
    for path, name in _graph_names(files).items():
        stem = file_stem(name)
        if stem in first_with_name:
            outcomes[path] = Outcome(
                path,
                error=f"graph name '{name}' gives the same file names as "
                f"{first_with_name[stem]}; their outputs would overwrite each other "
                "(rename one graph)",
            )
        else:
            first_with_name[stem] = path
    for path in files:
        if path not in outcomes:
            trust = tuple(args.trust_code or ())
            jobs.append(Job(path, targets, str(out_dir), args.seed, args.check, trust))
    if args.jobs > 1 and len(jobs) > 1:
        # spawn, not fork: torch and Keras do not survive a fork once initialised.
        with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
            results = pool.map(compile_file, jobs)
            outcomes.update((o.path, o) for o in results)
    else:
        outcomes.update((job.path, compile_file(job)) for job in jobs)
    failed = 0
    for path in files:
        outcome = outcomes[path]
        if outcome.error:
            failed += 1
            print(f"{path}: {outcome.error}", file=sys.stderr)
            continue
        print(f"{path}: wrote {', '.join(outcome.written)}")
        for note in outcome.notes:
            print(f"{path}: {note}")
    if failed:
        print(f"{failed} of {counted(len(files), 'file')} failed", file=sys.stderr)
    return EXIT_INVALID if failed else EXIT_OK
