"""The TensorBoard callback writes, without TensorFlow, the scalars Keras's would: read
back from the event files with tensorboard's own EventAccumulator, they equal the
History (per epoch, train and validation) and the batch logs fit() gives."""

import json
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from codegen.training import Trainer
from codegen.trusted_code import Trust
from graph.training import CustomCallback, DataSource, OutputSetup, TensorBoard, TrainingSetup
from graph.user_code import record_module
from tests.book_code import BOOK_MODULE
from tests.graphs import chain


def scalars(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar tag of the event files in `folder`: [(step, value), ...]."""
    events = EventAccumulator(str(folder))
    events.Reload()
    return {
        tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]
    }


def test_event_files_hold_the_history_and_the_batch_logs(tmp_path):
    (tmp_path / "book.py").write_text(BOOK_MODULE, encoding="utf-8")
    rng = np.random.default_rng(2)
    x = rng.normal(size=(60, 5)).astype("float32")
    np.savez(tmp_path / "data.npz", x=x, y=(x[:, 0] > 0).astype("float32"))
    g = chain(("Dense", {"units": 1, "activation": "sigmoid"}), input_shape=(5,))
    setup = TrainingSetup(
        outputs={"dense": OutputSetup(metrics=("accuracy",))},
        callbacks=(
            TensorBoard(log_dir="tb", update_freq="batch"),
            CustomCallback("book:LossHistory", {"file": str(tmp_path / "logs.json")}),
        ),
        data=DataSource("data.npz"),
        epochs=3,
        batch_size=16,
        seed=4,
        learning_rate=0.01,
        modules=(record_module(tmp_path, "book.py"),),
    )
    trust = Trust.of_files([tmp_path / "book.py"])
    history = Trainer(g, setup, base=tmp_path, trust=trust).run().history
    train, validation = scalars(tmp_path / "tb" / "train"), scalars(tmp_path / "tb" / "validation")
    for name in ("loss", "accuracy"):
        assert train[f"epoch_{name}"] == [
            (epoch, pytest.approx(v)) for epoch, v in enumerate(history[name])
        ]
        assert validation[f"epoch_{name}"] == [
            (epoch, pytest.approx(v)) for epoch, v in enumerate(history[f"val_{name}"])
        ]
    assert [v for _, v in train["epoch_learning_rate"]] == pytest.approx([0.01] * 3)
    batches = [r[2] for r in json.loads((tmp_path / "logs.json").read_text()) if r[0] == "batch"]
    assert len(batches) == 3 * 3  # 48 training rows in batches of 16, three epochs
    for name in ("loss", "accuracy"):
        assert train[f"batch_{name}"] == [
            (step, pytest.approx(logs[name])) for step, logs in enumerate(batches, start=1)
        ]


def test_epoch_only_by_default(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 3)).astype("float32")
    np.savez(tmp_path / "data.npz", x=x, y=x[:, :1])
    g = chain(("Dense", {"units": 1}), input_shape=(3,))
    setup = TrainingSetup(
        callbacks=(TensorBoard(),), data=DataSource("data.npz"), epochs=2, validation_split=0
    )
    history = Trainer(g, setup, base=tmp_path).run().history
    train = scalars(tmp_path / "logs" / "train")
    assert sorted(train) == ["epoch_learning_rate", "epoch_loss", "epoch_mae"]
    assert [v for _, v in train["epoch_loss"]] == pytest.approx(history["loss"])
    assert not (tmp_path / "logs" / "validation").exists()


def test_setup_problems_name_the_field():
    from graph.training import setup_problems

    g = chain(("Dense", {"units": 1}), input_shape=(3,))
    setup = TrainingSetup(callbacks=(TensorBoard(log_dir="../up", update_freq="often"),))
    problems = "\n".join(setup_problems(g, setup))
    assert "training.callbacks[0] (TensorBoard).log_dir: must be a path inside" in problems
    assert "(TensorBoard).update_freq: must be one of epoch, batch" in problems
