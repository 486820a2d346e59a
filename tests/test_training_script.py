"""Generated training scripts as text: deterministic, ruff-clean and ruff-formatted in
every style; the data checks and the custom metric are the project's own code, copied;
the setup's values land where Keras reads them."""

import ast
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from codegen import to_training_script
from codegen.keras_env import import_keras
from codegen.training import DataError, load_data
from codegen.training_script import STYLES, relocated
from codegen.training_script.embedded import embedded
from codegen.training_script.literals import Call, laid_out
from codegen.training_script.writer import OPTIMIZER_CLASSES
from graph import GraphError, ModelGraph, load
from graph.training import (
    NO_LOSS,
    OPTIMIZERS,
    SPARSE_RMSE,
    CSVLogger,
    DataSource,
    EarlyStopping,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TrainingSetup,
    TrainingSetupError,
    resolve,
)
from tests.graphs import chain

ROOT = Path(__file__).parents[1]
TICKETS = ROOT / "resources" / "templates" / "customer_tickets.graph.json"
TICKET_DATA = ROOT / "resources" / "data" / "tickets.npz"


def tickets() -> ModelGraph:
    return load(TICKETS)


def full_setup() -> TrainingSetup:
    """Every kind of value a setup holds: callbacks, a loss-free output, the custom
    metric, weights, .npy arrays, a .csv validation file with columns, ONNX asked for."""
    return (
        TrainingSetup(
            optimizer="rmsprop",
            learning_rate=0.01,
            batch_size=16,
            epochs=3,
            seed=7,
            data=DataSource(arrays={"title": "a.npy", "text_body": "b.npy", "tags": "c.npy"}),
            validation_data=DataSource("val.csv", columns={"tags": ("t0", "t1")}),
            callbacks=(
                EarlyStopping(monitor="val_loss", patience=2),
                ModelCheckpoint(filepath="ckpt/best.keras"),
                ReduceLROnPlateau(),
                CSVLogger(filename="log.csv"),
            ),
            export_onnx=True,
        )
        .with_output("priority", loss=NO_LOSS, metrics=())
        .with_output("department", metrics=("accuracy", SPARSE_RMSE), loss_weight=0.5)
    )


def ruff(*args: str) -> subprocess.CompletedProcess:
    """Run the project's ruff with the project's settings."""
    command = [sys.executable, "-m", "ruff", *args, "--config", str(ROOT / "pyproject.toml")]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize("style", STYLES)
def test_scripts_are_ruff_clean_and_ruff_formatted(tmp_path, style):
    for name, setup in (("default", None), ("full", full_setup())):
        (tmp_path / f"{name}_{style}.py").write_text(to_training_script(tickets(), setup, style))
    # With a weights file beside it: the WEIGHTS path and load_weights() too.
    weighted = to_training_script(tickets(), None, style, "customer_tickets_weights.h5")
    (tmp_path / f"weights_{style}.py").write_text(weighted)
    odd = chain(("Dense", {"units": 3, "activation": "softmax"}), name='an "odd" \\ näme')
    (tmp_path / f"odd_{style}.py").write_text(to_training_script(odd, None, style))
    check = ruff("check", "--no-cache", str(tmp_path))
    assert check.returncode == 0, check.stdout
    formatted = ruff("format", "--check", "--diff", "--no-cache", str(tmp_path))
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_same_graph_and_setup_give_the_same_bytes_in_any_process():
    """No set or dict order of one run leaks into the text: a fresh interpreter with
    another hash seed writes the same bytes."""
    code = (
        "import sys; from graph import load; from codegen import to_training_script; "
        "from codegen.training_script import STYLES; "
        f"from tests.test_training_script import full_setup; g = load({str(TICKETS)!r}); "
        "sys.stdout.write(''.join(to_training_script(g, full_setup(), s) for s in STYLES))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "123"}
    other = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT
    )
    assert other.returncode == 0, other.stderr
    here = "".join(to_training_script(tickets(), full_setup(), s) for s in STYLES)
    assert other.stdout == here
    assert here == "".join(to_training_script(tickets(), full_setup(), s) for s in STYLES)


def test_setup_values_reach_compile_fit_and_the_callbacks():
    text = to_training_script(tickets(), full_setup(), "fit")
    assert "optimizer=keras.optimizers.RMSprop(learning_rate=0.01)," in text
    assert '        loss={"priority": None, "department": "sparse_categorical_crossentropy"},' in (
        text
    )
    assert '        loss_weights={"priority": 1.0, "department": 0.5},' in text
    assert '"department": ["accuracy", SparseRootMeanSquaredError()]' in text
    assert "class SparseRootMeanSquaredError(keras.metrics.Metric):" in text
    assert 'filepath=str(folder / "ckpt/best.keras"),' in text
    assert 'filename=str(folder / "log.csv"),' in text
    for line in ("EPOCHS = 3", "BATCH_SIZE = 16", "SEED = 7", "VALIDATION_SPLIT = 0.2"):
        assert f"\n{line}\n" in text
    assert '\nDATA = ["title=a.npy", "text_body=b.npy", "tags=c.npy"]\n' in text
    assert '\nVALIDATION_DATA = ["val.csv"]\nVALIDATION_COLUMNS = {"tags": ("t0", "t1")}\n' in text
    # The callbacks come in the setup's order, with every argument.
    tree = ast.parse(text)
    make = next(f for f in tree.body if getattr(f, "name", "") == "make_callbacks")
    calls = [n for n in ast.walk(make) if isinstance(n, ast.Call) and ast.unparse(n.func) != "str"]
    assert [ast.unparse(c.func) for c in calls] == [
        "keras.callbacks.EarlyStopping",
        "keras.callbacks.ModelCheckpoint",
        "keras.callbacks.ReduceLROnPlateau",
        "keras.callbacks.CSVLogger",
    ]
    assert [k.arg for k in calls[0].keywords] == [
        "monitor",
        "patience",
        "min_delta",
        "restore_best_weights",
    ]


def test_a_setup_without_custom_metric_or_data_leaves_them_out():
    text = to_training_script(tickets(), None, "loop")
    assert "SparseRootMeanSquaredError" not in text
    assert "\nDATA = None\n" in text
    assert "python train.py --data DATA --epochs 10" in text


def test_ddp_writes_files_on_rank_0_only_and_finds_unused_parameters_when_needed():
    text = to_training_script(tickets(), full_setup(), "ddp")
    make = text[text.index("def make_callbacks") : text.index("# Training\n")]
    every, writers = make.split("if writes_files:")
    assert "EarlyStopping" in every and "ReduceLROnPlateau" in every
    assert "ModelCheckpoint" in writers and "CSVLogger" in writers
    assert "ModelCheckpoint" not in every
    assert "find_unused_parameters=True," in text
    assert "find_unused_parameters=False," in to_training_script(tickets(), None, "ddp")
    writers_only = TrainingSetup(callbacks=(CSVLogger(),))
    assert "    callbacks = []\n    if writes_files:\n" in to_training_script(
        tickets(), writers_only, "ddp"
    )
    assert "torchrun --standalone --nproc_per_node=4 train.py" in text
    assert "--nnodes=2 --nproc_per_node=4 --rdzv_backend=c10d" in text
    assert "--rdzv_endpoint=HOST:29400 --rdzv_id=customer_tickets train.py" in text


def test_the_data_checks_and_custom_metric_are_the_projects_code_copied():
    text = to_training_script(tickets(), full_setup(), "loop")
    arrays = embedded("codegen.training.arrays")
    assert arrays.body in text
    assert arrays.body.startswith("#: What a single-input") and "import" not in arrays.body[:200]
    metric = embedded("codegen.training.custom_metrics", drop=("keras",))
    assert metric.body in text
    assert metric.body.startswith("ops = keras.ops\n")
    assert "import_keras" not in text


def test_the_copied_checks_name_the_loss_free_output_as_the_setup_does():
    from codegen.training import arrays

    assert arrays.NO_LOSS == NO_LOSS


def test_every_optimizer_of_the_setup_has_its_keras_class():
    keras = import_keras()
    assert sorted(OPTIMIZER_CLASSES) == sorted(OPTIMIZERS)
    for name, cls in OPTIMIZER_CLASSES.items():
        made = getattr(keras.optimizers, cls)(learning_rate=0.01)
        assert type(made) is type(keras.optimizers.get(name))
        assert isinstance(made, getattr(keras.optimizers, cls))


def test_a_script_refuses_bad_data_with_the_messages_of_kgs_train(tmp_path):
    """The script's INPUTS and OUTPUTS describe the model as load_data sees it, and its
    copy of the checks lists the same problems, before any training, with exit 2."""
    g = tickets()
    path = tmp_path / "bad.npz"
    np.savez(
        path,
        title=np.zeros((4, 10000), np.float32),
        text_body=np.zeros((4, 64), np.float32),
        tags=np.zeros((4, 100)),
        priority=np.full((4, 1), 2.0),
        department=np.eye(4),
    )
    with pytest.raises(DataError) as expected:
        load_data(DataSource(str(path)), g, resolve(g))
    script = tmp_path / "train.py"
    script.write_text(to_training_script(g, None, "fit"))
    result = subprocess.run(
        [sys.executable, str(script), "--data", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr == f"{expected.value}\n"
    assert result.stdout == ""


def test_long_values_are_split_as_ruff_splits_them():
    call = Call("ModelOutput", ("department", (None, 4), "x" * 40, ("accuracy",), True))
    assert laid_out("", (call,), 0) == [
        "(",
        "    ModelOutput(",
        '        "department", (None, 4), "' + "x" * 40 + '", ("accuracy",), True',
        "    ),",
        ")",
    ]
    assert laid_out("A = ", {"k": "v"}) == ['A = {"k": "v"}']
    assert laid_out("A = ", ["y" * 50, "z" * 50]) == [
        "A = [",
        f'    "{"y" * 50}",',
        f'    "{"z" * 50}",',
        "]",
    ]


@pytest.mark.parametrize("style", STYLES)
def test_onnx_is_written_after_the_keras_file_only_when_the_setup_asks(style):
    asked = to_training_script(tickets(), full_setup(), style)
    plain = to_training_script(tickets(), replace(full_setup(), export_onnx=False), style)
    assert "onnx" not in plain.lower()
    assert '\nONNX_OUTPUTS = ["priority", "department"]\n' in asked
    assert "\ndef export_onnx(model: keras.Model, data: TrainingData, out: str) -> Path:\n" in asked
    # The compiler's own export function, its source as the project has it.
    assert embedded("codegen.onnx_dynamo").body in asked
    assert "\n    dynamo_export(model, examples, shapes, " in asked
    assert "The trained model is also written as ONNX, beside the .keras file" in asked
    assert asked.index("The trained model is also written as ONNX") < asked.index('"""', 10)
    main = asked[asked.index("\ndef main(") :]
    pad = " " * (12 if style == "ddp" else 4)
    model = "functional(model)" if style == "train_step" else "model"  # a plain Functional
    saved = f'{pad}{model}.save(args.out)\n{pad}print(f"wrote {{args.out}}")\n'
    assert f'{saved}{pad}print(f"wrote {{export_onnx(model, data, args.out)}}")\n' in main
    if style == "ddp":  # rank 0 writes it, as it writes every file
        assert main.index("if rank == 0:") < main.index("export_onnx(")
    if style == "fit":  # the fit script needs torch only in the export, which imports it
        assert "\nimport torch" not in asked and "import torch" not in plain


def test_onnx_of_a_graph_that_cannot_go_to_onnx_is_refused_naming_the_node():
    g = chain(("LSTM", {"units": 4}), ("Dense", {"units": 1}), input_shape=(None, 3))
    assert to_training_script(g, None, "fit")  # without ONNX the graph trains
    with pytest.raises(TrainingSetupError) as e:
        to_training_script(g, TrainingSetup(export_onnx=True), "loop")
    message = str(e.value)
    assert message.startswith("training setup of graph 'model' asks for an ONNX file, but ")
    assert "\n  training.export_onnx: LSTM 'lstm': runs over a free time axis" in message
    assert "Fix: set a fixed number of time steps on input 'input'" in message


def test_bad_style_setup_or_graph_are_refused():
    expected = "Expected one of: fit, loop, ddp, train_step. Received: style='jax'"
    with pytest.raises(ValueError, match=expected):
        to_training_script(tickets(), None, "jax")
    bad = TrainingSetup(callbacks=(EarlyStopping(monitor="val_nope"),))
    with pytest.raises(TrainingSetupError, match="'val_nope' is not logged"):
        to_training_script(tickets(), bad, "fit")
    broken = ModelGraph("broken")
    broken.add_node("Dense", params={"units": 2})
    with pytest.raises(GraphError):
        to_training_script(broken, None, "loop")


def test_relocated_rewrites_relative_data_paths_for_the_scripts_folder(tmp_path):
    setup = TrainingSetup(
        data=DataSource(arrays={"x": "data/x.npy", "y": str(tmp_path / "y.npy")}),
        validation_data=DataSource("val.csv", columns={"x": ("a",)}),
    )
    moved = relocated(setup, tmp_path / "graphs", tmp_path / "scripts" / "deep")
    assert dict(moved.data.arrays) == {"x": "../../graphs/data/x.npy", "y": str(tmp_path / "y.npy")}
    assert moved.validation_data.path == "../../graphs/val.csv"
    assert dict(moved.validation_data.columns) == {"x": ("a",)}
    assert relocated(TrainingSetup(), tmp_path, tmp_path / "elsewhere") == TrainingSetup()
