"""Sampling hints for the preprocessing specs."""

from hypothesis import strategies as st

from tests.spec_oracle import PARAM_STRATEGIES, RANKS

RANKS.update({"Rescaling": (2, 4), "Normalization": (2, 3)})
# A number or a short list, so that mean and variance (drawn independently, each left
# out half of the time) often agree in shape and match the sampled feature sizes.
_stats = st.one_of(st.floats(-2, 2), st.lists(st.floats(0, 2), min_size=1, max_size=3).map(tuple))
PARAM_STRATEGIES[("Normalization", "mean")] = _stats
PARAM_STRATEGIES[("Normalization", "variance")] = _stats
PARAM_STRATEGIES[("Normalization", "axis")] = st.one_of(
    st.none(), st.integers(-3, 2), st.lists(st.integers(-3, 2), min_size=1, max_size=2).map(tuple)
)
