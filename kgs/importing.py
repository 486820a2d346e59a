"""`kgs import`: a Functional .keras model into an editable graph file and its weights.

The model file is checked before Keras sees it: anything but a `.keras` zip is refused
(codegen.keras_archive), and so is a Lambda layer or a custom class, with a message
naming it (exit 1); no code from the file ever runs. Its trained weights go to the
sidecar beside the graph file (codegen.weights_import), unless `--no-weights` asks for
the structure only; each layer's trainable flag is kept either way.
"""

from __future__ import annotations

import argparse
import sys

from graph import GraphError, save
from graph.wording import counted
from kgs.exits import EXIT_INVALID, EXIT_OK


def run(args: argparse.Namespace) -> int:
    from codegen.importer import import_keras_model
    from codegen.weights_import import import_with_weights

    try:
        if args.no_weights:
            g, notes = import_keras_model(args.model)
        else:
            g, notes = import_with_weights(args.model, args.out)
        save(g, args.out)
    except GraphError as e:
        print(e, file=sys.stderr)  # the message names the file or the layers
        return EXIT_INVALID
    for note in notes:
        print(f"{args.model}: note: {note}", file=sys.stderr)
    weights = "" if g.weights is None else f" and its weights to {g.weights.file}"
    print(f"{args.model}: wrote {args.out} ({counted(len(g), 'node')}){weights}")
    return EXIT_OK
