"""Pooling layers: windowed max/average pooling and global pooling, 1-D to 3-D.

Also the spatial-layout helpers that the reshaping layers share (UpSampling,
ZeroPadding, Cropping): which axes are spatial under a data format, and how Keras
names them in its messages.
"""

from __future__ import annotations

import math
from typing import ClassVar

from graph import keras_names
from graph.errors import ShapeError
from graph.layers.common import channels_last, data_format
from graph.params import REQUIRED, Bool, Choice, IntTuple, Optional, Param
from graph.shapes import Shape, as_tuple, conv_length, fmt
from graph.spec import LayerSpec, Saved, expect_rank, register, window_face

_SPATIAL_NAMES = {1: "steps", 2: "height, width", 3: "depth, height, width"}

#: The axes of a `rank`-D spatial input, by (rank, channels last), for rank errors.
_LAYOUTS = {
    (rank, last): (
        f"(batch, {names}, {'features' if rank == 1 else 'channels'})"
        if last
        else f"(batch, {'features' if rank == 1 else 'channels'}, {names})"
    )
    for rank, names in _SPATIAL_NAMES.items()
    for last in (True, False)
}


def expect_spatial(shape: Shape, rank: int, p) -> int:
    """Check `shape` is a `rank`-D spatial input; return the index of its first spatial axis.

    Layers without a data_format parameter are channels-last.
    """
    last = channels_last(p)
    expect_rank(shape, rank + 2, _LAYOUTS[rank, last])
    return 1 if last else 2


def _window_params(rank: int, default: object) -> tuple[Param, ...]:
    size = IntTuple(length=rank, scalar=True)
    return (
        Param(
            "pool_size",
            size,
            default,
            "Size of the pooling window: an integer, or one per spatial axis.",
            initial=2 if rank == 1 else (2,) * rank,
        ),
        Param("strides", Optional(size), None, "Step of the window; None means pool_size."),
        Param(
            "padding",
            Choice(keras_names.PADDINGS),
            "valid",
            '"valid": windows stay inside the input; "same": pad so that '
            "output size = ceil(input size / strides).",
        ),
        data_format(),
    )


class BasePooling(LayerSpec):
    """Pooling over sliding windows of the spatial axes (Keras's BasePooling)."""

    category = "Pooling"
    rank: ClassVar[int]

    def face_params(self, p):
        """ "2x2", "3x3 /2": the window and, when given, its step."""
        return window_face(p.get("pool_size"), p.get("strides"), self.rank)

    def output_shape(self, shapes, p):
        (shape,) = shapes
        rank = self.rank
        start = expect_spatial(shape, rank, p)
        pool = as_tuple(p["pool_size"], rank)
        strides = pool if p["strides"] is None else as_tuple(p["strides"], rank)
        padding = p["padding"]
        out = list(shape)
        for i in range(rank):
            length = conv_length(shape[start + i], pool[i], strides[i], padding)
            if length is not None and length <= 0:
                raise ShapeError(
                    f"pool_size {pool} is larger than the input along axis {start + i} "
                    f'(size {shape[start + i]}), so padding "valid" leaves no output; '
                    f'use a smaller pool_size or padding "same". '
                    f"Received: input shape {fmt(shape)}"
                )
            out[start + i] = length
        return tuple(out)


def window_input_saved(shapes: list[Shape], p) -> Saved:
    """The input a pooling window's backward reads: with channels last, the copy Keras
    makes of it in torch's channels-first layout; else the input itself."""
    if channels_last(p):
        return Saved(extra=math.prod(shapes[0]))
    return Saved(inputs=(0,))


class MaxWindows(LayerSpec):
    """Max pooling's backward: the input, and where each window's maximum was."""

    def saved(self, shapes, output, p):
        return window_input_saved(shapes, p)._replace(indices=math.prod(output))


class AverageWindows(LayerSpec):
    """Average pooling's backward: torch keeps the input."""

    def saved(self, shapes, output, p):
        return window_input_saved(shapes, p)


@register
class MaxPooling1D(MaxWindows, BasePooling):
    """Max pooling over windows of a sequence: the largest value of each window."""

    type = "MaxPooling1D"
    rank = 1
    params = _window_params(1, 2)


@register
class MaxPooling2D(MaxWindows, BasePooling):
    """Max pooling over 2-D windows of an image: the largest value of each window."""

    type = "MaxPooling2D"
    rank = 2
    params = _window_params(2, (2, 2))


@register
class MaxPooling3D(MaxWindows, BasePooling):
    """Max pooling over 3-D windows of a volume: the largest value of each window."""

    type = "MaxPooling3D"
    rank = 3
    params = _window_params(3, (2, 2, 2))


@register
class AveragePooling1D(AverageWindows, BasePooling):
    """Average pooling over windows of a sequence: the mean of each window."""

    type = "AveragePooling1D"
    rank = 1
    params = _window_params(1, REQUIRED)


@register
class AveragePooling2D(AverageWindows, BasePooling):
    """Average pooling over 2-D windows of an image: the mean of each window."""

    type = "AveragePooling2D"
    rank = 2
    params = _window_params(2, REQUIRED)


@register
class AveragePooling3D(AverageWindows, BasePooling):
    """Average pooling over 3-D windows of a volume: the mean of each window."""

    type = "AveragePooling3D"
    rank = 3
    params = _window_params(3, REQUIRED)


class BaseGlobalPooling(LayerSpec):
    """Pooling over all spatial axes at once (Keras's BaseGlobalPooling)."""

    category = "Pooling"
    rank: ClassVar[int]
    params = (
        data_format(),
        Param(
            "keepdims",
            Bool(),
            False,
            "Keep the spatial axes with size 1 instead of dropping them.",
        ),
    )

    def output_shape(self, shapes, p):
        (shape,) = shapes
        last = expect_spatial(shape, self.rank, p) == 1
        channels = shape[-1] if last else shape[1]
        if not p["keepdims"]:
            return (shape[0], channels)
        ones = (1,) * self.rank
        return (shape[0], *ones, channels) if last else (shape[0], channels, *ones)


class GlobalMaxWindow(LayerSpec):
    """Global max pooling's backward: torch's amax keeps its input and its result."""

    def saved(self, shapes, output, p):
        return Saved(inputs=(0,), output=True)


@register
class GlobalMaxPooling1D(GlobalMaxWindow, BaseGlobalPooling):
    """Largest value over all steps of a sequence, per feature."""

    type = "GlobalMaxPooling1D"
    rank = 1


@register
class GlobalMaxPooling2D(GlobalMaxWindow, BaseGlobalPooling):
    """Largest value over the height and width of an image, per channel."""

    type = "GlobalMaxPooling2D"
    rank = 2


@register
class GlobalMaxPooling3D(GlobalMaxWindow, BaseGlobalPooling):
    """Largest value over the depth, height and width of a volume, per channel."""

    type = "GlobalMaxPooling3D"
    rank = 3


@register
class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over all steps of a sequence, per feature."""

    type = "GlobalAveragePooling1D"
    rank = 1


@register
class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over the height and width of an image, per channel."""

    type = "GlobalAveragePooling2D"
    rank = 2


@register
class GlobalAveragePooling3D(BaseGlobalPooling):
    """Mean over the depth, height and width of a volume, per channel."""

    type = "GlobalAveragePooling3D"
    rank = 3
