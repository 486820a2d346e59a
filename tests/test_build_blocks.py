"""Block uses built as nested Keras Functional models, against the same model written
by hand in Keras: sub-models by name, parameter counts, outputs on the same weights,
and the nesting kept through a saved .keras."""

from __future__ import annotations

import numpy as np
import pytest

from codegen.build import build_model
from codegen.keras_env import import_keras
from graph import ModelGraph, validate
from tests.blocks_graphs import define_encoder, siamese


def _hand_written():
    """tests.blocks_graphs.siamese() as a person writes it in Keras."""
    keras = import_keras()
    layers = keras.layers

    def encoder(name: str, units: int):
        x = keras.Input((16,), name="x")
        h = layers.Dense(units, activation="relu", name="dense")(x)
        return keras.Model(x, [layers.Dense(4, name="dense_1")(h), h], name=name)

    a, b, c = (keras.Input((16,), name=n) for n in "abc")
    enc, enc_c = encoder("enc", 32), encoder("enc_c", 8)
    out = layers.Concatenate(name="cat")([enc(a)[0], enc(b)[1], enc_c(c)[0]])
    return keras.Model([a, b, c], [out], name="siamese")


def _structure(model) -> list:
    """Each layer's name and class, and a nested model's own layers, in order."""
    return [
        (layer.name, type(layer).__name__, _structure(layer) if hasattr(layer, "layers") else [])
        for layer in model.layers
    ]


@pytest.fixture(scope="module")
def built():
    g, _ = siamese()
    return g, build_model(g), _hand_written()


def _samples(seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(5, 16)).astype("float32") for _ in range(3)]


def test_uses_are_nested_models_named_after_the_use(built):
    g, model, hand = built
    assert _structure(model) == _structure(hand)
    assert [layer.name for layer in model.get_layer("enc").layers] == ["x", "dense", "dense_1"]
    assert model.count_params() == hand.count_params() == validate(g).total_params


def test_outputs_equal_keras_on_the_same_weights(built):
    _, model, hand = built
    model.set_weights(hand.get_weights())
    x = _samples()
    np.testing.assert_array_equal(
        np.asarray(model.predict(x, verbose=0)), np.asarray(hand.predict(x, verbose=0))
    )


def test_a_shared_use_is_one_model_called_twice(built):
    _, model, _ = built
    enc = model.get_layer("enc")
    # one set of weights: changing them changes both calls
    weights = [np.zeros_like(w) for w in enc.get_weights()]
    enc.set_weights(weights)
    out = np.asarray(model.predict(_samples(), verbose=0))
    assert not out[:, :36].any()  # enc(a) output 0 (4) and enc(b) output 1 (32)
    assert out[:, 36:].any()  # enc_c keeps its own weights


def test_the_saved_keras_file_keeps_the_nesting(built, tmp_path):
    keras = import_keras()
    _, model, _ = built
    path = tmp_path / "siamese.keras"
    model.save(path)
    again = keras.saving.load_model(path)
    assert _structure(again) == _structure(model)
    x = _samples(1)
    np.testing.assert_allclose(
        np.asarray(again.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0))
    )


def test_nested_blocks_build_and_count_like_validation():
    g = ModelGraph("nested")
    define_encoder(g)
    outer = g.define_block("outer")
    x = outer.add_node("Input", name="x", params={"shape": (16,)})
    inner = outer.add_node("encoder", name="inner_enc", params={"units": 12})
    outer.connect(x, inner, "x")
    outer.set_outputs([inner])
    a = g.add_node("Input", name="a", params={"shape": (16,)})
    use = g.add_node("outer", name="o")
    g.connect(a, use, "x")
    g.set_outputs([use])
    model = build_model(g)
    o = model.get_layer("o")
    assert [layer.name for layer in o.layers] == ["x", "inner_enc"]
    assert model.count_params() == validate(g).total_params == (16 * 12 + 12) + (12 * 4 + 4)
    assert tuple(model.outputs[0].shape) == (None, 4)
