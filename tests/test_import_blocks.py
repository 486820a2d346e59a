"""Nested Keras models imported as blocks: import -> build_model gives the original's
structure (sub-models by name), parameter counts and outputs (weights copied by name),
a model called twice is one use called again, and `flatten` keeps the flat import."""

import numpy as np
import pytest

from codegen.build import build_model
from codegen.importer import import_keras_model
from codegen.keras_env import import_keras
from graph import dumps, loads, validate

keras = import_keras()
layers = keras.layers

RNG = np.random.default_rng(3)


def structure(model) -> list:
    """Each layer's name and kind ('model' for a nested one, with its own structure),
    Input layers left out (a Sequential lists none)."""
    return [
        (layer.name, "model", structure(layer))
        if isinstance(layer, keras.Model)
        else (layer.name, type(layer).__name__)
        for layer in model.layers
        if not isinstance(layer, layers.InputLayer)
    ]


def assert_round_trip(model, g) -> object:
    """`g` validates and builds to `model`'s structure and weight count and, with the
    weights of each top-level layer copied by name, its outputs; returns the build."""
    report = validate(g)
    assert report.valid, report.errors
    rebuilt = build_model(g)
    assert structure(rebuilt) == structure(model)
    assert rebuilt.count_params() == model.count_params() == report.total_params
    for layer in rebuilt.layers:
        layer.set_weights(model.get_layer(layer.name).get_weights())
    x = [RNG.random((3, *t.shape[1:])).astype("float32") for t in model.inputs]
    x = x if len(x) > 1 else x[0]
    expected, received = keras.tree.flatten(model(x)), keras.tree.flatten(rebuilt(x))
    assert len(expected) == len(received)
    for a, b in zip(expected, received, strict=True):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), atol=1e-6
        )
    return rebuilt


def mlp(name: str, width: int = 8) -> object:
    return keras.Sequential(
        [keras.Input((width,)), layers.Dense(6, name="hidden"), layers.Dense(width, name="out")],
        name=name,
    )


def test_a_nested_sequential_becomes_a_block_and_one_use():
    block = mlp("block")
    x = keras.Input((8,), name="x")
    model = keras.Model(x, layers.Dense(4, name="dense")(block(x)), name="outer")
    g, notes = import_keras_model(model)
    assert g.blocks.names() == ["block"]
    assert [(g.layer(n).type, g.layer(n).name) for n in g.node_ids()] == [
        ("Input", "x"),
        ("block", "block"),
        ("Dense", "dense"),
    ]
    body = g.blocks.body("block")
    # The Sequential's Input is named by Keras's global counter (input_layer, _1, ...).
    inner = block.layers[0]._inbound_nodes[0].input_tensors[0]._keras_history.operation.name
    assert [body.layer(n).name for n in body.node_ids()] == [inner, "hidden", "out"]
    assert not notes
    assert_round_trip(model, g)


def test_a_sub_model_called_twice_is_one_use_called_again():
    inner = keras.Input((5,), name="x")
    encoder = keras.Model(inner, layers.Dense(3, name="code")(inner), name="encoder")
    a, b = keras.Input((5,), name="a"), keras.Input((5,), name="b")
    model = keras.Model([a, b], layers.Subtract(name="difference")([encoder(a), encoder(b)]))
    g, _ = import_keras_model(model)
    first, again = g.call_sites("encoder")
    assert [g.layer(src).name for _, src in g.in_edges(again)] == ["b"]
    assert g.spec(first).ports.names == ("x",)
    rebuilt = assert_round_trip(model, g)
    # one nested model, one set of weights, called twice
    assert len(rebuilt.get_layer("encoder")._inbound_nodes) == 2
    assert rebuilt.count_params() == 5 * 3 + 3


def test_a_sequential_inside_a_functional_inside_the_model_nests_twice():
    x = keras.Input((8,), name="x")
    stage = keras.Model(x, layers.ReLU(name="act")(mlp("inner")(x)), name="stage")
    top = keras.Input((8,), name="features")
    model = keras.Model(top, layers.Dense(2, name="head")(stage(top)), name="nested")
    g, _ = import_keras_model(model)
    assert g.blocks.names() == ["inner", "stage"]
    stage_body = g.blocks.body("stage")
    assert [stage_body.layer(n).type for n in stage_body.node_ids()] == ["Input", "inner", "ReLU"]
    assert_round_trip(model, g)


def test_sub_models_of_one_structure_share_a_definition_with_their_own_weights():
    x = keras.Input((8,), name="x")
    first, second = mlp("first"), mlp("second")
    model = keras.Model(x, second(first(x)))
    g, notes = import_keras_model(model)
    assert g.blocks.names() == ["first"]
    assert [g.layer(n).type for n in g.node_ids()] == ["Input", "first", "first"]
    assert [g.layer(n).name for n in g.node_ids()] == ["x", "first", "second"]
    assert any("Sequential 'second': has the structure of block 'first'" in n for n in notes)
    rebuilt = build_model(g)
    assert rebuilt.count_params() == model.count_params() == 2 * (8 * 6 + 6 + 6 * 8 + 8)
    for name in ("first", "second"):
        rebuilt.get_layer(name).set_weights(model.get_layer(name).get_weights())
    sample = RNG.random((3, 8)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(rebuilt(sample)),
        keras.ops.convert_to_numpy(model(sample)),
        atol=1e-6,
    )


def test_different_params_make_different_definitions():
    small = keras.Sequential([keras.Input((8,)), layers.Dense(5, name="hidden")], name="small")
    y = keras.Input((8,), name="y")
    model = keras.Model(y, small(mlp("big")(y)))
    g, _ = import_keras_model(model)
    assert g.blocks.names() == ["big", "small"]
    assert_round_trip(model, g)


def test_a_sub_model_with_two_outputs_feeds_edges_from_each():
    x = keras.Input((8,), name="x")
    hidden = layers.Dense(6, name="hidden")(x)
    pair = keras.Model(x, [layers.Dense(2, name="first")(hidden), hidden], name="pair")
    top = keras.Input((8,), name="top")
    low, high = pair(top)
    model = keras.Model(top, layers.Concatenate(name="cat")([high, low]))
    g, _ = import_keras_model(model)
    use = g.call_sites("pair")[0]
    assert [(dst, port, g.edge_output(use, dst, port)) for dst, port in g.out_edges(use)] == [
        ("cat", "input_0", 1),
        ("cat", "input_1", 0),
    ]
    assert_round_trip(model, g)


def test_a_sub_model_whose_layer_is_called_outside_it_is_flattened_with_a_note():
    shared = layers.Dense(8, name="shared")
    x = keras.Input((8,), name="x")
    inner = keras.Model(x, shared(x), name="inner")
    top = keras.Input((8,), name="top")
    model = keras.Model(top, shared(inner(top)))
    g, notes = import_keras_model(model)
    assert not g.blocks.names()
    assert [g.layer(n).type for n in g.node_ids()] == ["Input", "Dense", "Dense"]
    assert len(g.layers()) == 2  # the Dense is one layer called twice
    assert any("Functional 'inner': flattened" in n for n in notes), notes
    assert build_model(g).count_params() == model.count_params()


def test_flatten_keeps_the_flat_import():
    block = mlp("block")
    x = keras.Input((8,), name="x")
    model = keras.Model(x, layers.Dense(4, name="dense")(block(x)))
    g, _ = import_keras_model(model, flatten=True)
    assert not g.blocks.names()
    assert [g.layer(n).name for n in g.node_ids()] == ["x", "hidden", "out", "dense"]


def test_the_imported_blocks_survive_the_file_and_a_saved_keras_model(tmp_path):
    inner = keras.Input((5,), name="x")
    encoder = keras.Model(inner, layers.Dense(3, name="code")(inner), name="encoder")
    a, b = keras.Input((5,), name="a"), keras.Input((5,), name="b")
    model = keras.Model([a, b], layers.Concatenate(name="cat")([encoder(a), encoder(b)]))
    path = tmp_path / "siamese.keras"
    model.save(path)
    g, _ = import_keras_model(path)
    again = loads(dumps(g))
    assert dumps(again) == dumps(g)
    assert again.blocks.names() == ["encoder"]
    assert_round_trip(model, again)


@pytest.mark.parametrize("flatten", [False, True])
def test_every_node_of_every_body_is_placed_left_to_right(flatten):
    x = keras.Input((8,), name="x")
    model = keras.Model(x, mlp("block")(x))
    g, _ = import_keras_model(model, flatten=flatten)
    for graph in [g, *(g.blocks.body(n) for n in g.blocks.names())]:
        for src, dst, _ in graph.edges():
            assert graph.node(dst).pos[0] > graph.node(src).pos[0]


def test_a_sub_model_whose_later_output_is_a_model_output_is_flattened_with_a_note():
    x = keras.Input((8,), name="x")
    hidden = layers.Dense(6, name="hidden")(x)
    pair = keras.Model(x, [layers.Dense(2, name="first")(hidden), hidden], name="pair")
    top = keras.Input((8,), name="top")
    model = keras.Model(top, pair(top))
    g, notes = import_keras_model(model)
    assert not g.blocks.names()
    assert [g.layer(n).name for n in g.outputs] == ["first", "hidden"]
    assert any("Functional 'pair': flattened: its output 2 is an output of" in n for n in notes)
    assert build_model(g).count_params() == model.count_params()
