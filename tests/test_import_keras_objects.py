"""Keras initializers, regularizers and constraints through the importer: each keeps
its arguments (a name only where the name makes exactly the same object), through the
graph file and back into Keras."""

from codegen.build import build_model
from codegen.importer import import_keras_model
from codegen.keras_env import import_keras
from graph import dumps, loads
from graph.params import thaw
from tests.test_importer import assert_same_model

keras = import_keras()
layers = keras.layers


def test_initializers_regularizers_and_constraints_keep_their_arguments():
    x = keras.Input((8,), name="x")
    dense = layers.Dense(
        4,
        kernel_initializer=keras.initializers.VarianceScaling(2.0, "fan_out", "truncated_normal"),
        bias_initializer=keras.initializers.Constant(0.5),
        kernel_regularizer=keras.regularizers.L2(0.001),
        bias_regularizer="l1",
        kernel_constraint=keras.constraints.MaxNorm(3.0, axis=[0]),
        bias_constraint=keras.constraints.NonNeg(),
        name="dense",
    )
    seeded = layers.Dense(2, kernel_initializer=keras.initializers.HeNormal(seed=3), name="seeded")
    model = keras.Model(x, seeded(dense(x)))
    g, notes = import_keras_model(model)
    assert notes == []
    params = thaw(g.layer("dense").params)
    assert params["kernel_initializer"]["config"]["mode"] == "fan_out"
    assert params["bias_initializer"] == {"class_name": "Constant", "config": {"value": 0.5}}
    assert params["kernel_regularizer"] == {"class_name": "L2", "config": {"l2": 0.001}}
    assert params["bias_regularizer"] == "l1"  # exactly what the name makes
    assert params["kernel_constraint"] == {
        "class_name": "MaxNorm",
        "config": {"max_value": 3.0, "axis": [0]},
    }
    assert params["bias_constraint"] == "non_neg"
    assert thaw(g.layer("seeded").params["kernel_initializer"])["config"]["seed"] == 3
    rebuilt = build_model(loads(dumps(g)))  # through the graph file too
    for name in ("dense", "seeded"):
        assert rebuilt.get_layer(name).get_config() == model.get_layer(name).get_config()
    assert_same_model(model, g)
