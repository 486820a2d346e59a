"""Keras layer configs -> graph params, noting what the graph cannot hold.

Params come from each layer's `get_config()`: only those its spec declares, and only
where they differ from the spec's default. An initializer, regularizer or constraint
becomes the name Keras makes exactly that object from, or else the object with all its
arguments, as the config holds it (EfficientNet's VarianceScaling(scale=2.0,
mode="fan_out", ...), an L2 with its own factor, a seeded initializer). A config entry
the spec lacks is left out with a note when its value is not Keras's default, unless
the spec says Keras derived it from the others (`LayerSpec.derived_config`).

The facts shared by every layer's config live here: the entries every layer has
(`LAYER_BASICS`, which the Keras-backed specs leave out of their params too) and what
Keras writes where the graph's None means the same.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from graph.params import KerasObject, NestedLayer, Param, freeze
from graph.spec import LayerSpec, get_spec


class ImportNotes:
    """What an import could not hold exactly: each text once, with the layers it
    concerns (EfficientNet has one kind of initializer note for 81 layers)."""

    def __init__(self) -> None:
        self._layers: dict[str, list[str]] = {}

    def add(self, label: str, text: str) -> None:
        self._layers.setdefault(text, []).append(label)

    def lines(self) -> list[str]:
        return [f"{', '.join(labels)}: {text}" for text, labels in self._layers.items()]


class ParamConverter:
    """A Keras layer config -> graph params, by the layer's spec."""

    def __init__(self, keras: Any, notes: ImportNotes, refused: list[str]) -> None:
        self.keras = keras
        self.notes = notes
        self.refused = refused
        self.candidates: dict[tuple[str, str], dict[str, Any]] = {}

    def from_config(
        self, label: str, spec: LayerSpec, cls: type, config: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The params of a layer of `spec` from its config; None when refused."""
        params: dict[str, Any] = {}
        ok = True
        for param in spec.params:
            if param.name not in config or param.name in LAYER_BASICS:
                continue
            value = self.value(label, param, config[param.name])
            if value is _REFUSED:
                ok = False
            elif param.required or not _is_default(param, value):
                params[param.name] = value
        self.note_unexpressed(label, spec, cls, config)
        return params if ok else None

    def value(self, label: str, param: Param, raw: Any) -> Any:
        module = raw.get("module") if isinstance(raw, Mapping) else None
        if module in _KERAS_OBJECTS:
            return self.keras_object(label, param, raw, module)
        if module == "keras.layers":
            return self.nested_layer(f"{label} (its {param.name})", raw)
        value = freeze(plain(raw))
        reason = param.kind.problem(value)
        if reason is not None:
            self.refused.append(f"{label}: {param.name} {reason}. Received: {param.name}={raw!r}")
            return _REFUSED
        return value

    def nested_layer(self, label: str, raw: Mapping[str, Any]) -> Any:
        """A wrapped layer (Bidirectional's) as {"type": ..., "params": {...}}."""
        layer_type = raw["class_name"]
        spec = get_spec(layer_type)
        cls = getattr(self.keras.layers, layer_type, None)
        if spec is None or cls is None:
            self.refused.append(f"{label}: the graph has no layer spec for {layer_type}")
            return _REFUSED
        params = self.from_config(label, spec, cls, raw["config"])
        return _REFUSED if params is None else NestedLayer.value(layer_type, params)

    def keras_object(self, label: str, param: Param, raw: Mapping[str, Any], module: str) -> Any:
        """A serialized initializer, regularizer or constraint as the param holds it:
        the name Keras makes exactly this object from (the param's default first, so
        that it is left out), else the object itself with all its arguments."""
        kind = param.kind
        if not isinstance(kind, KerasObject) or module != f"keras.{kind.family}":
            self.refused.append(
                f"{label}: {param.name} is a {module} object; the graph takes "
                f"{kind.describe()} there. Received: {_short(raw)}"
            )
            return _REFUSED
        held = {"class_name": raw.get("class_name"), "config": plain(raw.get("config", {}))}
        candidates = (param.default, *kind.offered)
        for name in dict.fromkeys(n for n in candidates if isinstance(n, str)):
            if kind.problem(name) is None and self.serialized(module, name) == held:
                return name
        value = freeze(held)
        reason = kind.problem(value)
        if reason is not None:
            self.refused.append(f"{label}: {param.name} {reason}. Received: {_short(raw)}")
            return _REFUSED
        return value

    def serialized(self, module: str, name: str) -> dict[str, Any] | None:
        """{"class_name", "config"} of the object Keras makes from `name`, once per import."""
        key = (module, name)
        if key not in self.candidates:
            family = getattr(self.keras, module.removeprefix("keras."))
            config = self.keras.saving.serialize_keras_object(family.get(name))
            self.candidates[key] = {
                "class_name": config["class_name"],
                "config": plain(config["config"]),
            }
        return self.candidates[key]

    def note_unexpressed(
        self, label: str, spec: LayerSpec, cls: type, config: Mapping[str, Any]
    ) -> None:
        """Note each config entry the spec lacks whose value is not Keras's default."""
        defaults = _constructor_defaults(cls)
        derived = spec.derived_config(config)
        for key, value in config.items():
            if key in spec.param_by_name or key in LAYER_BASICS or key in derived:
                continue
            default = defaults.get(key)
            value = plain(value)
            if default is inspect.Parameter.empty or value is None or value == plain(default):
                continue
            if value == self.keras.saving.serialize_keras_object(default):
                continue
            self.notes.add(
                label, f"{key}={_short(value)} is not kept (the graph has no such parameter)"
            )


@cache
def _constructor_defaults(cls: type) -> Mapping[str, Any]:
    """Keras's default for each constructor argument of `cls`, its base classes'
    included (arguments passed on through **kwargs, like RNN's)."""
    defaults: dict[str, Any] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for name, parameter in inspect.signature(init).parameters.items():
            if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                defaults.setdefault(name, parameter.default)
    return MappingProxyType(defaults)


#: The modules of the serialized objects that graph params hold (see KerasObject).
_KERAS_OBJECTS = frozenset({"keras.initializers", "keras.regularizers", "keras.constraints"})

#: Config entries (and constructor arguments) every layer has, handled apart from its
#: params: the node's name, its frozen state, its dtype policy.
LAYER_BASICS = frozenset({"name", "trainable", "dtype"})


#: A value that could not be converted (its refusal is recorded).
_REFUSED = object()


#: What Keras writes in configs where the graph's None means the same: no activation,
#: and the channels-last layout (the graph reads a None data_format as channels_last).
_NONE_SPELLINGS = ("linear", "channels_last")


def _is_default(param: Param, value: Any) -> bool:
    """Whether `value` means the param's default."""
    if value == param.default:
        return True
    return (
        param.default is None
        and value in _NONE_SPELLINGS
        and param.kind.problem(None) is None
        and param.kind.problem(value) is None
    )


def plain(value: Any) -> Any:
    """Config values as plain Python: numpy arrays and scalars to lists and numbers."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
