"""Typed parameter schemas: what values a layer parameter accepts, and why not.

A `Param` names a Keras constructor argument, its kind, its Keras default and a
one-line help. Kinds check a value and return the reason it is refused (or None),
and normalise JSON values (lists) into immutable tuples, so a graph's params can be
shared and cached safely. Nothing here knows about particular layers: a nested layer
(`NestedLayer`) is checked by its own type's spec.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph.spec import LayerSpec


class _Required:
    """Sentinel default of a parameter that Keras requires (no default value)."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def freeze(value: Any) -> Any:
    """Turn JSON-like values into immutable ones: lists to tuples, dicts to proxies."""
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    return value


def thaw(value: Any) -> Any:
    """Turn frozen values back into JSON-ready ones: tuples to lists, proxies to dicts."""
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    return value


class Kind:
    """What values a parameter accepts. Subclasses implement `problem`."""

    def problem(self, value: Any) -> str | None:
        """Why `value` is refused, as 'must be ...', or None when it is accepted."""
        raise NotImplementedError

    def describe(self) -> str:
        """A short description for help texts and error messages."""
        raise NotImplementedError


@dataclass(frozen=True)
class Int(Kind):
    """An integer, optionally bounded (both bounds inclusive)."""

    min: int | None = None
    max: int | None = None

    def problem(self, value: Any) -> str | None:
        if not _is_int(value):
            return f"must be {self.describe()}"
        if (self.min is not None and value < self.min) or (
            self.max is not None and value > self.max
        ):
            return f"must be {self.describe()}"
        return None

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"an integer in [{self.min}, {self.max}]"
        if self.min is not None:
            return f"an integer >= {self.min}"
        if self.max is not None:
            return f"an integer <= {self.max}"
        return "an integer"


@dataclass(frozen=True)
class Float(Kind):
    """A finite number, optionally bounded; `open_min`/`open_max` exclude the bound."""

    min: float | None = None
    max: float | None = None
    open_min: bool = False
    open_max: bool = False

    def problem(self, value: Any) -> str | None:
        if not _is_number(value) or not math.isfinite(value):
            return f"must be {self.describe()}"
        if self.min is not None and (value < self.min or (self.open_min and value == self.min)):
            return f"must be {self.describe()}"
        if self.max is not None and (value > self.max or (self.open_max and value == self.max)):
            return f"must be {self.describe()}"
        return None

    def describe(self) -> str:
        low = "(" if self.open_min else "["
        high = ")" if self.open_max else "]"
        if self.min is not None and self.max is not None:
            return f"a number in {low}{self.min}, {self.max}{high}"
        if self.min is not None:
            return f"a number {'>' if self.open_min else '>='} {self.min}"
        if self.max is not None:
            return f"a number {'<' if self.open_max else '<='} {self.max}"
        return "a finite number"


@dataclass(frozen=True)
class Bool(Kind):
    """true or false."""

    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else "must be true or false"

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class Choice(Kind):
    """One of a fixed set of values (strings, or None)."""

    values: tuple[Any, ...]

    def problem(self, value: Any) -> str | None:
        if isinstance(value, (str, type(None))) and value in self.values:
            return None
        return f"must be {self.describe()}"

    def describe(self) -> str:
        shown = ", ".join("None" if v is None else repr(v) for v in self.values)
        return f"one of {shown}"


@dataclass(frozen=True)
class IntTuple(Kind):
    """A tuple of integers, as Keras takes for sizes, strides and shapes.

    `length` fixes the number of entries (None: any); `scalar` also accepts a single
    integer (Keras repeats it); `none` allows None entries (unknown dimensions);
    `extra` lists values accepted beside those >= `min` (Reshape's -1).
    """

    length: int | None = None
    min: int = 1
    scalar: bool = False
    none: bool = False
    extra: tuple[int, ...] = ()
    max_length: int = 8

    def _entry_ok(self, v: Any) -> bool:
        if v is None:
            return self.none
        return _is_int(v) and (v >= self.min or v in self.extra)

    def problem(self, value: Any) -> str | None:
        if self.scalar and _is_int(value):
            return None if self._entry_ok(value) else f"must be {self.describe()}"
        if not isinstance(value, tuple) or not all(self._entry_ok(v) for v in value):
            return f"must be {self.describe()}"
        if self.length is not None and len(value) != self.length:
            return f"must be {self.describe()}"
        if len(value) > self.max_length:
            return f"must be {self.describe()}"
        return None

    def describe(self) -> str:
        entry = f"integers >= {self.min}"
        if self.extra:
            entry += " (or " + ", ".join(map(str, self.extra)) + ")"
        if self.none:
            entry += " or None"
        count = f"{self.length} " if self.length is not None else f"up to {self.max_length} "
        text = f"a list of {count}{entry}"
        if self.scalar:
            text = f"an integer >= {self.min} or " + text
        return text


@dataclass(frozen=True)
class Axes(Kind):
    """An axis index or a list of them (negative counts from the end); 0 is batch."""

    def problem(self, value: Any) -> str | None:
        if _is_int(value) and -16 <= value <= 16:
            return None
        if isinstance(value, tuple) and value and all(_is_int(v) and -16 <= v <= 16 for v in value):
            return None
        return f"must be {self.describe()}"

    def describe(self) -> str:
        return "an axis index or a non-empty list of axis indices"


@dataclass(frozen=True)
class Padding(Kind):
    """Padding or cropping amounts of a `rank`-D layer, in every form Keras takes.

    An int (same on every side), a list of `rank` ints (symmetric per axis), or a
    list of `rank` pairs (before, after); 1-D layers take an int or one pair.
    """

    rank: int

    def problem(self, value: Any) -> str | None:
        return None if self.pairs(value) is not None else f"must be {self.describe()}"

    def pairs(self, value: Any) -> tuple[tuple[int, int], ...] | None:
        """The (before, after) amounts per axis, or None when `value` is malformed."""

        def amount(v: Any) -> bool:
            return _is_int(v) and v >= 0

        if amount(value):
            return ((value, value),) * self.rank
        if not isinstance(value, tuple):
            return None
        if self.rank == 1:
            if len(value) == 2 and all(amount(v) for v in value):
                return ((value[0], value[1]),)
            return None
        if len(value) != self.rank:
            return None
        if all(amount(v) for v in value):
            return tuple((v, v) for v in value)
        if all(
            isinstance(v, tuple) and len(v) == 2 and amount(v[0]) and amount(v[1]) for v in value
        ):
            return tuple((v[0], v[1]) for v in value)
        return None

    def describe(self) -> str:
        if self.rank == 1:
            return "an integer >= 0 or a pair (before, after)"
        return (
            f"an integer >= 0, a list of {self.rank} integers, "
            f"or a list of {self.rank} pairs (before, after)"
        )


@dataclass(frozen=True)
class Floats(Kind):
    """A finite number or a non-empty list of them (per-feature values)."""

    def problem(self, value: Any) -> str | None:
        if _is_number(value) and math.isfinite(value):
            return None
        if (
            isinstance(value, tuple)
            and value
            and all(_is_number(v) and math.isfinite(v) for v in value)
        ):
            return None
        return f"must be {self.describe()}"

    def describe(self) -> str:
        return "a number or a list of numbers"


@dataclass(frozen=True)
class Optional(Kind):
    """None, or a value of the wrapped kind."""

    kind: Kind

    def problem(self, value: Any) -> str | None:
        if value is None:
            return None
        reason = self.kind.problem(value)
        return None if reason is None else f"must be None or {self.kind.describe()}"

    def describe(self) -> str:
        return f"None or {self.kind.describe()}"


@dataclass(frozen=True)
class Param:
    """One constructor argument of a Keras layer.

    `default` is Keras's own default (`REQUIRED` where Keras has none); `initial` is
    the value a newly added node starts with when the parameter is required.
    """

    name: str
    kind: Kind
    default: Any = REQUIRED
    help: str = ""
    initial: Any = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def problem(self, value: Any) -> str | None:
        """Why `value` is refused for this parameter, or None."""
        return self.kind.problem(value)


def _is_plain_scalar(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (bool, int, str))


def _is_plain_arg(value: object) -> bool:
    """A JSON number, string, bool or null, or a list of them (an axis list)."""
    if isinstance(value, tuple):
        return all(_is_plain_scalar(v) for v in value)
    return _is_plain_scalar(value)


@dataclass(frozen=True)
class KerasObject(Kind):
    """A Keras initializer, regularizer or constraint, held as a layer's config holds it:
    a name Keras knows ("he_normal"), or the object with its arguments,
    {"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out"}}.

    `family` is Keras's module ("initializers"); `names` maps every accepted name to
    its class, and `classes` each accepted class to its constructor's arguments (both
    from graph.keras_names, possibly narrowed by the caller); a config may give any of
    those arguments, as plain JSON values, and must give those in `needs` (Keras's
    Constant reads its value from the config). `none`: None (no object) is accepted too.
    """

    family: str
    names: tuple[tuple[str, str], ...]
    classes: tuple[tuple[str, tuple[str, ...]], ...]
    none: bool = False
    needs: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @cached_property
    def _class_by_name(self) -> dict[str, str]:
        return dict(self.names)

    @cached_property
    def _args_by_class(self) -> dict[str, tuple[str, ...]]:
        return dict(self.classes)

    @property
    def _single(self) -> str:
        return self.family.removesuffix("s")

    @property
    def offered(self) -> tuple[str, ...]:
        """The names to offer: Keras's lowercase ones (class names are accepted too)."""
        return tuple(name for name, _ in self.names if name.islower())

    def class_of(self, value: Any) -> str | None:
        """The class a valid value makes (None for None)."""
        if isinstance(value, str):
            return self._class_by_name.get(value)
        if isinstance(value, Mapping):
            return value.get("class_name")
        return None

    def problem(self, value: Any) -> str | None:
        if value is None:
            return None if self.none else f"must be {self.describe()}"
        if isinstance(value, str):
            return None if value in self._class_by_name else f"must be {self.describe()}"
        if not isinstance(value, Mapping):
            return f"must be {self.describe()}"
        return self._object_problem(value)

    def _object_problem(self, value: Mapping[str, Any]) -> str | None:
        keys = set(value)
        if not keys <= {"class_name", "config"} or "class_name" not in keys:
            return f"must be {self.describe()}. Received keys: {', '.join(sorted(keys))}"
        class_name = value["class_name"]
        args = self._args_by_class.get(class_name) if isinstance(class_name, str) else None
        if args is None:
            known = ", ".join(name for name, _ in self.classes)
            return f"must name a Keras {self._single} class ({known}). Received: {class_name!r}"
        config = value.get("config", {})
        if not isinstance(config, Mapping):
            return f"must have a config object of {class_name}'s arguments"
        unknown = [k for k in config if k not in args]
        if unknown:
            return (
                f"must give only {class_name}'s arguments ({', '.join(args) or 'none'}). "
                f"Received: {', '.join(map(str, unknown))}"
            )
        missing = [k for k in dict(self.needs).get(class_name, ()) if k not in config]
        if missing:
            return f"must give {class_name}'s {', '.join(missing)} in its config"
        bad = [k for k, v in config.items() if not _is_plain_arg(v)]
        if bad:
            return (
                f"must give plain JSON values (numbers, strings, true/false, null or lists "
                f"of them) to {class_name}'s {', '.join(bad)}"
            )
        return None

    def describe(self) -> str:
        single = self.family.removesuffix("s")
        text = (
            f"a Keras {single} name (e.g. {', '.join(self.offered[:3])}) or "
            f'{{"class_name": ..., "config": {{...}}}}'
        )
        return f"None or {text}" if self.none else text


_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class NestedLayer(Kind):
    """A wrapped layer, {"type": T, "params": {...}}: what Bidirectional,
    TimeDistributed and every other wrapper take as their `layer`.

    Its params are checked against T's own spec, so a nested layer is refused exactly
    when the same layer on its own would be. `types` narrows T (Bidirectional takes
    recurrent layers only; empty: any layer type with a spec that takes an input), and
    `noun` says what the kind takes in its description. In a Keras config the nested
    layer is a serialized layer; `keras_kwargs` and the importer convert it through
    `parts` and `value`, so the graph holds exactly this shape.
    """

    types: tuple[str, ...] = ()
    noun: str = "a layer"

    def problem(self, value: Any) -> str | None:
        # graph.spec and graph.infer import this module: they are imported when asked.
        from graph.infer import check_params
        from graph.spec import get_spec

        if not isinstance(value, Mapping) or not set(value) <= {"type", "params"}:
            return f"must be {self.describe()}"
        layer_type = value.get("type")
        if not isinstance(layer_type, str) or (self.types and layer_type not in self.types):
            return f"must be {self.describe()}"
        params = value.get("params", _NO_PARAMS)
        spec = get_spec(layer_type)
        if spec is None or not spec.ports.names or not isinstance(params, Mapping):
            return f"must be {self.describe()}"
        problems, _ = check_params(spec, params)
        if problems:
            reasons = "; ".join(f"{name} {reason}" for name, reason in problems)
            return f"must be a valid {layer_type} layer: its {reasons}"
        return None

    def describe(self) -> str:
        if not self.types:
            return f'{self.noun} {{"type": ..., "params": {{...}}}}'
        names = ", ".join(self.types[:-1]) + " or " + self.types[-1]
        return f'{self.noun} {{"type": {names}, "params": {{...}}}}'

    @staticmethod
    def value(layer_type: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        """The graph's (frozen) value of a nested `layer_type` layer with `params`."""
        return freeze({"type": layer_type, "params": params})

    @staticmethod
    def parts(value: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        """(type, params as given) of a nested layer value."""
        return value["type"], value.get("params", _NO_PARAMS)

    @classmethod
    def resolve(cls, value: Mapping[str, Any]) -> tuple[LayerSpec, dict[str, Any]]:
        """The nested layer's spec and its resolved params (Keras defaults filled in)."""
        from graph.spec import get_spec

        layer_type, params = cls.parts(value)
        spec = get_spec(layer_type)
        return spec, spec.resolve(params)
