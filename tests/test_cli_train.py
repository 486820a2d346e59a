"""`kgs train`: trains headless with progress on stderr, writes the model (and ONNX when the
setup asks), exit 2 on bad data, exit 1 with one line on a NaN loss or an error in a layer."""

import io
import os
import re
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
from tests.test_training_script_run import onnx_matches_keras

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


def test_onnx_is_written_beside_the_model_when_the_setup_asks(tmp_path, capsys):
    g = load(MLP)
    g.training = TrainingSetup(export_onnx=True)
    path = tmp_path / "mlp.graph.json"
    save(g, path)
    out = tmp_path / "mlp.keras"
    argv = ["train", str(path), "--epochs", "1", "--batch-size", "64", "--seed", "2"]
    assert main([*argv, "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"wrote {out}\nwrote {tmp_path / 'mlp.onnx'}\n"
    assert "ONNX outputs match Keras within " in captured.err
    images = np.load(DATA / "digits_mlp.npz")["digits"][:7]
    onnx_matches_keras(out, tmp_path / "mlp.onnx", [images])


def test_onnx_asked_of_a_graph_that_cannot_go_to_onnx_stops_before_training(tmp_path, capsys):
    g = chain(("LSTM", {"units": 4}), ("Dense", {"units": 1}), input_shape=(None, 3))
    np.savez(tmp_path / "seq.npz", x=np.zeros((8, 5, 3), np.float32), y=np.zeros((8, 1)))
    g.training = TrainingSetup(data=DataSource("seq.npz"), export_onnx=True)
    path = tmp_path / "lstm.graph.json"
    save(g, path)
    assert main(["train", str(path), "-o", str(tmp_path / "m.keras")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: training setup of graph 'model' asks for an ONNX file")
    assert "training.export_onnx: LSTM 'lstm': runs over a free time axis" in err
    assert "epoch" not in err
    assert not (tmp_path / "m.keras").exists()


def failing_dense(monkeypatch, error: BaseException) -> None:
    """Make every Dense layer raise `error` when called to train (not while built)."""
    dense = import_keras().layers.Dense
    call = dense.call

    def failing(self, inputs, training=None):
        if training:
            raise error
        return call(self, inputs, training=training)

    monkeypatch.setattr(dense, "call", failing)


def test_an_error_inside_a_layer_is_one_line_naming_the_file_and_layer(
    tmp_path, capsys, monkeypatch
):
    failing_dense(monkeypatch, ValueError("no good\nsecond line"))
    out = tmp_path / "m.keras"
    assert main(["train", str(MLP), "--epochs", "1", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == f"{MLP}: training failed in Dense 'dense': ValueError: no good"
    assert "Traceback" not in err and "second line" not in err
    assert not out.exists()


def test_ctrl_c_still_interrupts_a_run(tmp_path, monkeypatch):
    """KeyboardInterrupt (a second Ctrl-C) is not a training error: it goes through."""
    failing_dense(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        main(["train", str(MLP), "--epochs", "1", "-o", str(tmp_path / "m.keras")])
    assert not (tmp_path / "m.keras").exists()


def test_a_nan_loss_stops_with_exit_1_and_its_message(tmp_path, capsys):
    g = chain(("Dense", {"units": 1}), input_shape=(2,))
    np.savez(tmp_path / "huge.npz", x=np.full((8, 2), 1e20, np.float32), y=np.zeros((8, 1)))
    g.training = TrainingSetup(batch_size=4, validation_split=0.0, data=DataSource("huge.npz"))
    path = tmp_path / "huge.graph.json"
    save(g, path)
    assert main(["train", str(path), "--epochs", "1", "-o", str(tmp_path / "m.keras")]) == 1
    err = capsys.readouterr().err
    assert re.search(
        rf"^{re.escape(str(path))}: the training loss became (nan|inf) at epoch 1, batch 1; "
        "training stopped",
        err,
        re.M,
    )
    assert not (tmp_path / "m.keras").exists()


def test_data_the_file_names_outside_its_folder_is_not_read_unless_given(tmp_path, capsys):
    """A graph file naming '../' data (or validation data) is refused, exit 2, before
    anything is read; the same file given with --data trains."""
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "tickets.npz").write_bytes((DATA / "tickets.npz").read_bytes())
    g = load(TICKETS)
    g.training = TrainingSetup(epochs=1, data=DataSource("../tickets.npz"))
    save(g, project / "t.graph.json")
    out = project / "t.keras"
    assert main(["train", str(project / "t.graph.json"), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{project / 't.graph.json'}: the graph file names data outside")
    assert "training.data: '../tickets.npz' is outside the graph file's folder" in err
    assert "--data" in err and "epoch" not in err and not out.exists()

    given = ["train", str(project / "t.graph.json"), "--data", str(tmp_path / "tickets.npz")]
    assert main([*given, "-o", str(out)]) == 0
    assert out.exists()
    capsys.readouterr()

    g.training = TrainingSetup(
        epochs=1, data=DataSource("../tickets.npz"), validation_data=DataSource("/etc/v.npz")
    )
    save(g, project / "t.graph.json")
    assert main([*given, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "training.validation_data: '/etc/v.npz' is outside" in err
    assert "training.data:" not in err


def test_an_invalid_graph_is_reported_as_invalid_before_its_data(tmp_path, capsys):
    g = chain(("Conv2D", {"filters": 4, "kernel_size": 3}), input_shape=(8,))
    path = tmp_path / "bad.graph.json"
    save(g, path)
    assert main(["train", str(path), "-o", str(tmp_path / "m.keras")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: ") and "conv2d" in err.lower()
    assert "data" not in err
    assert not (tmp_path / "m.keras").exists()
