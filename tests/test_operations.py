"""Operation specs (graph/operation.py, graph/layers/ops_*.py) beyond the conformance
oracle: the dtype lattice against Keras's, slicing keys against Python's, and the
wiring a graph checks."""

import numpy as np
import pytest

import graph
from codegen.keras_env import import_keras
from graph.dtype_promotion import result_type
from graph.slice_key import format_key, parse_key
from graph.spec import get_spec

keras = import_keras()

DTYPES = ["bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def test_promotion_is_kerass_for_every_pair_of_input_dtypes_and_constants():
    from keras.src.backend.common import dtypes

    for a in DTYPES:
        assert result_type(a) == dtypes.result_type(a), a
        for b in [*DTYPES, int, float]:
            assert result_type(a, b) == dtypes.result_type(a, b), (a, b)


@pytest.mark.parametrize(
    "key",
    [(slice(None), 0), (slice(None), slice(1, 3)), (Ellipsis, None, -1), (slice(None, None, -2),)],
)
def test_slicing_keys_parse_to_what_python_writes(key):
    text = format_key(key)
    assert parse_key(text) == key
    x = np.arange(60).reshape(3, 4, 5)
    assert np.array_equal(x[parse_key(text)], x[key])


@pytest.mark.parametrize("text", ["", ":, x", "1:2:3:4", "..., ...", "::0", "0,,1", "__import__"])
def test_bad_slicing_keys_are_refused_saying_why(text):
    assert "slicing key" in get_spec("ops.get_item").param_by_name["key"].problem(text)


def _graph(op_type, params, ports=("x",), shape=(4, 3)):
    g = graph.ModelGraph()
    x = g.add_node("Input", name="x", params={"shape": shape})
    op = g.add_node(op_type, params=params)
    for port in ports:
        g.connect(x, op, port)
    g.set_outputs([op])
    return g, op


def test_a_constant_operand_leaves_one_tensor_to_wire():
    g, op = _graph("ops.subtract", {"x1": 2.0})
    report = graph.validate(g)
    assert report.valid and report.nodes[op].shape == (None, 4, 3)
    assert get_spec("ops.subtract").face_params({"x1": 2.0, "x2": None}) == "2 - x"
    g, op = _graph("ops.subtract", {"x1": 2.0}, ports=("x", "y"))
    (problem,) = graph.validate(g).errors
    assert "takes 1 tensor input(s) for x2 (x1 given as a number). Received: 2" in problem.message


def test_two_constants_are_refused():
    g, _ = _graph("ops.add", {"x1": 1.0, "x2": 2.0}, ports=())
    assert any("at least one operand is a tensor" in p.message for p in graph.validate(g).errors)


def test_an_axis_named_twice_is_refused_as_the_backend_refuses_it():
    """Keras's symbolic rule accepts axis=(0, -3) on rank 3 (and drops two axes); the
    backend then fails on the data, so the graph refuses it at once."""
    g, _ = _graph("ops.mean", {"axis": (0, -3)}, shape=(3, 4))
    (problem,) = graph.validate(g).errors
    assert "names an axis twice" in problem.message
    symbolic = keras.ops.mean(keras.Input((3, 4)), axis=(0, -3))
    assert tuple(symbolic.shape) == (4,)
    with pytest.raises(RuntimeError):
        keras.ops.mean(np.zeros((2, 3, 4), "float32"), axis=(0, -3))


def test_operation_nodes_are_named_as_keras_names_operations():
    g, op = _graph("ops.get_item", None)
    assert g.layer(op).name == "get_item"
