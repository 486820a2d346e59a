"""Operation specs: a Keras operation (keras.ops.add, tanh, mean, slicing...) as a node.

Keras records every `keras.ops` call on symbolic tensors as an operation, an object
of a class of `keras.src.ops` (Add, Tanh, Mean, GetItem...) with a constructor (its
options: Mean's axis and keepdims) and a call (its operands: Add's x1 and x2). An
operation spec is a layer spec of such a class: its params are the constructor's
arguments and the call's constant operands (the 2.0 of `x * 2.0` is Multiply's x2),
both with Keras's names; its ports are the tensor operands, in call order. It has no
weights, and its shape and dtype rules are those of the class's
`compute_output_spec`, conformance-tested against it like the layer specs.

Keras makes one as `Class(**init_kwargs(p))` and calls it on `call_args(p, inputs)`:
constants and tensors in their operands' places. Building, the conformance oracle
and the importer (its reverse, through `constant_param`) go through these, so they
agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

from graph.errors import ShapeError
from graph.spec import LayerSpec, Params, Ports, builtin_specs, register

T = TypeVar("T")


class OperationSpec(LayerSpec):
    """Base class of operation specs.

    `keras_class` is the operation's class in Keras's module `keras_module`
    (keras.src.ops.<module>), `function` the keras.ops function a person writes, and
    `operands` the call's argument names in order (a list operand, Concatenate's xs,
    takes every port). Params named like an operand are its constant form: None (the
    default) where a tensor fills it.
    """

    category = "Operations"
    keras_module: ClassVar[str] = "numpy"
    keras_class: ClassVar[str]
    function: ClassVar[str]
    operands: ClassVar[tuple[str, ...]] = ("x",)
    ports = Ports.fixed(("x",))
    #: Whether the one operand is a list of every input (keras.ops.concatenate).
    list_operand: ClassVar[bool] = False
    #: How a person writes it, where not as `keras.ops.<function>(...)`: the operator
    #: between two operands (`a + b`), or a subscript (`x[key]`, the `key` param). In
    #: a subclass's call() these are the backend's operators, so only those that
    #: compute as the Keras function does are written so.
    symbol: ClassVar[str | None] = None
    subscript: ClassVar[bool] = False

    def infer(self, shapes, dtypes, p):
        problem = self.tensor_count_problem(shapes, p)
        if problem is not None:
            raise ShapeError(problem)
        return self.output_shape(shapes, p), self.output_dtype(dtypes, p), 0, 0

    def tensor_operands(self, p: Params) -> tuple[str, ...]:
        """The operands that tensors fill, in port order: those without a constant."""
        return tuple(name for name in self.operands if p.get(name) is None)

    def init_kwargs(self, p: Params) -> dict[str, Any]:
        """The keyword arguments of the operation's constructor: the params, as the
        node holds them, that are no operand."""
        return {k: v for k, v in p.items() if k not in self.operands}

    def call_args(self, p: Params, inputs: Sequence[T]) -> list[Any]:
        """The operation's call arguments on `inputs` (in port order): the tensors
        and the constants in their operands' places (one list for a list operand)."""
        if self.list_operand:
            return [list(inputs)]
        tensors = iter(inputs)
        return [
            next(tensors) if p.get(name) is None else self.constant(name, p[name])
            for name in self.operands
        ]

    def constant(self, name: str, value: Any) -> Any:
        """The value Keras takes for the constant operand `name` (as the param holds it)."""
        return value

    def constant_param(self, name: str, value: Any) -> Any:
        """The param value of the constant operand `name` that Keras was called with;
        the reverse of `constant`. Raises ValueError when the graph cannot hold it."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"a constant {name} must be a number. Received: {value!r}")
        return value

    def tensor_count_problem(self, shapes: list, p: Params) -> str | None:
        """Why the number of inputs does not fit the operands the params leave to tensors."""
        if self.list_operand:
            return None
        wanted = self.tensor_operands(p)
        if len(shapes) == len(wanted):
            return None
        constants = [n for n in self.operands if n not in wanted]
        given = f" ({', '.join(constants)} given as a number)" if constants else ""
        return (
            f"takes {len(wanted)} tensor input(s) for {', '.join(wanted) or 'nothing'}{given}. "
            f"Received: {len(shapes)}"
        )


def operation_specs() -> list[OperationSpec]:
    """Every registered operation spec, in registration order."""
    return [s for s in builtin_specs() if isinstance(s, OperationSpec)]


_BY_CLASS: dict[tuple[str, str], OperationSpec] = {}


def operation_spec(module: str, class_name: str) -> OperationSpec | None:
    """The spec of Keras's operation class `class_name` in keras.src.ops.<module>."""
    if not _BY_CLASS:
        _BY_CLASS.update({(s.keras_module, s.keras_class): s for s in operation_specs()})
    return _BY_CLASS.get((module, class_name))


def define(base: type[OperationSpec], keras_class: str, function: str, doc: str, **facts) -> None:
    """Register the spec of Keras's operation class `keras_class`, made by the
    keras.ops function `function`, as a subclass of `base` with `facts` (class
    attributes: `output_dtype`, `keras_module`...) and `doc` for the palette."""
    for name, value in facts.items():
        if callable(value) and not isinstance(value, type):
            facts[name] = staticmethod(value)
    attrs = {"type": f"ops.{function}", "keras_class": keras_class, "function": function}
    register(type(f"{keras_class}Operation", (base,), {**attrs, "__doc__": doc, **facts}))
