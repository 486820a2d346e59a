"""Attention layers: MultiHeadAttention and Attention (dot-product, Luong-style).

Both take a query, a value and an optional key (the value by default). Keras builds
MultiHeadAttention from EinsumDense projections whose kernels depend on the last axis
of each input, so its weights are counted from them; Attention has at most two
scalar weights and accepts inputs of any shape when called symbolically.
"""

from __future__ import annotations

from graph.errors import ShapeError
from graph.layers.common import use_bias, weight_params
from graph.params import Axes, Bool, Choice, Float, Int, IntTuple, Optional, Param
from graph.shapes import Shape, fmt
from graph.spec import LayerSpec, Ports, Saved, register

_QVK = ("query", "value", "key")


def _product(values: tuple[int, ...]) -> int:
    n = 1
    for v in values:
        n *= v
    return n


def _output_dims(p) -> tuple[int, ...] | None:
    """MultiHeadAttention's output_shape as a tuple; None (or empty): the query's last axis."""
    out = p["output_shape"]
    if not out:
        return None
    return out if isinstance(out, tuple) else (out,)


def _projection(shape: Shape, contracted: int, dims: tuple[int, ...], bias: bool) -> int:
    """Weights of one of MultiHeadAttention's EinsumDense projections.

    `shape` is the shape of the input whose non-feature axes stay free, `contracted` the
    size of the axes summed over, `dims` the axes produced. With no free axis (a rank-1
    input: the batch axis alone), Keras's EinsumDense reads the produced axes shifted by
    one: the batch size, then all of `dims` but the last.
    """
    if len(shape) == 1:
        dims = (shape[0], *dims[:-1])
    size = _product(dims)
    return contracted * size + (size if bias else 0)


def _dropout(what: str) -> Param:
    return Param("dropout", Float(0, 1), 0.0, f"Fraction of the {what} dropped while training.")


@register
class MultiHeadAttention(LayerSpec):
    """Multi-head attention: num_heads scaled dot-product attentions of query over key/value."""

    type = "MultiHeadAttention"
    category = "Attention"
    ports = Ports.fixed(_QVK, required=2)
    call_style = "kwargs"
    params = (
        Param("num_heads", Int(min=1), help="Number of attention heads.", initial=4),
        Param("key_dim", Int(min=1), help="Size of each head for query and key.", initial=32),
        Param(
            "value_dim",
            Optional(Int(min=1)),
            None,
            "Size of each head for value; None means key_dim.",
        ),
        _dropout("attention scores"),
        use_bias(),
        Param(
            "output_shape",
            Optional(IntTuple(scalar=True)),
            None,
            "Shape of the output without the batch and query axes; None (or empty) means "
            "the query's last axis.",
        ),
        Param(
            "attention_axes",
            Optional(Axes()),
            None,
            "Axes attention is applied over; None means every axis but batch, heads and features.",
        ),
        Param(
            "sliding_window",
            Optional(Int(min=1)),
            None,
            "Attend only to keys fewer than this many positions away; None: no limit.",
        ),
        *weight_params(),
        Param(
            "use_gate",
            Bool(),
            False,
            "Gate the attention output with a sigmoid projection of the query.",
        ),
    )

    def face_params(self, p):
        """ "4 heads × 16": the heads and each one's size for query and key."""
        return f"{p.get('num_heads', '?')} heads × {p.get('key_dim', '?')}"

    @staticmethod
    def _key(shapes):
        return shapes[2] if len(shapes) > 2 else shapes[1]

    def output_shape(self, shapes, p):
        query, value = shapes[0], shapes[1]
        key = self._key(shapes)
        if value[1:-1] != key[1:-1]:
            raise ShapeError(
                "expects `value` and `key` to have equal dimensions on every axis but the "
                f"last. Received: value shape {fmt(value)} and key shape {fmt(key)}"
            )
        for index, (name, shape) in enumerate(zip(_QVK, shapes, strict=False)):
            if shape[-1] is None:
                raise ShapeError(
                    f"needs a known size on the last axis of `{name}`. "
                    f"Received: {name} shape {fmt(shape)}",
                    index,
                )
        axes = p["attention_axes"]
        if axes is not None:
            # Keras applies attention over axes of the projected value, of rank
            # len(value) + 1 (the heads axis is added); negative axes count from the
            # heads axis, and each must then index an axis of the projection.
            rank = len(value) + 1
            for axis in axes if isinstance(axes, tuple) else (axes,):
                normalized = axis if axis >= 0 else rank - 1 + axis
                if not -rank <= normalized < rank:
                    raise ShapeError(
                        f"expects attention_axes in [{1 - 2 * rank}, {rank - 1}] for a value "
                        f"of rank {len(value)}. Received: attention_axes={axes!r} and value "
                        f"shape {fmt(value)}"
                    )
        out = _output_dims(p)
        return query if out is None else (*query[:-1], *out)

    def weights(self, shapes, p):
        query, value, key = shapes[0], shapes[1], self._key(shapes)
        heads, key_dim = p["num_heads"], p["key_dim"]
        value_dim = p["value_dim"] or key_dim
        bias = p["use_bias"]
        count = (
            _projection(query, query[-1], (heads, key_dim), bias)
            + _projection(key, key[-1], (heads, key_dim), bias)
            + _projection(value, value[-1], (heads, value_dim), bias)
        )
        if p["use_gate"]:
            count += _projection(query, query[-1], (heads, value_dim), bias)
        # The output projection contracts the heads and value_dim axes (with no free
        # axes, Keras's EinsumDense contracts the batch and heads axes instead).
        contracted = heads * value_dim if len(query) > 1 else query[0] * heads
        out = _output_dims(p) or (query[-1],)
        return (count + _projection(query, contracted, out, bias), 0)

    def macs(self, shapes, output, p):
        # With the default attention_axes: every query position attends to every key one.
        query, value, key = shapes[0], shapes[1], self._key(shapes)
        heads, key_dim = p["num_heads"], p["key_dim"]
        value_dim = p["value_dim"] or key_dim
        queries = _product(query[:-1])  # the batch axis included
        keys = _product(key[1:-1])
        projections = queries * query[-1] * heads * key_dim + _product(key[:-1]) * heads * (
            key[-1] * key_dim + value[-1] * value_dim
        )
        attention = queries * keys * heads * (key_dim + value_dim)
        gate = queries * query[-1] * heads * value_dim if p["use_gate"] else 0
        out = queries * heads * value_dim * _product(_output_dims(p) or (query[-1],))
        return projections + attention + gate + out

    def saved(self, shapes, output, p):
        # Measured on Keras's torch backend (torch's fused attention, no dropout): the
        # inputs, the projected query, key and value, the attention's output with its
        # log-sum-exp per head and query, and that output's copy with the heads merged
        # that the output projection reads.
        query, key = shapes[0], self._key(shapes)
        heads, key_dim = p["num_heads"], p["key_dim"]
        value_dim = p["value_dim"] or key_dim
        queries, keys = _product(query[:-1]), _product(key[:-1])
        made = queries * heads * (key_dim + 2 * value_dim + 1) + keys * heads * (
            key_dim + value_dim
        )
        return Saved(inputs=tuple(range(len(shapes))), extra=made)

    def weight_signature(self, shapes, p):
        # The projections are built for the rank and last axis of query, value, key.
        return tuple((len(s), s[-1]) for s in (shapes[0], shapes[1], self._key(shapes)))


@register
class Attention(LayerSpec):
    """Dot-product (Luong-style) attention of query over value, with an optional key."""

    type = "Attention"
    category = "Attention"
    ports = Ports.fixed(_QVK, required=2)
    call_style = "list"
    params = (
        Param("use_scale", Bool(), False, "Learn a scalar that scales the attention scores."),
        Param(
            "score_mode",
            Choice(("dot", "concat")),
            "dot",
            '"dot": query-key dot product; "concat": tanh of their sum.',
        ),
        _dropout("attention scores"),
    )

    def output_shape(self, shapes, p):
        # Keras checks no shapes when called symbolically: mismatched query/key sizes
        # fail only when the model runs.
        return (*shapes[0][:-1], shapes[1][-1])

    def weights(self, shapes, p):
        return (int(p["use_scale"]) + int(p["score_mode"] == "concat"), 0)

    def macs(self, shapes, output, p):
        # The scores (query by key; "concat" sums instead), then the weighted values.
        query, value = shapes[0], shapes[1]
        pairs = _product(query[:-1]) * _product(value[1:-1])
        scores = pairs * query[-1] if p["score_mode"] == "dot" else 0
        return scores + pairs * value[-1]

    def saved(self, shapes, output, p):
        # Both products read their inputs; the softmax keeps its weights, one a pair.
        query, value = shapes[0], shapes[1]
        pairs = _product(query[:-1]) * _product(value[1:-1])
        return Saved(inputs=tuple(range(len(shapes))), extra=pairs)
