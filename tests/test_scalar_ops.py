"""A tensor plus, minus or times a number, done on the tensor in a Functional model,
imports as the Rescaling layer that computes it, to the bit."""

import numpy as np
import pytest

from codegen.build import build_model
from codegen.importer import ImportRefused, import_keras_model
from codegen.keras_env import import_keras

keras = import_keras()


def test_arithmetic_with_numbers_becomes_rescaling_with_the_same_outputs():
    x = keras.Input((5,), name="x")
    y = keras.layers.Dense(5, name="dense")(x)
    y = (2.0 - (y + 3.0) * 0.25) - 1.5
    y = 3 * y
    model = keras.Model(x, y)
    g, notes = import_keras_model(model)
    rescalings = [dict(layer.params) for _, layer in g.layers() if layer.type == "Rescaling"]
    assert rescalings == [
        {"scale": 1.0, "offset": 3.0},
        {"scale": 0.25},
        {"scale": -1.0, "offset": 2.0},
        {"scale": 1.0, "offset": -1.5},
        {"scale": 3.0},
    ]
    assert any("the operation 2.0 - x is imported as a Rescaling" in n for n in notes), notes
    rebuilt = build_model(g)
    rebuilt.get_layer("dense").set_weights(model.get_layer("dense").get_weights())
    data = np.random.default_rng(0).standard_normal((4, 5)).astype("float32") * 100
    expected = keras.ops.convert_to_numpy(model(data))
    assert np.array_equal(keras.ops.convert_to_numpy(rebuilt(data)), expected)


@pytest.mark.parametrize(
    "dtype, make",
    [
        ("float32", lambda x: x / 3.0),  # x * (1 / 3) rounds differently
        ("int32", lambda x: x * 2),  # Rescaling computes in float32: its ids would be floats
        ("float32", lambda x: x + x),  # two tensors: not a number
    ],
    ids=["division", "integers", "two_tensors"],
)
def test_other_operations_are_still_refused(dtype, make):
    x = keras.Input((5,), name="x", dtype=dtype)
    model = keras.Model(x, keras.layers.Embedding(10, 2, name="head")(make(x)))
    with pytest.raises(ImportRefused, match="a Keras operation, not a layer"):
        import_keras_model(model)
