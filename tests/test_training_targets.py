"""Default losses fit the data where it is known: a sigmoid output whose targets are
values in [0, 1] (the ticket model's priority) trains with mean squared error and MAE,
as the book does, and a softmax output with one-hot targets with categorical
cross-entropy, in `kgs train`, the Trainer and generated training scripts alike."""

from pathlib import Path

import numpy as np
import pytest

from codegen.training import Trainer
from codegen.training.targets import source_target_kinds, target_kind
from graph import load
from graph.training import (
    CONTINUOUS,
    INTEGERS,
    ONE_HOT,
    ZERO_ONE,
    DataSource,
    TrainingSetup,
)
from kgs.cli import main
from tests.graphs import chain

ROOT = Path(__file__).parents[1]
TICKETS = ROOT / "resources" / "templates" / "customer_tickets.graph.json"
TICKET_DATA = ROOT / "resources" / "data" / "tickets.npz"


@pytest.mark.parametrize(
    ("array", "kind"),
    [
        (np.array([[0.0], [1.0], [1.0]]), ZERO_ONE),
        (np.array([0, 1, 1], np.uint8), ZERO_ONE),
        (np.eye(3)[[0, 2, 1, 2]], ONE_HOT),
        (np.array([[1, 1, 0], [0, 1, 0]]), ZERO_ONE),  # several labels per row
        (np.array([0, 3, 2, 1], np.int32), INTEGERS),
        (np.array([[0.25], [0.7], [1.0]], np.float32), CONTINUOUS),
        (np.array([[-2.5], [4.0]]), CONTINUOUS),
        (np.array(["a", "b"]), None),
        (np.zeros((0, 1)), None),
    ],
)
def test_the_kind_of_targets_is_read_off_the_array(array, kind):
    assert target_kind(array) == kind


def test_the_ticket_template_trains_priority_with_the_books_losses(tmp_path, capsys):
    g = load(TICKETS)
    kinds = source_target_kinds(DataSource(str(TICKET_DATA)), g, ROOT)
    assert kinds == {"priority": CONTINUOUS, "department": INTEGERS}
    argv = ["train", str(TICKETS), "--epochs", "1", "--batch-size", "256", "--seed", "1"]
    assert main([*argv, "-o", str(tmp_path / "t.keras")]) == 0
    err = capsys.readouterr().err
    assert "priority_mae" in err and "department_accuracy" in err
    assert "priority_accuracy" not in err
    script = tmp_path / "train.py"
    assert main(["export-training", str(TICKETS), "--style", "fit", "-o", str(script)]) == 0
    text = script.read_text()
    assert 'loss={"priority": "mse", "department": "sparse_categorical_crossentropy"}' in text
    assert 'metrics={"priority": ["mae"], "department": ["accuracy"]}' in text


def test_one_hot_targets_train_a_softmax_with_categorical_crossentropy(tmp_path):
    g = chain(("Dense", {"units": 3, "activation": "softmax"}), input_shape=(4,))
    rng = np.random.default_rng(0)
    x = rng.random((24, 4)).astype(np.float32)
    np.savez(tmp_path / "data.npz", x=x, y=np.eye(3, dtype=np.float32)[rng.integers(0, 3, 24)])
    setup = TrainingSetup(epochs=1, batch_size=8, data=DataSource("data.npz"))
    trainer = Trainer(g, setup, base=tmp_path)
    resolved, data, _ = trainer.prepare()
    [out] = resolved.outputs.values()
    assert (out.loss, out.metrics) == ("categorical_crossentropy", ("accuracy",))
    assert data.targets[next(iter(data.targets))].shape == (19, 3)  # 0.2 validates
    history = trainer.run().history
    assert np.isfinite(history["loss"]).all() and "val_accuracy" in history
