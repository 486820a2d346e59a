"""Reusing trained weights. Fine-tuning: import a trained model, freeze its base,
replace its head, `kgs train --update-weights`: the frozen layers (a BatchNormalization
in inference mode included) keep their weights bit for bit, the new head trains, and
the graph keeps the trained weights. Feature extraction (the book's listing 7.13): a
new head on trained features, equal to Keras doing the same by hand."""

from __future__ import annotations

import numpy as np

from codegen.build import build_with_weights
from codegen.keras_env import import_keras
from graph import load, save
from graph.weightsfile import read_sidecar
from kgs.cli import main

keras = import_keras()


def trained_classifier():
    x = keras.Input((6,), name="x")
    base = keras.layers.Dense(8, activation="relu", name="base")(x)
    normed = keras.layers.BatchNormalization(name="bn")(base)
    head = keras.layers.Dense(3, activation="softmax", name="head")(normed)
    model = keras.Model(x, head, name="classifier")
    rng = np.random.default_rng(3)
    for layer in model.layers:
        weights = [rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights()]
        if layer.name == "bn":
            weights[3] = np.abs(weights[3]) + 0.5
        layer.set_weights(weights)
    return model


def test_fine_tuning_keeps_frozen_layers_and_trains_the_new_head(tmp_path, capsys):
    original = trained_classifier()
    original.save(tmp_path / "classifier.keras")
    graph_path = tmp_path / "classifier.graph.json"
    assert main(["import", str(tmp_path / "classifier.keras"), "-o", str(graph_path)]) == 0
    g = load(graph_path)
    ids = {g.layer(n).name: n for n in g.node_ids()}
    for name in ("base", "bn"):
        g.set_trainable(ids[name], False)
    g.remove_node(ids["head"])
    new_head = g.add_node("Dense", name="new_head", params={"units": 2, "activation": "softmax"})
    g.connect(ids["bn"], new_head, "input")
    g.set_output(new_head)
    save(g, graph_path)

    keras.utils.set_random_seed(5)  # the seed training builds with: the head's fresh start
    start, report = build_with_weights(g, read_sidecar(g, graph_path))
    assert report.kept == ["base", "bn"]
    assert report.fresh == [("new_head", "new layer: no saved weights under its name")]
    assert report.unused == ["head"]

    rng = np.random.default_rng(0)
    data = tmp_path / "data.npz"
    np.savez(
        data, x=rng.standard_normal((64, 6)).astype("float32"), new_head=rng.integers(0, 2, 64)
    )
    argv = ["train", str(graph_path), "--data", str(data), "--epochs", "3", "--seed", "5"]
    out = tmp_path / "tuned.keras"
    assert main([*argv, "-o", str(out), "--update-weights"]) == 0
    assert "wrote the trained weights to" in capsys.readouterr().out

    tuned = keras.saving.load_model(out)
    for name in ("base", "bn"):
        for got, want in zip(
            tuned.get_layer(name).get_weights(), original.get_layer(name).get_weights(), strict=True
        ):
            np.testing.assert_array_equal(got, want)
    trained = tuned.get_layer("new_head").get_weights()
    assert not np.allclose(trained[0], start.get_layer("new_head").get_weights()[0])

    kept = read_sidecar(load(graph_path), graph_path)
    assert sorted(kept.arrays) == ["base", "bn", "new_head"]
    for got, want in zip(kept.arrays["new_head"], trained, strict=True):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(
        kept.arrays["base"][0], original.get_layer("base").get_weights()[0]
    )


def test_listing_7_13_a_new_head_on_trained_features_keeps_the_old_weights(tmp_path):
    """The book's feature extraction: the trained ticket model gets a `difficulty` head
    on `dense_features`; Keras by hand (the old layers' outputs, one new Dense) and the
    graph with its weights compute the same, the old layers untrained and unchanged."""
    from tests.test_importer import ticket_model

    model, _ = ticket_model()
    rng = np.random.default_rng(4)
    for layer in model.layers:
        layer.set_weights(
            [rng.standard_normal(w.shape).astype("float32") * 0.05 for w in layer.weights]
        )
    model.save(tmp_path / "tickets.keras")
    graph_path = tmp_path / "tickets.graph.json"
    assert main(["import", str(tmp_path / "tickets.keras"), "-o", str(graph_path)]) == 0
    g = load(graph_path)
    features = next(n for n in g.node_ids() if g.layer(n).name == "dense_features")
    difficulty = g.add_node(
        "Dense", name="difficulty", params={"units": 3, "activation": "softmax"}
    )
    g.connect(features, difficulty, "input")
    g.set_output(difficulty)
    ours, report = build_with_weights(g, read_sidecar(g, graph_path))
    assert report.kept == ["dense_features", "priority", "department"]
    assert report.fresh == [("difficulty", "new layer: no saved weights under its name")]

    by_hand_head = keras.layers.Dense(3, activation="softmax", name="difficulty")
    by_hand = keras.Model(
        inputs=model.inputs,
        outputs=[*model.outputs, by_hand_head(model.get_layer("dense_features").output)],
    )
    by_hand_head.set_weights(ours.get_layer("difficulty").get_weights())
    x = [rng.random((3, 10000)).astype("float32"), rng.random((3, 10000)).astype("float32")]
    x.append(rng.random((3, 100)).astype("float32"))
    want = [keras.ops.convert_to_numpy(t) for t in by_hand(x)]
    got = [keras.ops.convert_to_numpy(t) for t in ours(x)]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
