"""`kgs import --group-by-names` keeps the trained weights: layers named alike become
block uses, their weights follow them into the uses by name, and the grouped graph
builds (and compiles) to the original Keras model's outputs exactly."""

import numpy as np
import pytest

from codegen.build import build_with_weights
from codegen.keras_env import import_keras
from graph import load
from graph.weightsfile import read_sidecar
from kgs.cli import main
from tests.test_pysource import run_module

keras = import_keras()


def randomized(model):
    """`model` with every weight random, as after training (BatchNormalization's
    variances positive)."""
    rng = np.random.default_rng(5)
    for layer in model.layers:
        layer.set_weights(
            [np.abs(rng.standard_normal(w.shape)).astype("float32") + 0.1 for w in layer.weights]
        )
    return model


def scoped_mlp():
    """Three scopes b1, b2, b3 of Dense + BatchNormalization + ReLU."""
    x = last = keras.Input((8,), name="x")
    for scope in ("b1", "b2", "b3"):
        last = keras.layers.Dense(8, name=f"{scope}_dense")(last)
        last = keras.layers.BatchNormalization(name=f"{scope}_bn")(last)
        last = keras.layers.ReLU(name=f"{scope}_relu")(last)
    return randomized(keras.Model(x, keras.layers.Dense(3, name="head")(last), name="scoped"))


def small_resnet():
    """ResNet50's naming (conv1_*, convS_blockB_*, avg_pool, predictions) at a small
    size: two stages of three residual blocks, the first of each with a projection."""
    layers = keras.layers
    x = keras.Input((16, 16, 3), name="image")
    h = layers.Conv2D(8, 3, strides=2, padding="same", name="conv1_conv")(x)
    h = layers.BatchNormalization(name="conv1_bn")(h)
    h = layers.Activation("relu", name="conv1_relu")(h)
    for stage, filters in (("conv2", 8), ("conv3", 16)):
        for block in (1, 2, 3):
            name = f"{stage}_block{block}"
            shortcut = h
            if block == 1:
                shortcut = layers.Conv2D(filters, 1, name=f"{name}_0_conv")(h)
                shortcut = layers.BatchNormalization(name=f"{name}_0_bn")(shortcut)
            y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_1_conv")(h)
            y = layers.BatchNormalization(name=f"{name}_1_bn")(y)
            y = layers.Activation("relu", name=f"{name}_1_relu")(y)
            y = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(y)
            y = layers.BatchNormalization(name=f"{name}_2_bn")(y)
            h = layers.Add(name=f"{name}_add")([shortcut, y])
            h = layers.Activation("relu", name=f"{name}_out")(h)
    h = layers.GlobalAveragePooling2D(name="avg_pool")(h)
    out = layers.Dense(4, activation="softmax", name="predictions")(h)
    return randomized(keras.Model(x, out, name="resnetish"))


def outputs(model, x):
    return keras.ops.convert_to_numpy(model(x, training=False))


def imported_grouped(model, tmp_path, capsys):
    """The graph file `kgs import --group-by-names` writes of `model`, and what it said."""
    model.save(tmp_path / f"{model.name}.keras")
    graph_path = tmp_path / f"{model.name}.graph.json"
    argv = ["import", str(tmp_path / f"{model.name}.keras"), "-o", str(graph_path)]
    assert main([*argv, "--group-by-names"]) == 0
    return graph_path, capsys.readouterr()


@pytest.mark.parametrize(
    ("make", "uses"),
    [
        (scoped_mlp, ["b1", "b2", "b3"]),
        (small_resnet, [f"conv{s}_block{b}" for s in (2, 3) for b in (1, 2, 3)]),
    ],
)
def test_grouped_import_keeps_the_weights_in_the_uses(make, uses, tmp_path, capsys):
    model = make()
    graph_path, printed = imported_grouped(model, tmp_path, capsys)
    assert "keeps no weights" not in printed.err
    g = load(graph_path)
    assert [n for n in g.node_ids() if g.layer(n).type in g.blocks.names()] == uses
    rebuilt, report = build_with_weights(g, read_sidecar(g, graph_path))
    assert report.fresh == [] and report.unused == []
    shape = tuple(model.inputs[0].shape[1:])
    x = np.random.default_rng(0).random((3, *shape)).astype("float32")
    np.testing.assert_array_equal(outputs(rebuilt, x), outputs(model, x))


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_grouped_import_compiles_to_source_with_the_original_outputs(style, tmp_path, capsys):
    model = small_resnet()
    graph_path, _ = imported_grouped(model, tmp_path, capsys)
    out = tmp_path / "out"
    assert main(["compile", str(graph_path), "--to", style, "-o", str(out)]) == 0
    module = run_module((out / f"resnetish_{style}.py").read_text(), out)
    x = np.random.default_rng(1).random((2, 16, 16, 3)).astype("float32")
    np.testing.assert_allclose(outputs(module.build_model(), x), outputs(model, x), atol=1e-6)
