"""`kgs export-training`: write a graph's training as a standalone Python script.

The script trains the graph's model as its training setup says (the file's own, else
the defaults inferred from the outputs) in one of four styles: `fit` (Keras's fit),
`loop` (the torch training loop of the Keras book's section 7.4), `ddp` (that loop
under torch DistributedDataParallel, launched with torchrun) or `train_step` (fit()
driving the book's torch train_step of section 7.4.4, metrics as in 7.4.5). The setup's data paths
are relative to the graph file; the script takes them relative to its own folder, so
they are rewritten for where it is written. Without data in the setup, a bundled
sample file with the graph's array names is used, as `kgs train` does: it is copied
beside the script, which names it by its bare file name, so the script's folder can
be moved anywhere (a different file of that name there is refused, exit 2). When the setup
asks for ONNX (`export_onnx`), the script also writes the trained model as ONNX; a
graph that cannot go to ONNX is then refused, its nodes named. A graph with weights
(its sidecar; one that does not match is refused, exit 2) has those its model keeps
written beside the script as NAME_weights.h5, which the script loads, so it starts
where `kgs train` starts; only then is Keras imported (to build the model).
Exit status: 0 written, 1 invalid graph, 2 unreadable graph or unusable setup (ONNX
asked of a graph that cannot go to ONNX included, or a module of the user's that
--trust-code does not trust as it is: the script would run it; it is copied beside
the script, which imports it only with that content).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graph import GraphError, load
from graph.training import TrainingSetup, TrainingSetupError, data_outside_folder
from kgs.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE
from kgs.trusting import read_trust


def run(args: argparse.Namespace) -> int:
    try:
        g = load(args.file)
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_UNREADABLE
    from codegen.build_weights import beside_module_name
    from codegen.training_script import write_training_script
    from codegen.trusted_code import UntrustedCodeError
    from graph.weightsfile import read_sidecar

    out = Path(args.out)
    trust = read_trust("export-training", args.trust_code)
    if trust is None:
        return EXIT_UNREADABLE
    try:
        saved = read_sidecar(g, args.file)  # refused, never used, when it does not match
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        sample = write_training_script(
            g, args.style, out, Path(args.file).parent, trust, weights=saved
        )
    except (TrainingSetupError, UntrustedCodeError) as e:
        print(f"{args.file}: {e}", file=sys.stderr)
        return EXIT_UNREADABLE
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_INVALID
    print(f"wrote {out}")
    if saved is not None:
        print(f"wrote the weights it starts from beside it: {beside_module_name(g)}")
    setup = g.training or TrainingSetup()
    for reason in data_outside_folder(setup):
        print(f"note: {reason}: not read here")
    if setup.data is not None and setup.data.outside():
        print("note: so the losses left unset follow the output activations, not the data")
    if sample is not None:
        print(f"copied the bundled sample data {sample.name} beside it")
    return EXIT_OK
