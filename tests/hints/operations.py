"""Sampling hints for the operation specs (graph/layers/ops_*.py)."""

from hypothesis import strategies as st

from graph.operation import operation_specs
from graph.slice_key import SliceKey
from tests.spec_oracle import KIND_STRATEGIES, PARAM_STRATEGIES, RANKS

#: A constant operand: None (a tensor) most often, else an int or a float, whose
#: Python type decides the dtype.
_CONSTANT = st.one_of(st.none(), st.none(), st.integers(-3, 3), st.floats(-2, 2))
#: One axis of either sign, or distinct axes counted from 0: Keras's symbolic rule
#: drops an axis named twice (axis=(-1, 1) on rank 2) twice, where the backend refuses
#: the call; the graph refuses it too (tests/test_operations.py), so such cases are
#: left out here.
_AXES = st.one_of(
    st.integers(-4, 4), st.lists(st.integers(0, 4), min_size=1, max_size=3, unique=True).map(tuple)
)

for _spec in operation_specs():
    RANKS[_spec.type] = (2, 3, 4)
    for _name in ("x1", "x2"):
        if _name in _spec.param_by_name:
            PARAM_STRATEGIES[(_spec.type, _name)] = _CONSTANT
    if "axis" in _spec.param_by_name and _spec.type != "ops.concatenate":
        PARAM_STRATEGIES[(_spec.type, "axis")] = _AXES
PARAM_STRATEGIES[("ops.concatenate", "axis")] = st.integers(-4, 4)
PARAM_STRATEGIES[("ops.transpose", "axes")] = st.one_of(
    st.none(), st.permutations(range(3)).map(tuple), st.permutations((0, -1, 1)).map(tuple),
    st.lists(st.integers(-4, 4), max_size=4).map(tuple),
)  # fmt: skip
PARAM_STRATEGIES[("ops.reshape", "newshape")] = st.one_of(
    st.lists(st.sampled_from([-1, 1, 2, 3, 4, 6, 8, 12]), min_size=1, max_size=4).map(tuple)
)
PARAM_STRATEGIES[("ops.max", "initial")] = st.one_of(st.none(), st.floats(-2, 2))
PARAM_STRATEGIES[("ops.min", "initial")] = st.one_of(st.none(), st.floats(-2, 2))

_INDEX = st.integers(-4, 4)
_BOUND = st.one_of(st.none(), _INDEX)
_SLICE = st.builds(
    lambda a, b, c: f"{'' if a is None else a}:{'' if b is None else b}"
    + ("" if c is None else f":{c}"),
    _BOUND, _BOUND, st.one_of(st.none(), st.sampled_from([1, 2, -1])),
)  # fmt: skip
_ENTRY = st.one_of(_SLICE, _INDEX.map(str), st.just("None"), st.just(":"))


@st.composite
def _keys(draw, kind):
    entries = draw(st.lists(_ENTRY, min_size=1, max_size=3))
    if draw(st.booleans()):
        entries.insert(draw(st.integers(0, len(entries))), "...")
    return ", ".join(entries)


KIND_STRATEGIES[SliceKey] = _keys
