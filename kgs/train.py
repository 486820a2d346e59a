"""`kgs train`: train a graph headless on data files and write the trained .keras model.

Training starts from the graph's saved weights (its sidecar; one that does not match
the graph file is refused) and leaves frozen layers as they are; --update-weights
keeps the trained weights in the graph (sidecar and graph file rewritten atomically).
The setup is the graph file's own ("training"), else the defaults inferred from the
outputs; --epochs, --batch-size, --loss and --seed override it, --data replaces its
data. Without any data, a bundled sample file with the graph's array names is used
(the templates have one). Progress goes to stderr: a line per epoch, and a live batch line on a
terminal. Ctrl-C stops after the running batch and still writes the model trained
so far. When the setup asks for ONNX (`export_onnx`), the model is also written as
ONNX beside the .keras file (MODEL.onnx), checked against Keras with onnxruntime.
A loss, metric or callback from the user's own module (`module:Name`) is imported only
when --trust-code names that file with the content the graph file recorded
(codegen.trusted_code); otherwise nothing runs and the module and its users are named.
Exit status: 0 trained, 1 invalid graph (reported first, before the data), the loss
became NaN, an error raised while training (one line naming the graph file) or a
failed ONNX export, 2 unreadable
graph, unusable setup (ONNX asked of a graph that cannot go to ONNX included), code
that is not trusted, data
that does not fit the model or an output file that cannot be written (a missing
folder for it is created); all of these are found before training starts.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from graph import GraphError, ModelGraph, load, validate
from graph.filenames import file_stem
from graph.training import DataSource, TrainingSetup, TrainingSetupError, data_outside_folder
from graph.user_code import CustomObject, is_ref
from kgs.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE
from kgs.outputs import OutputError, ensure_file_place
from kgs.trusting import read_trust


class UsageError(ValueError):
    """A command-line value is malformed."""


def data_source(items: list[str]) -> DataSource:
    """--data values: one .npz or .csv path, or NAME=FILE.npy for each array."""
    pairs = [item.partition("=") for item in items]
    if len(items) == 1 and not pairs[0][1]:
        return DataSource(os.path.abspath(items[0]))
    if not all(sep and name and path for name, sep, path in pairs):
        raise UsageError(
            "--data takes one .npz or .csv file, or NAME=FILE.npy for every input and "
            f"output. Received: {' '.join(items)}"
        )
    return DataSource(arrays={name: os.path.abspath(path) for name, _, path in pairs})


def overridden(setup: TrainingSetup, args: argparse.Namespace) -> TrainingSetup:
    """`setup` with the command line's values put in."""
    changes = {
        key: getattr(args, key)
        for key in ("epochs", "batch_size", "seed")
        if getattr(args, key) is not None
    }
    if args.data:
        changes["data"] = data_source(args.data)
    setup = dataclasses.replace(setup, **changes)
    for item in args.loss or ():
        name, sep, loss = item.partition("=")
        if not (sep and name and loss):
            raise UsageError(f"--loss takes OUTPUT=LOSS. Received: {item}")
        setup = setup.with_output(name, loss=CustomObject(loss) if is_ref(loss) else loss)
    return setup


def _unasked_outside_data(setup: TrainingSetup, args: argparse.Namespace) -> list[str]:
    """The graph file's data paths outside its folder that this run would read: its
    training data unless --data replaces it, and its validation data."""
    if args.data:
        setup = dataclasses.replace(setup, data=None)
    return data_outside_folder(setup)


class Progress:
    """A TrainingListener that prints progress to a stream (stderr)."""

    def __init__(self, stream, live: bool) -> None:
        self.stream = stream
        self.live = live
        self.epochs = self.steps = 0
        self._started = self._drawn = 0.0

    def training_started(self, epochs: int, steps_per_epoch: int) -> None:
        self.epochs, self.steps = epochs, steps_per_epoch
        self._started = time.monotonic()

    def batch_finished(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        now = time.monotonic()
        if self.live and now - self._drawn >= 0.1:
            self._drawn = now
            line = f"epoch {epoch + 1}/{self.epochs}  batch {batch + 1}/{self.steps}"
            self.stream.write(f"\r{line}  loss {logs.get('loss', 0.0):.4f}\x1b[K")
            self.stream.flush()

    def epoch_finished(self, epoch: int, logs: dict[str, float]) -> None:
        now = time.monotonic()
        values = " - ".join(f"{k} {v:.4f}" for k, v in logs.items())
        clear = "\r\x1b[K" if self.live else ""
        seconds = now - self._started
        print(
            f"{clear}epoch {epoch + 1}/{self.epochs}: {values} ({seconds:.1f} s)", file=self.stream
        )
        self._started = now

    def evaluated(self, logs: dict[str, float]) -> None:
        values = " - ".join(f"{k} {v:.4f}" for k, v in logs.items())
        print(f"validation: {values}", file=self.stream)


@contextmanager
def ctrl_c_stops(stop) -> Iterator[None]:
    """While inside, the first Ctrl-C calls `stop()`; a second one interrupts as usual."""

    def handler(signum, frame) -> None:
        print("\nstopping after this batch (Ctrl-C again to abort)", file=sys.stderr)
        signal.signal(signal.SIGINT, previous)
        stop()

    previous = signal.getsignal(signal.SIGINT) or signal.SIG_DFL
    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run(args: argparse.Namespace) -> int:
    try:
        g = load(args.file)
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_UNREADABLE
    if errors := validate(g).errors:  # the model comes first: no data fits an invalid one
        for problem in errors:
            print(f"{args.file}: {problem.message}", file=sys.stderr)
        return EXIT_INVALID
    try:
        setup = overridden(g.training or TrainingSetup(), args)
    except UsageError as e:
        print(f"kgs train: {e}", file=sys.stderr)
        return EXIT_UNREADABLE
    if outside := _unasked_outside_data(g.training or TrainingSetup(), args):
        lines = "\n".join(f"  {reason}" for reason in outside)
        print(
            f"{args.file}: the graph file names data outside its folder:\n{lines}\n"
            "a graph file names its data beside it; to train on other data, give it "
            "with --data",
            file=sys.stderr,
        )
        return EXIT_UNREADABLE
    from codegen.trusted_code import UntrustedCodeError, check_trusted, graph_uses

    trust = read_trust("train", args.trust_code)
    if trust is None:
        return EXIT_UNREADABLE
    try:
        check_trusted(setup, Path(args.file).parent, trust, graph_uses(g, setup))
    except UntrustedCodeError as e:
        print(f"{args.file}: {e}", file=sys.stderr)
        return EXIT_UNREADABLE
    out = Path(args.out or f"{file_stem(g.name)}.keras")
    try:
        ensure_file_place(out)
    except OutputError as e:
        print(f"kgs train: {e}", file=sys.stderr)
        return EXIT_UNREADABLE

    from codegen.export import save_keras
    from codegen.training import DataError, NonFiniteLossError, Trainer
    from codegen.training.samples import sample_data_for
    from codegen.training_script import check_onnx_setup
    from graph.weightsfile import read_sidecar

    try:
        saved = read_sidecar(g, args.file)  # refused, never used, when it does not match
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_UNREADABLE

    if setup.data is None and (sample := sample_data_for(g)) is not None:
        print(f"training on the bundled sample data {sample.path}", file=sys.stderr)
        setup = dataclasses.replace(setup, data=sample)

    trainer = Trainer(
        g,
        setup,
        base=Path(args.file).parent,
        listener=Progress(sys.stderr, sys.stderr.isatty()),
        weights=saved,
        trust=trust,
    )
    try:
        checked, _, _ = trainer.prepare()
        check_onnx_setup(g, checked)
    except (TrainingSetupError, DataError) as e:
        print(f"{args.file}: {e}", file=sys.stderr)
        return EXIT_UNREADABLE
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_INVALID
    try:
        with ctrl_c_stops(trainer.stop):
            result = trainer.run()
    except NonFiniteLossError as e:
        print(f"{args.file}: {e}", file=sys.stderr)
        return EXIT_INVALID
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_INVALID
    except Exception as e:  # raised inside a layer, the optimizer, a callback: not a crash
        print(f"{args.file}: {training_failure(e)}", file=sys.stderr)
        return EXIT_INVALID
    if result.stopped:
        print(f"stopped after {result.batches} batches", file=sys.stderr)
    save_keras(result.model, out)
    print(f"wrote {out}")
    if args.update_weights:
        update_weights(g, result.model, args.file)
    if setup.export_onnx:
        return write_onnx(result.model, g, out.with_suffix(".onnx"), args.file)
    return EXIT_OK


def update_weights(g: ModelGraph, model: Any, file: str) -> None:
    """Keep the trained weights in the graph: its sidecar rewritten, then the graph file
    with the sidecar's new hash (each written atomically)."""
    from codegen.build_weights import save_model_weights
    from graph import save

    g.weights = save_model_weights(g, model, file)
    save(g, file)
    print(f"wrote the trained weights to {Path(file).parent / g.weights.file} and {file}")


def training_failure(error: Exception) -> str:
    """One line on an exception raised while training: the layer it came from when
    known, its type and the first line of its message.

    Keras re-raises an exception from inside a layer as a new one of its type, its
    message wrapped in the layer's class and arguments (`_keras_call_info_injected`);
    the original, that one's context, is what is shown.
    """
    from codegen.keras_errors import failing_layer, plain_text

    while getattr(error, "_keras_call_info_injected", False) and error.__context__ is not None:
        error = error.__context__
    layer = failing_layer([error])
    where = f" in {type(layer).__name__} '{layer.name}'" if layer is not None else ""
    lines = plain_text(str(error)).strip().splitlines()
    message = f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
    return f"training failed{where}: {message}"


def write_onnx(model: Any, g: ModelGraph, path: Path, file: str) -> int:
    """Write the trained `model` as ONNX at `path`, checked against Keras; the exit status."""
    from codegen.export import export_onnx

    try:
        report = export_onnx(model, g, path)
    except GraphError as e:  # the export failed, or its outputs differ from Keras's
        print(f"{file}: {e}", file=sys.stderr)
        return EXIT_INVALID
    print(f"ONNX outputs match Keras within {report.worst:.1e}", file=sys.stderr)
    print(f"wrote {path}")
    return EXIT_OK
