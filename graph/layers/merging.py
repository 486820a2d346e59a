"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot.

They have no weights and always compute in float32, whatever their inputs' dtypes.
The shape rules are those of Keras's `Merge.build`/`compute_output_shape` (and the
overrides of Concatenate and Dot), quirks included, since those are what decide
whether Keras accepts a call.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

from graph.errors import ShapeError
from graph.params import Axes, Bool, Int, Param
from graph.shapes import fmt
from graph.spec import LayerSpec, Ports, Saved, register


def _shapes(shapes) -> str:
    return ", ".join(fmt(s) for s in shapes)


def _has_index(shape, index: int) -> bool:
    """Whether Python indexing `shape[index]` works (negative counts from the end)."""
    return -len(shape) <= index < len(shape)


def odd_one(shapes, fit: Callable[[tuple, tuple], bool]) -> int | None:
    """The position of the input to blame for a mismatch: the one input that does not
    `fit` the shape most inputs have, or None when no shape is had by two inputs (two
    that disagree: either may be the one to change) or several inputs misfit."""
    counts = Counter(shapes)
    reference = max(shapes, key=counts.__getitem__)
    if counts[reference] < 2:
        return None
    misfits = [i for i, shape in enumerate(shapes) if not fit(shape, reference)]
    return misfits[0] if len(misfits) == 1 else None


def _broadcast(a, b):
    """Keras's `_compute_elemwise_op_output_shape` on shapes without the batch axis;
    None when they do not broadcast together."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return a
    out = list(a[: len(a) - len(b)])
    for i, j in zip(a[len(a) - len(b) :], b, strict=True):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1 or i == j:
            out.append(i)
        else:
            return None
    return tuple(out)


def _same_batch(a, b) -> bool:
    return not (a and b) or None in (a[0], b[0]) or a[0] == b[0]


def _broadcastable(a, b) -> bool:
    return _broadcast(a[1:], b[1:]) is not None


def _matching(a, b) -> bool:
    """Whether two shapes agree on every axis, unknown sizes matching anything."""
    return len(a) == len(b) and all(
        i is None or j is None or i == j for i, j in zip(a, b, strict=True)
    )


class ElementwiseMerge(LayerSpec):
    """Base of the element-wise merges: same shapes (broadcastable), same batch size."""

    category = "Merging"
    ports = Ports.many(required=1)
    call_style = "list"

    def output_shape(self, shapes, p):
        first = shapes[0]
        for shape in shapes:
            if shape != first:
                break
        else:
            return first  # the usual case: equal shapes
        batches = {s[0] for s in shapes if s} - {None}
        if len(batches) > 1:
            raise ShapeError(
                "cannot merge tensors with different batch sizes. "
                f"Received: input shapes {_shapes(shapes)}",
                odd_one(shapes, _same_batch),
            )
        out = shapes[0][1:]
        for shape in shapes[1:]:
            out = _broadcast(out, shape[1:])
            if out is None:
                raise ShapeError(
                    "expects inputs whose shapes broadcast together (each axis, aligned "
                    f"from the last one, equal or 1). Received: input shapes {_shapes(shapes)}",
                    odd_one(shapes, _broadcastable),
                )
        return (batches.pop() if batches else None, *out)


class ReadingMerge(ElementwiseMerge):
    """A merge whose gradients read the inputs (products, maxima): backward keeps them."""

    def saved(self, shapes, output, p):
        return Saved(inputs=tuple(range(len(shapes))))


@register
class Add(ElementwiseMerge):
    """Adds its inputs element-wise."""

    type = "Add"


@register
class Subtract(ElementwiseMerge):
    """Subtracts its second input from its first, element-wise."""

    type = "Subtract"
    ports = Ports.fixed(("input_0", "input_1"))


@register
class Multiply(ReadingMerge):
    """Multiplies its inputs element-wise."""

    type = "Multiply"

    def saved_with_grads(self, shapes, output, p, input_grads, trainable=True):
        # Keras multiplies in a chain, ((x0 * x1) * x2) ...: each product keeps one
        # factor for the other's gradient, so a factor is kept only when the other
        # carries a gradient; the running products past the first are the chain's own.
        kept, made = [], 0
        running_grad = input_grads[0]
        for k in range(1, len(shapes)):
            if input_grads[k]:  # the running product is kept for x_k's gradient
                if k == 1:
                    kept.append(0)
                else:
                    made += math.prod(self.output_shape(shapes[:k], p))
            if running_grad:
                kept.append(k)
            running_grad = running_grad or input_grads[k]
        return Saved(inputs=tuple(sorted(kept)), extra=made)


@register
class Average(ElementwiseMerge):
    """Averages its inputs element-wise."""

    type = "Average"


@register
class Maximum(ReadingMerge):
    """The element-wise maximum of its inputs."""

    type = "Maximum"


@register
class Minimum(ReadingMerge):
    """The element-wise minimum of its inputs."""

    type = "Minimum"


@register
class Concatenate(LayerSpec):
    """Concatenates its inputs along one axis; the other axes must match."""

    type = "Concatenate"
    category = "Merging"
    ports = Ports.many(required=1)
    call_style = "list"
    params = (
        Param("axis", Int(), -1, "Axis to concatenate along (negative counts from the end)."),
    )

    def output_shape(self, shapes, p):
        axis = p["axis"]
        first = shapes[0]
        for shape in shapes:
            if shape != first:
                break
        else:  # equal shapes: the usual case, and a quick one
            if not _has_index(first, axis):
                if axis < 0 or len(shapes) > 1:
                    raise self._no_axis(axis, first, None)
                return first
            if len(shapes) == 1 or first[axis] is None:
                return first
            return first[:axis] + (first[axis] * len(shapes),) + first[axis:][1:]
        # Concatenate.build: every input without the concatenation axis must match,
        # unknown sizes matching anything. (Keras drops the axis only where the input
        # has it, by plain Python indexing.)
        reduced = []
        for i, shape in enumerate(shapes):
            if len(shape) > axis:
                if not _has_index(shape, axis):
                    raise self._no_axis(axis, shape, i)
                shape = shape[:axis] + shape[axis:][1:]
            reduced.append(shape)
        rank = len(reduced[0])
        if len(set(reduced)) > 1 and (
            any(len(shape) != rank for shape in reduced)
            or any(len({shape[i] for shape in reduced} - {None}) > 1 for i in range(rank))
        ):
            raise ShapeError(
                "requires inputs with matching shapes except for the concatenation "
                f"axis (axis={axis}). Received: input shapes {_shapes(shapes)}",
                odd_one(reduced, _matching),
            )
        # Concatenate.compute_output_shape: sizes along the axis add up, an unknown
        # one makes the total unknown (and ends the sum).
        out = list(shapes[0])
        for i, shape in enumerate(shapes[1:], 1):
            if not _has_index(out, axis):
                raise self._no_axis(axis, shapes[0], 0)
            if out[axis] is None:
                break
            if not _has_index(shape, axis):
                raise self._no_axis(axis, shape, i)
            if shape[axis] is None:
                out[axis] = None
                break
            out[axis] += shape[axis]
        return tuple(out)

    @staticmethod
    def _no_axis(axis, shape, index):
        return ShapeError(
            f"cannot concatenate along axis {axis}: an input has no such axis. "
            f"Received: input shape {fmt(shape)}",
            index,
        )


@register
class Dot(LayerSpec):
    """The dot product of two inputs along one axis of each, sample by sample."""

    type = "Dot"
    category = "Merging"
    ports = Ports.fixed(("input_0", "input_1"))
    call_style = "list"
    params = (
        Param(
            "axes",
            Axes(),
            help="Axis of both inputs, or a pair (axis of input 0, axis of input 1).",
            initial=-1,
        ),
        Param("normalize", Bool(), False, "L2-normalise both inputs first (cosine similarity)."),
    )

    def check_params(self, p):
        axes = p["axes"]
        if isinstance(axes, tuple) and len(axes) != 2:
            yield "axes", f"must be one axis or a pair of axes. Received: axes={axes!r}"

    def output_shape(self, shapes, p):
        s1, s2 = shapes
        axes = p["axes"]
        if isinstance(axes, int):
            a1, a2 = (axes % len(s1), axes % len(s2)) if axes < 0 else (axes, axes)
        else:
            a1, a2 = axes
        for i, (shape, axis) in enumerate(((s1, a1), (s2, a2))):
            if not _has_index(shape, axis):
                raise ShapeError(
                    f"has no axis {axis} in an input to take the dot product along. "
                    f"Received: input shapes {_shapes(shapes)}",
                    i,
                )
        # Dot.build compares the sizes as they are: unknown matches only unknown.
        if s1[a1] != s2[a2]:
            raise ShapeError(
                f"expects equal sizes along the dot-product axes: {s1[a1]} (axis {a1} of "
                f"input 0) != {s2[a2]} (axis {a2} of input 1). "
                f"Received: input shapes {_shapes(shapes)}"
            )
        # Dot.compute_output_shape: input 0 without its axis, then input 1 without
        # its axis and its batch axis; a lone axis gets a trailing 1.
        rest1 = list(s1)
        rest1.pop(a1)
        rest2 = list(s2)
        rest2.pop(a2)
        if not rest2:
            raise ShapeError(
                "expects the second input to keep a batch axis besides the dot-product "
                f"axis. Received: input shapes {_shapes(shapes)}",
                1,
            )
        out = rest1 + rest2[1:]
        if len(out) == 1:
            out.append(1)
        return tuple(out)

    def _axes(self, shapes, p) -> tuple[int, int]:
        """The dot-product axis of each input, counted from 0 (as Dot.call takes them)."""
        s1, s2 = shapes
        axes = p["axes"]
        a1, a2 = (axes, axes) if isinstance(axes, int) else axes
        return a1 % len(s1), a2 % len(s2)

    def macs(self, shapes, output, p):
        # One product of the axis's length for every output value.
        return math.prod(output) * shapes[0][self._axes(shapes, p)[0]]

    def saved(self, shapes, output, p):
        return self.saved_with_grads(shapes, output, p, (True, True))

    def saved_with_grads(self, shapes, output, p, input_grads, trainable=True):
        # Keras's batch_dot is one matmul of (batch, m, k) by (batch, k, n), which
        # keeps each operand for the other's gradient. An input whose axis is not
        # where the matmul takes it (input 0's last, input 1's second) is transposed
        # into a copy first (measured), and that copy is what is kept; with
        # `normalize`, both operands are normalized copies, and each normalization
        # keeps its input and its norms.
        x, y = shapes
        a1, a2 = self._axes(shapes, p)
        grads = input_grads
        kept, made = [], 0
        if p["normalize"]:
            # Imported here: at import time it would register the normalization specs
            # before the merging ones, and the registry's order is the palette's.
            from graph.layers.normalization import l2_normalize_made

            for i, (shape, axis) in enumerate(((x, a1), (y, a2))):
                if grads[i]:
                    kept.append(i)
                    made += l2_normalize_made(shape, axis)
            made += (math.prod(x) if grads[1] else 0) + (math.prod(y) if grads[0] else 0)
            return Saved(inputs=tuple(kept), extra=made)
        as_is = (len(x) == 2 or a1 == len(x) - 1, len(y) == 2 or a2 == 1)
        for i, shape in enumerate((x, y)):
            if grads[1 - i]:
                if as_is[i]:
                    kept.append(i)
                else:
                    made += math.prod(shape)
        return Saved(inputs=tuple(kept), extra=made)
