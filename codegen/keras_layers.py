"""Keras layer objects from graph layers: construction and calling, by spec.

Both the compiler and the conformance tests use these, so the tests prove the
specs against exactly the layers the compiler builds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from codegen.keras_registry import layer_class
from graph.calls import layer_call
from graph.params import NestedLayer, thaw
from graph.spec import LayerSpec, get_spec


def keras_kwargs(spec: LayerSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """Constructor kwargs for a layer of `spec`: JSON-ready values, nested layers built."""
    kwargs = {}
    for name, value in params.items():
        param = spec.param_by_name.get(name)
        if param is not None and isinstance(param.kind, NestedLayer):
            kwargs[name] = make_layer(*NestedLayer.parts(value))
        else:
            kwargs[name] = thaw(value)
    return kwargs


def make_layer(layer_type: str, params: Mapping[str, Any], name: str | None = None) -> Any:
    """A new Keras layer of `layer_type` with `params` (Keras defaults for the rest)."""
    cls = layer_class(layer_type)
    kwargs = keras_kwargs(get_spec(layer_type), params)
    if name is not None:
        kwargs["name"] = name
    return cls(**kwargs)


def call_layer(spec: LayerSpec, layer: Any, inputs: list[Any]) -> Any:
    """Call `layer` on `inputs` (in port order) the way Keras expects for `spec`."""
    call = layer_call(spec, inputs)
    return layer(*call.args, **call.kwargs)
