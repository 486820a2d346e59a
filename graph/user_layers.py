"""Layer nodes whose type is a class of one of the user's modules (`module:Name`).

A graph names such a layer by its type `module:Name`, `module` being the stem of a
file the training setup lists (graph.user_code) with its sha256. Knowing what the
layer does needs its code, which only codegen may run, and only for content the user
trusts: codegen then registers a spec for (module name, sha256, class name) with
`register_trusted_spec`. Until then, and for any other content, the layer's spec is an
`UncheckedLayerSpec`: the node keeps whatever params the file gives it, takes one
input, and validation warns that it is unchecked (naming the module) instead of
inferring its output, so a graph with custom nodes still opens, and nothing runs.
Keras-free.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph.model import ModelGraph

from graph.errors import ShapeError
from graph.params import Kind, Param
from graph.shapes import Shape
from graph.spec import LayerSpec, Params
from graph.user_code import CodeModule, is_ref, split_ref

#: The palette's group of the user's layers.
CATEGORY = "Custom"
#: The code of validation's warning on a custom layer that is not checked.
UNCHECKED = "unchecked"

#: Specs of trusted layer classes: (module name, module sha256, class name) -> spec.
_TRUSTED: dict[tuple[str, str, str], LayerSpec] = {}


class UncheckedLayerError(ShapeError):
    """A custom layer's output is not known: its module is not trusted (as it is now)."""


def register_trusted_spec(module: CodeModule, class_name: str, spec: LayerSpec) -> None:
    """Make `spec` the spec of `module:class_name` in graphs that record `module` with
    this very content (sha256). Only codegen calls this, after the user trusted it."""
    _TRUSTED[(module.name, module.sha256, class_name)] = spec


def is_user_layer_type(layer_type: str) -> bool:
    """Whether a layer type names a class of a user module (`module:Name`)."""
    return is_ref(layer_type)


def user_layer_spec(layer_type: str, modules: tuple[CodeModule, ...]) -> LayerSpec | None:
    """The spec of layer type `module:Name` in a graph recording `modules`: the trusted
    spec of that content, else an unchecked one; None when no module has that name."""
    module_name, class_name = split_ref(layer_type)
    module = next((m for m in modules if m.name == module_name), None)
    if module is None or not class_name.isidentifier():
        return None
    trusted = _TRUSTED.get((module.name, module.sha256, class_name))
    return trusted if trusted is not None else unchecked_spec(layer_type, module)


def graph_layer_uses(g: ModelGraph) -> list[tuple[str, str]]:
    """(what uses it, `module:Name`) for each custom layer of `g`, in graph order."""
    found = []
    for node_id in g.node_ids():
        layer = g.layer(node_id)
        if is_user_layer_type(layer.type) and g.call_index(node_id) == 1:
            found.append((f"layer '{layer.name}'", layer.type))
    return found


def used_modules(g: ModelGraph) -> list[CodeModule]:
    """The modules `g`'s custom layers come from, sorted by name (what generated
    sources import, in the same order for the same graph)."""
    used = {split_ref(ref)[0] for _, ref in graph_layer_uses(g)}
    listed = g.training.modules if g.training is not None else ()
    return sorted((m for m in listed if m.name in used), key=lambda m: m.name)


@dataclass(frozen=True)
class AnyValue(Kind):
    """Whatever value the graph file holds: an unchecked layer's params are judged by
    its class, once trusted."""

    def problem(self, value: Any) -> str | None:
        return None

    def describe(self) -> str:
        return "any value"


class _AnyParams(Mapping[str, Param]):
    """Param lookup of an unchecked layer: every name is a param of any value."""

    def __getitem__(self, name: str) -> Param:
        return Param(name, AnyValue(), None)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class UncheckedLayerSpec(LayerSpec):
    """A custom layer whose module is not trusted: any params, one input, no rules."""

    category = CATEGORY

    def __init__(self, layer_type: str, module: CodeModule) -> None:
        self.type = layer_type
        self.module = module
        super().__init__()
        self.param_by_name = _AnyParams()

    @property
    def doc(self) -> str:
        return f"a layer of {self.module.path}, not checked: the module is not trusted"

    def infer(
        self, shapes: list[Shape], dtypes: list[str], p: Params
    ) -> tuple[Shape, str, int, int]:
        raise UncheckedLayerError(
            f"not checked: its class comes from module {self.module.path!r} "
            f"(sha256 {self.module.sha256[:12]}...), which is not trusted; trust it "
            f"(--trust-code {self.module.path}) to infer its output"
        )

    def face_params(self, p: Params) -> str:
        return "unchecked"


@functools.cache
def unchecked_spec(layer_type: str, module: CodeModule) -> UncheckedLayerSpec:
    """The unchecked spec of `layer_type` from `module`: the same object each time, so
    validation's caches hold."""
    return UncheckedLayerSpec(layer_type, module)
