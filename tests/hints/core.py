"""Sampling hints for the core specs."""

from hypothesis import strategies as st

from tests.spec_oracle import PARAM_STRATEGIES, RANKS

RANKS.update({"Dense": (2, 3), "Activation": (2, 3), "Embedding": (2,)})
PARAM_STRATEGIES[("Embedding", "input_dim")] = st.integers(1, 50)
