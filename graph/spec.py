"""Layer specs: everything the graph knows about one Keras layer type, in one place.

A spec names the Keras class, its category, its parameters (with Keras's names and
defaults), its input ports, and the rules that give its output shape, dtype and
weight count from its inputs and parameters. Rules are pure functions of those
arguments and raise `ShapeError` with a message a person understands. A spec also
answers what the rest of the project would otherwise ask of its type name: what keeps
it from ONNX (`onnx_limits`), the activation it ends with (`output_activation`: a
probability output), and which entries of its Keras config Keras derives from others
(`derived_config`). It also says what it costs (`macs`, `saved`: see graph/cost.py for
the conventions), so a cost is a function of a spec, its params and its shapes.

Specs are registered by type name and looked up with `get_spec`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, NamedTuple

from graph.errors import ShapeError
from graph.params import Param
from graph.shapes import Shape, as_tuple, fmt
from graph.wording import counted

Params = Mapping[str, Any]

#: The dtype Keras layers compute in by default (the "float32" dtype policy).
FLOATX = "float32"


#: The common variadic port names, looked up instead of parsed.
_VARIADIC_INDEX = {f"input_{i}": i for i in range(64)}
#: The same names in index order.
_VARIADIC_NAMES = tuple(_VARIADIC_INDEX)


@dataclass(frozen=True)
class Ports:
    """The named inputs of a layer, in the order Keras takes them.

    Fixed ports: `names`, of which the first `required` must be connected (MultiHead
    Attention: query, value required; key optional). Variadic ports (merge layers):
    `input_0`, `input_1`, ... with at least `required` connected, in index order.
    """

    names: tuple[str, ...]
    required: int
    variadic: bool = False
    _positions: dict[str, int] = field(init=False, repr=False, compare=False)
    #: The port's name when the layer takes exactly one input, a required one.
    _lone: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_positions", {n: i for i, n in enumerate(self.names)})
        lone = self.names[0] if len(self.names) == 1 and self.required == 1 else None
        object.__setattr__(self, "_lone", lone)

    @classmethod
    def single(cls) -> Ports:
        return cls(("input",), 1)

    @classmethod
    def none(cls) -> Ports:
        return cls((), 0)

    @classmethod
    def fixed(cls, names: tuple[str, ...], required: int | None = None) -> Ports:
        return cls(names, len(names) if required is None else required)

    @classmethod
    def many(cls, required: int = 2) -> Ports:
        return cls((), required, variadic=True)

    def index(self, port: str) -> int | None:
        """The position of `port` among the layer's inputs, or None if no such port."""
        if not self.variadic:
            return self._positions.get(port)
        index = _VARIADIC_INDEX.get(port)
        if index is not None:
            return index
        number = port[6:] if port.startswith("input_") else ""
        if number.isdigit() and number.isascii() and str(int(number)) == number:
            return int(number)
        return None

    def in_order(self, fed: Mapping[str, Collection[str]]) -> list[str] | None:
        """The sources in port order, from `fed` (source -> the ports it feeds), when
        the ports are wired as Keras takes them: known ports, one source each, at least
        `required` of them, and no fixed port left out before the last one fed. Else None
        (validation then finds out what is wrong)."""
        lone = self._lone
        if lone is not None:  # most layers: exactly one source, on that port alone
            if len(fed) == 1:
                for src, ports in fed.items():
                    if len(ports) == 1 and lone in ports:
                        return [src]
            return None
        # The usual wiring of the others: each source feeds one port, and the sources
        # come in port order from the first port on (as edges are mostly made and saved).
        names = _VARIADIC_NAMES if self.variadic else self.names
        i = 0  # a count of its own: enumerate() costs more on the few inputs of a node
        for ports in fed.values():
            if len(ports) != 1 or i == len(names) or names[i] not in ports:
                break
            i += 1  # noqa: SIM113
        else:
            if i >= self.required:
                return list(fed)
        by_index: dict[int, str] = {}
        positions = _VARIADIC_INDEX if self.variadic else self._positions
        for src, ports in fed.items():
            for port in ports:
                index = positions.get(port)
                if index is None:
                    index = self.index(port)  # a variadic port past the common ones
                if index is None or index in by_index:
                    return None
                by_index[index] = src
        count = len(by_index)
        if count < self.required:
            return None
        if self.variadic:
            return [by_index[i] for i in sorted(by_index)]
        if count and max(by_index) != count - 1:
            return None
        return [by_index[i] for i in range(count)]

    def fed_port(self, fed: Mapping[str, Iterable[str]], position: int) -> str:
        """The name of the port that gives the `position`th input of the sources
        `in_order(fed)` returns (a variadic layer's inputs skip its free ports)."""
        ports = sorted((p for names in fed.values() for p in names), key=self.index)
        return ports[position]

    def name(self, index: int) -> str:
        """The port name at `index`."""
        return f"input_{index}" if self.variadic else self.names[index]

    def describe(self) -> str:
        if self.variadic:
            return f"at least {inputs_text(self.required)}"
        if not self.names:
            return "no inputs"
        return ", ".join(
            n if i < self.required else f"{n} (optional)" for i, n in enumerate(self.names)
        )


class OnnxLimit(NamedTuple):
    """Why a layer cannot go to ONNX as it stands (a measured failure of torch's dynamo
    exporter), and what would fix it."""

    reason: str
    fix: str
    #: Whether fixing the input's time axis upstream lifts it: onnx_readiness then
    #: names the graph's Inputs that leave the axis free, instead of `fix`.
    free_time_axis: bool = False


class Saved(NamedTuple):
    """What a layer's forward pass keeps for autograd's backward pass, in training.

    Tensors the layer shares with its neighbours are named, not sized, so that a
    tensor kept by two layers (a ReLU's output, the next Dense's input) is counted once
    (graph/cost.py): `inputs` (port indices) and `output`. Tensors made inside the layer
    are sized in elements: `extra` in the layer's compute dtype, `indices` as int64.
    """

    inputs: tuple[int, ...] = ()
    output: bool = False
    extra: int = 0
    indices: int = 0

    def __add__(self, other: object) -> Saved:  # type: ignore[override]
        """What a layer keeps when it does both steps (a Dense, then its activation):
        the tensors either keeps, the sizes of both's own."""
        if not isinstance(other, Saved):
            return NotImplemented
        return Saved(
            tuple(sorted({*self.inputs, *other.inputs})),
            self.output or other.output,
            self.extra + other.extra,
            self.indices + other.indices,
        )


def activation_of(p: Params) -> str:
    """The activation a layer with params `p` ends with: its `activation` param, else
    'linear' (no activation)."""
    activation = p.get("activation")
    return activation if isinstance(activation, str) else "linear"


def face_value(value: Any) -> str:
    """A param value as a node's face shows it: 0.5, relu, 3x3 for (3, 3), ? for a
    free size; "" for None (nothing to show)."""
    if value is None or isinstance(value, Mapping):
        return ""  # nothing, or a nested config too long for a face
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return "x".join("?" if v is None else face_value(v) for v in value)
    return str(value)


def with_activation(face: str, p: Params) -> str:
    """`face` followed by the activation in `p`, when there is one and it is not linear."""
    act = activation_of(p)
    if act == "linear":
        return face
    return f"{face} · {act}" if face else act


def window_face(size: Any, strides: Any, rank: int) -> str:
    """A sliding window as a face shows it: "3x3", then "/2" when it steps by more
    than one (strides None: by its own size, as a pooling window does, unsaid)."""
    if size is None:
        return ""
    text = face_value(as_tuple(size, rank))
    if strides is None:
        return text
    steps = as_tuple(strides, rank)
    if all(s == 1 for s in steps):
        return text
    return f"{text} /{steps[0] if len(set(steps)) == 1 else face_value(steps)}"


def inputs_text(count: int) -> str:
    """'1 input', '2 inputs': a count of inputs as a message says it."""
    return counted(count, "input")


class LayerSpec:
    """Base class of layer specs. Subclasses set the class attributes and rules.

    `call_style` says how Keras calls the layer on its inputs: "single" (layer(x)),
    "list" (layer([a, b, ...])) or "kwargs" (layer(query=q, value=v, key=k)); see
    graph.calls, the one place that turns a style into a call and back.
    """

    type: ClassVar[str]
    category: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    ports: ClassVar[Ports] = Ports.single()
    call_style: ClassVar[str] = "single"
    #: A model input (see InputSpec): made by keras.Input, not called on tensors.
    is_input: ClassVar[bool] = False
    #: How many outputs a call has: one for a layer (a block use has its block's).
    output_count: ClassVar[int] = 1
    #: Whether the Keras layer's build() makes tensors that are not variables
    #: (Normalization's mean and variance): code that builds layers on a placeholder
    #: device (a subclassed model's symbolic call) must build these for real first.
    build_makes_tensors: ClassVar[bool] = False
    #: Whether the output is a view of the first input (same storage: Reshape,
    #: Flatten), so a tensor kept through either is one tensor (graph/cost.py).
    output_is_view: ClassVar[bool] = False

    def __init__(self) -> None:
        self.param_by_name = MappingProxyType({p.name: p for p in self.params})
        self._defaults = {p.name: p.default for p in self.params if not p.required}
        self.defaults = MappingProxyType(self._defaults)
        self.required_params = tuple(p.name for p in self.params if p.required)

    @property
    def doc(self) -> str:
        """The first line of the spec's docstring: what the layer does."""
        return (type(self).__doc__ or "").strip().splitlines()[0]

    @property
    def title(self) -> str:
        """The type as a node's face shows it: the type name, unless too long to read."""
        return self.type

    def resolve(self, params: Params) -> dict[str, Any]:
        """The full parameter dict: Keras defaults overridden by `params`."""
        resolved = self._defaults.copy()
        resolved.update(params)
        return resolved

    def initial_params(self) -> dict[str, Any]:
        """The params a new node of this type starts with: its required ones."""
        return {p.name: p.initial for p in self.params if p.required}

    def face_params(self, p: Params) -> str:
        """What a node's face shows after the layer type ("64 · relu" for a Dense):
        the params a reader needs to tell one node of this type from another.

        By default the required params' values, then the activation unless linear.
        `p` is resolved (see `resolve`) but may lack a param an invalid node lacks.
        Specs whose telling params are optional (a window's strides) override this.
        """
        names = (n for n in self.required_params if n != "activation")
        values = [face_value(p.get(name)) for name in names]
        return with_activation(" ".join(v for v in values if v), p)

    # Rules. Subclasses override what applies to them.

    def infer(
        self, shapes: list[Shape], dtypes: list[str], p: Params
    ) -> tuple[Shape, str, int, int]:
        """(output shape, output dtype, trainable, non-trainable) on these inputs.

        Applies the three rules below; a spec that gets all four at once (one backed
        by Keras itself) overrides this instead.
        """
        shape = self.output_shape(shapes, p)
        trainable, non_trainable = self.weights(shapes, p)
        return shape, self.output_dtype(dtypes, p), trainable, non_trainable

    def check_params(self, p: Params) -> Iterator[tuple[str, str]]:
        """Cross-parameter rules: yields (param name, reason) for each violation."""
        return iter(())

    def output_shape(self, shapes: list[Shape], p: Params) -> Shape:
        """The output shape (batch axis included) for the input shapes and params."""
        raise NotImplementedError

    def output_dtype(self, dtypes: list[str], p: Params) -> str:
        """The output dtype; layers compute in float32 unless they say otherwise."""
        return FLOATX

    def dtype_warnings(self, dtypes: list[str], p: Params) -> Iterator[str]:
        """Inputs whose dtype Keras accepts but probably not as the user meant."""
        return iter(())

    def weights(self, shapes: list[Shape], p: Params) -> tuple[int, int]:
        """(trainable, non-trainable) weight counts once built on `shapes`."""
        return (0, 0)

    def weight_signature(self, shapes: list[Shape], p: Params) -> tuple[Any, ...]:
        """What the weights' shapes depend on in the inputs.

        Call sites of one shared layer must agree on it. By default nothing: layers
        whose weights are sized by their inputs override this (see `last_axes`).
        """
        return ()

    # Cost rules: pure functions of concrete input shapes (batch axis included, every
    # size known), the output shape and the resolved params. See graph/cost.py.

    def macs(self, shapes: list[Shape], output: Shape, p: Params) -> int:
        """Multiply-accumulates of the forward pass in matrix products and convolutions
        (what torch's FlopCounterMode counts, halved): none by default, as for layers
        that only move, pool, normalize or apply a function to each value."""
        return 0

    def saved(self, shapes: list[Shape], output: Shape, p: Params) -> Saved:
        """What the forward pass keeps for backward (when gradients flow through the
        layer): nothing by default, as for additions, padding and reshaping."""
        return Saved()

    def saved_with_grads(
        self,
        shapes: list[Shape],
        output: Shape,
        p: Params,
        input_grads: tuple[bool, ...],
        trainable: bool = True,
    ) -> Saved:
        """What the forward pass keeps when a gradient flows through the layer but only
        the inputs flagged in `input_grads` carry one (an Input, or a branch with no
        trainable weight, carries none), and the layer trains or not (`trainable`
        False: frozen, its weights get no gradient and a BatchNormalization runs in
        inference mode). By default `saved`, what it keeps when all of them do; a
        layer whose backward needs one input only for another's gradient (a product),
        or only for its own weights' (a Dense), keeps less, and overrides this."""
        return self.saved(shapes, output, p)

    # Facts for the rest of the project. Subclasses override what applies to them.

    def onnx_limits(self, shapes: list[Shape] | None, p: Params) -> list[OnnxLimit]:
        """What keeps this layer, with params `p` as the node holds them, on inputs of
        `shapes` (None where they are not inferred), from going to ONNX: none by default."""
        return []

    def output_activation(self, p: Params) -> str:
        """The activation the layer's output ends with, resolved params `p` given:
        'softmax' and 'sigmoid' make a probability output, which the training
        defaults (loss, metrics) follow."""
        return activation_of(p)

    def derived_config(self, config: Mapping[str, Any]) -> frozenset[str]:
        """The entries of this layer's Keras config that Keras derived from the others
        (the graph rebuilds them, so an import need not keep them): none by default."""
        return frozenset()


class InputSpec(LayerSpec):
    """Base class of a model input's spec: a tensor made by `keras.Input` from the
    spec's params (Keras's own argument names) and fed by the data. It has no ports
    and one call site, and answers what code outside the spec asks of an input."""

    ports = Ports.none()
    is_input = True

    def sample_shape(self, p: Params) -> Shape:
        """The shape of one sample (batch axis excluded) that the params give, as far
        as they give one (an invalid node's params may lack it)."""
        raise NotImplementedError

    def keras_input_params(self, batch_shape: Shape, dtype: str) -> dict[str, Any]:
        """The params of the input Keras made with `batch_shape` (batch axis first)
        and `dtype`: only those that differ from the spec's defaults."""
        raise NotImplementedError


def last_axes(shapes: list[Shape]) -> tuple[Any, ...]:
    """The feature (last) axis of every input: what most weights are sized by, and
    what Keras's input specs check on later calls of a built layer."""
    return tuple(s[-1] if s else None for s in shapes)


def same_shape(shapes: list[Shape], p: Params) -> Shape:
    """Output shape rule of layers that map each value to one value (activations,
    dropout, rescaling): the output has the input's shape."""
    return shapes[0]


def preserve_dtype(dtypes: list[str], p: Params) -> str:
    """Output dtype rule of layers that move values without computing on them."""
    return dtypes[0]


_SPECS: dict[str, LayerSpec] = {}
_RESOLVERS: list[Callable[[str], LayerSpec | None]] = []


def register(cls: type[LayerSpec]) -> type[LayerSpec]:
    """Class decorator: make `cls` the spec of its `type`."""
    if cls.type in _SPECS:
        raise ValueError(f"a spec for {cls.type!r} is already registered")
    _SPECS[cls.type] = cls()
    return cls


def add_resolver(resolver: Callable[[str], LayerSpec | None]) -> None:
    """Let `resolver` supply specs for types that have no hand-written one.

    codegen registers one backed by Keras itself, so graph stays keras-free while
    every built-in Keras layer can be validated once codegen is loaded. A resolver
    must return the same spec object for the same type each time.
    """
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)


def get_spec(layer_type: str) -> LayerSpec | None:
    """The spec of `layer_type`: the hand-written one, else a resolver's, else None."""
    spec = _SPECS.get(layer_type)
    if spec is None:
        for resolver in _RESOLVERS:
            spec = resolver(layer_type)
            if spec is not None:
                break
    return spec


def is_input_type(layer_type: str) -> bool:
    """Whether `layer_type` makes model inputs. Only hand-written specs are inputs,
    so no resolver (and no Keras) is asked."""
    spec = _SPECS.get(layer_type)
    return spec is not None and spec.is_input


def input_spec() -> InputSpec:
    """The spec of the layer type that makes model inputs."""
    (spec,) = (s for s in _SPECS.values() if isinstance(s, InputSpec))
    return spec


def builtin_specs() -> list[LayerSpec]:
    """Every hand-written spec, in registration order."""
    return list(_SPECS.values())


def expect_rank(shape: Shape, rank: int, layout: str) -> None:
    """Raise ShapeError unless `shape` has `rank` axes; `layout` names them."""
    if len(shape) != rank:
        raise ShapeError(
            f"expects an input of rank {rank} {layout}. Received: input shape {fmt(shape)}"
        )


def expect_min_rank(shape: Shape, rank: int) -> None:
    """Raise ShapeError unless `shape` has at least `rank` axes."""
    if len(shape) < rank:
        raise ShapeError(f"expects an input of rank >= {rank}. Received: input shape {fmt(shape)}")
