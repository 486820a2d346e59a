"""Custom layer nodes: the keras.layers.Layer subclasses of the user's trusted modules.

A graph names one by its type `module:Name` (graph.user_layers). Once the user trusts
the module as it is (codegen.trusted_code), `trust_layers` imports it and registers a
`UserLayerSpec` per layer class it defines, for that module content only: params from
the class's `__init__` signature (as codegen.generic_spec reads Keras's own), shapes,
dtypes and weight counts from Keras itself, building the layer and calling it on
symbolic inputs, cached as the built-in Keras-backed specs are (an edit elsewhere
builds nothing). A custom layer takes one input, called as `layer(x)`.
"""

from __future__ import annotations

import os
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen.generic_spec import KerasBackedSpec
from codegen.keras_env import import_keras
from codegen.keras_layers import keras_kwargs
from codegen.trusted_code import Trust, import_modules
from graph.errors import GraphError
from graph.model import ModelGraph
from graph.spec import OnnxLimit, Params
from graph.training import TrainingSetup
from graph.user_code import CodeModule, record_module
from graph.user_layers import CATEGORY, graph_layer_uses, register_trusted_spec


class UserLayerSpec(KerasBackedSpec):
    """The spec of a layer class of a trusted user module: Keras builds it to answer."""

    def __init__(self, layer_type: str, cls: type, module: CodeModule) -> None:
        self.keras_class = cls
        self.module = module
        super().__init__(layer_type, cls, package=cls.__module__)
        self.category = CATEGORY

    def new_layer(self, params: Params, name: str) -> Any:
        """A fresh instance of the user's class with `params`, named `name` (the type's
        class name when asked for the type itself: Keras names hold no ':')."""
        if name == self.type:
            name = self.keras_class.__name__
        return self.keras_class(**keras_kwargs(self, params), name=name)

    def onnx_limits(self, shapes: Any, p: Params) -> list[OnnxLimit]:
        """None known ahead: the export traces the layer's forward and names it if
        that fails (codegen.export)."""
        return []


def layer_classes(module: types.ModuleType) -> dict[str, type]:
    """The keras.layers.Layer subclasses `module` defines itself (not those it
    imports), by name, in definition order."""
    base = import_keras().layers.Layer
    return {
        name: value
        for name, value in vars(module).items()
        if isinstance(value, type)
        and issubclass(value, base)
        and value.__module__ == module.__name__
    }


def register_layers(module: CodeModule, loaded: types.ModuleType) -> list[UserLayerSpec]:
    """A spec for each layer class of the trusted `module` (imported as `loaded`),
    registered for graphs that record this content: what the palette offers."""
    specs = []
    for name, cls in layer_classes(loaded).items():
        spec = UserLayerSpec(f"{module.name}:{name}", cls, module)
        register_trusted_spec(module, name, spec)
        specs.append(spec)
    return specs


def trust_layers(
    g: ModelGraph, graph_folder: str | os.PathLike, trust: Trust
) -> list[UserLayerSpec]:
    """Import the modules `g`'s custom layers come from and register their layer
    classes, so validation, build and every target know them; UntrustedCodeError
    (nothing imported) when a module is not trusted as it is. Returns the specs."""
    uses = graph_layer_uses(g)
    if not uses:
        return []
    setup = g.training or TrainingSetup()
    loaded = import_modules(setup, graph_folder, trust, uses)
    by_name = {m.name: m for m in setup.modules}
    specs = []
    for name, module in loaded.items():
        specs += register_layers(by_name[name], module)
    return specs


def trust_module_layers(
    module: CodeModule, graph_folder: str | os.PathLike, trust: Trust
) -> list[UserLayerSpec]:
    """The layer classes of one module the user trusts (the palette's Custom group)."""
    setup = TrainingSetup(modules=(module,))
    uses = [("the palette", f"{module.name}:*")]
    loaded = import_modules(setup, graph_folder, trust, uses)
    return register_layers(module, loaded[module.name])


@dataclass(frozen=True)
class TrustedLayers:
    """The layer classes of the modules an import trusts: each class's layer type
    (`module:Name`), and the modules as the imported graph records them."""

    modules: tuple[CodeModule, ...]
    types: Mapping[type, str]

    def custom_objects(self) -> dict[str, type]:
        """The classes by every name a Keras config may give them (class name and
        registered name): what Keras deserializes the model with."""
        keras = import_keras()
        found: dict[str, type] = {}
        for cls in self.types:
            found[cls.__name__] = cls
            found[keras.saving.get_registered_name(cls)] = cls
        return found


def trusted_for_import(
    files: Iterable[str | os.PathLike], graph_path: str | os.PathLike
) -> TrustedLayers:
    """The layer classes of `files`, trusted as they are now, for importing a model into
    the graph file `graph_path`: each file must be inside that file's folder (the graph
    records it relative to there); GraphError naming a file outside, OSError when one
    cannot be read."""
    folder = Path(graph_path).resolve().parent
    paths = [Path(f).resolve() for f in files]
    for path in paths:
        if not path.is_relative_to(folder):
            raise GraphError(
                f"--trust-code {path}: the graph would record it relative to its own folder "
                f"{folder}. Expected a module inside that folder (copy it there)"
            )
    modules = tuple(record_module(folder, path.relative_to(folder).as_posix()) for path in paths)
    trust = Trust.of_files(paths)
    types_of: dict[type, str] = {}
    for module in modules:
        for spec in trust_module_layers(module, folder, trust):
            types_of[spec.keras_class] = spec.type
    return TrustedLayers(modules, types_of)
