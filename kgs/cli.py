"""Argument parsing and dispatch for `kgs`.

Each command lives in its own module, imported only when that command runs, so
`kgs validate`, `kgs summary` and `kgs cost` never import keras, torch or Qt.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

#: command -> (module, function) that runs it
COMMANDS = {
    "validate": ("kgs.check", "run_validate"),
    "summary": ("kgs.check", "run_summary"),
    "cost": ("kgs.cost", "run"),
    "diff": ("kgs.diff", "run"),
    "git-diff": ("kgs.diff", "run_git"),
    "compile": ("kgs.compile", "run"),
    "import": ("kgs.importing", "run"),
    "train": ("kgs.train", "run"),
    "export-training": ("kgs.export_training", "run"),
    "studio": ("kgs.studio", "run"),
    "plot": ("kgs.plot", "run"),
}


def add_trust_code(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust-code",
        action="append",
        metavar="FILE",
        help="import this Python file of the graph, as it is now (repeat for several)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kgs", description="Keras Graph Studio: build, check and compile Keras models."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check graph files and list every problem")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.add_argument("--json", action="store_true", help="machine-readable output")

    summary = commands.add_parser("summary", help="print a model.summary()-style table")
    summary.add_argument("file", metavar="FILE")
    summary.add_argument(
        "--expand", action="store_true", help="show the layers inside each block use too"
    )

    cost = commands.add_parser(
        "cost", help="print each node's weights, MACs and output size, and a training step's memory"
    )
    cost.add_argument("file", metavar="FILE")
    cost.add_argument(
        "--batch",
        type=int,
        metavar="N",
        help="batch size (default: the file's training batch size, else 1)",
    )
    cost.add_argument(
        "--optimizer",
        metavar="NAME",
        help="optimizer whose slots count (default: the file's training setup, else adam)",
    )
    cost.add_argument(
        "--budget",
        metavar="BYTES",
        help="memory budget of a training step (8GiB, 512MiB, bytes; default: the file's); "
        "exit 1 when the step does not fit",
    )
    cost.add_argument("--json", action="store_true", help="machine-readable output")

    diff = commands.add_parser(
        "diff", help="what changed between two graph files, and what the change costs"
    )
    diff.add_argument("old", metavar="A.graph.json")
    diff.add_argument("new", metavar="B.graph.json")
    diff.add_argument(
        "--batch", type=int, default=1, metavar="N", help="batch size of the cost (default 1)"
    )
    diff.add_argument("--json", action="store_true", help="machine-readable output")

    git_diff = commands.add_parser(
        "git-diff", help="git's external diff driver for graph files (see the README)"
    )
    git_diff.add_argument("path")
    for name in ("old_file", "old_hex", "old_mode", "new_file", "new_hex", "new_mode"):
        git_diff.add_argument(name, nargs="?")  # git gives only the path of an unmerged one
    git_diff.add_argument("new_path", nargs="?")  # a renamed file's new path,
    git_diff.add_argument("rename_note", nargs="?")  # and git's lines about the rename

    compile_ = commands.add_parser(
        "compile", help="compile graph files to .keras, ONNX and Python source"
    )
    compile_.add_argument("files", nargs="+", metavar="FILE", help="graph files or glob patterns")
    compile_.add_argument(
        "--to",
        action="append",
        required=True,
        choices=("keras", "onnx", "functional", "subclass"),
        help="a target; repeat for several",
    )
    compile_.add_argument("-o", "--out", required=True, metavar="DIR", help="output folder")
    compile_.add_argument("--seed", type=int, help="seed for the initial weights")
    add_trust_code(compile_)
    compile_.add_argument(
        "--check", action="store_true", help="check ONNX outputs against Keras (onnxruntime)"
    )
    compile_.add_argument(
        "-j", "--jobs", type=int, default=1, metavar="N", help="compile N files in parallel"
    )

    import_ = commands.add_parser("import", help="turn a Functional .keras model into a graph")
    import_.add_argument("model", metavar="MODEL.keras")
    import_.add_argument("-o", "--out", required=True, metavar="FILE.graph.json")
    import_.add_argument(
        "--no-weights",
        action="store_true",
        help="the structure only: write no weights sidecar beside the graph file",
    )
    import_.add_argument(
        "--flatten",
        action="store_true",
        help="nested models become nodes of the outer graph, not blocks",
    )
    import_.add_argument(
        "--group-by-names",
        action="store_true",
        help="runs of layers named alike (conv2_block1_*) become uses of blocks",
    )
    add_trust_code(import_)

    train = commands.add_parser("train", help="train a graph on data files, headless")
    train.add_argument("file", metavar="FILE")
    train.add_argument(
        "--data",
        action="append",
        metavar="DATA",
        help="an .npz or .csv file, or NAME=FILE.npy per input and output (repeat); "
        "default: the file's training setup",
    )
    train.add_argument("--epochs", type=int, metavar="N")
    train.add_argument("--batch-size", type=int, metavar="N")
    train.add_argument(
        "--loss", action="append", metavar="OUT=LOSS", help="an output's loss (repeat)"
    )
    train.add_argument("--seed", type=int, metavar="N", help="seed for weights and shuffling")
    add_trust_code(train)
    train.add_argument(
        "--update-weights",
        action="store_true",
        help="keep the trained weights in the graph (its weights sidecar and graph file)",
    )
    train.add_argument(
        "-o", "--out", metavar="MODEL.keras", help="the trained model (default: NAME.keras)"
    )

    export_training = commands.add_parser(
        "export-training",
        help="write a graph's training as a Python script (fit, loop, ddp, train_step)",
    )
    export_training.add_argument("file", metavar="FILE")
    export_training.add_argument(
        "--style",
        required=True,
        choices=("fit", "loop", "ddp", "train_step"),
        help="Keras fit(), a torch training loop, that loop under torchrun DDP, or fit() "
        "driving the book's torch train_step",
    )
    export_training.add_argument("-o", "--out", required=True, metavar="TRAIN.py")
    add_trust_code(export_training)

    plot = commands.add_parser("plot", help="draw a graph to a PNG or SVG image, headless")
    plot.add_argument("file", metavar="FILE")
    plot.add_argument("-o", "--out", required=True, metavar="OUT.png|OUT.svg")
    plot.add_argument("--layout", action="store_true", help="lay the nodes out left to right first")
    plot.add_argument(
        "--expand", action="store_true", help="draw the layers inside block uses (laid out)"
    )
    plot.add_argument(
        "--direction",
        choices=("LR", "TB"),
        help="lay the nodes out first, left to right (LR) or top to bottom (TB)",
    )
    plot.add_argument(
        "--scale", type=float, default=2.0, help="PNG pixels per canvas unit (default 2)"
    )
    studio = commands.add_parser("studio", help="open the desktop app")
    studio.add_argument("file", nargs="?", metavar="FILE", help="a graph file to open")
    studio.add_argument(
        "--screenshot",
        metavar="PNG",
        help="draw the window once, save it to PNG and quit (a headless start-up check)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module, function = COMMANDS[args.command]
    return getattr(importlib.import_module(module), function)(args)
