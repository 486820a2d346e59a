"""Data paths of a training setup, moved from the graph file's folder to a script's.

A setup's relative data paths are relative to the graph file; a generated script takes
them relative to its own folder. Whoever writes a script somewhere (`kgs
export-training`, the studio's "Export script") rewrites them for that place first.
The bundled sample data is named by its bare file name instead, and copied beside the
script by `write_training_script` (codegen/training_script/export.py): a checkout's
absolute path would tie the script to the machine it was written on.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from graph import ModelGraph
from graph.training import DataSource, TrainingSetup, with_inferred_losses


def _moved(path: str, old_base: Path, new_base: Path) -> str:
    """`path`, relative to `old_base` unless absolute, as seen from `new_base`."""
    if os.path.isabs(path):
        return path
    return os.path.relpath(os.path.abspath(old_base / path), os.path.abspath(new_base))


def _relocated(source: DataSource | None, old_base: Path, new_base: Path) -> DataSource | None:
    if source is None:
        return None
    return dataclasses.replace(
        source,
        path=None if source.path is None else _moved(source.path, old_base, new_base),
        arrays={name: _moved(p, old_base, new_base) for name, p in source.arrays.items()},
    )


def relocated(
    setup: TrainingSetup, graph_folder: str | os.PathLike, script_folder: str | os.PathLike
) -> TrainingSetup:
    """`setup` with its relative data paths (training and validation) rewritten from
    `graph_folder` to `script_folder`; absolute paths stay as they are."""
    old, new = Path(graph_folder), Path(script_folder)
    return dataclasses.replace(
        setup,
        data=_relocated(setup.data, old, new),
        validation_data=_relocated(setup.validation_data, old, new),
    )


def setup_for_script(
    g: ModelGraph, graph_folder: str | os.PathLike, script_folder: str | os.PathLike
) -> tuple[TrainingSetup, Path | None]:
    """The setup a script written in `script_folder` trains with, and the sample it needs.

    The graph's own setup (else the defaults), its data paths rewritten for the
    script's folder; without data in the setup, a bundled sample file holding the
    graph's arrays, as `kgs train` does: the setup names it by its bare file name and
    it is returned, for whoever writes the script to copy beside it (else None).
    Losses left unset are set to those inferred from the data, when it can be read
    here and lies in the graph's folder, as `kgs train` infers them: the script keeps
    them whatever data it is given later.
    """
    from codegen.training.samples import sample_data_for
    from codegen.training.targets import source_target_kinds

    setup = g.training or TrainingSetup()
    sample = None
    if setup.data is None and (found := sample_data_for(g)) is not None:
        sample = Path(found.path)
        setup = dataclasses.replace(setup, data=found)
    # Data the graph file names outside its folder is not read unasked (see
    # graph.training.data_outside_folder): its unset losses follow the activations.
    readable = sample is not None or (setup.data is not None and not setup.data.outside())
    targets = source_target_kinds(setup.data, g, Path(graph_folder)) if readable else {}
    setup = relocated(with_inferred_losses(g, setup, targets), graph_folder, script_folder)
    if sample is not None:
        setup = dataclasses.replace(setup, data=DataSource(sample.name))
    return setup, sample
