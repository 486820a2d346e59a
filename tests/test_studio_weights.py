"""The studio keeps a graph's weights: Save As copies the sidecar beside the new file
(the saved graph compiles with its weights), and training and exports start from them."""

from __future__ import annotations

import numpy as np
import pytest

from codegen.keras_env import import_keras
from graph import load
from kgs.cli import main

keras = import_keras()


def trained_model():
    x = keras.Input((6,), name="x")
    features = keras.layers.Dense(4, activation="tanh", name="features")(x)
    head = keras.layers.Dense(2, name="head")(features)
    model = keras.Model(x, head, name="trained")
    rng = np.random.default_rng(7)
    for layer in model.layers:
        layer.set_weights([rng.standard_normal(w.shape).astype("float32") for w in layer.weights])
    return model


SAMPLE = np.random.default_rng(1).standard_normal((5, 6)).astype("float32")


def outputs(model):
    return keras.ops.convert_to_numpy(model(SAMPLE, training=False))


@pytest.fixture
def imported(tmp_path, capsys):
    """(the trained model, the graph file `kgs import` wrote with its sidecar)."""
    model = trained_model()
    model.save(tmp_path / "trained.keras")
    graph_path = tmp_path / "trained.graph.json"
    assert main(["import", str(tmp_path / "trained.keras"), "-o", str(graph_path)]) == 0
    capsys.readouterr()
    return model, graph_path


def compiled_outputs(graph_path, out_dir, capsys):
    """The outputs of the .keras model `kgs compile` writes of `graph_path`, and what it
    printed."""
    assert main(["compile", str(graph_path), "--to", "keras", "-o", str(out_dir)]) == 0
    printed = capsys.readouterr().out
    (written,) = out_dir.glob("*.keras")
    return outputs(keras.saving.load_model(written)), printed


def test_save_as_into_another_folder_takes_the_weights_along(window, imported, tmp_path, capsys):
    model, graph_path = imported
    assert window.open_file(graph_path)
    (tmp_path / "elsewhere").mkdir()
    window.prompts.answers["save_path"] = tmp_path / "elsewhere" / "copy"
    assert window.save_as()
    saved = tmp_path / "elsewhere" / "copy.graph.json"
    assert window.document.path == saved
    assert load(saved).weights.file == "copy.weights.h5"
    assert (tmp_path / "elsewhere" / "copy.weights.h5").read_bytes() == (
        tmp_path / "trained.weights.h5"
    ).read_bytes()
    got, printed = compiled_outputs(saved, tmp_path / "out", capsys)
    assert "weights kept for 2 layers: features, head" in printed
    np.testing.assert_array_equal(got, outputs(model))


def test_save_as_refuses_a_sidecar_that_does_not_match_naming_it(window, imported, tmp_path):
    _, graph_path = imported
    assert window.open_file(graph_path)
    sidecar = tmp_path / "trained.weights.h5"
    sidecar.write_bytes(sidecar.read_bytes() + b"x")
    window.prompts.answers["save_path"] = tmp_path / "other"
    assert not window.save_as()
    kind, message = window.prompts.asked[-1]
    assert kind == "error" and message.startswith("Cannot save: ")
    assert "trained.weights.h5" in message and "does not match" in message
    assert window.document.path == graph_path
    assert not (tmp_path / "other.graph.json").exists()
    assert not (tmp_path / "other.weights.h5").exists()
