"""Grouping by name scope against Keras: keras.applications' ResNet50, grouped, is a
stem, 16 uses of two definitions and a head, and builds to the flat model's parameter
count and outputs (the weights copied layer by layer, by the names grouping reports)."""

import numpy as np
import pytest

from codegen.build import build_model
from codegen.importer import import_keras_model
from codegen.keras_env import import_keras
from codegen.layout import ROW
from graph import dumps, loads, validate
from graph.grouping import group_by_names

keras = import_keras()

STEM = [
    "conv1_pad",
    "conv1_conv",
    "conv1_bn",
    "conv1_relu",
    "pool1_pad",
    "pool1_pool",
]
STAGES = {"conv2": 3, "conv3": 4, "conv4": 6, "conv5": 3}


@pytest.fixture(scope="module")
def resnet():
    """ResNet50 (weights=None; small images and 10 classes keep it quick: the layers
    and their names are those of the default), flat and grouped."""
    model = keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3), classes=10)
    flat, _ = import_keras_model(model)
    grouped, _ = import_keras_model(model)
    return model, flat, grouped, group_by_names(grouped)


def test_resnet50_is_a_stem_16_block_uses_of_two_definitions_and_a_head(resnet):
    _, flat, g, grouping = resnet
    names = [g.layer(n).name for n in g.node_ids() if not g.is_input(n)]
    uses = [f"{stage}_block{i}" for stage, count in STAGES.items() for i in range(1, count + 1)]
    assert names == [*STEM, *uses, "avg_pool", "predictions"]
    assert [use.node for use in grouping.uses] == uses
    assert g.blocks.names() == ["conv_block1", "conv_block"]
    blocks = ["conv_block1" if use.endswith("block1") else "conv_block" for use in uses]
    assert [g.layer(n).type for n in g.node_ids()][len(STEM) + 1 : -2] == blocks
    first = g.blocks.body("conv_block1")
    assert [p.name for p in first.parameters] == ["filters", "strides", "filters_2"]
    assert dict(g.layer("conv3_block1").params) == {"filters": 128, "strides": 2, "filters_2": 512}
    assert dict(g.layer("conv4_block3").params) == {"filters": 256, "filters_2": 1024}
    assert len(flat) == len(g) - 16 + sum(len(use.members) for use in grouping.uses)
    assert grouping.summary() == (
        "grouped 168 layers into 16 uses of 2 blocks: conv_block1 (4 uses), conv_block (12 uses)"
    )


def assert_builds_like(model, g, grouping) -> None:
    """`g` validates and builds to `model`'s parameter count and, with each layer's
    weights copied from the layer of `model` it was (by grouping's names), its outputs."""
    report = validate(g)
    assert report.valid, report.errors
    assert report.total_params == model.count_params()
    rebuilt = build_model(g)
    assert rebuilt.count_params() == model.count_params()
    members = {use.node: use.members for use in grouping.uses}
    for layer in rebuilt.layers:
        if layer.name in members:
            assert isinstance(layer, keras.Model)
            for inner in layer.layers:
                if not isinstance(inner, keras.layers.InputLayer):
                    original = model.get_layer(members[layer.name][inner.name])
                    inner.set_weights(original.get_weights())
        else:
            layer.set_weights(model.get_layer(layer.name).get_weights())
    shape = tuple(model.inputs[0].shape[1:])
    x = np.random.default_rng(0).random((2, *shape)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(rebuilt(x)), keras.ops.convert_to_numpy(model(x)), atol=1e-5
    )


def test_grouped_resnet50_builds_to_the_flat_models_params_and_outputs(resnet):
    model, flat, g, grouping = resnet
    assert validate(flat).total_params == model.count_params()
    assert_builds_like(model, g, grouping)


@pytest.mark.parametrize("name", ["MobileNetV2", "EfficientNetB0"])
def test_other_applications_group_and_build_alike(name):
    """Their blocks differ in more numbers (kernel sizes, paddings, dropout rates)."""
    model = getattr(keras.applications, name)(weights=None, input_shape=(32, 32, 3), classes=10)
    g, _ = import_keras_model(model)
    grouping = group_by_names(g)
    assert len(grouping.uses) == 17 and len(g) == 26
    assert_builds_like(model, g, grouping)


def test_the_grouped_graph_survives_its_file(resnet):
    _, _, g, _ = resnet
    again = loads(dumps(g))
    assert dumps(again) == dumps(g)
    assert validate(again).total_params == validate(g).total_params


def test_import_groups_by_names_when_asked():
    model = keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3), classes=10)
    g, _ = import_keras_model(model, group_by_names=True)
    assert len(g) == 25
    assert g.blocks.names() == ["conv_block1", "conv_block"]
    for graph in [g, *(g.blocks.body(n) for n in g.blocks.names())]:
        for src, dst, _ in graph.edges():  # to the right, or on to a later row
            (x0, y0), (x1, y1) = graph.node(src).pos, graph.node(dst).pos
            assert x1 > x0 or y1 > y0 + ROW
