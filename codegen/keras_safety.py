"""Refusing Keras models that carry code, before anything of them is run.

A `.keras` file's `config.json` is read (`codegen.keras_archive`, which checks the
file is a `.keras` zip first) and checked as plain data. A Lambda layer, a custom
(non-Keras) class or function, or any other object that would run or import code is
refused, naming every one. Only a clean config becomes a model, built by Keras from
the config alone with `safe_mode=True` and no training config (which may name custom
losses): importing needs the structure, so the weights are never read. A model object
is checked the same way, layer by layer (`code_in_layer`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codegen.keras_archive import read_config
from codegen.keras_env import allow_depth
from codegen.keras_registry import type_name
from graph import GraphError, GraphFileError


class ImportRefused(GraphError):
    """A model cannot become a graph: it carries code, or holds something the graph
    cannot express. The message names every offending layer."""


def load_checked(keras: Any, path: Path, trusted: Mapping[str, type] | None = None) -> Any:
    """The model of the `.keras` file at `path`, with fresh weights: built from its
    config.json only after that was checked to hold no code but the classes of
    `trusted` (by class or registered name: the user's trusted layer classes,
    codegen.user_layers), which Keras is given to build them.

    This is what `keras.saving.load_model(path, safe_mode=True, compile=False)` does
    before it reads the weights (keras/src/saving/saving_lib.py, `_model_from_config`),
    in the same object-sharing scope, so a layer serialized twice is one layer again.

    Raises ImportRefused naming every object that carries code, GraphFileError when
    the file is not a `.keras` file or Keras cannot build its model.
    """
    from keras.src.saving.serialization_lib import ObjectSharingScope

    config = read_config(path)
    found: list[str] = []
    trusted = trusted or {}
    objects = _code_in_config(config, "the model", found, trusted)
    if found:
        raise _refusal(str(path), found)
    allow_depth(objects)  # Keras rebuilds the model recursively, about a level per layer
    config["compile_config"] = None
    try:
        with ObjectSharingScope():
            return keras.saving.deserialize_keras_object(
                config, custom_objects=dict(trusted), safe_mode=True
            )
    except Exception as e:  # Keras raises many kinds; the user needs the file named
        raise GraphFileError(path, f"Keras could not build the model: {e}") from e


def code_in_layer(keras: Any, label: str, layer: Any) -> list[str]:
    """What in the built layer `layer` (shown as `label`) would run or import code,
    as "Class 'name': why" lines; empty for a built-in Keras layer holding none."""
    cls = type(layer)
    if type_name(cls) is None:
        return [f"{label}: a custom class from module {cls.__module__!r}"]
    found: list[str] = []
    _code_in_config(keras.saving.serialize_keras_object(layer), label, found, {})
    return found


#: Built-in layers whose config holds code (or a pickle), with what they hold.
_CODE_LAYERS = {
    "Lambda": "a Lambda layer holds a Python function",
    "TorchModuleWrapper": "it holds a pickled torch module",
    "JaxLayer": "it holds Python functions",
    "FlaxLayer": "it holds a Flax module",
}
#: Serialized plain data: tensors, arrays, bytes, slices.
_DATA_OBJECTS = {
    "__keras_tensor__",
    "__tensor__",
    "__numpy__",
    "__bytes__",
    "__slice__",
    "__ellipsis__",
}


def _code_in_config(config: Any, where: str, found: list[str], trusted: Mapping[str, type]) -> int:
    """Append to `found` every object in a serialized Keras config that would run or
    import code when deserialized, as "Class 'name': why" (objects without a name are
    placed in the nearest named one around them, or in `where`); returns the number
    of serialized objects seen.

    Keras imports the module a serialized object names, and takes registered
    ("package>Name") objects from the running process first, so only Keras's own
    modules and names are let through, and the `trusted` classes (their own config is
    checked as well).
    """
    if isinstance(config, list):
        return sum(_code_in_config(item, where, found, trusted) for item in config)
    if not isinstance(config, dict):
        return 0
    seen = 0
    class_name = config.get("class_name")
    if isinstance(class_name, str):
        inner = config.get("config")
        name = inner.get("name") if isinstance(inner, dict) else None
        where = f"{class_name} '{name}'" if isinstance(name, str) else where
        reason = (
            None if _is_trusted(config, class_name, trusted) else _code_reason(config, class_name)
        )
        if reason is not None:
            found.append(f"{where}: {reason}")
            return 1  # what it holds is part of the same problem
        seen = 1
    return seen + sum(_code_in_config(item, where, found, trusted) for item in config.values())


def _is_trusted(obj: Mapping[str, Any], class_name: str, trusted: Mapping[str, type]) -> bool:
    """Whether the serialized object is one of the `trusted` classes: Keras finds it by
    its registered name (else its class name), which must name the class of that name."""
    cls = trusted.get(class_name)
    registered = obj.get("registered_name") or class_name
    return cls is not None and trusted.get(registered) is cls


def _code_reason(obj: Mapping[str, Any], class_name: str) -> str | None:
    """Why the serialized object `obj` would run or import code, or None."""
    if class_name in _DATA_OBJECTS:
        return None
    if class_name == "__lambda__":
        return "a Python lambda"
    module = obj.get("module")
    keras_module = isinstance(module, str) and (module == "keras" or module.startswith("keras."))
    if class_name == "function":
        # Keras looks "builtins" functions up in its own modules; a "package>name" is
        # a function registered by the user's code.
        name = obj.get("config")
        if (keras_module or module == "builtins") and isinstance(name, str) and ">" not in name:
            return None
        return f"a custom Python function {name!r} (module {module!r})"
    registered = obj.get("registered_name")
    if registered is not None and registered != class_name:
        return f"a custom class registered as {registered!r}"
    if not keras_module:
        return f"a custom class from module {module!r}"
    return _CODE_LAYERS.get(class_name)


def _refusal(subject: str, found: list[str]) -> ImportRefused:
    return ImportRefused(
        f"{subject}: refused: the model carries code that loading or running it would "
        "execute. Expected built-in Keras layers only. Received: " + "; ".join(found)
    )
