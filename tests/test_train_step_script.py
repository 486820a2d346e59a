"""The fourth script style: fit() driving the book's torch train_step (7.4.4) with its
metrics handling (7.4.5). On the same seed its numbers are Keras's own fit()'s, batch
for batch, and the loop script's (one batch per epoch, where the shuffling is moot);
the model it saves reloads in safe mode as a plain Functional model."""

import json
import subprocess
import sys

import numpy as np
import pytest

from codegen.keras_env import import_keras
from graph import load
from graph.training import DataSource, TrainingSetup
from tests.test_training_script_run import SETUP, TICKET_DATA, TICKETS, TIMEOUT, write_script

pytestmark = pytest.mark.slow

#: Trains through the script's main() and leaves the history and weights behind.
DUMP = """\
import json
import sys

import numpy as np

sys.path.insert(0, ".")
import train  # noqa: E402

model = train.main(sys.argv[1:])
with open("history.json", "w") as f:
    json.dump(model.history.history, f)
np.savez("weights.npz", *[np.asarray(w) for w in model.get_weights()])
"""


def _run(tmp_path, style: str, setup: TrainingSetup) -> tuple[dict, list]:
    folder = tmp_path / style
    folder.mkdir()
    write_script(folder, load(TICKETS), setup, style)
    (folder / "dump.py").write_text(DUMP)
    done = subprocess.run(
        [sys.executable, "dump.py", "--out", "m.keras"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(folder / "weights.npz") as weights:
        arrays = [weights[k] for k in sorted(weights.files, key=lambda k: int(k.split("_")[1]))]
    return json.loads((folder / "history.json").read_text()), arrays


def _same(a: tuple[dict, list], b: tuple[dict, list]) -> None:
    assert a[0].keys() == b[0].keys()
    for key in a[0]:
        assert a[0][key] == pytest.approx(b[0][key], rel=1e-5, abs=1e-6), key
    for x, y in zip(a[1], b[1], strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


def test_train_step_equals_fit_batch_for_batch(tmp_path):
    """The ticket model (two outputs, the book's RMSE metric, file-writing callbacks)
    with several batches per epoch and a last smaller one."""
    setup = TrainingSetup(**{**SETUP.__dict__, "batch_size": 300})
    ours = _run(tmp_path, "train_step", setup)
    _same(ours, _run(tmp_path, "fit", setup))
    assert "department_rmse" in ours[0] and "val_priority_mae" in ours[0]
    model = import_keras().models.load_model(tmp_path / "train_step" / "m.keras", safe_mode=True)
    assert type(model).__name__ == "Functional"


def test_train_step_equals_the_loop(tmp_path):
    setup = TrainingSetup(epochs=3, batch_size=4096, seed=5, data=DataSource(str(TICKET_DATA)))
    _same(_run(tmp_path, "train_step", setup), _run(tmp_path, "loop", setup))
