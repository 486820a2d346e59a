"""Whole graphs against Keras: what validate() infers equals the model Keras builds.

The spec conformance tests prove each layer alone; these prove the graph walk:
port order, shared layers (one set of weights), several inputs and outputs.
"""

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.build import build_model
from graph import ModelGraph, load, validate
from tests.graphs import siamese_text

TEMPLATES = sorted(Path(__file__).parents[1].joinpath("resources", "templates").glob("*.json"))


def assert_matches_keras(g: ModelGraph) -> None:
    report = validate(g)
    assert report.valid, report.problems
    model = build_model(g)
    assert model.count_params() == report.total_params
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    assert trainable == report.trainable_params
    assert [tuple(t.shape) for t in model.outputs] == [report.nodes[n].shape for n in g.outputs]
    assert [t.dtype for t in model.outputs] == [report.nodes[n].dtype for n in g.outputs]
    assert len(model.layers) == len(g.layers())
    for layer_id, layer in g.layers():
        first, *others = g.layer_sites(layer_id)
        keras_layer = model.get_layer(layer.name)
        assert keras_layer.count_params() == report.nodes[first].params, layer.name
        if not others and layer.type != "Input":
            assert tuple(keras_layer.output.shape) == report.nodes[first].shape, layer.name


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_match_keras(path):
    assert_matches_keras(load(path))


UNARY = [
    ("Dense", {"units": 6}),
    ("Dense", {"units": 4, "activation": "relu"}),
    ("Dropout", {"rate": 0.3}),
    ("Activation", {"activation": "tanh"}),
    ("LayerNormalization", {}),
    ("BatchNormalization", {}),
    ("RepeatVector", {"n": 3}),
    ("Flatten", {}),
]
BINARY = ["Add", "Subtract", "Multiply", "Concatenate", "Maximum", "Average"]


@st.composite
def random_graphs(draw) -> ModelGraph:
    """Valid random DAGs grown one proposal at a time; invalid proposals are undone."""
    g = ModelGraph("random")
    nodes = [
        g.add_node("Input", params={"shape": [draw(st.sampled_from([4, 6]))]})
        for _ in range(draw(st.integers(1, 3)))
    ]
    for _ in range(draw(st.integers(1, 10))):
        choice = draw(st.integers(0, 9))
        if choice < 5:
            layer_type, params = draw(st.sampled_from(UNARY))
            node = g.add_node(layer_type, params=params)
            g.connect(draw(st.sampled_from(nodes)), node, "input")
        elif choice < 8:
            node = g.add_node(draw(st.sampled_from(BINARY)))
            g.connect(draw(st.sampled_from(nodes)), node, "input_0")
            g.connect(draw(st.sampled_from(nodes)), node, "input_1")
        else:
            shareable = [n for n in nodes if g.layer(n).type == "Dense"]
            if not shareable:
                continue
            node = g.call_again(draw(st.sampled_from(shareable)))
            g.connect(draw(st.sampled_from(nodes)), node, "input")
        g.set_output(node)
        if validate(g).errors:
            g.remove_node(node)
        else:
            g.set_output(node, False)
            nodes.append(node)
    outputs = draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=3, unique=True))
    g.set_outputs(outputs)
    for node in nodes:
        if node not in outputs and not g.out_edges(node) and g.layer(node).type != "Input":
            g.set_output(node)  # keep every layer in the model, as Keras would drop it
    return g


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(g=random_graphs())
def test_random_graphs_match_keras(g):
    assert_matches_keras(g)


def test_shared_embedding_over_two_sequence_lengths_matches_keras():
    assert_matches_keras(siamese_text())


def test_shared_dense_on_other_feature_sizes_fails_in_keras_too():
    from codegen.keras_env import import_keras

    keras = import_keras()
    g = ModelGraph()
    a = g.add_node("Input", params={"shape": [8]})
    b = g.add_node("Input", params={"shape": [5]})
    dense = g.add_node("Dense", params={"units": 3})
    again = g.call_again(dense)
    g.connect(a, dense, "input")
    g.connect(b, again, "input")
    g.set_outputs([dense, again])
    [problem] = validate(g).errors
    assert problem.code == "shared-mismatch"
    layer = keras.layers.Dense(3)
    layer(keras.Input((8,)))
    with pytest.raises(ValueError):
        layer(keras.Input((5,)))
