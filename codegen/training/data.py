"""Training data checked against the model, before any training starts.

`load_data` reads a DataSource and checks every array against the graph and its
resolved training setup: a missing key, a wrong shape or dtype, labels out of range,
NaN values, sample counts that differ. The reading and checking is
`codegen.training.arrays`, which generated training scripts carry too; this module
describes the graph to it (`model_io`). All problems are collected into one
`DataError`, each naming the file and key, so a user fixes them in one go. What
passes comes back as `TrainingData`, cast to the dtypes the model takes.
"""

from __future__ import annotations

from pathlib import Path

from codegen.build import checked_report
from codegen.training.arrays import (
    Found,
    ModelInput,
    ModelOutput,
    TrainingData,
    check_found,
    read_arrays,
)
from graph import ModelGraph
from graph.training import SPARSE_LOSSES, DataSource, TrainingSetup
from graph.user_code import identifier_text

__all__ = ["TrainingData", "check_arrays", "load_data", "model_io"]


def model_io(
    g: ModelGraph, setup: TrainingSetup
) -> tuple[tuple[ModelInput, ...], tuple[ModelOutput, ...]]:
    """The inputs and outputs of `g`, as its data must fit them under the resolved
    `setup`: inferred shapes and dtypes, each output's loss and metrics."""
    report = checked_report(g)
    inputs = tuple(
        ModelInput(g.layer(n).name, tuple(report.nodes[n].shape), report.nodes[n].dtype)
        for n in g.inputs
    )
    outputs = []
    for node_id in g.outputs:
        name = g.layer(node_id).name
        out = setup.outputs[name]
        shape = tuple(report.nodes[node_id].shape)
        sparse = out.loss in SPARSE_LOSSES
        loss, metrics = identifier_text(out.loss), tuple(map(identifier_text, out.metrics))
        outputs.append(ModelOutput(name, shape, loss, metrics, sparse))
    return inputs, tuple(outputs)


def check_arrays(
    found: dict[str, Found], g: ModelGraph, setup: TrainingSetup, what: str
) -> TrainingData:
    """Check `found` arrays against `g` and its resolved `setup`; DataError if unfit.

    `what` names the data in messages that concern no single key (e.g. the file).
    """
    inputs, outputs = model_io(g, setup)
    return check_found(found, inputs, outputs, what)


def read_source(
    source: DataSource, base: Path, inputs: list[str], outputs: list[str]
) -> dict[str, Found]:
    """The arrays `source` names, by key; relative paths are relative to `base`."""
    columns = dict(source.columns)
    return read_arrays(source.path, dict(source.arrays), columns, base, inputs, outputs)


def load_data(
    source: DataSource, g: ModelGraph, setup: TrainingSetup, base: str | Path = "."
) -> TrainingData:
    """Read `source` and check it against `g` and its resolved `setup`."""
    inputs = [g.layer(n).name for n in g.inputs]
    outputs = [g.layer(n).name for n in g.outputs]
    found = read_source(source, Path(base), inputs, outputs)
    return check_arrays(found, g, setup, " + ".join(source.files()))
