"""Specs backed by Keras itself, for built-in Keras layers that have no hand-written spec.

`install()` plugs a resolver into `graph.spec.get_spec`, so graph validates any
built-in `keras.layers` class without importing keras itself: graph asks its
resolvers only about types it has no hand-written spec for, and this one imports
keras only then.

A `KerasBackedSpec` reads its parameters from the Keras constructor's signature and
gets shapes, dtypes and weight counts by building a fresh Keras layer and calling it
on a symbolic `keras.KerasTensor`. That is SLOWER than hand-written rules: a build
costs about 1 to 10 ms (measured, torch backend) where a rule costs microseconds,
and the first lookup costs the keras import (about 2 s). Results are kept in an LRU
keyed by (type, params, input shape, input dtype), so validating an unchanged graph
again builds nothing. Hand-written specs always win: the resolver is only asked
about types that have none.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from codegen.keras_env import import_keras
from codegen.keras_layers import call_layer, make_layer
from codegen.keras_params import LAYER_BASICS
from codegen.keras_registry import is_internal, layer_class
from graph.errors import ShapeError
from graph.layers import common, keras_backed
from graph.params import REQUIRED, Bool, Choice, Float, Int, Kind, NestedLayer, Param, freeze, thaw
from graph.shapes import Shape
from graph.spec import FLOATX, LayerSpec, OnnxLimit, Params, Ports, add_resolver, builtin_specs

#: Classes refused by name whatever their signature: Lambda carries code, which a
#: graph file must never run; InputLayer is what the graph's own Input node makes.
_REFUSED = frozenset({"Lambda", "InputLayer"})

#: Constructor arguments never offered as params: Keras's base-layer arguments, which
#: the graph sets itself (name) or leaves to Keras (dtype, trainable), and the seed.
_SKIPPED_ARGS = LAYER_BASICS | {"self", "seed"}

#: Required constructor arguments that take Python objects a graph cannot express
#: (a function, an RNN cell, a list of layers, a JAX or torch module).
_OBJECT_ARGS = frozenset({"function", "cell", "cells", "layers", "module", "call_fn"})

#: The required argument that takes a wrapped layer (TimeDistributed,
#: SpectralNormalization): expressed as a nested layer, as Bidirectional's is.
_LAYER_ARG = "layer"
_INITIAL_NESTED_LAYER = NestedLayer.value("Dense", {"units": 32})

#: Categories named differently from the Keras package a class lives in.
_CATEGORY_OF_PACKAGE = {"rnn": "Recurrent"}

#: The package of all Keras's own modules.
_KERAS_SOURCE = "keras.src."

#: How many Keras evaluations (one layer built and called) are remembered.
_CACHE_SIZE = 1024

_ARG_LINE = re.compile(r" {4}(\w+): (.*)")


def _is_json_like(value: Any) -> bool:
    """Whether `value` is what a graph file can hold (lists as tuples, dicts as mappings)."""
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (tuple, list)):
        return all(_is_json_like(v) for v in value)
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _is_json_like(v) for k, v in value.items())
    return False


@dataclass(frozen=True)
class Text(Kind):
    """Any string: Keras's free-text arguments (modes, equations)."""

    def problem(self, value: Any) -> str | None:
        return None if isinstance(value, str) else f"must be {self.describe()}"

    def describe(self) -> str:
        return "a string"


@dataclass(frozen=True)
class AnyJson(Kind):
    """Any JSON value: arguments whose Keras default (None) or absence says nothing
    about their type; Keras itself judges the value when the layer is built."""

    def problem(self, value: Any) -> str | None:
        return None if _is_json_like(value) else f"must be {self.describe()}"

    def describe(self) -> str:
        return "a JSON value (null, true/false, a number, a string, a list or an object)"


class KerasOutcome(NamedTuple):
    """What Keras made of one layer called on symbolic inputs."""

    shape: Shape
    dtype: str
    trainable: int
    non_trainable: int
    #: The shapes of the layer's weights, in Keras's order.
    weight_shapes: tuple[Shape, ...]


class KerasBackedSpec(LayerSpec):
    """The spec of a built-in Keras layer class, with Keras itself as its rules.

    Slower than a hand-written spec (each new combination of params, input shapes
    and dtypes builds a real Keras layer); see the module docstring. One input port
    called as `layer(x)`, unless the class extends a hand-written one with other
    ports (AdditiveAttention extends Attention): then those ports and call style; or
    Keras calls it on a list (graph/layers/keras_backed.py's LIST_CALLED).
    """

    def __init__(self, layer_type: str, cls: type, package: str) -> None:
        self.type = layer_type
        self.class_name = cls.__name__
        self.category = _category(cls, package)
        self.params = _params_of(cls)
        base = _hand_written_base(cls)
        if base is not None:
            self.ports, self.call_style = base.ports, base.call_style
        listed = keras_backed.LIST_CALLED.get(layer_type)
        if listed is not None:
            self.ports, self.call_style = Ports.many(listed), "list"
        self._doc = (inspect.getdoc(cls) or layer_type).strip().splitlines()[0]
        super().__init__()

    @property
    def doc(self) -> str:
        """The first line of the Keras class's docstring."""
        return self._doc

    @property
    def title(self) -> str:
        """The class name: a Keras-internal type's module path (or a user layer's
        `module:`) is too long for a face."""
        return self.class_name

    def new_layer(self, params: Params, name: str) -> Any:
        """A fresh Keras layer of this type with `params`, named `name`."""
        return make_layer(self.type, params, name=name)

    def evaluate(self, shapes: list[Shape], dtypes: list[str], p: Params) -> KerasOutcome:
        """Build the layer with resolved params `p` and call it on symbolic inputs of
        `shapes` and `dtypes`; raises ShapeError with Keras's message."""
        key = _params_key(p)
        inputs = tuple(tuple(s) for s in shapes)
        outcome = _evaluate(self, key, inputs, tuple(dtypes))
        if isinstance(outcome, str):
            raise ShapeError(outcome)
        return outcome

    def infer(
        self, shapes: list[Shape], dtypes: list[str], p: Params
    ) -> tuple[Shape, str, int, int]:
        """Shape, dtype and weight counts from one Keras build on these inputs."""
        outcome = self.evaluate(shapes, dtypes, p)
        return outcome.shape, outcome.dtype, outcome.trainable, outcome.non_trainable

    def output_shape(self, shapes: list[Shape], p: Params) -> Shape:
        """Keras's output shape on float inputs (`infer` passes the real dtypes)."""
        return self.evaluate(shapes, [FLOATX] * len(shapes), p).shape

    def weights(self, shapes: list[Shape], p: Params) -> tuple[int, int]:
        outcome = self.evaluate(shapes, [FLOATX] * len(shapes), p)
        return (outcome.trainable, outcome.non_trainable)

    def weight_signature(self, shapes: list[Shape], p: Params) -> tuple[Any, ...]:
        """The weights' shapes: call sites of a shared layer must build the same ones."""
        return self.evaluate(shapes, [FLOATX] * len(shapes), p).weight_shapes

    def onnx_limits(self, shapes: list[Shape] | None, p: Params) -> list[OnnxLimit]:
        """The limits graph states for this Keras class (graph/layers/keras_backed.py)."""
        return keras_backed.onnx_limits(self.type, self.category, shapes, p)


def _params_key(p: Params) -> str:
    """Resolved params as canonical JSON: hashable, and turned back into kwargs as is."""
    return json.dumps(thaw(p), sort_keys=True)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _evaluate(
    spec: KerasBackedSpec, params_key: str, shapes: tuple[Shape, ...], dtypes: tuple[str, ...]
) -> KerasOutcome | str:
    """A fresh layer of `spec`'s type called on symbolic inputs, or Keras's reason not to.

    The reason is returned, not raised, so that refusals are cached too. Specs are
    cached per type (`keras_backed_spec`), so keying on the object is keying on it.
    The layer is named after its class: Keras's messages then read the same for every
    node, and Keras's counters of automatic names are left alone.
    """
    keras = import_keras()
    try:
        layer = spec.new_layer(json.loads(params_key), spec.title)
        inputs = [keras.KerasTensor(s, dtype=d) for s, d in zip(shapes, dtypes, strict=True)]
        output = call_layer(spec, layer, inputs)
    except Exception as error:  # whatever Keras raises is its verdict on the layer
        return str(error).strip() or type(error).__name__
    if not isinstance(output, keras.KerasTensor):
        return (
            "returns several tensors, and a graph node has a single output. Expected: "
            "params that make the layer return one tensor. Received: "
            f"{type(output).__name__} of {len(keras.tree.flatten(output))} tensors"
        )
    return KerasOutcome(
        tuple(output.shape),
        output.dtype,
        _count(layer.trainable_weights),
        _count(layer.non_trainable_weights),
        tuple(tuple(w.shape) for w in layer.weights),
    )


def _hand_written_base(cls: type) -> LayerSpec | None:
    """The hand-written spec of the nearest Keras base class, if its ports are not
    the default single input (the subclass is called the same way)."""
    hand_written = {spec.type: spec for spec in builtin_specs()}
    for base in cls.__mro__[1:]:
        spec = hand_written.get(base.__name__)
        if spec is not None and spec.ports != Ports.single():
            return spec
    return None


def _count(weights: list[Any]) -> int:
    return sum(math.prod(w.shape) for w in weights)


def _category(cls: type, package: str) -> str:
    """The palette category: the Keras package the class lives in ("core", "rnn", ...)."""
    name = cls.__module__[len(package) :].split(".")[0]
    return _CATEGORY_OF_PACKAGE.get(name, name.capitalize())


def _params_of(cls: type) -> tuple[Param, ...]:
    """The constructor's arguments as params, with Keras's names and defaults.

    Arguments whose default a graph file cannot hold are left out (Keras keeps its
    default); required ones accept any JSON value, except a wrapped layer.
    """
    helps = _arg_helps(inspect.getdoc(cls) or "")
    params = []
    for arg in inspect.signature(cls.__init__).parameters.values():
        if arg.name in _SKIPPED_ARGS or arg.kind in (arg.VAR_POSITIONAL, arg.VAR_KEYWORD):
            continue
        help_text = helps.get(arg.name, "")
        if arg.default is not arg.empty:
            if _is_json_like(arg.default):
                kind = kind_of(arg.name, freeze(arg.default))
                params.append(Param(arg.name, kind, freeze(arg.default), help_text))
        elif arg.name == _LAYER_ARG:
            params.append(
                Param(arg.name, NestedLayer(), REQUIRED, help_text, _INITIAL_NESTED_LAYER)
            )
        else:
            params.append(Param(arg.name, AnyJson(), REQUIRED, help_text))
    return tuple(params)


#: Kinds of arguments by the end of their name, as Keras names them across its layers:
#: any initializer Keras has (the layer's build judges the weight's shape), regularizer,
#: constraint or activation.
_KINDS_BY_SUFFIX: tuple[tuple[str, Kind], ...] = (
    ("_initializer", common.keras_object_kind("initializers")),
    ("_regularizer", common.REGULARIZER),
    ("_constraint", common.CONSTRAINT),
    ("activation", Choice(common.ACTIVATIONS)),
)


def kind_of(name: str, default: Any) -> Kind:
    """The kind of a param: by its name where Keras's naming tells (an initializer, a
    regularizer ...) and that kind takes the default, else guessed from its Keras
    default (None says nothing)."""
    for suffix, kind in _KINDS_BY_SUFFIX:
        if name.endswith(suffix) and kind.problem(default) is None:
            return kind
    if isinstance(default, bool):
        return Bool()
    if isinstance(default, int):
        return Int()
    if isinstance(default, float):
        return Float()
    if isinstance(default, str):
        return Text()
    return AnyJson()


def _arg_helps(doc: str) -> dict[str, str]:
    """Per constructor argument, the first sentence of its entry in the docstring's
    "Args:" section (Keras's docstrings all follow the Google style)."""
    entries: dict[str, list[str]] = {}
    current: list[str] = []
    for line in doc.partition("\nArgs:\n")[2].splitlines():
        if line and not line.startswith(" "):
            break  # the next section ("Call arguments:", "Example:", ...)
        match = _ARG_LINE.fullmatch(line)
        if match:
            current = entries[match[1]] = [match[2]]
        elif line.strip():
            current.append(line.strip())
    return {
        name: re.split(r"(?<=\.)\s", " ".join(words), maxsplit=1)[0]
        for name, words in entries.items()
    }


def _expressible(cls: Any, base: type, package: str) -> bool:
    """Whether a graph node can be a `cls` layer: a built-in Keras layer class whose
    required arguments a graph can hold and whose call takes one input tensor."""
    if not (isinstance(cls, type) and issubclass(cls, base)) or cls is base:
        return False
    if not cls.__module__.startswith(package):
        return False  # keras.utils' JaxLayer, TorchModuleWrapper, export's TFSMLayer
    constructor = inspect.signature(cls.__init__).parameters.values()
    if any(a.name in _OBJECT_ARGS for a in constructor if a.default is a.empty):
        return False
    call = list(inspect.signature(cls.call).parameters.values())[1:]
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    tensors = [a for a in call if a.default is a.empty and a.kind in positional]
    return len(tensors) == 1  # RNN cells also need states, some attentions two tensors


@functools.cache
def keras_backed_spec(layer_type: str) -> KerasBackedSpec | None:
    """The Keras-backed spec of `keras.layers.<layer_type>`, or of a layer class of
    Keras's own modules named `module.Class` (codegen/keras_registry.py: LayerScale
    of ConvNeXt), or None when there is no such Keras layer class or a graph cannot
    express it (Lambda, InputLayer, layers needing a Python object, RNN cells). The
    same object for the same type.

    Imports keras (once) unless the name cannot be a Keras class name at all.
    """
    class_name = layer_type.rpartition(".")[2]
    if not class_name.isidentifier() or not class_name[0].isupper() or layer_type in _REFUSED:
        return None
    layers = import_keras().layers
    package = layers.Layer.__module__.rpartition(".")[0] + "."
    if is_internal(layer_type):
        package = _KERAS_SOURCE  # its category: the package under keras.src ("Applications")
    cls = layer_class(layer_type)
    if not _expressible(cls, layers.Layer, package):
        return None
    return KerasBackedSpec(layer_type, cls, package)


def keras_backed_specs() -> list[KerasBackedSpec]:
    """The Keras-backed spec of every built-in Keras layer a graph can express and no
    hand-written spec covers, sorted by type: what the studio's palette offers beside
    `graph.builtin_specs()`. Aliases (MaxPool2D for MaxPooling2D) are left out.

    Imports keras (about 2 s the first time); each spec is built once (`keras_backed_spec`).
    """
    layers = import_keras().layers
    hand_written = {spec.type for spec in builtin_specs()}
    specs = []
    for name in sorted(dir(layers)):
        cls = getattr(layers, name)
        if name in hand_written or getattr(cls, "__name__", None) != name:
            continue
        spec = keras_backed_spec(name)
        if spec is not None:
            specs.append(spec)
    return specs


def install() -> None:
    """Let graph's `get_spec` fall back on Keras-backed specs (idempotent).

    Imports nothing heavy: keras is imported on the first lookup of a type that has
    no hand-written spec.
    """
    add_resolver(keras_backed_spec)
