"""Frozen layers: the graph's trainable flag, counted as Keras counts it, kept by the
file, the importer, the build and the generated source."""

from __future__ import annotations

import math

import numpy as np
import pytest

from codegen.build import build_model
from codegen.importer import import_keras_model
from codegen.keras_env import import_keras
from codegen.pysource import to_python
from graph import GraphFileError, ModelGraph, dumps, loads, validate
from graph.summary import format_summary
from tests.blocks_graphs import siamese
from tests.graphs import chain
from tests.test_pysource import run_module

keras = import_keras()


def keras_counts(model) -> tuple[int, int]:
    """(trainable, non-trainable) weight counts, as Keras itself reports them."""

    def count(weights) -> int:
        return sum(math.prod(w.shape) for w in weights)

    return count(model.trainable_weights), count(model.non_trainable_weights)


def mixed() -> ModelGraph:
    """Dense, BatchNormalization, Dense, LayerNormalization, Dense: both weight kinds."""
    return chain(
        ("Dense", {"units": 6}),
        ("BatchNormalization", {}),
        ("Dense", {"units": 5}),
        ("LayerNormalization", {}),
        ("Dense", {"units": 3}),
    )


FROZEN_SETS = [
    (),
    ("dense",),
    ("batch_normalization",),
    ("dense_1", "dense_2", "layer_normalization"),
]


@pytest.mark.parametrize("frozen", FROZEN_SETS)
def test_counts_equal_keras_with_layers_frozen_by_hand(frozen):
    g = mixed()
    model = build_model(g)  # all trainable; Keras is then told which to freeze
    ids = {g.layer(n).name: n for n in g.node_ids()}
    for name in frozen:
        model.get_layer(name).trainable = False
        g.set_trainable(ids[name], False)
    report = validate(g)
    assert (report.trainable_params, report.non_trainable_params) == keras_counts(model)
    assert keras_counts(build_model(g)) == keras_counts(model)
    summary = format_summary(g, report)
    for name in frozen:
        assert f"{name} ({g.layer(ids[name]).type}, frozen)" in summary
    assert f"Trainable params: {keras_counts(model)[0]:,}" in summary
    assert f"Non-trainable params: {keras_counts(model)[1]:,}" in summary


def test_block_uses_and_layers_in_bodies_freeze_as_keras_counts():
    g, ids = siamese()
    body = g.blocks.body("encoder")
    body.set_trainable(next(n for n in body.node_ids() if body.layer(n).name == "dense_1"), False)
    report = validate(g)
    assert report.non_trainable_params == (32 * 4 + 4) + (8 * 4 + 4)  # in enc and enc_c
    assert (report.trainable_params, report.non_trainable_params) == keras_counts(build_model(g))
    g.set_trainable(ids["enc_c"], False)
    report = validate(g)
    assert (report.trainable_params, report.non_trainable_params) == keras_counts(build_model(g))


def test_the_incremental_count_after_a_toggle_equals_a_cold_one():
    g = mixed()
    validate(g)
    node = g.node_ids()[1]
    changed = []
    g.events.layer_changed.connect(changed.append)
    g.set_trainable(node, False)
    assert changed == [(node,)]
    warm = validate(g)
    cold = validate(loads(dumps(g)))
    assert (warm.trainable_params, warm.non_trainable_params) == (
        cold.trainable_params,
        cold.non_trainable_params,
    )
    assert warm.non_trainable_params == 8 * 6 + 6 + 2 * 6  # the Dense, and BN moving stats
    g.set_trainable(node, True)
    assert validate(g).non_trainable_params == 2 * 6  # the moving mean and variance


def test_frozen_batch_normalization_runs_in_inference_mode():
    g = chain(("BatchNormalization", {}), input_shape=(4,))
    g.set_trainable(g.node_ids()[1], False)
    model = build_model(g)
    layer = model.layers[-1]
    layer.set_weights([np.full(4, 2.0), np.full(4, 1.0), np.full(4, 3.0), np.full(4, 4.0)])
    x = np.random.default_rng(0).standard_normal((8, 4)).astype("float32")
    trained = keras.ops.convert_to_numpy(model(x, training=True))
    inferred = keras.ops.convert_to_numpy(model(x, training=False))
    np.testing.assert_array_equal(trained, inferred)


def test_frozen_flags_round_trip_and_old_files_load_trainable():
    g = mixed()
    old_text = dumps(g)
    assert '"version": 1' in old_text and "trainable" not in old_text
    assert all(layer.trainable for _, layer in loads(old_text).layers())
    node = g.node_ids()[2]
    g.set_trainable(node, False)
    text = dumps(g)
    assert '"version": 3' in text and '"trainable": false' in text
    again = loads(text)
    assert [layer.trainable for _, layer in again.layers()] == [
        layer.trainable for _, layer in g.layers()
    ]
    assert dumps(again) == text


def test_a_trainable_flag_that_is_not_a_boolean_names_the_field():
    text = dumps(chain(("Dense", {"units": 2}))).replace(
        '"name": "dense"', '"name": "dense", "trainable": "no"'
    )
    with pytest.raises(GraphFileError, match=r"nodes\[1\]\.trainable: must be true or false"):
        loads(text, "g.graph.json")


def test_import_keeps_frozen_layers_and_frozen_nested_models():
    x = keras.Input((8,), name="x")
    inner_in = keras.Input((8,))
    base = keras.Model(inner_in, keras.layers.Dense(4, name="base_dense")(inner_in), name="base")
    base.trainable = False
    head = keras.layers.Dense(2, name="head")
    head_frozen = keras.layers.Dense(2, name="frozen")
    head_frozen.trainable = False
    y = keras.layers.Concatenate()([head(base(x)), head_frozen(x)])
    model = keras.Model(x, y)
    g, notes = import_keras_model(model, flatten=True)
    assert notes == []
    flags = {layer.name: layer.trainable for _, layer in g.layers()}
    assert flags["base_dense"] is False and flags["frozen"] is False and flags["head"] is True
    report = validate(g)
    assert (report.trainable_params, report.non_trainable_params) == keras_counts(model)

    g, notes = import_keras_model(model)  # the nested model as a block use, frozen whole
    flags = {layer.name: layer.trainable for _, layer in g.layers()}
    assert flags["base"] is False and flags["frozen"] is False and flags["head"] is True
    (body,) = (g.blocks.body(name) for name in g.blocks.names())
    assert [layer.trainable for _, layer in body.layers() if layer.name == "base_dense"] == [False]
    report = validate(g)
    assert (report.trainable_params, report.non_trainable_params) == keras_counts(model)
    rebuilt = build_model(g)
    assert rebuilt.get_layer("base").trainable is False
    assert keras_counts(rebuilt) == keras_counts(model)


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_generated_source_freezes_the_same_layers(style, tmp_path):
    g = mixed()
    g.set_trainable(g.node_ids()[2], False)
    source = to_python(g, style)
    assert "trainable=False" in source
    model = run_module(source, tmp_path).build_model()
    assert keras_counts(model) == keras_counts(build_model(g))
