"""Training scripts generated from a graph and its training setup: fit, loop, ddp, train_step.

`to_training_script(g, setup, style)` writes one self-contained, ruff-clean Python
file that builds the graph's model with the Functional API and trains it as the setup
says: "fit" with Keras's compile/fit/evaluate, "loop" with the torch training loop
of the Keras book's section 7.4, "ddp" with that loop under torch
DistributedDataParallel, launched by torchrun, "train_step" with fit() driving a Model
subclass whose train_step is the book's torch one (7.4.4, metrics as 7.4.5). Generating
imports no keras.

A script takes the setup's relative data paths relative to its own folder: before
writing one away from the graph file, rewrite them with `relocated(setup, graph_folder,
script_folder)`, or take `setup_for_script(g, graph_folder, script_folder)`, which also
falls back to bundled sample data, named by its bare file name. To write a script to a
file, `write_training_script(g, style, path, graph_folder)` also copies that sample
beside it.

With the setup's `export_onnx`, a script also writes the trained model as ONNX;
`check_onnx_setup(g, setup)` refuses, naming the nodes, a graph that cannot go to ONNX.
"""

from codegen.training_script.export import write_training_script
from codegen.training_script.paths import relocated, setup_for_script
from codegen.training_script.writer import STYLES, check_onnx_setup, to_training_script

__all__ = [
    "STYLES",
    "check_onnx_setup",
    "relocated",
    "setup_for_script",
    "to_training_script",
    "write_training_script",
]
