"""Regularization layers: Dropout and its spatial, Gaussian and alpha variants,
GaussianNoise, ActivityRegularization.

They act only in training, keep their input's shape, compute in float32 and have no
weights; the spatial dropouts also fix the input's rank.
"""

from __future__ import annotations

import math

from graph.layers.common import data_format
from graph.params import Float, IntTuple, Optional, Param
from graph.spec import LayerSpec, Saved, expect_rank, register, same_shape


def rate(what: str) -> Param:
    return Param("rate", Float(min=0, max=1), help=what, initial=0.5)


def noise_shape() -> Param:
    return Param(
        "noise_shape",
        Optional(IntTuple(none=True)),
        None,
        "Shape of the dropout mask, batch axis included, broadcast to the input "
        "(None entries follow the input).",
    )


class Regularization(LayerSpec):
    """Base: training-time only, same shape out, no weights."""

    category = "Regularization"

    output_shape = staticmethod(same_shape)


@register
class Dropout(Regularization):
    """Randomly sets a fraction `rate` of its inputs to 0 in training (scaling up the rest)."""

    type = "Dropout"
    params = (rate("Fraction of the input units to drop, in [0, 1]."), noise_shape())

    def saved(self, shapes, output, p):
        # The scaled keep-mask, in the input's dtype (measured on Keras's torch backend).
        return Saved(extra=math.prod(output) if p["rate"] else 0)


@register
class AlphaDropout(Regularization):
    """Dropout that keeps the mean and variance of its inputs (for SELU networks)."""

    type = "AlphaDropout"
    params = (rate("Fraction of the input units to drop, in [0, 1]."), noise_shape())


@register
class GaussianDropout(Regularization):
    """Multiplies its input by 1-centred Gaussian noise in training."""

    type = "GaussianDropout"
    params = (rate("Drop probability, as in Dropout; noise stddev is sqrt(rate / (1 - rate))."),)


@register
class GaussianNoise(Regularization):
    """Adds zero-centred Gaussian noise to its input in training."""

    type = "GaussianNoise"
    params = (
        Param(
            "stddev",
            Float(min=0, max=1),
            help="Standard deviation of the noise, in [0, 1].",
            initial=0.1,
        ),
    )


@register
class ActivityRegularization(Regularization):
    """Adds an L1/L2 penalty on its input's values to the training loss."""

    type = "ActivityRegularization"
    params = (
        Param("l1", Float(min=0), 0.0, "L1 penalty factor."),
        Param("l2", Float(min=0), 0.0, "L2 penalty factor."),
    )


class SpatialDropout(Regularization):
    """Base of the spatial dropouts: drop whole feature maps of a `rank`-D input."""

    rank: int
    layout: str

    def output_shape(self, shapes, p):
        expect_rank(shapes[0], self.rank + 2, self.layout)
        return shapes[0]


@register
class SpatialDropout1D(SpatialDropout):
    """Dropout of whole channels of a sequence (batch, steps, channels)."""

    type = "SpatialDropout1D"
    rank = 1
    layout = "(batch, steps, channels)"
    params = (rate("Fraction of the channels to drop, in [0, 1]."),)


@register
class SpatialDropout2D(SpatialDropout):
    """Dropout of whole feature maps of an image."""

    type = "SpatialDropout2D"
    rank = 2
    layout = "(batch, height, width, channels) or channels first"
    params = (rate("Fraction of the feature maps to drop, in [0, 1]."), data_format())


@register
class SpatialDropout3D(SpatialDropout):
    """Dropout of whole feature maps of a volume."""

    type = "SpatialDropout3D"
    rank = 3
    layout = "(batch, depth, height, width, channels) or channels first"
    params = (rate("Fraction of the feature maps to drop, in [0, 1]."), data_format())
