"""Activation layers: ReLU, LeakyReLU, Softmax, ELU, PReLU.

(The generic Activation layer lives with the core layers.) They keep their input's
shape and compute in float32; only PReLU has weights.
"""

from __future__ import annotations

import math
from typing import ClassVar

from graph.errors import ShapeError
from graph.layers.common import activation_saved, constraint, initializer, regularizer
from graph.params import Axes, Float, Optional, Param
from graph.shapes import fmt
from graph.spec import LayerSpec, Saved, register, same_shape


class ElementwiseActivation(LayerSpec):
    """Base: applies a function to each value; no weights, same shape out."""

    category = "Activations"

    output_shape = staticmethod(same_shape)
    #: The activation function it applies, as the `activation` param names it.
    function: ClassVar[str]

    def saved(self, shapes, output, p):
        return activation_saved(self.function, output, own_input=True)


@register
class ReLU(ElementwiseActivation):
    """Rectified linear unit, with an optional cap, leak and threshold."""

    type = "ReLU"
    function = "relu"
    params = (
        Param("max_value", Optional(Float(min=0)), None, "Largest output value (None: no cap)."),
        Param("negative_slope", Float(min=0), 0.0, "Slope below the threshold."),
        Param("threshold", Float(min=0), 0.0, "Values below it are damped (or zeroed)."),
    )


@register
class LeakyReLU(ElementwiseActivation):
    """Leaky ReLU: x for x >= 0, negative_slope * x below."""

    type = "LeakyReLU"
    function = "leaky_relu"
    params = (Param("negative_slope", Float(min=0), 0.3, "Slope for negative inputs."),)


@register
class Softmax(ElementwiseActivation):
    """Softmax over an axis (or several): the values there become probabilities."""

    type = "Softmax"
    function = "softmax"
    params = (Param("axis", Axes(), -1, "Axis or axes the probabilities sum to 1 over."),)

    def output_activation(self, p):
        return "softmax"


@register
class ELU(ElementwiseActivation):
    """Exponential linear unit: x for x > 0, alpha * (exp(x) - 1) below."""

    type = "ELU"
    function = "elu"
    params = (Param("alpha", Float(), 1.0, "Scale of the negative part."),)


@register
class PReLU(LayerSpec):
    """Leaky ReLU whose negative slopes are learned, one per value (or per shared group)."""

    type = "PReLU"
    category = "Activations"
    params = (
        initializer("alpha_initializer", "Zeros", "learned slopes", vector=True),
        regularizer("alpha_regularizer", "learned slopes"),
        constraint("alpha_constraint", "learned slopes"),
        Param(
            "shared_axes",
            Optional(Axes()),
            None,
            "Axes along which one slope is shared (e.g. the spatial axes of images).",
        ),
    )

    def alpha_shape(self, shape, p) -> list:
        """The shape of the slopes: the input's without batch, shared axes set to 1."""
        alpha = list(shape[1:])
        shared = p["shared_axes"]
        if shared is not None:
            for axis in (shared,) if isinstance(shared, int) else shared:
                # Keras indexes the per-sample shape with axis - 1 (so 0 means the last axis).
                if not -len(alpha) <= axis - 1 < len(alpha):
                    raise ShapeError(
                        f"cannot share slopes along axis {axis}: the input has no such axis. "
                        f"Received: input shape {fmt(shape)}"
                    )
                alpha[axis - 1] = 1
        return alpha

    def output_shape(self, shapes, p):
        shape = shapes[0]
        alpha = self.alpha_shape(shape, p)
        if None in alpha:
            raise ShapeError(
                "needs known sizes on every axis but the batch and shared ones, which size "
                f"its slopes. Received: input shape {fmt(shape)}"
            )
        return shape

    def weights(self, shapes, p):
        n = 1
        for size in self.alpha_shape(shapes[0], p):
            n *= size
        return (n, 0)

    def saved(self, shapes, output, p):
        return self.saved_with_grads(shapes, output, p, (True,))

    def saved_with_grads(self, shapes, output, p, input_grads, trainable=True):
        # Keras computes relu(x) - alpha * relu(-x). The slopes' gradient keeps
        # relu(-x); a gradient into the input keeps relu(x) too, and the negated slopes.
        elements = math.prod(output)
        if not input_grads[0]:
            return Saved(extra=elements)
        return Saved(extra=2 * elements + self.weights(shapes, p)[0])

    def weight_signature(self, shapes, p):
        try:
            return tuple(self.alpha_shape(shapes[0], p))
        except ShapeError:
            return (len(shapes[0]),)
