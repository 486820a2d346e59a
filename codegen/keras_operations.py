"""Keras operations from operation nodes: the `keras.src.ops` class of a spec, made
with the node's params and called on its inputs.

The class, not the `keras.ops` function, is called so that the operation gets the
node's name (a function names it after itself), which an import of the built model
gives back. Both compute the same: the function makes and calls this very class.
Building and the conformance oracle use these, so the oracle proves the specs
against exactly what a build makes.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from codegen.keras_env import import_keras
from graph.operation import OperationSpec


def operation_class(spec: OperationSpec) -> type:
    """Keras's class of the operation `spec` describes."""
    import_keras()  # the backend is chosen before keras.src loads
    module = importlib.import_module(f"keras.src.ops.{spec.keras_module}")
    return getattr(module, spec.keras_class)


def make_operation(spec: OperationSpec, params: Mapping[str, Any], name: str | None = None) -> Any:
    """A new Keras operation of `spec` with the node's `params`."""
    return operation_class(spec)(**spec.init_kwargs(params), name=name)


def call_operation(spec: OperationSpec, op: Any, params: Mapping[str, Any], inputs: list) -> Any:
    """Call `op` (made by `make_operation`) on `inputs`, in port order."""
    return op(*spec.call_args(params, inputs))
