"""Elementwise operations: keras.ops arithmetic of two operands (a tensor and a
tensor or a number: `x + y`, `x * 2.0`, `2.0 - x`) and functions of one (tanh, relu...).

Shapes broadcast as Keras's `broadcast_shapes` does (a number is a scalar); dtypes
promote as `keras.src.backend.common.dtypes.result_type` (graph/dtype_promotion.py).
A number keeps its Python type, which decides the dtype: an int32 tensor times 2
stays int32, times 2.0 is float32.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from graph.dtype_promotion import constant_type, float_result, result_type
from graph.errors import ShapeError
from graph.operation import OperationSpec, define
from graph.params import Float, Optional, Param
from graph.shapes import Shape, fmt
from graph.spec import Ports, Saved, face_value, preserve_dtype


def broadcast_shapes(a: Shape, b: Shape) -> Shape:
    """Keras's `broadcast_shapes` (keras/src/ops/operation_utils.py), unknown sizes
    included: an unknown size against a known one gives the known one."""
    a, b = list(a), list(b)
    rank = max(len(a), len(b))
    a = [1] * (rank - len(a)) + a
    b = [1] * (rank - len(b)) + b
    out = []
    for i, j in zip(a, b, strict=True):
        if i == 1:
            out.append(j)
        elif i is None:
            out.append(None if j == 1 else j)
        elif j in (1, None, i):
            out.append(i)
        else:
            raise ShapeError(
                f"cannot broadcast shapes {fmt(tuple(a))} and {fmt(tuple(b))}: sizes {i} and "
                f"{j} differ and neither is 1"
            )
    return tuple(out)


def _operand(name: str) -> Param:
    return Param(
        name,
        Optional(Float()),
        None,
        f"A number in place of the tensor {name}; None: a connected tensor fills it.",
    )


class BinaryOperation(OperationSpec):
    """Base of the two-operand arithmetic: x1 and x2, each a tensor or a number.

    The ports are the tensors in operand order: `x` the first tensor, `y` the
    second (`2.0 - x`: x1 is the number, the tensor on port x fills x2)."""

    operands = ("x1", "x2")
    params = (_operand("x1"), _operand("x2"))
    ports = Ports.fixed(("x", "y"), required=1)
    #: Whether the result is a float whatever the operands (true division).
    floating: ClassVar[bool] = False
    #: What backward keeps with two tensors, with x1 a number, with x2 a number: "t"
    #: the tensor operands (a product's gradient needs the other factor), "n" the
    #: number as a one-value tensor, "o" the output (a power's gradient).
    keeps: ClassVar[tuple[str, str, str]] = ("", "", "")

    def check_params(self, p):
        if p["x1"] is not None and p["x2"] is not None:
            yield ("x2", "cannot be a number when x1 is one: at least one operand is a tensor")

    def output_shape(self, shapes, p):
        operand_shapes = iter(shapes)
        x1, x2 = (() if p[n] is not None else next(operand_shapes) for n in self.operands)
        return broadcast_shapes(x1, x2)

    def output_dtype(self, dtypes, p):
        given = iter(dtypes)
        types = [constant_type(p[n]) if p[n] is not None else next(given) for n in self.operands]
        if self.floating:
            types.append(float)
        return result_type(*types)

    def saved(self, shapes, output, p):
        """What torch's backward keeps, by `keeps` (measured with saved_tensors_hooks)."""
        number = 1 if p["x1"] is not None else 2 if p["x2"] is not None else 0
        kept = self.keeps[number]
        return Saved(
            inputs=tuple(range(len(shapes))) if "t" in kept else (),
            output="o" in kept,
            extra=int("n" in kept),
        )

    def face_params(self, p):
        """ "x * 2", "2 - x", "x + y": the expression, with the ports as its tensors."""
        names = iter(("x", "y"))
        terms = [next(names) if p.get(n) is None else face_value(p.get(n)) for n in self.operands]
        if self.symbol is None:
            return f"{self.function}({', '.join(terms)})"
        return f" {self.symbol} ".join(terms)


def _binary(keras_class: str, function: str, doc: str, symbol: str | None, **facts) -> None:
    define(BinaryOperation, keras_class, function, doc, symbol=symbol, **facts)


_binary("Add", "add", "keras.ops.add: x1 + x2, elementwise, broadcast.", "+")
_binary("Subtract", "subtract", "keras.ops.subtract: x1 - x2, elementwise, broadcast.", "-")
_binary(
    "Multiply", "multiply", "keras.ops.multiply: x1 * x2, elementwise, broadcast.", "*",
    keeps=("t", "n", "n"),
)  # fmt: skip
_binary(
    "TrueDivide", "true_divide", "keras.ops.true_divide: x1 / x2 (a float), elementwise.", "/",
    floating=True, keeps=("t", "t", ""),
)  # fmt: skip
_binary(
    "Divide", "divide", "keras.ops.divide: x1 / x2 (a float), elementwise.", None,
    floating=True, keeps=("t", "t", ""),
)  # fmt: skip
# No `**`: in a subclass's call() an operator is the backend's (torch's `**` rounds
# otherwise than keras.ops.power), so the source writes the function.
_binary(
    "Power", "power", "keras.ops.power: x1 ** x2, elementwise, broadcast.", None,
    keeps=("to", "ton", "ton"),
)  # fmt: skip
_binary(
    "Maximum", "maximum", "keras.ops.maximum: the larger of x1 and x2, elementwise.", None,
    keeps=("t", "tn", "tn"),
)  # fmt: skip
_binary(
    "Minimum", "minimum", "keras.ops.minimum: the smaller of x1 and x2, elementwise.", None,
    keeps=("t", "tn", "tn"),
)  # fmt: skip


class UnaryOperation(OperationSpec):
    """Base of the functions of one tensor, applied to each value.

    `keeps` is what torch's backward keeps (measured): "output" (tanh's gradient is
    1 - tanh(x)**2), "input" (abs, square), or "" (negation)."""

    keeps: ClassVar[str] = ""

    def output_shape(self, shapes, p):
        return shapes[0]

    def saved(self, shapes, output, p):
        return Saved(inputs=(0,) if self.keeps == "input" else (), output=self.keeps == "output")


def _integer_to_float(dtypes: list[str], p) -> str:
    """Exp's rule: integers and bools become float32, floats stay as they are."""
    dtype = dtypes[0]
    return "float32" if "int" in dtype or dtype == "bool" else dtype


def _float_function(dtypes: list[str], p) -> str:
    """Tanh's, Sqrt's and Log's rule: the tensor's float dtype (float32 for integers)."""
    return float_result(dtypes[0])


def _bool_to_int(dtypes: list[str], p) -> str:
    """Square's rule: bools become int32, other dtypes stay."""
    return "int32" if dtypes[0] == "bool" else dtypes[0]


def _unary(
    keras_class: str,
    function: str,
    doc: str,
    dtype: Callable[[list[str], object], str] = preserve_dtype,
    module: str = "numpy",
    keeps: str = "",
) -> None:
    define(
        UnaryOperation, keras_class, function, doc, output_dtype=dtype, keras_module=module,
        keeps=keeps,
    )  # fmt: skip


_unary(
    "Tanh",
    "tanh",
    "keras.ops.tanh: the hyperbolic tangent of each value.",
    _float_function,
    keeps="output",
)
_unary(
    "Exp", "exp", "keras.ops.exp: e to the power of each value.", _integer_to_float, keeps="output"
)
_unary(
    "Log",
    "log",
    "keras.ops.log: the natural logarithm of each value.",
    _float_function,
    keeps="input",
)
_unary(
    "Sqrt",
    "sqrt",
    "keras.ops.sqrt: the square root of each value.",
    _float_function,
    keeps="output",
)
_unary("Square", "square", "keras.ops.square: each value squared.", _bool_to_int, keeps="input")
_unary("Absolute", "abs", "keras.ops.abs: the absolute value of each value.", keeps="input")
_unary("Negative", "negative", "keras.ops.negative: -x, each value negated.")
_unary("Relu", "relu", "keras.ops.relu: max(x, 0) for each value.", module="nn", keeps="output")
_unary(
    "Sigmoid",
    "sigmoid",
    "keras.ops.sigmoid: 1 / (1 + exp(-x)) for each value.",
    module="nn",
    keeps="output",
)
_unary(
    "Softplus",
    "softplus",
    "keras.ops.softplus: log(1 + exp(x)) for each value.",
    module="nn",
    keeps="input",
)
_unary("Silu", "silu", "keras.ops.silu: x * sigmoid(x) for each value.", module="nn", keeps="input")
