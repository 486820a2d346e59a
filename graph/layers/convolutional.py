"""Convolutional layers: Conv1D/2D/3D, their transposes, depthwise and separable convolutions.

One base class holds what every convolution shares (input rank and channel checks,
the data format, assembling the output shape); the families differ in how the
spatial axes shrink or grow, how many channels come out, and how many weights
there are, as in Keras's BaseConv, BaseConvTranspose, BaseDepthwiseConv and
BaseSeparableConv.
"""

from __future__ import annotations

import math
from typing import ClassVar

from graph import keras_names
from graph.errors import ShapeError
from graph.layers.common import (
    activation,
    activation_saved,
    channels_last,
    constraint,
    data_format,
    initializer,
    regularizer,
    use_bias,
    weight_params,
)
from graph.params import Choice, Int, IntTuple, Optional, Param
from graph.shapes import as_tuple, conv_length, deconv_length, fmt
from graph.spec import (
    LayerSpec,
    Saved,
    expect_rank,
    face_value,
    register,
    window_face,
    with_activation,
)

_SPATIAL_AXES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def _layout(rank: int, last: bool) -> str:
    spatial = ", ".join(_SPATIAL_AXES[rank])
    return f"(batch, {spatial}, channels)" if last else f"(batch, channels, {spatial})"


def _default(rank: int, value: int) -> int | tuple[int, ...]:
    """Keras's default for a per-axis argument: a bare int in 1-D, a tuple otherwise."""
    return value if rank == 1 else (value,) * rank


def _taps(kernel_size: int | tuple[int, ...], rank: int) -> int:
    """Number of taps in a kernel window: the product of its sizes."""
    if type(kernel_size) is int:
        return kernel_size**rank
    n = 1
    for k in kernel_size:
        n *= k
    return n


# Parameters, written once per rank.


def _filters() -> Param:
    return Param("filters", Int(min=1), help="Number of output channels (filters).", initial=32)


def _kernel_size(rank: int) -> Param:
    return Param(
        "kernel_size",
        IntTuple(length=rank, scalar=True),
        help="Size of the convolution window: one integer for every axis, or one per axis.",
        initial=3,
    )


def _strides(rank: int) -> Param:
    return Param(
        "strides",
        IntTuple(length=rank, scalar=True),
        _default(rank, 1),
        "Step of the window along each spatial axis.",
    )


def _padding(causal: bool = False) -> Param:
    return Param(
        "padding",
        Choice(keras_names.CAUSAL_PADDINGS if causal else keras_names.PADDINGS),
        "valid",
        '"valid": no padding; "same": pad so that the output size is input size / strides'
        + ('; "causal": pad on the left only (no look-ahead).' if causal else "."),
    )


def _dilation_rate(rank: int) -> Param:
    return Param(
        "dilation_rate",
        IntTuple(length=rank, scalar=True),
        _default(rank, 1),
        "Spacing between the kernel's taps (dilated, or atrous, convolution).",
    )


def _depth_multiplier() -> Param:
    return Param(
        "depth_multiplier",
        Int(min=1),
        1,
        "Number of depthwise output channels for each input channel.",
    )


def _conv_params(rank: int) -> tuple[Param, ...]:
    return (
        _filters(),
        _kernel_size(rank),
        _strides(rank),
        _padding(causal=rank == 1),
        data_format(),
        _dilation_rate(rank),
        Param(
            "groups",
            Int(min=1),
            1,
            "Number of groups the channels are split into, each convolved separately.",
        ),
        activation(),
        use_bias(),
        *weight_params(),
    )


def _conv_transpose_params(rank: int) -> tuple[Param, ...]:
    return (
        _filters(),
        _kernel_size(rank),
        _strides(rank),
        _padding(),
        Param(
            "output_padding",
            Optional(IntTuple(length=rank, scalar=True, min=0)),
            None,
            "Extra size added to one side of each spatial axis of the output "
            "(less than strides); None infers it.",
        ),
        data_format(),
        _dilation_rate(rank),
        activation(),
        use_bias(),
        *weight_params(),
    )


def _depthwise_params(rank: int) -> tuple[Param, ...]:
    return (
        _kernel_size(rank),
        _strides(rank),
        _padding(),
        _depth_multiplier(),
        data_format(),
        _dilation_rate(rank),
        activation(),
        use_bias(),
        *weight_params("depthwise"),
    )


def _separable_params(rank: int) -> tuple[Param, ...]:
    return (
        _filters(),
        _kernel_size(rank),
        _strides(rank),
        _padding(),
        data_format(),
        _dilation_rate(rank),
        _depth_multiplier(),
        activation(),
        use_bias(),
        initializer("depthwise_initializer", "glorot_uniform", "depthwise kernel"),
        initializer("pointwise_initializer", "glorot_uniform", "pointwise kernel"),
        initializer("bias_initializer", "zeros", "bias vector", vector=True),
        regularizer("depthwise_regularizer", "depthwise kernel"),
        regularizer("pointwise_regularizer", "pointwise kernel"),
        regularizer("bias_regularizer", "bias vector"),
        regularizer("activity_regularizer", "layer's output"),
        constraint("depthwise_constraint", "depthwise kernel"),
        constraint("pointwise_constraint", "pointwise kernel"),
        constraint("bias_constraint", "bias vector"),
    )


def _strides_with_dilation(p) -> tuple[str, str] | None:
    """Keras's rule that strides > 1 and dilation_rate > 1 do not go together."""
    strides, dilation = p["strides"], p["dilation_rate"]
    if max(as_tuple(strides, 1)) > 1 and max(as_tuple(dilation, 1)) > 1:
        return (
            "dilation_rate",
            "must be 1 when strides > 1: Keras does not support strides > 1 together "
            f"with dilation_rate > 1. Received: strides={strides!r}, "
            f"dilation_rate={dilation!r}",
        )
    return None


# Specs.


class BaseConvSpec(LayerSpec):
    """Shared rules of the convolutions: rank, channel axis, output assembly."""

    rank: ClassVar[int]
    category = "Convolutional"
    #: Whether Keras hands torch a channels-last copy of a 2D or 3D kernel (which
    #: autograd then keeps): the transposed convolutions pass a view.
    copies_kernel: ClassVar[bool] = True

    def face_params(self, p):
        """ "32 3x3 /2 · relu": filters (none for a depthwise one), window, activation."""
        window = window_face(p.get("kernel_size"), p.get("strides"), self.rank)
        face = " ".join(v for v in (face_value(p.get("filters")), window) if v)
        return with_activation(face, p)

    def _channels(self, shape, last: bool) -> int:
        """The input's channel count, after checking its rank; raises ShapeError."""
        if len(shape) != self.rank + 2:
            expect_rank(shape, self.rank + 2, _layout(self.rank, last))
        channels = shape[-1] if last else shape[1]
        if channels is None:
            where = "the last axis" if last else "axis 1, as data_format='channels_first'"
            raise ShapeError(
                f"needs a known number of input channels ({where}). "
                f"Received: input shape {fmt(shape)}"
            )
        return channels

    def _out_spatial(self, shape, p, spatial) -> list:
        """The output's spatial sizes; by default a convolution's, size > 0 checked."""
        rank = self.rank
        kernel = as_tuple(p["kernel_size"], rank)
        strides = as_tuple(p["strides"], rank)
        dilation = as_tuple(p["dilation_rate"], rank)
        padding = p["padding"]
        out = []
        for i in range(rank):
            n = conv_length(spatial[i], kernel[i], strides[i], padding, dilation[i])
            if n is not None and n <= 0 and padding == "valid":
                need = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=True))
                raise ShapeError(
                    "would compute an output size of zero or negative: with "
                    f"kernel_size={fmt(kernel)}, dilation_rate={fmt(dilation)} and "
                    f"padding='valid', each spatial axis needs a size of at least {fmt(need)}. "
                    f"Received: input shape {fmt(shape)}"
                )
            out.append(n)
        return out

    def _check_channels(self, shape, channels: int, p) -> None:
        """Rules on the input channels that a layer checks when it is built."""

    def _out_channels(self, channels: int, p) -> int:
        return p["filters"]

    def output_shape(self, shapes, p):
        shape = shapes[0]
        last = channels_last(p)
        channels = self._channels(shape, last)
        self._check_channels(shape, channels, p)
        out_channels = self._out_channels(channels, p)
        if last:
            return (shape[0], *self._out_spatial(shape, p, shape[1:-1]), out_channels)
        return (shape[0], out_channels, *self._out_spatial(shape, p, shape[2:]))

    def weights(self, shapes, p):
        channels = self._channels(shapes[0], channels_last(p))
        return (self._weight_count(_taps(p["kernel_size"], self.rank), channels, p), 0)

    def _weight_count(self, kernel: int, channels: int, p) -> int:
        """Weights of a layer whose kernel window has `kernel` taps, on `channels`."""
        raise NotImplementedError

    def weight_signature(self, shapes, p):
        if channels_last(p):
            return tuple(s[-1] if s else None for s in shapes)
        return tuple(s[1] if len(s) > 1 else None for s in shapes)

    def _bias(self, size: int, p) -> int:
        return size if p["use_bias"] else 0

    def macs(self, shapes, output, p):
        channels = self._channels(shapes[0], channels_last(p))
        return self._macs(_taps(p["kernel_size"], self.rank), channels, shapes[0], output, p)

    def _macs(self, kernel: int, channels: int, shape, output, p) -> int:
        """MACs of a window of `kernel` taps on `channels` from `shape` to `output`."""
        raise NotImplementedError

    def saved(self, shapes, output, p):
        # The kernel's gradient needs the input. With channels last, Keras hands torch
        # 2D and 3D inputs and kernels as channels-last copies, which autograd keeps
        # (1D ones are permuted views: the input itself, the kernel's own storage).
        channels = self._channels(shapes[0], channels_last(p))
        inner = self._inner(channels, output, p)
        if self.rank > 1 and channels_last(p):
            taps = _taps(p["kernel_size"], self.rank)
            bias = self._bias(self._out_channels(channels, p), p)
            kernel = self._weight_count(taps, channels, p) - bias if self.copies_kernel else 0
            made = Saved(extra=math.prod(shapes[0]) + kernel + inner)
        else:
            made = Saved(inputs=(0,), extra=inner)
        return made + activation_saved(p["activation"], output)

    def _inner(self, channels: int, output, p) -> int:
        """Elements of the tensors made between the layer's steps that backward needs."""
        return 0


class BaseConv(BaseConvSpec):
    """Convolution: filters kernels slide over the spatial axes (Keras's BaseConv)."""

    def check_params(self, p):
        filters, groups = p["filters"], p["groups"]
        if filters % groups:
            yield (
                "groups",
                f"must divide filters evenly. Received: groups={groups}, filters={filters}",
            )
        problem = _strides_with_dilation(p)
        if problem:
            yield problem

    def _macs(self, kernel, channels, shape, output, p):
        return math.prod(output) * kernel * (channels // p["groups"])

    def _check_channels(self, shape, channels, p):
        groups = p["groups"]
        if channels % groups:
            raise ShapeError(
                f"needs a number of input channels divisible by groups={groups}. "
                f"Received: input shape {fmt(shape)} ({channels} channels)"
            )

    def _weight_count(self, kernel, channels, p):
        filters = p["filters"]
        return kernel * (channels // p["groups"]) * filters + self._bias(filters, p)


@register
class Conv1D(BaseConv):
    """1D convolution over steps (temporal convolution), e.g. for sequences or audio."""

    type = "Conv1D"
    rank = 1
    params = _conv_params(1)


@register
class Conv2D(BaseConv):
    """2D convolution over height and width (spatial convolution over images)."""

    type = "Conv2D"
    rank = 2
    params = _conv_params(2)


@register
class Conv3D(BaseConv):
    """3D convolution over depth, height and width (e.g. volumes or video)."""

    type = "Conv3D"
    rank = 3
    params = _conv_params(3)


class BaseConvTranspose(BaseConvSpec):
    """Transposed convolution: spatial axes grow by strides (Keras's BaseConvTranspose)."""

    copies_kernel = False

    def check_params(self, p):
        output_padding = p["output_padding"]
        if output_padding is not None:
            strides = as_tuple(p["strides"], self.rank)
            if any(
                o >= s for o, s in zip(as_tuple(output_padding, self.rank), strides, strict=True)
            ):
                yield (
                    "output_padding",
                    "must be less than strides on every axis. Received: "
                    f"output_padding={output_padding!r}, strides={p['strides']!r}",
                )
        problem = _strides_with_dilation(p)
        if problem:
            yield problem

    def _out_spatial(self, shape, p, spatial):
        rank = self.rank
        kernel = as_tuple(p["kernel_size"], rank)
        strides = as_tuple(p["strides"], rank)
        dilation = as_tuple(p["dilation_rate"], rank)
        output_padding = as_tuple(p["output_padding"], rank)  # None: one None per axis
        padding = p["padding"]
        return [
            deconv_length(
                spatial[i], kernel[i], strides[i], padding, output_padding[i], dilation[i]
            )
            for i in range(rank)
        ]

    def _weight_count(self, kernel, channels, p):
        filters = p["filters"]
        return kernel * filters * channels + self._bias(filters, p)

    def _macs(self, kernel, channels, shape, output, p):
        # Each input value is spread over the window into every filter.
        return math.prod(shape) * kernel * p["filters"]


@register
class Conv1DTranspose(BaseConvTranspose):
    """1D transposed convolution (deconvolution): upsamples steps by strides."""

    type = "Conv1DTranspose"
    rank = 1
    params = _conv_transpose_params(1)


@register
class Conv2DTranspose(BaseConvTranspose):
    """2D transposed convolution (deconvolution): upsamples height and width by strides."""

    type = "Conv2DTranspose"
    rank = 2
    params = _conv_transpose_params(2)


@register
class Conv3DTranspose(BaseConvTranspose):
    """3D transposed convolution (deconvolution): upsamples depth, height and width."""

    type = "Conv3DTranspose"
    rank = 3
    params = _conv_transpose_params(3)


class BaseDepthwiseConv(BaseConvSpec):
    """Depthwise convolution: each channel convolved on its own (Keras's BaseDepthwiseConv)."""

    def _out_channels(self, channels, p):
        return channels * p["depth_multiplier"]

    def _weight_count(self, kernel, channels, p):
        depth = channels * p["depth_multiplier"]
        return kernel * depth + self._bias(depth, p)

    def _macs(self, kernel, channels, shape, output, p):
        return math.prod(output) * kernel


@register
class DepthwiseConv1D(BaseDepthwiseConv):
    """1D depthwise convolution: one kernel per input channel, no mixing of channels."""

    type = "DepthwiseConv1D"
    rank = 1
    params = _depthwise_params(1)


@register
class DepthwiseConv2D(BaseDepthwiseConv):
    """2D depthwise convolution: one kernel per input channel, no mixing of channels."""

    type = "DepthwiseConv2D"
    rank = 2
    params = _depthwise_params(2)


class BaseSeparableConv(BaseConvSpec):
    """Depthwise then pointwise (1x1) convolution (Keras's BaseSeparableConv)."""

    def _weight_count(self, kernel, channels, p):
        depth = channels * p["depth_multiplier"]
        filters = p["filters"]
        return kernel * depth + depth * filters + self._bias(filters, p)

    def _macs(self, kernel, channels, shape, output, p):
        # The depthwise step, then the pointwise one, at every output position.
        return self._inner(channels, output, p) * (kernel + p["filters"])

    def _inner(self, channels, output, p):
        """The depthwise step's output, which the pointwise step's gradient needs."""
        return math.prod(output) // p["filters"] * channels * p["depth_multiplier"]


@register
class SeparableConv1D(BaseSeparableConv):
    """1D separable convolution: a depthwise convolution, then a pointwise one mixing channels."""

    type = "SeparableConv1D"
    rank = 1
    params = _separable_params(1)


@register
class SeparableConv2D(BaseSeparableConv):
    """2D separable convolution: a depthwise convolution, then a pointwise one mixing channels."""

    type = "SeparableConv2D"
    rank = 2
    params = _separable_params(2)
