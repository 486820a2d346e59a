"""Write the two bundled templates made of blocks: a small transformer of encoder-block
uses and a ResNet-style model of stages of residual blocks.

    PYTHONPATH=$PWD .venv/bin/python scripts/make_block_templates.py

Each graph and each block body is laid out left to right by codegen.layout, so the
files read like the other templates when opened or entered.
"""

from __future__ import annotations

from pathlib import Path

from codegen.layout import layered_layout
from graph import ModelGraph, save
from graph.blocks import block_param

TEMPLATES = Path(__file__).resolve().parents[1] / "resources" / "templates"
REF = "$param"


def _chain(g: ModelGraph, first: str, *steps: tuple[str, str, dict]) -> str:
    """Nodes (type, name, params) each fed by the one before, from `first`."""
    last = first
    for layer_type, name, params in steps:
        node = g.add_node(layer_type, name=name, params=params, node_id=name)
        g.connect(last, node, g.spec(node).ports.names[0])
        last = node
    return last


def _add(g: ModelGraph, name: str, a: str, b: str) -> str:
    node = g.add_node("Add", name=name, node_id=name)
    g.connect(a, node, "input_0")
    g.connect(b, node, "input_1")
    return node


def _lay_out(g: ModelGraph) -> None:
    for node_id, pos in layered_layout(g, "LR").items():
        g.move(node_id, pos)


def small_transformer() -> ModelGraph:
    """Tokens -> embedding -> 4 uses of encoder_block -> pooled -> a sigmoid."""
    g = ModelGraph("small_transformer")
    block = g.define_block(
        "encoder_block",
        [
            block_param("width", "int", 32),
            block_param("heads", "int", 2),
            block_param("key_dim", "int", 16),
            block_param("ff_units", "int", 64),
        ],
    )
    x = block.add_node("Input", name="x", params={"shape": [64, 32]}, node_id="x")
    mha = block.add_node(
        "MultiHeadAttention",
        name="attention",
        params={"num_heads": {REF: "heads"}, "key_dim": {REF: "key_dim"}},
        node_id="attention",
    )
    for port in ("query", "value", "key"):
        block.connect(x, mha, port)
    norm_1 = _chain(
        block, _add(block, "add_attention", x, mha), ("LayerNormalization", "norm_1", {})
    )
    ff = _chain(
        block,
        norm_1,
        ("Dense", "feed_forward_1", {"units": {REF: "ff_units"}, "activation": "relu"}),
        ("Dense", "feed_forward_2", {"units": {REF: "width"}}),
    )
    out = _chain(
        block, _add(block, "add_feed_forward", norm_1, ff), ("LayerNormalization", "norm_2", {})
    )
    block.set_outputs([out])
    _lay_out(block)

    tokens = g.add_node(
        "Input", name="tokens", params={"dtype": "int32", "shape": [64]}, node_id="tokens"
    )
    uses = [("encoder_block", f"encoder_{i}", {"heads": 2, "ff_units": 64}) for i in range(1, 5)]
    last = _chain(
        g, tokens, ("Embedding", "embedding", {"input_dim": 5000, "output_dim": 32}), *uses
    )
    last = _chain(
        g,
        last,
        ("GlobalAveragePooling1D", "pool", {}),
        ("Dropout", "dropout", {"rate": 0.5}),
        ("Dense", "positive", {"units": 1, "activation": "sigmoid"}),
    )
    g.set_outputs([last])
    _lay_out(g)
    return g


def _conv(stem: str, kernel: int, strides: int, **extra) -> tuple[str, str, dict]:
    params = {"filters": {REF: "filters"}, "kernel_size": [kernel, kernel]}
    params.update(extra, strides=[strides, strides], use_bias=False)
    return ("Conv2D", stem, params)


def _residual(g: ModelGraph, name: str, downsample: bool) -> None:
    """Two 3x3 convolutions and a skip; `downsample`: stride 2, a 1x1 projection skip.

    Nodes are added in the order Keras's Functional model holds its layers (by depth),
    so the subclass source's layer, made in that order, keeps its weights in the same
    order as the functional one."""
    body = g.define_block(name, [block_param("filters", "int", 16)])
    x = body.add_node("Input", name="x", params={"shape": [28, 28, 16]}, node_id="x")
    strides = 2 if downsample else 1
    first = _chain(
        body,
        x,
        _conv("conv_1_conv", 3, strides, padding="same"),
        ("BatchNormalization", "conv_1_bn", {}),
        ("Activation", "relu_1", {"activation": "relu"}),
    )
    skip = _chain(body, x, _conv("projection", 1, 2)) if downsample else x
    second = _chain(body, first, _conv("conv_2_conv", 3, 1, padding="same"))
    if downsample:
        skip = _chain(body, skip, ("BatchNormalization", "projection_bn", {}))
    second = _chain(body, second, ("BatchNormalization", "conv_2_bn", {}))
    out = _chain(
        body, _add(body, "add", skip, second), ("Activation", "relu_out", {"activation": "relu"})
    )
    body.set_outputs([out])
    _lay_out(body)


def resnet_stages() -> ModelGraph:
    """Digits -> a stem -> three stages of residual blocks (16, 32, 64 filters) -> softmax."""
    g = ModelGraph("resnet_stages")
    _residual(g, "residual_block", downsample=False)
    _residual(g, "downsample_block", downsample=True)
    image = g.add_node("Input", name="image", params={"shape": [28, 28, 1]}, node_id="image")
    last = _chain(
        g,
        image,
        (
            "Conv2D",
            "stem_conv",
            {"filters": 16, "kernel_size": [3, 3], "padding": "same", "use_bias": False},
        ),
        ("BatchNormalization", "stem_bn", {}),
        ("Activation", "stem_relu", {"activation": "relu"}),
        ("residual_block", "stage_1_block_1", {"filters": 16}),
        ("residual_block", "stage_1_block_2", {"filters": 16}),
        ("downsample_block", "stage_2_block_1", {"filters": 32}),
        ("residual_block", "stage_2_block_2", {"filters": 32}),
        ("downsample_block", "stage_3_block_1", {"filters": 64}),
        ("residual_block", "stage_3_block_2", {"filters": 64}),
        ("GlobalAveragePooling2D", "pool", {}),
        ("Dense", "digit", {"units": 10, "activation": "softmax"}),
    )
    g.set_outputs([last])
    _lay_out(g)
    return g


if __name__ == "__main__":
    for make in (small_transformer, resnet_stages):
        g = make()
        path = TEMPLATES / f"{g.name}.graph.json"
        save(g, path)
        print(f"wrote {path}")
