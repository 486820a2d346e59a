"""Operation specs backed by Keras itself, for keras.ops operations graph has no rule for.

graph/ holds keras-free rules for the common operations (graph/layers/ops_*.py). Any
other operation a Functional model calls (`keras.ops.clip`, `where`, `softmax`...) gets
a `KerasOperationSpec`: its type is `ops.<function>` like a hand-written one, its
params the class's constructor arguments and the call's constant operands, its ports
the call's tensor operands, and its shape and dtype what the class's own
`compute_output_spec` gives on symbolic inputs (cached like codegen/generic_spec.py's
layer builds). It has no weights.

A graph file names only the keras.ops function; the class is found from it by
Keras's naming (`expand_dims` is ExpandDims, in the function's own module), and the
reverse holds for an imported class, so a type resolves to exactly one class of
keras.src.ops and nothing else is ever imported.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import re

from codegen.generic_spec import AnyJson, kind_of
from codegen.keras_env import import_keras
from graph.errors import ShapeError
from graph.operation import OperationSpec
from graph.params import REQUIRED, Float, Optional, Param, freeze, thaw
from graph.shapes import Shape
from graph.spec import FLOATX, Ports, add_resolver

_PREFIX = "ops."
_OPS_PACKAGE = "keras.src.ops."
_CACHE_SIZE = 1024


def _class_name(function: str) -> str:
    return "".join(part.capitalize() for part in function.split("_"))


def _function_name(class_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


class KerasOperationSpec(OperationSpec):
    """The spec of a keras.ops operation with Keras's `compute_output_spec` as its rules.

    Every positional argument of the class's call is an operand, filled by a tensor
    or held as a number (the param of its name); ports take the tensors in order.
    """

    def __init__(self, function: str, cls: type) -> None:
        self.type = f"{_PREFIX}{function}"
        self.function = function
        self.keras_class = cls.__name__
        self.keras_module = cls.__module__[len(_OPS_PACKAGE) :]
        call = list(inspect.signature(cls.call).parameters.values())[1:]
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        self.operands = tuple(a.name for a in call if a.kind in positional)
        self.ports = Ports.fixed(self.operands, required=1)
        self.params = (*_init_params(cls), *(_operand(name) for name in self.operands))
        self._doc = (inspect.getdoc(getattr(import_keras().ops, function)) or function).strip()
        super().__init__()

    @property
    def doc(self) -> str:
        """The first line of the keras.ops function's docstring."""
        return f"keras.ops.{self.function}: {self._doc.splitlines()[0]}"

    def infer(self, shapes, dtypes, p):
        problem = self.tensor_count_problem(shapes, p)
        if problem is not None:
            raise ShapeError(problem)
        key = json.dumps(thaw(p), sort_keys=True)
        outcome = _evaluate(self, key, tuple(tuple(s) for s in shapes), tuple(dtypes))
        if isinstance(outcome, str):
            raise ShapeError(outcome)
        return (*outcome, 0, 0)

    def output_shape(self, shapes: list[Shape], p) -> Shape:
        return self.infer(shapes, [FLOATX] * len(shapes), p)[0]

    def output_dtype(self, dtypes: list[str], p) -> str:
        raise NotImplementedError("infer gives shape and dtype together, from Keras")


def _init_params(cls: type) -> list[Param]:
    """The constructor's arguments (its name left out) as params with Keras's defaults."""
    params = []
    for arg in inspect.signature(cls.__init__).parameters.values():
        if arg.name in ("self", "name") or arg.kind in (arg.VAR_POSITIONAL, arg.VAR_KEYWORD):
            continue
        if arg.default is arg.empty:
            params.append(Param(arg.name, AnyJson(), REQUIRED, ""))
        else:
            default = freeze(arg.default)
            params.append(Param(arg.name, kind_of(arg.name, default), default, ""))
    return params


def _operand(name: str) -> Param:
    return Param(
        name, Optional(Float()), None, f"A number in place of the tensor {name}; None: a tensor."
    )


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _evaluate(
    spec: KerasOperationSpec, params_key: str, shapes: tuple[Shape, ...], dtypes: tuple[str, ...]
) -> tuple[Shape, str] | str:
    """Keras's output (shape, dtype) of the operation on symbolic inputs, or its reason
    not to give one (returned, so refusals are cached too)."""
    from codegen.keras_operations import make_operation

    keras = import_keras()
    params = json.loads(params_key)
    try:
        op = make_operation(spec, params)
        inputs = [keras.KerasTensor(s, dtype=d) for s, d in zip(shapes, dtypes, strict=True)]
        output = op.compute_output_spec(*spec.call_args(params, inputs))
    except Exception as error:  # whatever Keras raises is its verdict on the operation
        return str(error).strip() or type(error).__name__
    if not isinstance(output, keras.KerasTensor):
        return "returns several tensors, and a graph node has a single output"
    return tuple(output.shape), output.dtype


@functools.cache
def keras_operation_spec(name: str) -> KerasOperationSpec | None:
    """The Keras-backed spec of the type `name`, `ops.<function>`, or None when
    keras.ops has no such function made by a class of its module named after it."""
    function = name[len(_PREFIX) :] if name.startswith(_PREFIX) else ""
    if not function.isidentifier() or function.startswith("_"):
        return None
    made = getattr(import_keras().ops, function, None)
    module_name = getattr(made, "__module__", "") or ""
    if not callable(made) or not module_name.startswith(_OPS_PACKAGE):
        return None
    from keras.src.ops.operation import Operation

    cls = getattr(importlib.import_module(module_name), _class_name(function), None)
    if not (isinstance(cls, type) and issubclass(cls, Operation)):
        return None
    if cls.__module__ != module_name or _function_name(cls.__name__) != function:
        return None
    return KerasOperationSpec(function, cls)


def spec_of_class(cls: type) -> KerasOperationSpec | None:
    """The Keras-backed spec of the keras.src.ops class `cls`, or None (see
    `keras_operation_spec`): the same class back, or no spec."""
    spec = keras_operation_spec(f"{_PREFIX}{_function_name(cls.__name__)}")
    if spec is None or spec.keras_class != cls.__name__:
        return None
    return spec if cls.__module__ == f"{_OPS_PACKAGE}{spec.keras_module}" else None


def install() -> None:
    """Let graph's `get_spec` fall back on Keras-backed operation specs (idempotent)."""
    add_resolver(keras_operation_spec)
