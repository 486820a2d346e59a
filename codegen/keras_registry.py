"""Which Keras layer classes a graph names, and by what type name.

A graph names a layer of Keras's public `keras.layers` by its class name (`Dense`).
Keras also defines layers of its own outside that namespace, as parts of its
architectures (`LayerScale` in keras.src.applications.convnext, InceptionResNetV2's
`CustomScaleLayer`). They are Keras's code, not the user's: a graph names one by its
module and class, `keras.src.applications.convnext.LayerScale`, and gets its spec
from Keras like a public layer without a hand-written spec (codegen/generic_spec.py).

Only modules under `KERAS_OWN_MODULES` count as Keras's own: there each layer's
config is plain data. Elsewhere in keras.src live the layers that wrap foreign code
(keras.src.utils' TorchModuleWrapper and JaxLayer, keras.src.export's TFSMLayer),
which stay refused. Resolving a type name imports nothing but a module under one of
those packages, and only a name made of identifiers: a graph file can name no other
module to import.
"""

from __future__ import annotations

import importlib
from typing import Any

from codegen.keras_env import import_keras

#: The packages whose layer classes count as Keras's own, beside keras.layers.
KERAS_OWN_MODULES = ("keras.src.applications.",)


def _is_own_module(module: str) -> bool:
    return module.startswith(KERAS_OWN_MODULES) and all(
        part.isidentifier() for part in module.split(".")
    )


def type_name(cls: type) -> str | None:
    """The graph's type name for the Keras layer class `cls`: its class name for a
    public keras.layers class, `module.Class` for a layer of one of Keras's own
    modules (see the module docstring), None for any other class (one that only
    claims such a module as its `__module__` included: the name must give it back)."""
    if getattr(import_keras().layers, cls.__name__, None) is cls:
        return cls.__name__
    name = f"{cls.__module__}.{cls.__name__}"
    return name if layer_class(name) is cls else None


def is_internal(layer_type: str) -> bool:
    """Whether `layer_type` names a layer of Keras's own modules (`module.Class`);
    keras-free, by the form of the name."""
    return "." in layer_type


def layer_class(layer_type: str) -> Any:
    """The Keras layer class the graph's type name `layer_type` names, or None.

    A `module.Class` name imports its module only when it is under
    `KERAS_OWN_MODULES` (an absent one gives None), and gives the class only when
    that module defines it as a keras.layers.Layer.
    """
    layers = import_keras().layers
    if not is_internal(layer_type):
        return getattr(layers, layer_type, None)
    module_name, _, class_name = layer_type.rpartition(".")
    if not _is_own_module(module_name) or not class_name.isidentifier():
        return None
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, layers.Layer)):
        return None
    return cls if cls.__module__ == module_name else None


def constructor(layer_type: str) -> str:
    """What generated Python calls to make a layer of `layer_type`:
    `keras.layers.Dense`, or the full path of a Keras-internal class (reachable as
    an attribute path once `import keras` has run: keras.applications imports it)."""
    return layer_type if is_internal(layer_type) else f"keras.layers.{layer_type}"
