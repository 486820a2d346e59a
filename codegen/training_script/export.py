"""Writing a training script to a file, with the bundled sample data it names beside it
and the graph's weights it starts from.

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

from codegen.build_weights import beside_module_name, flat_arrays, graph_layers
from codegen.training_script.paths import setup_for_script
from codegen.training_script.writer import to_training_script
from codegen.trusted_code import Trust, check_trusted, graph_uses, module_path, needed_modules
from codegen.user_layers import trust_layers
from graph import ModelGraph
from graph.atomicfile import atomic_path
from graph.training import TrainingSetupError
from graph.weights import top_name
from graph.weightsfile import SavedWeights, write_sidecar


def write_training_script(
    g: ModelGraph,
    style: str,
    path: str | os.PathLike,
    graph_folder: str | os.PathLike,
    trust: Trust | None = None,
    weights: SavedWeights | None = None,
) -> Path | None:
    """Write `g`'s training script of `style` to `path`; return the sample copied beside it.

    `graph_folder` is where the setup's relative data paths and modules start.
    `weights`, the graph's sidecar (graph.weightsfile.read_sidecar), are where the
    script's training starts, as `kgs train`'s does: the layers that keep them when the
    model is built (codegen.build_weights) have them written, exactly, to a weights file
    beside the script (`NAME_weights.h5`, as `kgs compile` names it), which the script
    loads; this builds the model, so it imports keras. The returned path is the bundled
    sample file the script trains on (now beside it), or None when the setup names its
    own data. Raises GraphError (invalid graph, unusable setup; UntrustedCodeError for a
    module `trust` does not trust) before anything is written; TrainingSetupError when
    a different file already has the sample's or a module's name beside `path`, which
    is not overwritten.
    """
    path = Path(path)
    setup, sample = setup_for_script(g, graph_folder, path.parent)
    weights_file = None if weights is None else beside_module_name(g)
    trust = trust or Trust()
    uses = graph_uses(g, setup)
    check_trusted(setup, graph_folder, trust, uses)
    trust_layers(g, graph_folder, trust)  # the model's source needs its custom layers known
    text = to_training_script(g, setup, style, weights_file)
    if sample is not None:
        _copy_beside(sample, path.parent, f"the bundled sample data {sample.name}")
    for _, module, _ in needed_modules(setup, uses):
        source = module_path(module, graph_folder)
        _copy_beside(source, path.parent, f"the module {source}")
    if weights is not None:
        _write_kept_weights(g, weights, path.parent / beside_module_name(g))
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return sample


def _write_kept_weights(g: ModelGraph, saved: SavedWeights, path: Path) -> None:
    """The saved weights of the layers that keep them in `g`'s built model, as saved
    (a block use's when every layer inside it keeps them): a script that seeds, builds
    and loads them starts where build_model(g, saved) starts under that seed (the
    other layers' fresh weights drawn alike)."""
    from codegen.build import build_with_weights

    model, report = build_with_weights(g, saved)
    fresh = {top_name(key) for key, _ in report.fresh}
    kept = {top_name(key) for key in report.kept} - fresh
    layers = graph_layers(g, model)
    write_sidecar(path, flat_arrays({name: layers[name] for name in layers if name in kept}))


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
