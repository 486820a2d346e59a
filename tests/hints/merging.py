"""Sampling hints for the merging specs."""

from hypothesis import strategies as st

from tests.spec_oracle import PARAM_STRATEGIES, RANKS

for _type in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"):
    RANKS[_type] = (2, 3, 4)
RANKS["Dot"] = (2, 3)
PARAM_STRATEGIES[("Concatenate", "axis")] = st.integers(-4, 4)
PARAM_STRATEGIES[("Dot", "axes")] = st.one_of(
    st.integers(-3, 3), st.tuples(st.integers(-3, 3), st.integers(-3, 3))
)
