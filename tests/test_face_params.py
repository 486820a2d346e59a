"""The params a node's face shows after its type (LayerSpec.face_params), on the real
specs: what a reader of Netron or Deep Network Designer sees on a node."""

from __future__ import annotations

import pytest

import graph  # noqa: F401  (registers the specs)
from graph import get_spec


def face(layer_type: str, **params) -> str:
    spec = get_spec(layer_type)
    return spec.face_params(spec.resolve({**spec.initial_params(), **params}))


def test_by_default_the_required_params_then_the_activation_unless_linear():
    assert face("Dense", units=64, activation="relu") == "64 · relu"
    assert face("Dense", units=64) == "64"
    assert face("Dense", units=64, activation="linear") == "64"
    assert face("Dropout", rate=0.5) == "0.5"
    assert face("LSTM", units=16) == "16 · tanh"


def test_an_input_shows_its_dtype_not_its_shape_again():
    """The node's shape row shows (None, 28, 28, 1) already."""
    assert face("Input", shape=(28, 28, 1)) == ""
    assert face("Input", shape=(None, 8), dtype="float32") == ""
    assert face("Input", shape=(20,), dtype="int32") == "int32"


def test_the_activation_layer_shows_its_activation_once():
    assert face("Activation", activation="gelu") == "gelu"


def test_layers_without_telling_params_show_nothing():
    assert face("Flatten") == ""
    assert face("Concatenate") == ""
    assert face("GlobalAveragePooling2D") == ""


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"filters": 32, "kernel_size": 3, "strides": 2}, "32 3x3 /2"),
        ({"filters": 32, "kernel_size": (3, 3)}, "32 3x3"),
        ({"filters": 8, "kernel_size": (1, 5), "strides": (2, 1)}, "8 1x5 /2x1"),
        ({"filters": 16, "kernel_size": 3, "activation": "relu"}, "16 3x3 · relu"),
    ],
)
def test_a_convolution_shows_filters_window_step_and_activation(params, expected):
    assert face("Conv2D", **params) == expected


def test_a_depthwise_convolution_has_no_filters_to_show():
    assert face("DepthwiseConv2D", kernel_size=5, strides=2) == "5x5 /2"


def test_a_pooling_window_shows_its_step_only_when_given():
    assert face("MaxPooling2D") == "2x2"
    assert face("MaxPooling2D", pool_size=3, strides=2) == "3x3 /2"
    assert face("AveragePooling1D", pool_size=4) == "4"


def test_embedding_and_attention_say_what_they_map():
    assert face("Embedding", input_dim=10000, output_dim=64) == "10000→64"
    assert face("MultiHeadAttention", num_heads=4, key_dim=16) == "4 heads × 16"


def test_a_wrapper_shows_the_layer_it_wraps():
    layer = {"type": "GRU", "params": {"units": 8, "activation": "relu"}}
    assert face("Bidirectional", layer=layer) == "GRU 8 · relu"


def test_an_invalid_node_lacking_params_still_has_a_face():
    dense, conv = get_spec("Dense"), get_spec("Conv2D")
    assert dense.face_params({}) == ""
    assert conv.face_params({"kernel_size": 3}) == "3x3"
    assert get_spec("Embedding").face_params({}) == "?→?"
