"""Sampling hints for the activations specs."""

from hypothesis import strategies as st

from tests.spec_oracle import PARAM_STRATEGIES, RANKS

RANKS.update({"ReLU": (2, 3), "LeakyReLU": (2, 3), "Softmax": (2, 3), "ELU": (2, 3)})
RANKS["PReLU"] = (2, 3, 4)

# Slopes and caps a little below 0 too: Keras refuses negative ones in __init__.
PARAM_STRATEGIES[("ReLU", "max_value")] = st.one_of(st.none(), st.floats(-1, 6))
PARAM_STRATEGIES[("ReLU", "negative_slope")] = st.floats(-1, 2)
PARAM_STRATEGIES[("ReLU", "threshold")] = st.floats(-1, 2)
PARAM_STRATEGIES[("LeakyReLU", "negative_slope")] = st.floats(-1, 2)
