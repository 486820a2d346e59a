"""keras.applications.ConvNeXtTiny (fresh weights) through every target: its
LayerScale is Keras's own layer class outside keras.layers (codegen/keras_registry.py)
and its residual `x + h` a Keras operation, and each target computes what the
original does, with the original's weights copied in by layer name.

The network is built and imported once for the module (about 10 s on 2 cores); each
target is a test of its own.
"""

from __future__ import annotations

import numpy as np
import pytest

from codegen.build import build_model
from codegen.export import export_onnx, save_keras
from codegen.importer import import_keras_model
from codegen.keras_env import import_keras
from codegen.pysource import to_python
from graph import dumps, loads
from tests import applications
from tests.test_pysource import outputs, run_module

keras = import_keras()

LAYER_SCALE = "keras.src.applications.convnext.LayerScale"


@pytest.fixture(scope="module")
def convnext():
    """(the Keras model, its graph after a save and load, a sample batch)."""
    reference = applications.build("ConvNeXtTiny")
    g, _ = import_keras_model(reference)
    shape = (2, *applications.input_shape("ConvNeXtTiny"))
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    return reference, loads(dumps(g)), x


def with_weights_of(reference, model):
    assert model.count_params() == reference.count_params()
    for layer in reference.layers:
        if layer.weights:
            model.get_layer(layer.name).set_weights(layer.get_weights())
    return model


def assert_computes_as(reference, model, x):
    [expected] = outputs(reference, x)
    [received] = outputs(model, x)
    np.testing.assert_allclose(received, expected, rtol=1e-5, atol=1e-6)


def test_its_layer_scales_become_nodes_of_keras_registry_type(convnext):
    _, g, _ = convnext
    types = [layer.type for _, layer in g.layers()]
    assert types.count(LAYER_SCALE) == 18
    assert "ops.add" in types


def test_build_model(convnext):
    reference, g, x = convnext
    assert_computes_as(reference, with_weights_of(reference, build_model(g)), x)


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_python_source(convnext, style, tmp_path):
    reference, g, x = convnext
    model = run_module(to_python(g, style), tmp_path).build_model()
    assert_computes_as(reference, with_weights_of(reference, model), x)


def test_keras_file_loads_and_imports_again(convnext, tmp_path):
    reference, g, x = convnext
    path = tmp_path / "convnext.keras"
    save_keras(with_weights_of(reference, build_model(g)), path)
    assert_computes_as(reference, keras.saving.load_model(path), x)
    again, _ = import_keras_model(path)
    assert dumps(again) == dumps(g)


@pytest.mark.slow
def test_onnx_matches_keras(convnext, tmp_path):
    reference, g, _ = convnext
    model = with_weights_of(reference, build_model(g))
    report = export_onnx(model, g, tmp_path / "convnext.onnx")
    assert report.ok
