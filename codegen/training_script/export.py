"""Writing a training script to a file, with the bundled sample data it names beside it.

`kgs export-training` and the studio's "Export script" both write through here, so a
script trained on the bundled sample runs from its own folder wherever that folder
is moved: the sample is copied next to it and named by its bare file name. So are the
user's modules the setup uses, which must be trusted as they are (the script will run
them): a script carries on no code its writer did not choose to trust.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from pathlib import Path

from codegen.training_script.paths import setup_for_script
from codegen.training_script.writer import to_training_script
from codegen.trusted_code import Trust, check_trusted, module_path, needed_modules
from graph import ModelGraph
from graph.atomicfile import atomic_path
from graph.training import TrainingSetupError


def write_training_script(
    g: ModelGraph,
    style: str,
    path: str | os.PathLike,
    graph_folder: str | os.PathLike,
    trust: Trust | None = None,
) -> Path | None:
    """Write `g`'s training script of `style` to `path`; return the sample copied beside it.

    `graph_folder` is where the setup's relative data paths and modules start. The
    returned path is the bundled sample file the script trains on (now beside it), or
    None when the setup names its own data. Raises GraphError (invalid graph, unusable
    setup; UntrustedCodeError for a module `trust` does not trust) before anything is
    written; TrainingSetupError when a different file already has the sample's or a
    module's name beside `path`, which is not overwritten.
    """
    path = Path(path)
    setup, sample = setup_for_script(g, graph_folder, path.parent)
    text = to_training_script(g, setup, style)
    check_trusted(setup, graph_folder, trust or Trust())
    if sample is not None:
        _copy_beside(sample, path.parent, f"the bundled sample data {sample.name}")
    for _, module, _ in needed_modules(setup):
        source = module_path(module, graph_folder)
        _copy_beside(source, path.parent, f"the module {source}")
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return sample


def _copy_beside(sample: Path, folder: Path, what: str) -> None:
    target = folder / sample.name
    if target.exists():
        if filecmp.cmp(sample, target, shallow=False):
            return  # already there (an earlier export, or the data folder itself)
        raise TrainingSetupError(
            f"{target} exists and is not {what}; move it away or write the script to another folder"
        )
    with atomic_path(target) as tmp:
        shutil.copyfile(sample, tmp)
