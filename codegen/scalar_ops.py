"""Arithmetic of a tensor with a number, as the Rescaling layer that computes it.

Functional models may do arithmetic on tensors directly (MobileNetV3's hard sigmoid is
`ReLU(6.0)(x + 3.0) * (1.0 / 6.0)`); Keras records each as a keras.ops operation, not
a layer, and a graph holds layers only. Rescaling computes `x * scale + offset`, so an
addition, subtraction or multiplication of one tensor and one Python number is a
Rescaling with the same result to the bit: multiplying by 1.0 and adding 0.0 change no
float (except -0.0 + 0.0, which is +0.0), and the number is cast to the tensor's dtype
by both. Division is left out: `x * (1 / c)` rounds differently from `x / c`.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Rescaled(NamedTuple):
    """An operation as a Rescaling: its params, its tensor input, and what it computed."""

    params: dict[str, float]
    tensor: Any
    text: str


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def as_rescaling(keras: Any, op: Any, call: Any) -> Rescaled | None:
    """The Rescaling computing the call `call` of keras.ops operation `op`, or None
    when it is not a float32 tensor plus, minus or times a number (Rescaling computes
    in float32, so other dtypes would come out otherwise)."""
    from keras.src.ops import numpy as ops

    args = call.arguments.args
    if call.arguments.kwargs or len(args) != 2:
        return None
    a, b = args
    tensors = [isinstance(v, keras.KerasTensor) for v in (a, b)]
    if tensors == [True, False] and _number(b):
        tensor, number, first = a, float(b), True
    elif tensors == [False, True] and _number(a):
        tensor, number, first = b, float(a), False
    else:
        return None
    if tensor.dtype != "float32":
        return None
    kind = type(op)
    if kind is ops.Add:
        params, text = {"scale": 1.0, "offset": number}, f"x + {number!r}"
    elif kind is ops.Multiply:
        params, text = {"scale": number}, f"x * {number!r}"
    elif kind is ops.Subtract and first:
        params, text = {"scale": 1.0, "offset": -number}, f"x - {number!r}"
    elif kind is ops.Subtract:
        params, text = {"scale": -1.0, "offset": number}, f"{number!r} - x"
    else:
        return None
    return Rescaled(params, tensor, text)
