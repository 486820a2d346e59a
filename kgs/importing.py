"""`kgs import`: a Functional .keras model into an editable graph file.

The model file is checked before Keras sees it: anything but a `.keras` zip is refused
(codegen.keras_archive), and so is a Lambda layer or a custom class, with a message
naming it (exit 1); no code from the file ever runs, and its weights are never read.
Nested models become blocks (codegen.import_blocks); `--flatten` inlines them instead.
"""

from __future__ import annotations

import argparse
import sys

from graph import GraphError, save
from graph.wording import counted
from kgs.exits import EXIT_INVALID, EXIT_OK


def run(args: argparse.Namespace) -> int:
    from codegen.importer import import_keras_model

    try:
        g, notes = import_keras_model(args.model, flatten=args.flatten)
        save(g, args.out)
    except GraphError as e:
        print(e, file=sys.stderr)  # the message names the file or the layers
        return EXIT_INVALID
    for note in notes:
        print(f"{args.model}: note: {note}", file=sys.stderr)
    print(f"{args.model}: wrote {args.out} ({counted(len(g), 'node')})")
    return EXIT_OK
