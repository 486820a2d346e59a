"""Keras operations of a Functional model as operation nodes, for the importer.

A model that calls `keras.ops` (or `+`, `*`, slicing) on symbolic tensors holds
operations of `keras.src.ops` classes; one the graph has a spec for
(graph/operation.py), or that Keras's own rules cover (codegen/generic_operation.py),
becomes a node: its class's config gives the params, its call's
constant operands too (the 2.0 of `x * 2.0`, the key of `x[:, 0]`), its tensor
operands the ports. Nothing runs: only Keras's own classes are read, a config entry
must be a param of the spec, and a constant must be a number (or a slicing key of
integers), so a function reference or an object in an operation is refused as
anything the graph cannot express.
"""

from __future__ import annotations

import inspect
from functools import cache
from typing import Any, NamedTuple

from codegen.generic_operation import spec_of_class
from graph.operation import OperationSpec, operation_spec
from graph.params import freeze

_MODULE = "keras.src.ops."


class ImportedOperation(NamedTuple):
    """An operation call as a node: its spec, params, and (port, tensor) inputs."""

    spec: OperationSpec
    params: dict[str, Any]
    inputs: list[tuple[str, Any]]


def read_operation(keras: Any, label: str, op: Any, call: Any) -> ImportedOperation | str:
    """The node of the call `call` of Keras operation `op` (shown as `label`), or why
    the graph cannot hold it."""
    cls = type(op)
    module = cls.__module__
    spec = None
    if module.startswith(_MODULE):
        spec = operation_spec(module[len(_MODULE) :], cls.__name__) or spec_of_class(cls)
    if spec is None:
        return f"{label}: a Keras operation the graph has no operation spec for"
    from codegen.keras_operations import operation_class

    if operation_class(spec) is not cls:
        return f"{label}: a custom class from module {module!r}"
    params = _config_params(label, spec, op.get_config())
    if isinstance(params, str):
        return params
    try:
        bound = _signature(cls).bind(*call.arguments.args, **call.arguments.kwargs)
    except TypeError as e:
        return f"{label}: its call does not match its signature: {e}"
    tensors = []
    for name in spec.operands:
        value = bound.arguments.get(name, _signature(cls).parameters[name].default)
        if value is None or value is inspect.Parameter.empty:
            return f"{label}: leaves its operand {name} out. Expected a tensor or a number"
        if spec.list_operand:
            values = list(value) if isinstance(value, (list, tuple)) else [value]
            if not all(isinstance(v, keras.KerasTensor) for v in values):
                return f"{label}: takes a constant in {name}. Expected tensors only"
            tensors.extend(values)
        elif isinstance(value, keras.KerasTensor):
            tensors.append(value)
        else:
            try:
                params[name] = freeze(spec.constant_param(name, value))
            except ValueError as e:
                return f"{label}: {e}"
    if not tensors:
        return f"{label}: has no tensor operand"
    ports = [spec.ports.name(i) for i in range(len(tensors))]
    return ImportedOperation(spec, params, list(zip(ports, tensors, strict=True)))


def _config_params(label: str, spec: OperationSpec, config: dict) -> dict[str, Any] | str:
    """The params in an operation's config (its name left out), or why not."""
    params = {}
    for name, value in config.items():
        if name == "name":
            continue
        param = spec.param_by_name.get(name)
        if param is None or name in spec.operands:
            return f"{label}: its config holds {name}={value!r}, which the graph cannot express"
        frozen = freeze(value)
        if isinstance(frozen, tuple) and len(frozen) == 1 and param.problem(frozen[0]) is None:
            frozen = frozen[0]  # Mean keeps axis=1 as [1]
        reason = param.problem(frozen)
        if reason is not None:
            return f"{label}: {name} {reason}. Received: {name}={value!r}"
        if frozen != spec.defaults.get(name, object()):
            params[name] = frozen
    return params


@cache
def _signature(cls: type) -> inspect.Signature:
    """The signature of `cls.call` as a bound method (without self)."""
    signature = inspect.signature(cls.call)
    return signature.replace(parameters=list(signature.parameters.values())[1:])
