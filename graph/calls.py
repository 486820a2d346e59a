"""How a layer is called on its inputs: the one place that knows each call style.

A spec's `call_style` names the style; building a model (codegen.keras_layers),
writing its source (codegen.pysource) and importing one (codegen.importer) all go
through these two functions, so a layer called in a new way is added here only.

    "single": layer(x)
    "list":   layer([a, b, ...])
    "kwargs": layer(query=q, value=v, key=k)   (the ports' names as keywords)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from graph.spec import LayerSpec

T = TypeVar("T")


class CallStyleError(ValueError):
    """A call's arguments do not have the form the layer's call style takes."""


@dataclass(frozen=True)
class LayerCall(Generic[T]):
    """The arguments of one layer call: positional ones (an input, or a list of
    inputs), then keyword ones by name."""

    args: tuple[T | list[T], ...] = ()
    kwargs: dict[str, T] = field(default_factory=dict)


def layer_call(spec: LayerSpec, inputs: Sequence[T]) -> LayerCall[T]:
    """How a layer of `spec` is called on `inputs`, given in port order."""
    style = spec.call_style
    if style == "single":
        (x,) = inputs
        return LayerCall((x,))
    if style == "list":
        return LayerCall((list(inputs),))
    if style == "kwargs":
        return LayerCall(kwargs={spec.ports.names[i]: x for i, x in enumerate(inputs)})
    raise ValueError(f"unknown call style {style!r} of {spec.type}")


def call_inputs(
    spec: LayerSpec, arguments: Mapping[str, Any], first: str
) -> tuple[list[tuple[str, Any]], set[str]]:
    """The reverse of `layer_call`: from the bound `arguments` of a call (by
    parameter name; `first` is the call's first parameter), (port, value) for each
    input in port order, and the names of the arguments that carried inputs.

    Raises CallStyleError if the arguments do not have the style's form.
    """
    style = spec.call_style
    if style == "kwargs":
        named = [(port, arguments.get(port)) for port in spec.ports.names]
        return [(port, x) for port, x in named if x is not None], set(spec.ports.names)
    value = arguments[first]
    if style == "single":
        return [(spec.ports.name(0), value)], {first}
    if style == "list":
        if not isinstance(value, (list, tuple)):
            raise CallStyleError(f"expects a list of inputs. Received: {type(value).__name__}")
        return [(spec.ports.name(i), x) for i, x in enumerate(value)], {first}
    raise ValueError(f"unknown call style {style!r} of {spec.type}")
