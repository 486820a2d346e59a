"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, and the per-axis
spatial layers UpSampling, ZeroPadding and Cropping (1-D to 3-D).

Dtypes follow Keras's symbolic call: Flatten, Reshape and Permute keep the input
dtype; the others report the layer's float32 compute dtype.
"""

from __future__ import annotations

from typing import Any, ClassVar

from graph.errors import ShapeError
from graph.layers.common import data_format
from graph.layers.pooling import expect_spatial
from graph.params import Choice, Int, IntTuple, Padding, Param
from graph.shapes import Shape, fmt
from graph.spec import LayerSpec, expect_min_rank, expect_rank, preserve_dtype, register
from graph.wording import counted


def _prod(dims) -> int:
    size = 1
    for d in dims:
        size *= d
    return size


@register
class Flatten(LayerSpec):
    """Flattens each sample to one axis: (batch, ...) becomes (batch, product of the rest)."""

    type = "Flatten"
    category = "Reshaping"
    params = (data_format(),)
    output_dtype = staticmethod(preserve_dtype)
    output_is_view = True

    def output_shape(self, shapes, p):
        (shape,) = shapes
        expect_min_rank(shape, 1)
        rest = shape[1:]
        return (shape[0], None if None in rest else _prod(rest))


@register
class Reshape(LayerSpec):
    """Reshapes each sample to target_shape (batch axis excluded; one -1 is inferred)."""

    type = "Reshape"
    category = "Reshaping"
    params = (
        Param(
            "target_shape",
            IntTuple(extra=(-1,)),
            help="Shape of one output sample, without the batch axis; one entry may be -1.",
            initial=(-1,),
        ),
    )
    output_dtype = staticmethod(preserve_dtype)
    output_is_view = True

    def check_params(self, p):
        if p["target_shape"].count(-1) > 1:
            yield (
                "target_shape",
                "may contain at most one unknown dimension (-1). "
                f"Received: target_shape={p['target_shape']!r}",
            )

    def output_shape(self, shapes, p):
        (shape,) = shapes
        target = p["target_shape"]
        rest = shape[1:]
        if None in rest:
            # Keras cannot check the size then; the -1 stays unknown.
            return (shape[0], *(None if d == -1 else d for d in target))
        size = _prod(rest)
        if -1 not in target:
            if _prod(target) != size:
                raise ShapeError(
                    f"cannot reshape a sample of {counted(size, 'value')} into target_shape "
                    f"{fmt(target)} ({counted(_prod(target), 'value')}): the total size must be "
                    f"unchanged. Received: input shape {fmt(shape)}"
                )
            return (shape[0], *target)
        known = _prod(d for d in target if d != -1)
        if size % known:
            raise ShapeError(
                f"cannot reshape a sample of {counted(size, 'value')} into target_shape "
                f"{fmt(target)}: "
                f"{size} is not divisible by the known dimensions' product {known}. "
                f"Received: input shape {fmt(shape)}"
            )
        return (shape[0], *(size // known if d == -1 else d for d in target))


@register
class Permute(LayerSpec):
    """Reorders the non-batch axes of each sample: dims lists them (from 1) in output order."""

    type = "Permute"
    category = "Reshaping"
    params = (
        Param(
            "dims",
            IntTuple(),
            help="Permutation of the axes 1..n, e.g. (2, 1) swaps the first two axes.",
            initial=(2, 1),
        ),
    )
    output_dtype = staticmethod(preserve_dtype)

    def check_params(self, p):
        dims = p["dims"]
        if sorted(dims) != list(range(1, len(dims) + 1)):
            yield (
                "dims",
                f"must be a permutation of the axes 1..{len(dims)}, each exactly once. "
                f"Received: dims={dims!r}",
            )

    def output_shape(self, shapes, p):
        (shape,) = shapes
        dims = p["dims"]
        axes = counted(len(dims), "axis", "axes")
        expect_rank(shape, len(dims) + 1, f"(batch and the {axes} that dims permutes)")
        return (shape[0], *(shape[d] for d in dims))


@register
class RepeatVector(LayerSpec):
    """Repeats each input vector n times: (batch, features) becomes (batch, n, features)."""

    type = "RepeatVector"
    category = "Reshaping"
    params = (Param("n", Int(min=1), help="How many times to repeat the input.", initial=3),)

    def output_shape(self, shapes, p):
        (shape,) = shapes
        expect_rank(shape, 2, "(batch, features)")
        return (shape[0], p["n"], shape[1])


class PerAxisSpatial(LayerSpec):
    """A layer that changes each spatial axis on its own (upsample, pad, crop).

    Subclasses map the spatial lengths to new ones; unknown lengths stay unknown,
    as in Keras.
    """

    category = "Reshaping"
    rank: ClassVar[int]

    def spatial(self, lengths: Shape, p, axis: int, shape: Shape) -> Shape:
        """The new lengths of the spatial axes `lengths`, which start at index `axis`."""
        raise NotImplementedError

    def output_shape(self, shapes, p):
        (shape,) = shapes
        start = expect_spatial(shape, self.rank, p)
        end = start + self.rank
        return (*shape[:start], *self.spatial(shape[start:end], p, start, shape), *shape[end:])


class BaseUpSampling(PerAxisSpatial):
    """Repeats each element `size` times along every spatial axis."""

    def spatial(self, lengths, p, axis, shape):
        size = p["size"]
        if not isinstance(size, tuple):
            size = (size,) * self.rank
        return [None if n is None else n * f for n, f in zip(lengths, size, strict=True)]


@register
class UpSampling1D(BaseUpSampling):
    """Repeats each step of a sequence size times along the time axis."""

    type = "UpSampling1D"
    rank = 1
    params = (Param("size", Int(min=1), 2, "How many times each step is repeated."),)


@register
class UpSampling2D(BaseUpSampling):
    """Upsamples an image by repeating (or interpolating) rows and columns."""

    type = "UpSampling2D"
    rank = 2
    params = (
        Param(
            "size",
            IntTuple(length=2, scalar=True),
            (2, 2),
            "Upsampling factors for height and width (an integer applies to both).",
        ),
        data_format(),
        Param(
            "interpolation",
            # The methods the torch backend's image resize supports.
            Choice(("nearest", "bilinear", "bicubic")),
            "nearest",
            "How new pixels are computed.",
        ),
    )


@register
class UpSampling3D(BaseUpSampling):
    """Upsamples a volume by repeating its elements along depth, height and width."""

    type = "UpSampling3D"
    rank = 3
    params = (
        Param(
            "size",
            IntTuple(length=3, scalar=True),
            (2, 2, 2),
            "Upsampling factors for depth, height and width (an integer applies to all).",
        ),
        data_format(),
    )


def _pairs(value: Any, rank: int) -> Any:
    """(before, after) per axis from a Padding-kind value that has passed its check."""
    if isinstance(value, int):
        return ((value, value),) * rank
    if rank == 1:
        return (value,)
    if isinstance(value[0], int):
        return [(v, v) for v in value]
    return value


class BaseZeroPadding(PerAxisSpatial):
    """Adds zeros before and after each spatial axis."""

    def spatial(self, lengths, p, axis, shape):
        pairs = _pairs(p["padding"], self.rank)
        return [None if n is None else n + a + b for n, (a, b) in zip(lengths, pairs, strict=True)]


def _padding(rank: int, default: object) -> Param:
    return Param(
        "padding",
        Padding(rank),
        default,
        "Zeros added per spatial axis: an integer, one per axis, or (before, after) pairs.",
    )


@register
class ZeroPadding1D(BaseZeroPadding):
    """Pads a sequence with zeros at its start and end."""

    type = "ZeroPadding1D"
    rank = 1
    params = (_padding(1, 1), data_format())


@register
class ZeroPadding2D(BaseZeroPadding):
    """Pads an image with rows and columns of zeros on its borders."""

    type = "ZeroPadding2D"
    rank = 2
    params = (_padding(2, (1, 1)), data_format())


@register
class ZeroPadding3D(BaseZeroPadding):
    """Pads a volume with zeros on its borders along depth, height and width."""

    type = "ZeroPadding3D"
    rank = 3
    params = (_padding(3, ((1, 1), (1, 1), (1, 1))), data_format())


class BaseCropping(PerAxisSpatial):
    """Removes elements before and after each spatial axis; at least one must remain."""

    def spatial(self, lengths, p, axis, shape):
        out = []
        for i, (a, b) in enumerate(_pairs(p["cropping"], self.rank)):
            n = lengths[i]
            if n is not None:
                if a + b >= n:
                    raise ShapeError(
                        f"cropping {(a, b)} along axis {axis + i} must be smaller than its "
                        f"size {n}: nothing would be left. Received: input shape {fmt(shape)}"
                    )
                n -= a + b
            out.append(n)
        return out


def _cropping(rank: int, default: object) -> Param:
    return Param(
        "cropping",
        Padding(rank),
        default,
        "Elements removed per spatial axis: an integer, one per axis, or (before, after) pairs.",
    )


@register
class Cropping1D(BaseCropping):
    """Crops a sequence: removes steps at its start and end."""

    type = "Cropping1D"
    rank = 1
    params = (_cropping(1, (1, 1)),)


@register
class Cropping2D(BaseCropping):
    """Crops an image: removes rows and columns on its borders."""

    type = "Cropping2D"
    rank = 2
    params = (_cropping(2, ((0, 0), (0, 0))), data_format())


@register
class Cropping3D(BaseCropping):
    """Crops a volume: removes elements on its borders along depth, height and width."""

    type = "Cropping3D"
    rank = 3
    params = (_cropping(3, ((1, 1), (1, 1), (1, 1))), data_format())
