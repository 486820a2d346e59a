"""The sample data bundled in resources/data, matched to graphs by array names.

Each file holds arrays named after the inputs and outputs of the template it was
made for (scripts/make_digits_data.py, scripts/make_ticket_data.py), so training a
template works offline: `sample_data_for(g)` finds the file whose keys name every
input and output of `g`. Whether the arrays fit is still `load_data`'s to check.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from codegen.bundled import bundled_folder
from graph import ModelGraph
from graph.training import DataSource

DATA_FOLDER = bundled_folder("data")


def bundled_data() -> list[Path]:
    """Every bundled .npz file, by name."""
    return sorted(DATA_FOLDER.glob("*.npz"))


def sample_data_for(g: ModelGraph) -> DataSource | None:
    """A bundled file with an array for every input and output of `g`, or None."""
    names = {g.layer(n).name for n in [*g.inputs, *g.outputs]}
    for path in bundled_data():
        with np.load(path, allow_pickle=False) as archive:
            if names <= set(archive.files):
                return DataSource(str(path))
    return None
