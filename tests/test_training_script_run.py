"""Generated training scripts run as their users run them, in fresh processes: each
style trains the ticket template on the bundled data to the loss the Trainer (what
`kgs train` runs) reaches with the same seed, epochs and batch size, and writes a model
that reloads in safe mode. The ddp script runs under torchrun with 2 processes on the
CPU: both end with the same weights (BatchNormalization's moving statistics included),
stop on the same epoch, and an output without a loss does not break DDP. When the setup
asks, each style also writes an ONNX file that onnxruntime runs as Keras runs the saved
model. --epochs, --batch-size and --seed act as they say."""

import csv
import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from codegen import to_training_script
from codegen.keras_env import import_keras
from codegen.training import Trainer
from codegen.training.targets import source_target_kinds
from graph import ModelGraph, load
from graph.training import (
    NO_LOSS,
    SPARSE_RMSE,
    CSVLogger,
    DataSource,
    EarlyStopping,
    ModelCheckpoint,
    TrainingSetup,
    with_inferred_losses,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:Gradients do not exist:UserWarning"),
]

ROOT = Path(__file__).parents[1]
TICKETS = ROOT / "resources" / "templates" / "customer_tickets.graph.json"
TICKET_DATA = ROOT / "resources" / "data" / "tickets.npz"
#: Bounds every training process: a hang fails the test instead of stalling the suite.
TIMEOUT = 240

#: The ticket template's setup for every run: the book's custom metric and callbacks
#: that write files or may stop (patience long enough not to).
SETUP = TrainingSetup(
    epochs=2,
    batch_size=64,
    seed=3,
    data=DataSource(str(TICKET_DATA)),
    callbacks=(EarlyStopping(patience=5), ModelCheckpoint(), CSVLogger()),
).with_output("department", metrics=("accuracy", SPARSE_RMSE))

#: Run by torchrun in place of the script: it trains through the script's main(), then
#: each process leaves its weights and epoch count for the test to compare.
RANK_DUMP = """\
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402

model = train.main(sys.argv[1:])
weights = {v.path: np.asarray(v.numpy()) for v in model.weights}
np.savez(f"rank{os.environ['RANK']}.npz", epochs=len(model.history.epoch), **weights)
"""


def logged(output: str, line: str) -> dict[str, float]:
    """The logs a script printed on its `line` ("trained", "validation") line."""
    text = re.search(rf"^{line}: (.*)$", output, re.M).group(1)
    return {name: float(value) for name, value in (item.split(" ") for item in text.split(" - "))}


@pytest.fixture(scope="module")
def reference_loss(tmp_path_factory) -> float:
    """The last epoch's training loss of the Trainer on SETUP."""
    result = Trainer(load(TICKETS), SETUP, base=tmp_path_factory.mktemp("trainer")).run()
    return result.history["loss"][-1]


def write_script(folder: Path, g: ModelGraph, setup: TrainingSetup, style: str) -> Path:
    """The script of `style` in `folder`, its unset losses inferred from the setup's
    data as the exporters infer them (and the Trainer does)."""
    setup = with_inferred_losses(g, setup, source_target_kinds(setup.data, g, ROOT))
    path = folder / "train.py"
    path.write_text(to_training_script(g, setup, style))
    return path


def run_ddp(
    folder: Path, processes: int, *args: str, runner: str = RANK_DUMP
) -> subprocess.CompletedProcess:
    """torchrun with `processes` CPU processes on the script in `folder`, through
    `runner`; fails the test if it does not finish in TIMEOUT."""
    (folder / "runner.py").write_text(runner)
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={processes}",
        "runner.py",
        *args,
    ]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=TIMEOUT, env=env
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def rank_weights(folder: Path, rank: int) -> dict[str, np.ndarray]:
    with np.load(folder / f"rank{rank}.npz") as dump:
        return {key: dump[key] for key in dump.files}


def reloaded(path: Path):
    """A model a script saved, loaded in safe mode where the custom metric's class is
    registered (as in kgs and the studio)."""
    import codegen.training.custom_metrics  # noqa: F401

    return import_keras().models.load_model(path, safe_mode=True)


def onnx_matches_keras(
    keras_path: Path, onnx_path: Path, inputs: list[np.ndarray], batch_sizes=(3, 7)
) -> None:
    """The ONNX file, run by onnxruntime, gives what the .keras file, reloaded, predicts:
    on the first rows of `inputs` (one array per model input) at each batch size."""
    import onnxruntime

    model = reloaded(keras_path)
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == [t.name for t in model.inputs]
    assert [o.name for o in session.get_outputs()] == list(model.output_names)
    for batch in batch_sizes:
        x = [a[:batch] for a in inputs]
        assert all(len(a) == batch for a in x)
        expected = model.predict(x[0] if len(x) == 1 else x, verbose=0)
        expected = expected if isinstance(expected, list) else [expected]
        received = session.run(
            None, {i.name: a for i, a in zip(session.get_inputs(), x, strict=True)}
        )
        assert len(received) == len(expected)
        for want, got in zip(expected, received, strict=True):
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)


def ticket_inputs() -> list[np.ndarray]:
    with np.load(TICKET_DATA) as data:
        return [data[name][:10].astype(np.float32) for name in ("title", "text_body", "tags")]


def reloads_and_predicts(path: Path) -> list[np.ndarray]:
    """The saved model, reloaded in safe mode, on three ticket samples."""
    model = reloaded(path)
    with np.load(TICKET_DATA) as data:
        x = [data[name][:3].astype(np.float32) for name in ("title", "text_body", "tags")]
    return model.predict(x, verbose=0)


def run_script(script: Path, *args: str) -> subprocess.CompletedProcess:
    """The script run with python in its own folder; fails the test unless it ends
    well within TIMEOUT."""
    result = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=script.parent,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.parametrize("style", ["fit", "loop"])
def test_fit_and_loop_scripts_train_as_the_trainer_does(tmp_path, reference_loss, style):
    script = write_script(tmp_path, load(TICKETS), SETUP, style)
    result = run_script(script, "--out", "model.keras")
    trained = logged(result.stdout, "trained")
    assert trained["loss"] == pytest.approx(reference_loss, rel=0.1)
    assert 0 < trained["val_department_rmse"] < 1.5
    assert "department_rmse" in logged(result.stdout, "validation")
    assert (tmp_path / "best.keras").exists()
    assert len((tmp_path / "training_log.csv").read_text().splitlines()) == 3
    priority, department = reloads_and_predicts(tmp_path / "model.keras")
    assert priority.shape == (3, 1) and department.shape == (3, 4)
    np.testing.assert_allclose(department.sum(axis=1), 1, rtol=1e-5)


def test_ddp_script_on_two_processes_keeps_replicas_equal(tmp_path, reference_loss):
    write_script(tmp_path, load(TICKETS), dataclasses.replace(SETUP, export_onnx=True), "ddp")
    result = run_ddp(tmp_path, 2, "--out", "model.keras")
    first, second = rank_weights(tmp_path, 0), rank_weights(tmp_path, 1)
    assert first.keys() == second.keys()
    for key in first:
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)
    assert first["epochs"] == 2
    # Only rank 0 prints and writes; the logs are those of all the samples.
    assert result.stdout.count("trained: ") == 1
    assert result.stdout.count("wrote model.keras\n") == result.stdout.count("wrote ") - 1 == 1
    assert result.stdout.count("wrote model.onnx\n") == 1
    onnx_matches_keras(tmp_path / "model.keras", tmp_path / "model.onnx", ticket_inputs())
    trained = logged(result.stdout, "trained")
    assert trained["loss"] == pytest.approx(reference_loss, rel=0.1)
    assert 0 < trained["val_department_rmse"] < 1.5
    assert (tmp_path / "best.keras").exists()
    priority, department = reloads_and_predicts(tmp_path / "model.keras")
    assert priority.shape == (3, 1) and department.shape == (3, 4)


def batch_norm_graph() -> ModelGraph:
    """x -> Dense -> BatchNormalization -> two heads: 'score' (trained) and 'kind'."""
    g = ModelGraph("bn_heads")
    x = g.add_node("Input", name="x", params={"shape": [6]})
    hidden = g.add_node("Dense", name="hidden", params={"units": 16, "activation": "relu"})
    norm = g.add_node("BatchNormalization", name="norm")
    score = g.add_node("Dense", name="score", params={"units": 1})
    kind = g.add_node("Dense", name="kind", params={"units": 3, "activation": "softmax"})
    for src, dst in ((x, hidden), (hidden, norm), (norm, score), (norm, kind)):
        g.connect(src, dst, "input")
    g.set_outputs([score, kind])
    return g


def test_ddp_with_batch_norm_an_output_without_loss_and_early_stopping(tmp_path):
    """BatchNormalization's moving statistics end equal on both processes; the head
    without a loss gets no gradient (DDP must not wait for it); EarlyStopping stops
    both processes after the same epoch, long before the last, with no hang."""
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (128, 6)).astype(np.float32)
    np.savez(
        tmp_path / "data.npz",
        x=x,
        score=x.sum(axis=1, keepdims=True),
        kind=np.eye(3)[rng.integers(0, 3, 128)],
    )
    # Nothing improves by 1e9: the first epoch sets the best value, the second stops.
    stop = EarlyStopping(monitor="val_loss", patience=1, min_delta=1e9)
    setup = TrainingSetup(
        epochs=8,
        batch_size=16,
        seed=1,
        validation_split=0.25,
        data=DataSource("data.npz"),
        callbacks=(stop,),
    ).with_output("kind", loss=NO_LOSS, metrics=("accuracy",))
    script = write_script(tmp_path, batch_norm_graph(), setup, "ddp")
    assert "find_unused_parameters=True," in script.read_text()
    run_ddp(tmp_path, 2)
    first, second = rank_weights(tmp_path, 0), rank_weights(tmp_path, 1)
    assert int(first["epochs"]) == int(second["epochs"]) == 2
    for key in first:
        np.testing.assert_array_equal(first[key], second[key], err_msg=key)
    # The statistics moved towards the data (the hidden layer's mean activation).
    assert np.abs(first["norm/moving_mean"]).max() > 0.1
    assert (tmp_path / "bn_heads.keras").exists()


@pytest.mark.parametrize("style", ["fit", "loop", "ddp"])
def test_single_input_and_output_on_csv_data(tmp_path, style):
    """A one-input, one-output model on a .csv file in the setup (its columns mapped),
    with the custom metric and an ONNX file; the ddp script run with plain python is a
    group of one."""
    g = ModelGraph("tiny")
    x = g.add_node("Input", name="features", params={"shape": [4]})
    out = g.add_node("Dense", name="label", params={"units": 3, "activation": "softmax"})
    g.connect(x, out, "input")
    g.set_output(out)
    rng = np.random.default_rng(0)
    rows = [",".join(f"{v:.4f}" for v in rng.normal(size=4)) + f",{i % 3}" for i in range(40)]
    (tmp_path / "table.csv").write_text("a,b,c,d,class\n" + "\n".join(rows) + "\n")
    source = DataSource("table.csv", columns={"label": ("class",)})
    setup = TrainingSetup(
        epochs=2, batch_size=8, seed=0, data=source, export_onnx=True
    ).with_output("label", metrics=("accuracy", SPARSE_RMSE))
    script = write_script(tmp_path, g, setup, style)
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    trained = logged(result.stdout, "trained")
    assert sorted(trained) == ["accuracy", "loss", "rmse", "val_accuracy", "val_loss", "val_rmse"]
    model = reloaded(tmp_path / "tiny.keras")
    assert model.predict(np.zeros((2, 4), np.float32), verbose=0).shape == (2, 3)
    # One input: the exporter's example and dynamic shapes are the input itself.
    assert result.stdout.endswith("wrote tiny.keras\nwrote tiny.onnx\n")
    features = np.random.default_rng(1).normal(size=(7, 4)).astype(np.float32)
    onnx_matches_keras(tmp_path / "tiny.keras", tmp_path / "tiny.onnx", [features])


def test_fit_script_with_onnx_matches_keras_at_two_batch_sizes(tmp_path):
    """The ticket template (three inputs, two outputs) on its bundled data, one epoch:
    the ONNX file runs in onnxruntime as the reloaded .keras model predicts."""
    setup = TrainingSetup(batch_size=64, seed=1, data=DataSource(str(TICKET_DATA)))
    script = write_script(
        tmp_path, load(TICKETS), dataclasses.replace(setup, export_onnx=True), "fit"
    )
    result = subprocess.run(
        [sys.executable, str(script), "--epochs", "1", "--out", "model.keras"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.endswith("wrote model.keras\nwrote model.onnx\n")
    onnx_matches_keras(tmp_path / "model.keras", tmp_path / "model.onnx", ticket_inputs())


def csv_losses(path: Path) -> tuple[list[int], list[float]]:
    """(epochs, losses) of a CSVLogger file."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return [int(r["epoch"]) for r in rows], [float(r["loss"]) for r in rows]


def test_epochs_batch_size_and_seed_arguments_act_as_they_say(tmp_path):
    """--epochs 2 runs two epochs, --batch-size 16 takes 16 samples a step, --seed 3
    twice gives the same losses to the last bit, --seed 4 others."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    np.savez(tmp_path / "data.npz", x=x, y=x @ rng.normal(size=(4, 1)).astype(np.float32))
    g = ModelGraph("seeded")
    features = g.add_node("Input", name="x", params={"shape": [4]})
    hidden = g.add_node("Dense", name="hidden", params={"units": 8, "activation": "relu"})
    out = g.add_node("Dense", name="y", params={"units": 1})
    g.connect(features, hidden, "input")
    g.connect(hidden, out, "input")
    g.set_output(out)
    # The setup's own values differ from the command line's, so only those can act.
    setup = TrainingSetup(
        epochs=5, batch_size=4, seed=None, data=DataSource("data.npz"), callbacks=(CSVLogger(),)
    )
    script = write_script(tmp_path, g, setup, "fit")

    def run(seed: int) -> tuple[list[int], list[float], str]:
        result = subprocess.run(
            [
                sys.executable,
                str(script),
                "--epochs",
                "2",
                "--batch-size",
                "16",
                "--seed",
                str(seed),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return (*csv_losses(tmp_path / "training_log.csv"), result.stdout)

    epochs, losses, output = run(3)
    assert epochs == [0, 1]
    # 48 training samples (the last 0.2 validate) in steps of 16: 3 steps an epoch.
    assert re.findall(r"^Epoch (\d)/(\d)$", output, re.M) == [("1", "2"), ("2", "2")]
    assert len(re.findall(r"^3/3 - ", output, re.M)) == 2
    assert logged(output, "trained")["loss"] == pytest.approx(losses[-1], abs=1e-4)
    again = run(3)
    assert again[:2] == (epochs, losses)
    other = run(4)
    assert other[0] == epochs and other[1][-1] != losses[-1]


#: Run in place of a script: it trains through the script's main() with two more
#: callbacks: listing 7.20's, which keeps logs["loss"] of every batch, and one that
#: records every hook called, with its logs. Both write what they saw to hooks.json.
HOOK_RECORDER = """\
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train  # noqa: E402

keras = train.keras
seen = []


class PerBatchLossHistory(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.per_batch_losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.per_batch_losses.append(logs["loss"])

    def on_epoch_end(self, epoch, logs=None):
        losses = {str(i): float(loss) for i, loss in enumerate(self.per_batch_losses)}
        seen.append(["per_batch_losses", epoch, losses])


def floats(logs):
    return None if logs is None else {name: float(value) for name, value in logs.items()}


def recording(name):
    if name.startswith(("on_epoch", "on_train_batch", "on_test_batch")):
        def hook(self, index, logs=None):
            seen.append([name, index, floats(logs)])
    else:
        def hook(self, logs=None):
            seen.append([name, None, floats(logs)])
    return hook


class Recorder(keras.callbacks.Callback):
    pass


for when in ("begin", "end"):
    for hook in ("train", "epoch", "train_batch", "test", "test_batch"):
        setattr(Recorder, f"on_{hook}_{when}", recording(f"on_{hook}_{when}"))

made = train.make_callbacks
train.make_callbacks = lambda *a, **k: [*made(*a, **k), PerBatchLossHistory(), Recorder()]
train.main(sys.argv[1:])
with open("hooks.json", "w") as f:
    json.dump(seen, f)
"""


def test_loop_and_ddp_scripts_call_callbacks_with_the_logs_fit_gives(tmp_path):
    """A user's callback (listing 7.20) reads logs["loss"] at every batch: the loop and
    the ddp script (one process) call every hook fit() calls, in the same order, with
    the same logs. One batch per epoch (so shuffling changes nothing) makes the values
    comparable."""
    import json

    setup = TrainingSetup(epochs=2, batch_size=2048, seed=5, data=DataSource(str(TICKET_DATA)))
    hooks = {}
    for style in ("fit", "loop", "ddp"):
        folder = tmp_path / style
        folder.mkdir()
        write_script(folder, load(TICKETS), setup, style)
        if style == "ddp":
            run_ddp(folder, 1, runner=HOOK_RECORDER)
        else:
            (folder / "runner.py").write_text(HOOK_RECORDER)
            done = subprocess.run(
                [sys.executable, "runner.py"],
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
            )
            assert done.returncode == 0, done.stderr[-3000:]
        hooks[style] = json.loads((folder / "hooks.json").read_text())

    def calls(style):
        return [(name, index, logs and sorted(logs)) for name, index, logs in hooks[style]]

    batch_ends = [logs for name, _, logs in hooks["fit"] if name == "on_train_batch_end"]
    assert len(batch_ends) == 2 and all("loss" in logs for logs in batch_ends)
    assert ("per_batch_losses", 1, ["0"]) in calls("fit")
    assert {"on_test_batch_end", "on_test_end"} <= {name for name, _, _ in hooks["fit"]}
    for style in ("loop", "ddp"):
        assert calls(style) == calls("fit"), style
        for (_, _, want), (_, _, got) in zip(hooks["fit"], hooks[style], strict=True):
            if want is not None:
                assert got == pytest.approx(want, rel=1e-4), style
