"""Core layers: Input, Dense, Activation, Embedding."""

from __future__ import annotations

import math

from graph.errors import ShapeError
from graph.layers.common import (
    ACTIVATIONS,
    activation,
    activation_saved,
    constraint,
    initializer,
    regularizer,
    use_bias,
    weight_params,
)
from graph.params import Bool, Choice, Int, IntTuple, Optional, Param
from graph.shapes import fmt
from graph.spec import (
    FLOATX,
    InputSpec,
    LayerSpec,
    Saved,
    expect_min_rank,
    last_axes,
    register,
    same_shape,
)

DTYPES = (
    None, "float32", "float16", "bfloat16", "float64", "int32", "int64", "uint8", "bool",
)  # fmt: skip


@register
class Input(InputSpec):
    """A model input: a tensor of the given shape (batch axis excluded) and dtype."""

    type = "Input"
    category = "Core"
    params = (
        Param(
            "shape",
            IntTuple(none=True),
            help="Shape of one sample, without the batch axis; None for a free size.",
            initial=(784,),
        ),
        Param("batch_size", Optional(Int(min=1)), None, "Fixed batch size, or None."),
        Param("dtype", Choice(DTYPES), None, "Element type; None means float32."),
    )

    def output_shape(self, shapes, p):
        return (p["batch_size"], *p["shape"])

    def output_dtype(self, dtypes, p):
        return p["dtype"] or FLOATX

    def face_params(self, p):
        """ "int32" when the dtype is not the float default: the shape is the node's
        output shape, which the face shows below its header already."""
        dtype = p.get("dtype")
        return dtype if dtype and dtype != FLOATX else ""

    def sample_shape(self, p):
        return tuple(p.get("shape", ()))

    def keras_input_params(self, batch_shape, dtype):
        batch, *shape = batch_shape
        params: dict = {"shape": tuple(shape)}
        if batch is not None:
            params["batch_size"] = batch
        if dtype != self.output_dtype([], self.defaults):
            params["dtype"] = dtype
        return params


@register
class Dense(LayerSpec):
    """A densely connected layer: activation(dot(input, kernel) + bias)."""

    type = "Dense"
    category = "Core"
    params = (
        Param("units", Int(min=1), help="Size of the output's last axis.", initial=32),
        activation(),
        use_bias(),
        *weight_params(),
    )

    def output_shape(self, shapes, p):
        (shape,) = shapes
        expect_min_rank(shape, 2)
        if shape[-1] is None:
            raise ShapeError(
                f"needs a known size on the input's last axis. Received: input shape {fmt(shape)}"
            )
        return (*shape[:-1], p["units"])

    def weight_signature(self, shapes, p):
        return last_axes(shapes)

    def weights(self, shapes, p):
        units = p["units"]
        return (shapes[0][-1] * units + (units if p["use_bias"] else 0), 0)

    def macs(self, shapes, output, p):
        return math.prod(output) * shapes[0][-1]

    def saved(self, shapes, output, p):
        return self.saved_with_grads(shapes, output, p, (True,))

    def saved_with_grads(self, shapes, output, p, input_grads, trainable=True):
        # The kernel's gradient needs the input: a frozen Dense keeps only what its
        # activation keeps (the input's gradient needs the kernel, a weight).
        kept = Saved(inputs=(0,)) if trainable else Saved()
        return kept + activation_saved(p["activation"], output)


@register
class Activation(LayerSpec):
    """Applies an activation function to its input."""

    type = "Activation"
    category = "Activations"
    params = (
        Param(
            "activation",
            Choice(ACTIVATIONS[1:]),
            help="Name of the activation function.",
            initial="relu",
        ),
    )

    output_shape = staticmethod(same_shape)

    def saved(self, shapes, output, p):
        return activation_saved(p["activation"], output, own_input=True)


@register
class Embedding(LayerSpec):
    """Turns integer token ids into dense vectors of a fixed size."""

    type = "Embedding"
    category = "Core"
    params = (
        Param("input_dim", Int(min=1), help="Vocabulary size: largest id + 1.", initial=10000),
        Param("output_dim", Int(min=1), help="Size of each embedding vector.", initial=64),
        initializer("embeddings_initializer", "uniform", "embedding matrix"),
        regularizer("embeddings_regularizer", "embedding matrix"),
        constraint("embeddings_constraint", "embedding matrix"),
        Param("mask_zero", Bool(), False, "Whether id 0 is padding to be masked."),
    )

    def face_params(self, p):
        """ "10000→64": from the vocabulary to the vector size."""
        return f"{p.get('input_dim', '?')}→{p.get('output_dim', '?')}"

    def output_shape(self, shapes, p):
        return (*shapes[0], p["output_dim"])

    def weights(self, shapes, p):
        return (p["input_dim"] * p["output_dim"], 0)

    def saved(self, shapes, output, p):
        # The embeddings' gradient needs the ids, which Keras's torch backend hands to
        # torch as int64 (measured: a copy of int32 ids).
        return Saved(indices=math.prod(shapes[0]))

    def dtype_warnings(self, dtypes, p):
        if not dtypes[0].startswith(("int", "uint")):
            yield (
                f"expects integer token ids; Keras casts this {dtypes[0]} input to int32, "
                "dropping any fraction"
            )
