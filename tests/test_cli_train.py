"""`kgs train`: trains headless with progress on stderr, writes the model, exit 2 on bad data."""

import io
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from codegen.keras_env import import_keras
from graph import load, save
from graph.training import DataSource, TrainingSetup
from kgs.cli import main
from kgs.train import Progress, ctrl_c_stops
from tests.graphs import chain

ROOT = Path(__file__).parents[1]
TEMPLATES = ROOT / "resources" / "templates"
DATA = ROOT / "resources" / "data"
MLP = TEMPLATES / "mnist_mlp.graph.json"
TICKETS = TEMPLATES / "customer_tickets.graph.json"


def test_a_template_trains_on_its_bundled_data_and_the_model_reloads(tmp_path, capsys):
    out = tmp_path / "mlp.keras"
    argv = ["train", str(MLP), "--epochs", "1", "--batch-size", "64", "--seed", "2"]
    assert main([*argv, "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"wrote {out}\n"
    assert captured.err.startswith("training on the bundled sample data ")
    assert "epoch 1/1: accuracy " in captured.err and "val_accuracy" in captured.err
    assert "validation: accuracy " in captured.err
    model = import_keras().models.load_model(out, safe_mode=True)
    images = np.load(DATA / "digits_mlp.npz")["digits"][:3]
    assert model.predict(images, verbose=0).shape == (3, 10)


def test_setup_in_the_file_with_overrides(tmp_path, capsys):
    """The file's setup is used (data relative to the file); --loss and --epochs win."""
    g = load(TICKETS)
    g.training = TrainingSetup(epochs=9, batch_size=128, data=DataSource("tickets.npz"))
    path = tmp_path / "tickets.graph.json"
    save(g, path)
    (tmp_path / "tickets.npz").write_bytes((DATA / "tickets.npz").read_bytes())
    argv = ["train", str(path), "--epochs", "1", "--loss", "priority=mse"]
    assert main([*argv, "-o", str(tmp_path / "t.keras")]) == 0
    err = capsys.readouterr().err
    assert "epoch 1/1: " in err and "epoch 2/" not in err
    assert "priority_mae" in err and "department_accuracy" in err


def test_bad_data_is_reported_before_training_with_exit_2(tmp_path, capsys):
    data = DATA / "digits_cnn.npz"
    assert main(["train", str(MLP), "--data", str(data), "-o", str(tmp_path / "m.keras")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{MLP}: the training data does not fit the model:\n")
    assert f"{data}: no array for input 'digits'" in err
    assert "epoch" not in err
    assert not (tmp_path / "m.keras").exists()


def test_npy_pairs_by_name(tmp_path, capsys):
    arrays = np.load(DATA / "digits_mlp.npz")
    np.save(tmp_path / "x.npy", arrays["digits"][:64])
    np.save(tmp_path / "y.npy", arrays["predictions"][:50])
    argv = ["train", str(MLP), "--data", f"x={tmp_path / 'x.npy'}", "--data"]
    assert main([*argv, f"y={tmp_path / 'y.npy'}", "-o", str(tmp_path / "m.keras")]) == 2
    assert "sample counts differ" in capsys.readouterr().err


def test_bad_arguments_and_setup_give_exit_2(tmp_path, capsys):
    data = str(DATA / "digits_mlp.npz")
    assert main(["train", str(MLP), "--data", data, "--loss", "predictions"]) == 2
    assert "--loss takes OUTPUT=LOSS. Received: predictions" in capsys.readouterr().err
    assert main(["train", str(MLP), "--data", data, "--loss", "predictions=msee"]) == 2
    assert "training.outputs.predictions.loss: unknown loss 'msee'" in capsys.readouterr().err
    plain = tmp_path / "plain.graph.json"
    save(chain(("Dense", {"units": 2})), plain)
    assert main(["train", str(plain)]) == 2
    assert "no training data given" in capsys.readouterr().err
    assert main(["train", str(tmp_path / "missing.graph.json"), "--data", data]) == 2


def test_first_ctrl_c_asks_the_trainer_to_stop_and_the_second_interrupts():
    asked = []
    before = signal.getsignal(signal.SIGINT)
    with ctrl_c_stops(lambda: asked.append(True)):
        os.kill(os.getpid(), signal.SIGINT)
        assert asked == [True]
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before


def test_progress_on_a_terminal_redraws_one_batch_line():
    stream = io.StringIO()
    progress = Progress(stream, live=True)
    progress.training_started(2, 10)
    progress.batch_finished(0, 4, {"loss": 0.5})
    progress.epoch_finished(0, {"loss": 0.25, "val_loss": 0.5})
    lines = stream.getvalue().split("\r")
    assert lines[1] == "epoch 1/2  batch 5/10  loss 0.5000\x1b[K"
    assert lines[2].startswith("\x1b[Kepoch 1/2: loss 0.2500 - val_loss 0.5000 (")
