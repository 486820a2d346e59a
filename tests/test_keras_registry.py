"""Layers Keras defines outside keras.layers (ConvNeXt's LayerScale), named in a graph
by module and class, and keras.ops operations without a rule in graph/, both with
Keras's own rules; and what stays refused: classes of any module outside Keras's own,
whose module a graph file or a `.keras` config can never make us import."""

from __future__ import annotations

import json
import sys
import zipfile

import numpy as np
import pytest

from codegen.build import build_model
from codegen.export import export_onnx, save_keras
from codegen.importer import ImportRefused, from_keras, import_keras_model
from codegen.keras_env import import_keras
from codegen.keras_registry import layer_class
from codegen.pysource import to_python
from graph import ModelGraph, dumps, loads, validate
from graph.spec import get_spec
from tests.test_pysource import assert_generated_matches_keras, outputs, sample_inputs

keras = import_keras()
layers = keras.layers
ops = keras.ops

LAYER_SCALE = "keras.src.applications.convnext.LayerScale"


def layer_scale_model():
    from keras.src.applications.convnext import LayerScale

    x = keras.Input((5, 8), name="x")
    h = layers.Dense(8, name="dense")(x)
    return keras.Model(x, layers.Dense(2, name="head")(LayerScale(0.5, 8, name="scale")(h) + x))


def test_a_keras_internal_layer_imports_with_its_module_as_its_type():
    model = layer_scale_model()
    g = loads(dumps(from_keras(model)))
    node = next(n for n in g.node_ids() if g.layer(n).name == "scale")
    assert g.layer(node).type == LAYER_SCALE
    assert g.layer(node).params == {"init_values": 0.5, "projection_dim": 8}
    report = validate(g)
    assert report.nodes[node].shape == tuple(model.get_layer("scale").output.shape)
    assert report.nodes[node].params == model.get_layer("scale").count_params() == 8
    assert get_spec(LAYER_SCALE).title == "LayerScale"  # what the canvas shows


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_a_keras_internal_layer_is_written_by_its_module_path(style, tmp_path):
    g = from_keras(layer_scale_model())
    source = to_python(g, style)
    assert f"{LAYER_SCALE}(" in source
    assert_generated_matches_keras(g, style, tmp_path)


def test_a_keras_internal_layer_goes_to_keras_files_and_onnx(tmp_path):
    model = layer_scale_model()
    g = from_keras(model)
    built = build_model(g)
    built.set_weights(model.get_weights())
    save_keras(built, tmp_path / "m.keras")
    assert dumps(from_keras(tmp_path / "m.keras")) == dumps(g)
    assert export_onnx(built, g, tmp_path / "m.onnx").ok


@pytest.mark.parametrize(
    "layer_type",
    [
        "kgs_planted_module.LayerScale",  # no Keras module at all
        "keras.src.utils.torch_utils.TorchModuleWrapper",  # Keras, but wraps foreign code
        "keras.src.applications.convnext.layers",  # not a class of that module
        "keras.src.applications.convnext.Functional",  # imported there, defined elsewhere
        "keras.src.applications..convnext.LayerScale",
        "keras.src.applications.kgs_planted.LayerScale",
    ],
)
def test_a_graph_file_naming_another_module_gets_no_spec_and_imports_nothing(layer_type):
    before = set(sys.modules)
    assert get_spec(layer_type) is None
    assert layer_class(layer_type) is None
    assert not {m for m in set(sys.modules) - before if "kgs_planted" in m}
    g = ModelGraph()
    x = g.add_node("Input", params={"shape": (4,)})
    node = g.add_node("Dense", params={"units": 4})
    g.connect(x, node, "input")
    g.set_outputs([node])
    text = dumps(g).replace('"Dense"', json.dumps(layer_type))
    report = validate(loads(text))
    assert [p.node for p in report.errors] == [node]
    assert not {m for m in set(sys.modules) - before if "kgs_planted" in m}


def test_a_keras_config_naming_a_module_outside_keras_is_still_refused(tmp_path):
    """The same LayerScale config, its module changed to one of the user's: refused
    before Keras reads it (keras_never_loads is not needed: the module does not exist,
    and the refusal names it)."""
    path = tmp_path / "m.keras"
    layer_scale_model().save(path)
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    config = files["config.json"].decode()
    assert '"module": "keras.src.applications.convnext"' in config
    files["config.json"] = config.replace(
        '"module": "keras.src.applications.convnext"', '"module": "kgs_planted.convnext"'
    ).encode()
    planted = tmp_path / "planted.keras"
    with zipfile.ZipFile(planted, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(
        ImportRefused, match="LayerScale 'scale': a custom class from module 'kgs_planted.convnext'"
    ):
        from_keras(planted)
    assert "kgs_planted" not in json.dumps(sorted(sys.modules))


def test_a_class_claiming_a_keras_module_is_refused_as_the_custom_class_it_is():
    class LayerScale(layers.Layer):
        def call(self, x):
            return x * 2.0

    LayerScale.__module__ = "keras.src.applications.convnext"
    x = keras.Input((3,), name="x")
    with pytest.raises(ImportRefused, match="LayerScale 'fake': a custom class"):
        from_keras(keras.Model(x, LayerScale(name="fake")(x)))


def ops_model():
    """keras.ops calls graph/ has no rule for (clip, where, softmax, cumsum,
    expand_dims), with tensors and constants."""
    x = keras.Input((4, 5), name="x")
    y = keras.Input((4, 5), name="y")
    clipped = ops.clip(x, -0.5, 0.5)
    chosen = ops.where(ops.greater(x, y), clipped, y)
    summed = ops.cumsum(ops.softmax(chosen, axis=1), axis=2)
    return keras.Model([x, y], layers.Dense(3, name="dense")(ops.expand_dims(summed, 1)))


def test_operations_without_a_rule_import_with_keras_shapes():
    model = ops_model()
    g = loads(dumps(from_keras(model)))
    types = {layer.type for _, layer in g.layers()}
    assert {"ops.clip", "ops.where", "ops.softmax", "ops.cumsum", "ops.expand_dims"} <= types
    clip = next(n for n in g.node_ids() if g.layer(n).type == "ops.clip")
    assert g.layer(clip).params == {"x_min": -0.5, "x_max": 0.5}
    report = validate(g)
    assert report.valid, report.errors
    output = next(n for n in g.node_ids() if g.layer(n).name == "dense")
    assert report.nodes[output].shape == tuple(model.output.shape)


def test_operations_without_a_rule_build_and_save_computing_as_keras(tmp_path):
    model = ops_model()
    g = from_keras(model)
    built = build_model(g)
    built.set_weights(model.get_weights())
    data = sample_inputs(g)
    x = [data[n] for n in g.inputs]
    np.testing.assert_allclose(outputs(built, x)[0], outputs(model, x)[0], rtol=1e-6)
    save_keras(built, tmp_path / "ops.keras")
    again, _ = import_keras_model(tmp_path / "ops.keras")
    assert dumps(again) == dumps(g)
    assert export_onnx(built, g, tmp_path / "ops.onnx").ok


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_operations_without_a_rule_are_written_as_keras_ops_calls(style, tmp_path):
    g = from_keras(ops_model())
    source = to_python(g, style)
    assert "keras.ops.clip(" in source and "keras.ops.expand_dims(" in source
    assert_generated_matches_keras(g, style, tmp_path)


def test_an_operation_keras_refuses_is_a_problem_of_its_node():
    g = from_keras(ops_model())
    node = next(n for n in g.node_ids() if g.layer(n).type == "ops.softmax")
    g.set_param(node, "axis", 7)
    report = validate(g)
    assert any(p.node == node for p in report.errors)


def test_a_keras_internal_layer_called_on_a_list_imports_with_a_port_per_tensor(tmp_path):
    """InceptionResNetV2's CustomScaleLayer([x, up]): x + up * scale."""
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

    x = keras.Input((6,), name="x")
    up = layers.Dense(6, name="up")(x)
    model = keras.Model(x, CustomScaleLayer(0.17, name="scaled")([x, up]))
    g = loads(dumps(from_keras(model)))
    node = next(n for n in g.node_ids() if g.layer(n).name == "scaled")
    assert g.layer(node).params == {"scale": 0.17}
    assert sorted(port for port, _ in g.in_edges(node)) == ["input_0", "input_1"]
    for style in ("functional", "subclass"):
        assert_generated_matches_keras(g, style, tmp_path)


def test_an_operand_left_at_its_default_number_is_held_as_that_number():
    """keras.ops.isclose(x, y): its call's rtol and atol take Keras's defaults."""
    x = keras.Input((3,), name="x")
    y = keras.Input((3,), name="y")
    model = keras.Model([x, y], ops.isclose(x, y))
    g = from_keras(model)
    node = next(n for n in g.node_ids() if g.layer(n).type == "ops.isclose")
    assert g.layer(node).params == {"rtol": 1e-05, "atol": 1e-08}
    data = [np.array([[1.0, 2.0, 3.0]], "float32"), np.array([[1.0, 2.1, 3.0]], "float32")]
    assert (outputs(build_model(g), data)[0] == outputs(model, data)[0]).all()


def test_an_operand_left_out_is_refused_naming_it():
    """keras.ops.pad(x, 1) leaves constant_values out: the graph holds a tensor or a
    number in each operand, never nothing."""
    x = keras.Input((3,), name="x")
    y = layers.Dense(2, name="dense")(ops.pad(x, ((0, 0), (1, 1))))
    with pytest.raises(
        ImportRefused, match=r"Pad 'pad(_\d+)?': leaves its operand constant_values out"
    ):
        from_keras(keras.Model(x, y))
