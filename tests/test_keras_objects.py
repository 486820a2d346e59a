"""Initializers, regularizers and constraints in the graph: a name Keras knows or the
object with its arguments, checked without Keras, kept by the graph file."""

import pytest

import graph
from graph import validate
from graph.layers import common
from graph.params import freeze, thaw
from tests.graphs import chain

SCALED = {
    "class_name": "VarianceScaling",
    "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal", "seed": 3},
}


def test_names_and_objects_with_arguments_are_accepted():
    kind = common.INITIALIZER
    for value in ("he_normal", "HeNormal", "variance_scaling", SCALED):
        assert kind.problem(freeze(value)) is None, value
    assert (
        common.CONSTRAINT.problem(freeze({"class_name": "MaxNorm", "config": {"axis": [0, 1]}}))
        is None
    )
    assert common.REGULARIZER.problem(None) is None and kind.problem(None) is not None


@pytest.mark.parametrize(
    "value, reason",
    [
        ("he_normall", "must be a Keras initializer name"),
        ({"class_name": "Foo", "config": {}}, "must name a Keras initializer class ("),
        ({"class_name": "HeNormal", "config": {"scael": 2}}, "must give only HeNormal's arguments"),
        ({"class_name": "HeNormal", "config": {"seed": {"a": 1}}}, "must give plain JSON values"),
        ({"class_name": "HeNormal", "config": 3}, "must have a config object"),
        ({"class_name": "HeNormal", "module": "os"}, "Received keys: class_name, module"),
        ({"class_name": "Constant", "config": {}}, "must give Constant's value in its config"),
    ],
)
def test_what_keras_would_not_make_is_refused_with_the_reason(value, reason):
    assert reason in common.INITIALIZER.problem(freeze(value))


def test_a_vector_refuses_what_keras_cannot_build_for_one():
    assert common.INITIALIZER.problem("orthogonal") is None
    assert "must be" in common.VECTOR_INITIALIZER.problem("orthogonal")
    assert "must name" in common.VECTOR_INITIALIZER.problem(freeze({"class_name": "Orthogonal"}))


def test_the_graph_file_keeps_objects_and_validate_names_a_bad_one():
    g = chain(("Dense", {"units": 2, "kernel_initializer": SCALED, "bias_constraint": "non_neg"}))
    again = graph.loads(graph.dumps(g))
    assert thaw(again.layer(again.outputs[0]).params["kernel_initializer"]) == SCALED
    assert graph.dumps(again) == graph.dumps(g)
    text = graph.dumps(g).replace('"fan_out"', '{"x": 1}')
    report = validate(graph.loads(text))
    assert not report.valid
    (problem,) = report.errors
    assert "kernel_initializer" in problem.message and "plain JSON values" in problem.message
    assert problem.node == g.outputs[0]
