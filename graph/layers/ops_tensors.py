"""Operations on whole tensors: reductions (mean, max, min, sum over axes),
concatenate, reshape, transpose, matmul and slicing (`x[:, 0]`).

Unlike the layers (Reshape, Permute, Concatenate), these count the batch axis like
any other: `ops.reshape(x, (-1, 6))` gives the whole output shape, and
`ops.concatenate` joins on axis 0 by default. The rules are those of each class's
`compute_output_spec` (keras/src/ops/numpy.py, operation_utils.py).
"""

from __future__ import annotations

import math

from graph.dtype_promotion import result_type
from graph.errors import ShapeError
from graph.layers.ops_elementwise import broadcast_shapes
from graph.operation import OperationSpec, define
from graph.params import Axes, Bool, Float, Int, IntTuple, Optional, Param
from graph.shapes import Shape, fmt
from graph.slice_key import SliceKey, format_key, parse_key
from graph.spec import Ports, Saved, face_value, preserve_dtype, register


def canonical_axis(axis: int, rank: int, shape: Shape) -> int:
    """`axis` counted from 0 (negative counts from the end); ShapeError past the rank."""
    if not -rank <= axis < rank:
        raise ShapeError(f"axis {axis} is out of range for input shape {fmt(shape)}")
    return axis % rank


def _axes(value: object) -> tuple[int, ...]:
    return (value,) if isinstance(value, int) else tuple(value)


class Reduction(OperationSpec):
    """Base of the reductions over `axis` (None: every axis)."""

    params = (
        Param("axis", Optional(Axes()), None, "Axes to reduce (0 is the batch); None: all."),
        Param("keepdims", Bool(), False, "Whether reduced axes stay, with size 1."),
    )

    def check_params(self, p):
        axis = p["axis"]
        if axis is not None and len(set(_axes(axis))) != len(_axes(axis)):
            yield ("axis", f"names an axis twice. Received: axis={axis!r}")

    def output_shape(self, shapes, p):
        (shape,) = shapes
        if p["axis"] is None:
            return (1,) * len(shape) if p["keepdims"] else ()
        axes = {canonical_axis(a, len(shape), shape) for a in _axes(p["axis"])}
        if len(axes) != len(_axes(p["axis"])):
            raise ShapeError(f"axis {p['axis']!r} names an axis twice on shape {fmt(shape)}")
        if p["keepdims"]:
            return tuple(1 if i in axes else d for i, d in enumerate(shape))
        return tuple(d for i, d in enumerate(shape) if i not in axes)

    def face_params(self, p):
        axis = p.get("axis")
        return "all axes" if axis is None else f"axis {face_value(axis)}"


def _mean_dtype(dtypes, p):
    """Mean's rule: integers and bools give float32, floats stay."""
    dtype = dtypes[0]
    return result_type(dtype, "float32") if "int" in dtype or dtype == "bool" else dtype


def _sum_dtype(dtypes, p):
    """Sum's rule (JAX's): small integers and bools sum in int32."""
    dtype = result_type(dtypes[0])
    return "int32" if dtype in ("bool", "uint8") else dtype


class Extremum(Reduction):
    """Base of max and min: Keras's `initial` joins the reduced values."""

    params = (
        *Reduction.params,
        Param("initial", Optional(Float()), None, "A value taken as one more of each reduction."),
    )
    output_dtype = staticmethod(preserve_dtype)

    def saved(self, shapes, output, p):
        # torch's amax/amin backward finds the extreme values again: input and output.
        return Saved(inputs=(0,), output=True)


define(
    Reduction, "Mean", "mean", "keras.ops.mean: the mean over the axes.", output_dtype=_mean_dtype
)
define(Reduction, "Sum", "sum", "keras.ops.sum: the sum over the axes.", output_dtype=_sum_dtype)
define(Extremum, "Max", "max", "keras.ops.max: the largest value over the axes.")
define(Extremum, "Min", "min", "keras.ops.min: the smallest value over the axes.")


@register
class ConcatenateOperation(OperationSpec):
    """keras.ops.concatenate: tensors joined along an axis (0, the batch, by default)."""

    type = "ops.concatenate"
    keras_class = "Concatenate"
    function = "concatenate"
    operands = ("xs",)
    list_operand = True
    call_style = "list"
    ports = Ports.many(required=1)
    params = (Param("axis", Int(min=-16, max=15), 0, "Axis to join along (0 is the batch)."),)

    def output_shape(self, shapes, p):
        first = shapes[0]
        axis = canonical_axis(p["axis"], len(first), first)
        total = 0
        for shape in shapes:
            same = len(shape) == len(first) and all(
                i == axis or a is None or b is None or a == b
                for i, (a, b) in enumerate(zip(shape, first, strict=True))
            )
            if not same:
                raise ShapeError(
                    f"joins tensors that agree on every axis but {p['axis']}. Received: "
                    f"shapes {fmt(first)} and {fmt(shape)}"
                )
            total = None if total is None or shape[axis] is None else total + shape[axis]
        return (*first[:axis], total, *first[axis + 1 :])

    def output_dtype(self, dtypes, p):
        return result_type(*dtypes)

    def face_params(self, p):
        return f"axis {p.get('axis', 0)}"


@register
class ReshapeOperation(OperationSpec):
    """keras.ops.reshape: the tensor in a new shape (batch axis included; one -1 inferred)."""

    type = "ops.reshape"
    keras_class = "Reshape"
    function = "reshape"
    params = (
        Param(
            "newshape",
            IntTuple(extra=(-1,)),
            help="The whole output shape, batch axis included; one entry may be -1.",
            initial=(-1,),
        ),
    )
    output_dtype = staticmethod(preserve_dtype)
    output_is_view = True

    def check_params(self, p):
        if p["newshape"].count(-1) > 1:
            yield ("newshape", f"may hold at most one -1. Received: newshape={p['newshape']!r}")

    def output_shape(self, shapes, p):
        (shape,) = shapes
        new = p["newshape"]
        if None in shape:
            return tuple(None if d == -1 else d for d in new)
        size = math.prod(shape)
        known = math.prod(d for d in new if d != -1)
        if (-1 not in new and known != size) or (-1 in new and size % known):
            raise ShapeError(
                f"cannot reshape {fmt(shape)} ({size} values) into newshape {fmt(new)}: "
                "the total size must be unchanged"
            )
        return tuple(size // known if d == -1 else d for d in new)


@register
class TransposeOperation(OperationSpec):
    """keras.ops.transpose: the axes in a new order (None: reversed), batch included."""

    type = "ops.transpose"
    keras_class = "Transpose"
    function = "transpose"
    output_is_view = True
    params = (
        Param(
            "axes",
            Optional(IntTuple(min=-16)),
            None,
            "The input axis of each output axis (0 is the batch); None reverses them.",
        ),
    )
    output_dtype = staticmethod(preserve_dtype)

    def output_shape(self, shapes, p):
        (shape,) = shapes
        axes = p["axes"]
        if axes is None:
            return shape[::-1]
        if len(axes) != len(shape):
            raise ShapeError(
                f"axes {fmt(axes)} must name each of the {len(shape)} axes of input shape "
                f"{fmt(shape)}"
            )
        order = [canonical_axis(a, len(shape), shape) for a in axes]
        if len(set(order)) != len(order):
            raise ShapeError(f"axes {fmt(axes)} names an axis twice; expected a permutation")
        return tuple(shape[a] for a in order)


@register
class MatmulOperation(OperationSpec):
    """keras.ops.matmul: the matrix product over the last two axes, the others broadcast."""

    type = "ops.matmul"
    keras_class = "Matmul"
    function = "matmul"
    operands = ("x1", "x2")
    ports = Ports.fixed(("x1", "x2"))

    def output_shape(self, shapes, p):
        a, b = shapes
        if not a or not b:
            raise ShapeError("multiplies tensors of rank >= 1. Received: a scalar")
        a2 = (1, *a) if len(a) == 1 else a
        b2 = (*b, 1) if len(b) == 1 else b
        if a2[-1] is not None and b2[-2] is not None and a2[-1] != b2[-2]:
            raise ShapeError(
                f"needs x1's last axis to match x2's second to last. Received: shapes "
                f"{fmt(a)} and {fmt(b)}"
            )
        out = [*broadcast_shapes(a2[:-2], b2[:-2]), a2[-2], b2[-1]]
        if len(a) == 1:
            del out[-2]
        if len(b) == 1:
            del out[-1]
        return tuple(out)

    def output_dtype(self, dtypes, p):
        return result_type(*dtypes)

    def macs(self, shapes, output, p):
        """One multiply-accumulate per output value and step of the shared axis."""
        return math.prod(output) * shapes[0][-1]

    def saved(self, shapes, output, p):
        # Each factor's gradient needs the other.
        return Saved(inputs=(0, 1))


@register
class GetItemOperation(OperationSpec):
    """Slicing, x[key]: `x[:, 0]` takes index 0 of axis 1, `x[:, 1:3]` a range of it."""

    type = "ops.get_item"
    keras_class = "GetItem"
    function = "get_item"
    operands = ("x", "key")
    subscript = True
    output_is_view = True
    params = (
        Param(
            "key",
            SliceKey(),
            help="What to take, as written between the brackets: ':, 0', '..., 1:3', ':, None'.",
            initial=":, 0",
        ),
    )
    output_dtype = staticmethod(preserve_dtype)

    def constant(self, name, value):
        return parse_key(value)

    def constant_param(self, name, value):
        return format_key(value)

    def face_params(self, p):
        return f"[{p.get('key', '')}]"

    def output_shape(self, shapes, p):
        (shape,) = shapes
        key = list(parse_key(p["key"]))
        if Ellipsis not in key:
            key.append(Ellipsis)
        rest, out = list(shape), []
        while key:
            entry = key.pop(0)
            if entry is Ellipsis:
                consumed = len(rest) - (len(key) - key.count(None))
                out += rest[:consumed]
                rest = rest[consumed:]
            elif entry is None:
                out.append(1)
            elif not rest:
                raise ShapeError(
                    f"key [{p['key']}] has more indices than shape {fmt(shape)} has axes"
                )
            else:
                size = rest.pop(0)
                if isinstance(entry, slice):
                    out.append(None if size is None else len(range(*entry.indices(size))))
                elif size is not None and not -size <= entry < size:
                    raise ShapeError(
                        f"index {entry} of key [{p['key']}] is out of range for an axis of "
                        f"size {size} (input shape {fmt(shape)})"
                    )
        return tuple(out)
