"""Preprocessing layers: Rescaling, Normalization.

They keep their input's shape and compute in float32 (integer inputs, such as image
bytes, come out as floats).
"""

from __future__ import annotations

from graph.errors import ShapeError
from graph.params import Axes, Bool, Floats, Optional, Param
from graph.shapes import fmt
from graph.spec import LayerSpec, register, same_shape
from graph.wording import counted


@register
class Rescaling(LayerSpec):
    """Multiplies its input by `scale` and adds `offset` (e.g. 1/255 for image bytes)."""

    type = "Rescaling"
    category = "Preprocessing"
    params = (
        Param(
            "scale",
            Floats(),
            help="Factor to multiply by (a number, or one per channel).",
            initial=0.00392156862745098,
        ),
        Param("offset", Floats(), 0.0, "Value added after scaling (a number, or one per channel)."),
    )

    output_shape = staticmethod(same_shape)


def _rank(value) -> int:
    """The rank of a mean or variance value: 0 for a number, 1 for a list."""
    return 1 if isinstance(value, tuple) else 0


@register
class Normalization(LayerSpec):
    """Shifts and scales its input to zero mean and unit variance per feature.

    With `mean` and `variance` given, they are fixed; without them, the layer holds
    non-trainable statistics that `adapt()` fills from data.
    """

    type = "Normalization"
    category = "Preprocessing"
    build_makes_tensors = True
    params = (
        Param(
            "axis",
            Optional(Axes()),
            -1,
            "Axis or axes that keep separate statistics (None: one mean for everything).",
        ),
        Param("mean", Optional(Floats()), None, "Fixed mean (None: learn it with adapt())."),
        Param("variance", Optional(Floats()), None, "Fixed variance, given with the mean."),
        Param("invert", Bool(), False, "Undo a normalization instead (x * stddev + mean)."),
    )

    def check_params(self, p):
        mean, variance = p["mean"], p["variance"]
        if (mean is None) != (variance is None):
            name = "variance" if mean is not None else "mean"
            yield name, "must be given together with the other of mean and variance"
        elif mean is not None:
            if _rank(mean) != _rank(variance) or (_rank(mean) and len(mean) != len(variance)):
                yield "variance", "must have the same shape as mean"
            elif _rank(mean) > len(self.axes(p)):
                yield "mean", "must be a single number when axis is None"

    @staticmethod
    def axes(p) -> tuple[int, ...]:
        axis = p["axis"]
        if axis is None:
            return ()
        return (axis,) if isinstance(axis, int) else axis

    def kept_sizes(self, shape, p) -> tuple[int, ...]:
        """The sizes along the axes with their own statistics, in axis order."""
        rank = len(shape)
        kept = []
        for axis in self.axes(p):
            if not -rank <= axis < rank:
                raise ShapeError(
                    f"cannot keep statistics along axis {axis}: the input has "
                    f"{counted(rank, 'axis', 'axes')}. "
                    f"Received: input shape {fmt(shape)}"
                )
            kept.append(axis % rank)
        kept.sort()
        sizes = tuple(shape[axis] for axis in kept)
        if None in sizes:
            raise ShapeError(
                f"needs known sizes on the axes that keep statistics (axis={p['axis']!r}). "
                f"Received: input shape {fmt(shape)}"
            )
        return sizes

    def output_shape(self, shapes, p):
        shape = shapes[0]
        sizes = self.kept_sizes(shape, p)
        mean = p["mean"]
        if mean is None:
            # adapt() statistics have one entry per kept axis, listed twice when an axis is
            # repeated; Keras then cannot reshape them to the input's broadcast shape.
            distinct = dict.fromkeys(a % len(shape) for a in self.axes(p))
            if _product(sizes) != _product(shape[a] for a in distinct):
                raise ShapeError(
                    f"cannot keep statistics along a repeated axis (axis={p['axis']!r}). "
                    f"Received: input shape {fmt(shape)}"
                )
        elif isinstance(mean, tuple) and len(mean) not in (1, sizes[-1]):
            raise ShapeError(
                f"needs {sizes[-1]} mean and variance values (the size of the last kept axis) "
                f"or one. Received: {len(mean)} values for input shape {fmt(shape)}"
            )
        return shape

    def weights(self, shapes, p):
        if p["mean"] is not None:
            return (0, 0)
        # adapt() mean and variance, plus a scalar sample count.
        return (0, 2 * _product(self.kept_sizes(shapes[0], p)) + 1)

    def weight_signature(self, shapes, p):
        shape = shapes[0]
        return (
            len(shape),
            *(shape[a] if -len(shape) <= a < len(shape) else None for a in self.axes(p)),
        )


def _product(sizes) -> int:
    n = 1
    for size in sizes:
        n *= size
    return n
