"""Shape arithmetic shared by the layer specs.

Shapes are tuples of ints or None (unknown, e.g. the batch axis), batch axis first.
The formulas are Keras's (keras/src/ops/operation_utils.py and the layers' own
`compute_output_shape`), written without numpy so that validation stays fast;
unknown dimensions flow through as None.
"""

from __future__ import annotations

from typing import Any

Shape = tuple[Any, ...]


def fmt(shape: Shape) -> str:
    """A shape as Keras prints it: (None, 28, 28, 1)."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def as_tuple(value: Any, n: int) -> tuple[Any, ...]:
    """An int repeated `n` times, or a tuple as it is (Keras's standardize_tuple)."""
    if isinstance(value, tuple):
        return value
    return (value,) * n


def conv_length(
    length: int | None, kernel: int, stride: int, padding: str, dilation: int = 1
) -> int | None:
    """Output length of a convolution or pooling window along one axis.

    May be zero or negative for "valid" padding: callers decide what that means.
    """
    if length is None:
        return None
    if padding == "valid":
        return (length - dilation * (kernel - 1) - 1) // stride + 1
    return (length - 1) // stride + 1


def deconv_length(
    length: int | None,
    kernel: int,
    stride: int,
    padding: str,
    output_padding: int | None,
    dilation: int = 1,
) -> int | None:
    """Output length of a transposed convolution along one axis (Keras's formula)."""
    if length is None:
        return None
    kernel = kernel + (kernel - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(kernel - stride, 0)
        return length * stride
    pad = kernel // 2 if padding == "same" else 0
    return (length - 1) * stride + kernel - 2 * pad + output_padding
