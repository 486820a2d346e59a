"""Keras's dtype promotion (`keras.src.backend.common.dtypes.result_type`), keras-free.

Operations compute in the dtype their operands promote to. Keras follows JAX's
lattice with 64-bit types off: int64 and float64 promote to int32 and float32, a
Python int keeps the tensor's dtype, a Python float turns integers and bools into
float32 and keeps a float dtype. Measured against Keras 3.15 for every pair of the
dtypes a graph's Inputs offer (tests/test_operations.py).
"""

from __future__ import annotations

from typing import Any

#: What each dtype promotes as, 64-bit types narrowed as Keras does.
_NARROWED = {"int64": "int32", "float64": "float32"}
#: The lattice's order: a pair promotes to the later one, but for the exceptions below.
_ORDER = ("bool", "uint8", "int32", "float16", "bfloat16", "float32")
_EXCEPTIONS = {frozenset(("float16", "bfloat16")): "float32"}
_FLOATS = frozenset(("float16", "bfloat16", "float32"))


def _join(a: str, b: str) -> str:
    if a == b:
        return a
    special = _EXCEPTIONS.get(frozenset((a, b)))
    if special is not None:
        return special
    return max(a, b, key=_ORDER.index)


def result_type(*operands: Any) -> str:
    """The dtype Keras computes `operands` in: dtype names of tensors, or the Python
    types `int` and `float` of constants (weak types, which defer to a tensor's)."""
    tensors = [_NARROWED.get(d, d) for d in operands if isinstance(d, str)]
    result = tensors[0] if tensors else "float32"
    for dtype in tensors[1:]:
        result = _join(result, dtype)
    if float in operands and result not in _FLOATS:
        return "float32"
    if int in operands and result == "bool":
        return "int32"
    return result


def float_result(dtype: str) -> str:
    """The dtype of a float function (tanh, sqrt) of a tensor of `dtype`: its float
    dtype, float32 for integers and bools."""
    return result_type(dtype, float)


def constant_type(value: Any) -> Any:
    """The weak type of a constant operand, as `result_type` takes it."""
    return float if isinstance(value, float) else int
