"""build_model makes operation nodes the operations Keras records for keras.ops and
operator syntax: the outputs equal those of the same model written by hand."""

import numpy as np
import pytest

from codegen.build import build_model
from codegen.keras_env import import_keras
from tests.operation_cases import CASES, op_graph, op_model, sample

keras = import_keras()


@pytest.mark.parametrize("name", CASES)
def test_built_operations_compute_what_keras_ops_compute(name):
    case = CASES[name]
    expected_model = op_model(keras, case)
    built = build_model(op_graph(case))
    built.get_layer("d").set_weights(expected_model.get_layer("d").get_weights())
    data = sample()
    expected = keras.ops.convert_to_numpy(expected_model(data))
    got = keras.ops.convert_to_numpy(built(data))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert np.array_equal(got, expected)
    assert built.count_params() == expected_model.count_params()


def test_operations_take_the_nodes_names_and_keep_integer_dtypes():
    from graph import ModelGraph

    g = ModelGraph("ints")
    x = g.add_node("Input", name="ids", params={"shape": (3,), "dtype": "int32"})
    twice = g.add_node("ops.multiply", name="twice", params={"x2": 2})
    g.connect(x, twice, "x")
    g.set_outputs([twice])
    model = build_model(g)
    assert [op.name for op in model.operations] == ["ids", "twice"]
    out = model(np.array([[1, 2, 3]], "int32"))
    assert str(out.dtype).endswith("int32")
    assert keras.ops.convert_to_numpy(out).tolist() == [[2, 4, 6]]
