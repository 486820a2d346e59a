"""`kgs import`: a Functional .keras model into an editable graph file and its weights.

The model file is checked before Keras sees it: anything but a `.keras` zip is refused
(codegen.keras_archive), and so is a Lambda layer or a custom class, with a message
naming it (exit 1); no code from the file ever runs. Its trained weights go to the
sidecar beside the graph file (codegen.weights_import), unless `--no-weights` asks for
the structure only; each layer's trainable flag is kept either way. Nested models
become blocks (codegen.import_blocks); `--flatten` inlines them instead;
`--group-by-names` makes blocks of layers named alike too (graph.grouping), their
weights moved into the uses.
`--trust-code FILE` lets the layer classes of that Python file (inside the graph
file's folder) through as custom layer nodes, the file recorded in the graph with its
hash (codegen.user_layers); it is imported, as it is now, before the model is read.
"""

from __future__ import annotations

import argparse
import sys

from graph import GraphError, ModelGraph, save
from graph.wording import counted
from kgs.exits import EXIT_INVALID, EXIT_OK
from kgs.trusting import read_trust


def run(args: argparse.Namespace) -> int:
    from codegen.importer import import_keras_model
    from codegen.user_layers import trusted_for_import
    from codegen.weights_import import import_with_weights

    user_layers = None
    if args.trust_code:
        if read_trust("import", args.trust_code) is None:
            return EXIT_INVALID
        try:
            user_layers = trusted_for_import(args.trust_code, args.out)
        except GraphError as e:
            print(f"kgs import: {e}", file=sys.stderr)
            return EXIT_INVALID
    try:
        grouped = {
            "flatten": args.flatten,
            "group_by_names": args.group_by_names,
            "user_layers": user_layers,
        }
        if args.no_weights:
            g, notes = import_keras_model(args.model, **grouped)
        else:
            g, notes = import_with_weights(args.model, args.out, **grouped)
        save(g, args.out)
    except GraphError as e:
        print(e, file=sys.stderr)  # the message names the file or the layers
        return EXIT_INVALID
    for note in notes:
        print(f"{args.model}: note: {note}", file=sys.stderr)
    weights = "" if g.weights is None else f" and its weights to {g.weights.file}"
    print(f"{args.model}: wrote {args.out} ({counted(len(g), 'node')}){weights}")
    if len(g.blocks):
        print(f"{args.model}: {blocks_line(g)}")
    return EXIT_OK


def blocks_line(g: ModelGraph) -> str:
    """What the import made blocks of, in one line: the uses of each definition (in
    the graph and in bodies) and the layers they hold."""
    graphs = [g, *(g.blocks.body(name) for name in g.blocks.names())]
    uses = {name: 0 for name in g.blocks.names()}
    layers = 0
    for graph in graphs:
        for node_id in graph.node_ids():
            block = graph.layer(node_id).type
            if block in uses:
                uses[block] += 1
                body = g.blocks.body(block)
                layers += len(body) - len(body.inputs)
    shown = ", ".join(f"{name} ({counted(n, 'use')})" for name, n in uses.items())
    return (
        f"{counted(sum(uses.values()), 'block use')} of {counted(len(uses), 'definition')} "
        f"holding {counted(layers, 'layer')}: {shown}"
    )
