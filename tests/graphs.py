"""Small graphs that tests build on, made through ModelGraph's public API."""

from __future__ import annotations

from graph import ModelGraph


def wire(g: ModelGraph, *edges: tuple[str, str, str]) -> None:
    """Connect each (source, destination, port)."""
    for src, dst, port in edges:
        g.connect(src, dst, port)


def chain(*layers: tuple[str, dict], input_shape=(8,), name: str = "model") -> ModelGraph:
    """Input -> layer -> layer ... with the last one marked as output."""
    g = ModelGraph(name)
    prev = g.add_node("Input", params={"shape": list(input_shape)})
    for layer_type, params in layers:
        node = g.add_node(layer_type, params=params)
        g.connect(prev, node, "input")
        prev = node
    g.set_output(prev)
    return g


def shared_dense(width: int = 8, units: int = 4) -> tuple[ModelGraph, list[str]]:
    """Two Inputs, each through one shared Dense (two call sites), both call sites outputs.

    Returns the graph and its node ids: [input_a, input_b, dense, dense call 2].
    """
    g = ModelGraph("shared")
    a = g.add_node("Input", params={"shape": [width]})
    b = g.add_node("Input", params={"shape": [width]})
    dense = g.add_node("Dense", params={"units": units})
    again = g.call_again(dense)
    g.connect(a, dense, "input")
    g.connect(b, again, "input")
    g.set_outputs([dense, again])
    return g, [a, b, dense, again]


def residual(
    blocks: int, width: int = 16, dense: dict | None = None, name: str = "residual"
) -> ModelGraph:
    """Input, then `blocks` times Dense + Add(previous, dense): 2 * blocks + 1 nodes.

    The Dense layers have `width` units and the params in `dense` (default: relu).
    """
    g = ModelGraph(name)
    prev = g.add_node("Input", params={"shape": [width]})
    dense_params = {"units": width, **(dense or {"activation": "relu"})}
    for _ in range(blocks):
        dense_node = g.add_node("Dense", params=dense_params)
        add = g.add_node("Add")
        wire(g, (prev, dense_node, "input"), (prev, add, "input_0"), (dense_node, add, "input_1"))
        prev = add
    g.set_output(prev)
    return g


def siamese_text() -> ModelGraph:
    """A shared Embedding and a shared pooling over two integer inputs of other lengths."""
    g = ModelGraph("siamese_text")
    left = g.add_node("Input", params={"shape": [10], "dtype": "int32"})
    right = g.add_node("Input", params={"shape": [7], "dtype": "int32"})
    embed = g.add_node("Embedding", params={"input_dim": 20, "output_dim": 4})
    embed_again = g.call_again(embed)
    pool = g.add_node("GlobalAveragePooling1D")
    pool_again = g.call_again(pool)
    distance = g.add_node("Subtract")
    wire(
        g,
        (left, embed, "input"),
        (right, embed_again, "input"),
        (embed, pool, "input"),
        (embed_again, pool_again, "input"),
        (pool, distance, "input_0"),
        (pool_again, distance, "input_1"),
    )
    g.set_output(distance)
    return g


def bounded_residual(blocks: int, width: int = 8) -> ModelGraph:
    """Input, then `blocks` times x + tanh(Dense(x)) with a zero kernel and random
    biases: 2 * blocks + 1 nodes whose output is the input plus a random offset per
    block. Its Jacobian is the identity, so float rounding cannot grow with depth and
    output comparisons (ONNX parity) mean something at 2,000 layers, while every
    block's weights still count. Random residual nets do not allow that: relu ones
    overflow after a few hundred blocks, tanh or normalised ones turn chaotic (a 1e-7
    rounding difference grows past 1e-4)."""
    dense = {
        "activation": "tanh",
        "kernel_initializer": "zeros",
        "bias_initializer": "random_normal",
    }
    return residual(blocks, width, dense, name="bounded_residual")
