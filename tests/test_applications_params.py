"""Every keras.applications network keeps every layer's whole config through the graph:
import -> graph (and its file) -> build gives layers whose get_config() equals the
original's, initializers, regularizers and constraints with arguments included.

Each architecture is built once (tests/applications.py: fresh weights, its smallest
input, a 10-class head); get_config() is compared whole, names and dtype policies
included. Those that cannot become a graph are listed with the reason the importer
must give.
"""

import pytest

from codegen.build import build_model
from codegen.importer import ImportRefused, import_keras_model
from graph import dumps, loads, validate
from tests import applications
from tests.test_importer import assert_same_model, leaf_layers

#: The smallest architecture of each family, run by default. The others (the same
#: layer kinds, more of them, wider) are marked slow: all of ALL takes minutes.
REPRESENTATIVE = {
    "ConvNeXtTiny",
    "DenseNet121",
    "EfficientNetB0",
    "EfficientNetV2B0",
    "InceptionResNetV2",
    "InceptionV3",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Large",
    "MobileNetV3Small",
    "NASNetLarge",
    "ResNet50",
    "ResNet50V2",
    "VGG16",
    "Xception",
}


@pytest.mark.parametrize(
    "name",
    [
        n if n in REPRESENTATIVE else pytest.param(n, marks=pytest.mark.slow)
        for n in applications.ALL
    ],
)
def test_every_layer_keeps_its_whole_config(name):
    model = applications.build(name)
    if name in applications.CUSTOM_LAYERS:
        with pytest.raises(
            ImportRefused, match=f"{applications.CUSTOM_LAYERS[name]} .*a custom class"
        ):
            import_keras_model(model)
        return
    g, _ = import_keras_model(model)
    rebuilt = leaf_layers(build_model(loads(dumps(g))))
    differing = []
    for layer_name, layer in leaf_layers(model).items():
        expected, received = layer.get_config(), rebuilt[layer_name].get_config()
        if expected != received:
            keys = sorted(k for k in {*expected, *received} if expected.get(k) != received.get(k))
            differing.append(f"{layer_name}: {keys}")
    assert differing == [], f"{len(differing)} layers differ: {differing[:5]}"


@pytest.mark.parametrize("name", ["MobileNetV3Small", "MobileNetV3Large"])
def test_mobilenet_v3_imports_with_the_shapes_and_weights_of_keras(name):
    """Its hard swish is an activation by name, and its hard sigmoid's `x + 3.0` and
    `* (1 / 6)` are operation nodes (see codegen.import_ops)."""
    model = applications.build(name)
    g, _ = import_keras_model(model)
    report = validate(g)
    assert report.valid, report.errors
    node_of = {g.layer(n).name: n for n in g.node_ids()}
    for layer in leaf_layers(model).values():
        node = report.nodes[node_of[layer.name]]
        assert node.shape == tuple(layer.output.shape), layer.name
        assert node.params == layer.count_params(), layer.name
    activations = {layer.params.get("activation") for _, layer in g.layers()}
    assert "hard_silu" in activations  # Keras's config names hard_swish by its function
    assert_same_model(model, g)
