"""Exported training scripts start from the graph's weights, as `kgs train` does.

A trained classifier is imported with its weights, its base frozen, a new head added
beside its old one: `kgs export-training` writes the kept weights beside the script,
and the fit, loop and ddp (a group of one, under plain python) scripts, run in fresh
processes on the same seed and data, end with the weights `kgs train` ends with; the
frozen layers (a BatchNormalization in inference mode included) keep the imported
weights bit for bit. One batch an epoch makes the loops comparable to fit (their
shuffling differs; one batch cannot).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codegen.keras_env import import_keras
from graph import load, save
from graph.training import DataSource, TrainingSetup
from kgs.cli import main
from tests.test_training_script_run import run_script
from tests.test_weights_training import trained_classifier

pytestmark = pytest.mark.slow

keras = import_keras()

FROZEN = ("base", "bn")


def fine_tuning_graph(folder: Path) -> Path:
    """The imported classifier (its weights in the sidecar), base and bn frozen, a new
    head `new_head` beside the old `head`, trained on data.npz (64 samples) in one
    batch an epoch."""
    trained_classifier().save(folder / "classifier.keras")
    graph_path = folder / "classifier.graph.json"
    assert main(["import", str(folder / "classifier.keras"), "-o", str(graph_path)]) == 0
    g = load(graph_path)
    ids = {g.layer(n).name: n for n in g.node_ids()}
    for name in FROZEN:
        g.set_trainable(ids[name], False)
    new_head = g.add_node("Dense", name="new_head", params={"units": 2, "activation": "softmax"})
    g.connect(ids["bn"], new_head, "input")
    g.set_outputs([ids["head"], new_head])
    g.training = TrainingSetup(epochs=3, batch_size=64, seed=5, data=DataSource("data.npz"))
    save(g, graph_path)
    rng = np.random.default_rng(0)
    np.savez(
        folder / "data.npz",
        x=rng.standard_normal((64, 6)).astype("float32"),
        head=rng.integers(0, 3, 64),
        new_head=rng.integers(0, 2, 64),
    )
    return graph_path


def layer_weights(path: Path) -> dict[str, list[np.ndarray]]:
    model = keras.saving.load_model(path)
    return {layer.name: layer.get_weights() for layer in model.layers if layer.weights}


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, dict[str, list[np.ndarray]]]:
    """(the graph file, the weights `kgs train` trains it to)."""
    folder = tmp_path_factory.mktemp("graph")
    graph_path = fine_tuning_graph(folder)
    out = folder / "trained.keras"
    assert main(["train", str(graph_path), "-o", str(out)]) == 0
    return graph_path, layer_weights(out)


@pytest.mark.parametrize("style", ["fit", "loop", "ddp"])
def test_script_trains_from_the_graphs_weights_as_kgs_train_does(tmp_path, trained, style):
    graph_path, want = trained
    script = tmp_path / "train.py"
    argv = ["export-training", str(graph_path), "--style", style, "-o", str(script)]
    assert main(argv) == 0
    assert (tmp_path / "classifier_weights.h5").exists()
    assert "loads the weights file" in script.read_text().split('"""')[1]
    run_script(script, "--out", "model.keras")
    got = layer_weights(tmp_path / "model.keras")
    assert got.keys() == want.keys() == {"base", "bn", "head", "new_head"}
    for name in got:
        for a, b in zip(got[name], want[name], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=name)
    imported = {layer.name: layer.get_weights() for layer in trained_classifier().layers}
    for name in FROZEN:
        for a, b in zip(got[name], imported[name], strict=True):
            np.testing.assert_array_equal(a, b, err_msg=name)
    # The trainable layers did train: the old head moved away from its imported weights.
    assert not np.allclose(got["head"][0], imported["head"][0])


def test_a_sidecar_that_does_not_match_is_refused_and_nothing_written(tmp_path, capsys):
    graph_path = fine_tuning_graph(tmp_path)
    sidecar = tmp_path / load(graph_path).weights.file
    sidecar.write_bytes(sidecar.read_bytes() + b"\0")
    script = tmp_path / "out" / "train.py"
    script.parent.mkdir()
    assert main(["export-training", str(graph_path), "--style", "fit", "-o", str(script)]) == 2
    assert "does not match its graph file" in capsys.readouterr().err
    assert list(script.parent.iterdir()) == []
