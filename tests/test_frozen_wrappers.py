"""A frozen layer inside Bidirectional or TimeDistributed, as Keras counts it.

Keras trains none of a TimeDistributed's weights when the layer it wraps is frozen,
and none of a Bidirectional's when it is frozen itself or both its forward and
backward layers are; the flag of the layer given to Bidirectional changes nothing
(Keras copies it into those two). The import counts the same, and refuses, naming
the layer, a Bidirectional with only one direction frozen (a node freezes whole)."""

import pytest

from codegen.build import build_model
from codegen.importer import ImportRefused, from_keras
from codegen.keras_env import import_keras
from graph import validate

keras = import_keras()


def counts(model):
    """(trainable, non-trainable) weights, as Keras counts them."""

    def size(weights):
        return sum(int(keras.ops.size(w)) for w in weights)

    return size(model.trainable_weights), size(model.non_trainable_weights)


def saved(tmp_path, wrapper, freeze):
    """The `.keras` file of a model around one `wrapper` layer, frozen by `freeze`
    (given the wrapper and the layer it was made with)."""
    x = keras.Input((5, 4), name="x")
    if wrapper == "Bidirectional":
        inner = keras.layers.LSTM(3, name="lstm")
        layer = keras.layers.Bidirectional(inner, name="wrapped")
    else:
        inner = keras.layers.BatchNormalization(name="bn")
        layer = keras.layers.TimeDistributed(inner, name="wrapped")
    model = keras.Model(x, layer(x))
    freeze(layer, inner)
    path = tmp_path / "wrapped.keras"
    model.save(path)
    return path


def freeze_wrapper(layer, inner):
    layer.trainable = False


def freeze_inner(layer, inner):
    inner.trainable = False


def freeze_both_directions(layer, inner):
    layer.forward_layer.trainable = layer.backward_layer.trainable = False


@pytest.mark.parametrize(
    ("wrapper", "freeze"),
    [
        ("TimeDistributed", freeze_wrapper),
        ("TimeDistributed", freeze_inner),
        ("Bidirectional", freeze_wrapper),
        ("Bidirectional", freeze_inner),
        ("Bidirectional", freeze_both_directions),
    ],
)
def test_the_import_counts_trainable_weights_as_keras_does(tmp_path, wrapper, freeze):
    path = saved(tmp_path, wrapper, freeze)
    want = counts(keras.saving.load_model(path))
    g = from_keras(path)
    report = validate(g)
    assert (report.trainable_params, report.non_trainable_params) == want
    assert counts(build_model(g)) == want


def test_a_bidirectional_with_one_direction_frozen_is_refused_naming_it(tmp_path):
    def freeze_forward(layer, inner):
        layer.forward_layer.trainable = False

    path = saved(tmp_path, "Bidirectional", freeze_forward)
    assert counts(keras.saving.load_model(path)) == (96, 96)  # Keras freezes half
    with pytest.raises(ImportRefused, match="Bidirectional 'wrapped': its forward layer is frozen"):
        from_keras(path)
