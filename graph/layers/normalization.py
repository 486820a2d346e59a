"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
RMSNormalization, UnitNormalization.

They keep their input's shape and compute in float32. Their weights are vectors
(or, for a list of axes, arrays) sized by the normalized axes, which must be known
when the layer is built.
"""

from __future__ import annotations

from graph.errors import ShapeError
from graph.layers.common import constraint, initializer, regularizer
from graph.params import Axes, Bool, Float, Int, Param
from graph.shapes import fmt
from graph.spec import LayerSpec, Saved, register
from graph.wording import counted


def check_axes(shape, axes) -> tuple[int, ...]:
    """`axes` (an int or a tuple) as a tuple; ShapeError if the input lacks one of them."""
    axes = (axes,) if isinstance(axes, int) else axes
    for axis in axes:
        if not -len(shape) <= axis < len(shape):
            raise ShapeError(
                f"cannot normalize along axis {axis}: the input has "
                f"{counted(len(shape), 'axis', 'axes')}. "
                f"Received: input shape {fmt(shape)}"
            )
    return axes


def axis_sizes(shape, axes) -> tuple[int, ...]:
    """The sizes of `shape` along `axes`, which must exist and be known.

    Keras creates weights of these sizes when it builds the layer, and cannot create
    a weight of unknown size.
    """
    if isinstance(axes, int) and -len(shape) <= axes < len(shape) and shape[axes] is not None:
        return (shape[axes],)  # the usual case, quickly
    sizes = tuple(shape[axis] for axis in check_axes(shape, axes))
    if None in sizes:
        raise ShapeError(
            f"needs known sizes on the normalized axes (axis={axes!r}), which size its "
            f"weights. Received: input shape {fmt(shape)}"
        )
    return sizes


def product(sizes) -> int:
    n = 1
    for size in sizes:
        n *= size
    return n


def l2_normalize_made(shape, axes) -> int:
    """Elements Keras's L2 normalization (ops.normalize) of `shape` over `axes` makes
    and keeps for backward, besides its input: two per-row norms and its epsilon.
    Measured on the torch backend (UnitNormalization, Dot with normalize)."""
    rows = product(shape) // product(axis_sizes(shape, axes))
    return 2 * rows + 1


def _scale_center(what: str) -> tuple[Param, ...]:
    """center/scale flags and the beta/gamma initializers and regularizers."""
    return (
        Param("center", Bool(), True, f"Add a learned offset (beta) after {what}."),
        Param("scale", Bool(), True, f"Multiply by a learned scale (gamma) after {what}."),
        initializer("beta_initializer", "zeros", "offset (beta)", vector=True),
        initializer("gamma_initializer", "ones", "scale (gamma)", vector=True),
        regularizer("beta_regularizer", "offset (beta)"),
        regularizer("gamma_regularizer", "scale (gamma)"),
        constraint("beta_constraint", "offset (beta)"),
        constraint("gamma_constraint", "scale (gamma)"),
    )


def _epsilon(default: float) -> Param:
    return Param("epsilon", Float(), default, "Small number added to the variance.")


class AxisNormalization(LayerSpec):
    """Base: output shape = input shape; weights sized by the input along `axis`."""

    category = "Normalization"

    def output_shape(self, shapes, p):
        axis_sizes(shapes[0], p["axis"])
        return shapes[0]

    def weight_signature(self, shapes, p):
        shape = shapes[0]
        axes = p["axis"]
        axes = (axes,) if isinstance(axes, int) else axes
        return (len(shape), *(shape[a] if -len(shape) <= a < len(shape) else None for a in axes))

    def gamma_beta(self, shapes, p, size: int | None = None) -> int:
        """Weights of gamma plus beta, each of `size` (default: the normalized axes')."""
        count = p["scale"] + p["center"]
        if not count:
            return 0
        return count * (size or product(axis_sizes(shapes[0], p["axis"])))

    def weights(self, shapes, p):
        return (self.gamma_beta(shapes, p), 0)


@register
class BatchNormalization(AxisNormalization):
    """Normalizes each feature with batch statistics in training, moving averages after."""

    type = "BatchNormalization"
    params = (
        Param("axis", Int(), -1, "The features axis (usually the channels axis)."),
        Param("momentum", Float(), 0.99, "Momentum of the moving mean and variance."),
        _epsilon(0.001),
        *_scale_center("normalizing"),
        initializer("moving_mean_initializer", "zeros", "moving mean", vector=True),
        initializer("moving_variance_initializer", "ones", "moving variance", vector=True),
        Param("renorm", Bool(), False, "Use batch renormalization (adds three moving statistics)."),
        Param("renorm_momentum", Float(), 0.99, "Momentum of batch renormalization's statistics."),
    )

    def weights(self, shapes, p):
        (n,) = axis_sizes(shapes[0], p["axis"])
        # moving mean and variance; renorm adds moving stddev, renorm mean and stddev.
        return (self.gamma_beta(shapes, p, n), n * (5 if p["renorm"] else 2))

    def saved(self, shapes, output, p):
        # Measured on Keras's torch backend: the input, a normalized copy of it, and
        # three per-feature statistics.
        (n,) = axis_sizes(shapes[0], p["axis"])
        return Saved(inputs=(0,), extra=product(shapes[0]) + 3 * n)

    def saved_with_grads(self, shapes, output, p, input_grads, trainable=True):
        # Frozen, it runs in inference mode (moving statistics): measured, it keeps one
        # per-feature scale, the input's gradient needing nothing more.
        if trainable:
            return self.saved(shapes, output, p)
        (n,) = axis_sizes(shapes[0], p["axis"])
        return Saved(extra=n)


@register
class LayerNormalization(AxisNormalization):
    """Normalizes each sample over the given axes (by default the last one)."""

    type = "LayerNormalization"
    params = (
        Param("axis", Axes(), -1, "Axis or axes to normalize over (each sample separately)."),
        _epsilon(0.001),
        *_scale_center("normalizing"),
    )

    def output_shape(self, shapes, p):
        # Keras builds gamma and beta from these sizes; with neither, unknown is fine.
        if p["scale"] or p["center"]:
            axis_sizes(shapes[0], p["axis"])
        else:
            check_axes(shapes[0], p["axis"])
        return shapes[0]

    def saved(self, shapes, output, p):
        # torch's layer_norm keeps the input, and a mean and a deviation per sample row.
        rows = product(shapes[0]) // product(axis_sizes(shapes[0], p["axis"]))
        return Saved(inputs=(0,), extra=2 * rows)


@register
class GroupNormalization(AxisNormalization):
    """Normalizes each sample over groups of channels (-1 groups: instance normalization)."""

    type = "GroupNormalization"
    params = (
        Param("groups", Int(min=-1), 32, "Number of channel groups; -1 means one per channel."),
        Param("axis", Int(), -1, "The channels axis."),
        _epsilon(0.001),
        *_scale_center("normalizing"),
    )

    def check_params(self, p):
        if p["groups"] == 0:
            yield "groups", "must be a positive integer, or -1 for instance normalization"

    def output_shape(self, shapes, p):
        (channels,) = axis_sizes(shapes[0], p["axis"])
        groups = channels if p["groups"] == -1 else p["groups"]
        if channels < groups or channels % groups:
            raise ShapeError(
                f"needs a number of channels divisible by groups={groups}. Received: "
                f"{channels} channels on axis {p['axis']} of input shape {fmt(shapes[0])}"
            )
        return shapes[0]

    def saved(self, shapes, output, p):
        return self.saved_with_grads(shapes, output, p, (True,))

    def saved_with_grads(self, shapes, output, p, input_grads, trainable=True):
        # Measured on Keras's torch backend, where the layer is a chain of ops on the
        # input regrouped (a view): the mean, the reciprocal root and the negated mean,
        # one per sample and group, and the root times gamma, one per sample and
        # channel. Without a gradient into the input only gamma's gradient keeps
        # anything: the input, the reciprocal root and the negated mean.
        (channels,) = axis_sizes(shapes[0], p["axis"])
        groups = channels if p["groups"] == -1 else p["groups"]
        batch = shapes[0][0]
        if input_grads[0]:
            scaled = batch * channels if p["scale"] else 0
            return Saved(inputs=(0,), extra=3 * batch * groups + scaled)
        if p["scale"]:
            return Saved(inputs=(0,), extra=2 * batch * groups)
        return Saved()


@register
class RMSNormalization(AxisNormalization):
    """Scales each sample by the root mean square over the given axes, then by a learned scale."""

    type = "RMSNormalization"
    params = (
        Param("axis", Axes(), -1, "Axis or axes to normalize over (each sample separately)."),
        _epsilon(1e-06),
    )

    def check_params(self, p):
        return iter(())  # its one weight always starts at ones

    def weights(self, shapes, p):
        return (product(axis_sizes(shapes[0], p["axis"])), 0)

    def saved(self, shapes, output, p):
        return self.saved_with_grads(shapes, output, p, (True,))

    def saved_with_grads(self, shapes, output, p, input_grads, trainable=True):
        # Measured: the input, its normalized copy (the scale's gradient reads it, so
        # a frozen layer keeps none) and a reciprocal root per sample row.
        elements = product(shapes[0])
        rows = elements // product(axis_sizes(shapes[0], p["axis"]))
        return Saved(inputs=(0,), extra=(elements if trainable else 0) + rows)


@register
class UnitNormalization(LayerSpec):
    """Scales each sample to unit L2 norm over the given axes."""

    type = "UnitNormalization"
    category = "Normalization"
    params = (Param("axis", Axes(), -1, "Axis or axes to take the norm over."),)

    def output_shape(self, shapes, p):
        check_axes(shapes[0], p["axis"])
        return shapes[0]

    def saved(self, shapes, output, p):
        return Saved(inputs=(0,), extra=l2_normalize_made(shapes[0], p["axis"]))
