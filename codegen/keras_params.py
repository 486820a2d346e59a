"""Keras layer configs -> graph params, noting what the graph cannot hold.

Params come from each layer's `get_config()`: only those its spec declares, and only
where they differ from the spec's default. Initializers and regularizers become the
spec's names; one that has no name (EfficientNet's VarianceScaling with mode
"fan_out", an L2 with its own factor) becomes the closest name, with a note. A config
entry the spec lacks (a constraint, say) is left out with a note when its value is not
Keras's default.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from functools import cache
from itertools import pairwise
from types import MappingProxyType
from typing import Any

from graph.layers.common import INITIALIZERS, REGULARIZERS
from graph.params import Param, freeze
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
        self.candidates: dict[tuple[str, Any], tuple[str, dict] | None] = {}

    def from_config(
        self, label: str, spec: LayerSpec, cls: type, config: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The params of a layer of `spec` from its config; None when refused."""
        params: dict[str, Any] = {}
        ok = True
        for param in spec.params:
            if param.name not in config or param.name in _LAYER_BASICS:
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
        if module in _NAMED_OBJECTS:
            return self.named(label, param, raw, module)
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
        return _REFUSED if params is None else freeze({"type": layer_type, "params": params})

    def named(self, label: str, param: Param, raw: Mapping[str, Any], module: str) -> Any:
        """The name (among those the param accepts) of a serialized initializer or
        regularizer: the one Keras makes exactly the same object from, else the
        closest (with a note)."""
        names = (param.default, *_NAMED_OBJECTS[module])
        choices = [n for n in dict.fromkeys(names) if n and param.kind.problem(n) is None]
        obj = self.keras.saving.deserialize_keras_object(raw)
        family, attrs = _fingerprint(obj)
        best, best_distance = None, math.inf
        for name in choices:
            candidate = self.candidate(module, name)
            if candidate is None or candidate[0] != family:
                continue
            distance = sum(
                not _close(attrs.get(k), candidate[1].get(k)) for k in {*attrs, *candidate[1]}
            )
            if distance < best_distance:
                best, best_distance = name, distance
        shown = f"{family}({', '.join(f'{k}={v!r}' for k, v in attrs.items() if v is not None)})"
        if best is None:
            self.notes.add(
                label,
                f"{param.name} {shown} has no counterpart in the graph; imported as the "
                f"default, {param.default!r}",
            )
            return param.default
        if best_distance:
            self.notes.add(
                label,
                f"{param.name} {shown} has no name in the graph; imported as the closest, {best!r}",
            )
        seed = raw["config"].get("seed") if isinstance(raw.get("config"), Mapping) else None
        if seed is not None:
            self.notes.add(label, f"{param.name} seed {seed!r} is not kept")
        return best

    def candidate(self, module: str, name: str) -> tuple[str, dict] | None:
        """The fingerprint of Keras's object for `name`, once per import."""
        key = (module, name)
        if key not in self.candidates:
            try:
                obj = getattr(self.keras, module.removeprefix("keras.")).get(name)
            except ValueError:
                obj = None  # a spec choice this Keras lacks
            self.candidates[key] = None if obj is None else _fingerprint(obj)
        return self.candidates[key]

    def note_unexpressed(
        self, label: str, spec: LayerSpec, cls: type, config: Mapping[str, Any]
    ) -> None:
        """Note each config entry the spec lacks whose value is not Keras's default."""
        defaults = _constructor_defaults(cls)
        for key, value in config.items():
            if key in spec.param_by_name or key in _LAYER_BASICS:
                continue
            derived = _DERIVED.get((spec.type, key))
            if derived is not None and derived(config):
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


#: Serialized objects that graph params hold by name: their module -> the names.
_NAMED_OBJECTS = {"keras.initializers": INITIALIZERS, "keras.regularizers": REGULARIZERS}

#: Config entries every layer has, handled apart (name, frozen state, dtype policy).
_LAYER_BASICS = {"name", "trainable", "dtype"}


def _mirrors_forward(config: Mapping[str, Any]) -> bool:
    """Whether Bidirectional's backward layer is the copy Keras makes of the forward
    one (going the other way), not one the user gave."""
    forward, backward = config["layer"]["config"], config["backward_layer"]["config"]
    differing = {k for k in {*forward, *backward} if forward.get(k) != backward.get(k)}
    return differing <= {"name", "go_backwards"}


#: Entries Keras derives from others; each maps to a check that it was derived.
_DERIVED = {("Bidirectional", "backward_layer"): _mirrors_forward}

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


def _fingerprint(obj: Any) -> tuple[str, dict]:
    """(family, settings) of a Keras initializer or regularizer, seed left out.

    The family is the class just below Keras's base classes, so HeNormal and a
    VarianceScaling with the same scale, mode and distribution compare equal.
    """
    mro = type(obj).__mro__
    bases = ("Initializer", "RandomInitializer", "Regularizer")
    family = next((cls for cls, parent in pairwise(mro) if parent.__name__ in bases), type(obj))
    settings = family.get_config(obj)
    settings.pop("seed", None)
    return family.__name__, settings


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return (
            isinstance(a, (int, float))
            and isinstance(b, (int, float))
            and math.isclose(a, b, rel_tol=1e-6)
        )
    return a == b


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
