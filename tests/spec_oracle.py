"""Keras as the oracle for layer specs: one harness that every spec goes through.

`draw_case(spec)` draws params (within the spec's schema) and input shapes/dtypes;
`ours()` runs graph's inference, `keras_outcome()` builds and calls the real layer.
Strategies are derived from the param kinds, so a new spec is covered as soon as it
is registered; `PARAM_STRATEGIES` and `RANKS` only bias sampling toward cases that
mean something for a layer.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from codegen.keras_env import import_keras
from codegen.keras_layers import call_layer, make_layer
from codegen.keras_operations import call_operation, make_operation
from graph import params as P
from graph.errors import ShapeError
from graph.infer import check_params, infer
from graph.operation import OperationSpec
from graph.params import freeze
from graph.spec import LayerSpec

#: Input ranks (batch axis included) to sample most often, per layer type.
RANKS: dict[str, tuple[int, ...]] = {}

#: Strategies for (layer type, param name) where the kind's generic one is too broad.
PARAM_STRATEGIES: dict[tuple[str, str], st.SearchStrategy] = {}

#: Strategies for kinds whose values other specs judge (a nested layer), from tests/hints.
KIND_STRATEGIES: dict[type, Any] = {}


def small_ints(lo: int, span: int = 5) -> st.SearchStrategy[int]:
    return st.integers(lo, lo + span)


def kind_strategy(kind: P.Kind) -> st.SearchStrategy:
    """A strategy for values the kind accepts (small, so Keras builds stay fast)."""
    if type(kind) in KIND_STRATEGIES:
        return KIND_STRATEGIES[type(kind)](kind)
    if isinstance(kind, P.Int):
        lo = kind.min if kind.min is not None else -3
        hi = lo + 6 if kind.max is None else min(kind.max, lo + 6)
        return st.integers(lo, hi)
    if isinstance(kind, P.Float):
        lo = -2.0 if kind.min is None else kind.min
        hi = 2.0 if kind.max is None else kind.max
        return st.floats(lo, hi, exclude_min=kind.open_min, exclude_max=kind.open_max)
    if isinstance(kind, P.Bool):
        return st.booleans()
    if isinstance(kind, P.Choice):
        return st.sampled_from(kind.values)
    if isinstance(kind, P.IntTuple):
        entry = small_ints(kind.min, 3)
        if kind.extra:
            entry = st.one_of(entry, st.sampled_from(kind.extra))
        if kind.none:
            entry = st.one_of(entry, st.none())
        if kind.length is not None:
            tup = st.tuples(*[entry] * kind.length)
        else:
            tup = st.lists(entry, max_size=4).map(tuple)
        return st.one_of(small_ints(kind.min, 3), tup) if kind.scalar else tup
    if isinstance(kind, P.Axes):
        return st.one_of(
            st.integers(-4, 4), st.lists(st.integers(-4, 4), min_size=1, max_size=3).map(tuple)
        )
    if isinstance(kind, P.Padding):
        amount = st.integers(0, 3)
        pair = st.tuples(amount, amount)
        if kind.rank == 1:
            return st.one_of(amount, pair)
        return st.one_of(amount, st.tuples(*[amount] * kind.rank), st.tuples(*[pair] * kind.rank))
    if isinstance(kind, P.Floats):
        num = st.floats(-2, 2)
        return st.one_of(num, st.lists(num, min_size=1, max_size=4).map(tuple))
    if isinstance(kind, P.Optional):
        return st.one_of(st.none(), kind_strategy(kind.kind))
    if isinstance(kind, P.KerasObject):
        needs = dict(kind.needs)
        objects = [{"class_name": c, "config": {}} for c, _ in kind.classes if c not in needs]
        values = [name for name, _ in kind.names] + objects + ([None] if kind.none else [])
        return st.sampled_from(values)
    raise TypeError(f"no strategy for param kind {kind!r}")


@st.composite
def draw_params(draw, spec: LayerSpec) -> dict[str, Any]:
    params = {}
    for param in spec.params:
        if not param.required and draw(st.booleans()):
            continue
        strategy = PARAM_STRATEGIES.get((spec.type, param.name))
        if strategy is None:
            strategy = kind_strategy(param.kind)
        params[param.name] = freeze(draw(strategy))
    return params


dims = st.one_of(st.integers(1, 8), st.integers(1, 8), st.none())


@st.composite
def draw_shape(draw, layer_type: str) -> tuple:
    ranks = RANKS.get(layer_type)
    if ranks and draw(st.integers(0, 4)):
        rank = draw(st.sampled_from(ranks))
    else:
        rank = draw(st.integers(1, 5))
    batch = draw(st.one_of(st.none(), st.none(), st.integers(1, 4)))
    return (batch, *[draw(dims) for _ in range(rank - 1)])


LAYER_DTYPES = ["float32", "float32", "float32", "int32"]
#: Operations compute in the dtype their operands promote to, so they meet more.
OPERATION_DTYPES = [*LAYER_DTYPES, "float16", "bfloat16", "int64", "uint8", "bool"]


@dataclass
class Case:
    params: dict[str, Any]
    shapes: list[tuple]
    dtypes: list[str]


@st.composite
def draw_case(draw, spec: LayerSpec) -> Case:
    params = draw(draw_params(spec))
    ports = spec.ports
    if isinstance(spec, OperationSpec) and not spec.list_operand:
        # The tensors an operation takes follow from its constant operands: a node
        # wired otherwise is a graph problem (validation's), not a question for Keras.
        count = len(spec.tensor_operands(params))
    elif ports.variadic:
        count = draw(st.integers(max(ports.required, 1), 4))
    else:
        count = draw(st.integers(ports.required, len(ports.names)))
    first = draw(draw_shape(spec.type))
    shapes = [first]
    for _ in range(count - 1):
        shapes.append(first if draw(st.integers(0, 3)) else draw(draw_shape(spec.type)))
    dtype = st.sampled_from(OPERATION_DTYPES if isinstance(spec, OperationSpec) else LAYER_DTYPES)
    return Case(params, shapes[:count], [draw(dtype) for _ in range(count)])


@dataclass
class Outcome:
    ok: bool
    shape: tuple | None = None
    dtype: str | None = None
    trainable: int | None = None
    non_trainable: int | None = None
    error: str = ""


def ours(spec: LayerSpec, case: Case) -> Outcome:
    problems, resolved = check_params(spec, case.params)
    if problems:
        return Outcome(False, error=f"param problems {problems}")
    try:
        result = infer(spec, resolved, case.shapes, case.dtypes)
    except ShapeError as e:
        return Outcome(False, error=f"ShapeError: {e}")
    return Outcome(True, result.shape, result.dtype, result.trainable, result.non_trainable)


def _count(weights) -> int:
    total = 0
    for w in weights:
        n = 1
        for d in w.shape:
            n *= d
        total += n
    return total


def keras_outcome(spec: LayerSpec, case: Case) -> Outcome:
    keras = import_keras()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if spec.is_input:
                from graph.params import thaw

                out = keras.Input(**{k: thaw(v) for k, v in case.params.items()})
                layer = None
            elif isinstance(spec, OperationSpec):
                inputs = [
                    keras.KerasTensor(s, dtype=d)
                    for s, d in zip(case.shapes, case.dtypes, strict=True)
                ]
                if not inputs:  # numbers only: Keras computes them at once, no operation
                    return Outcome(False, error="no tensor operand")
                op = make_operation(spec, case.params)
                out = call_operation(spec, op, case.params, inputs)
                layer = None
            else:
                layer = make_layer(spec.type, case.params)
                inputs = [
                    keras.KerasTensor(s, dtype=d)
                    for s, d in zip(case.shapes, case.dtypes, strict=True)
                ]
                out = call_layer(spec, layer, inputs)
        except Exception as e:  # noqa: BLE001 - any Keras failure is the oracle's "no"
            return Outcome(False, error=f"{type(e).__name__}: {e}")
    trainable = _count(layer.trainable_weights) if layer else 0
    non_trainable = _count(layer.non_trainable_weights) if layer else 0
    return Outcome(True, tuple(out.shape), str(out.dtype), trainable, non_trainable)


def compare(spec: LayerSpec, case: Case) -> str | None:
    """None when graph agrees with Keras on `case`, else what differs."""
    mine, theirs = ours(spec, case), keras_outcome(spec, case)
    if mine.ok != theirs.ok:
        return (
            f"{spec.type} {case}: ours ok={mine.ok} ({mine.error or mine.shape}), "
            f"keras ok={theirs.ok} ({theirs.error or theirs.shape})"
        )
    if mine.ok and (mine.shape, mine.dtype, mine.trainable, mine.non_trainable) != (
        theirs.shape,
        theirs.dtype,
        theirs.trainable,
        theirs.non_trainable,
    ):
        return f"{spec.type} {case}: ours {mine} != keras {theirs}"
    return None
