"""Sampling hints for the regularization specs."""

from hypothesis import strategies as st

from tests.spec_oracle import PARAM_STRATEGIES, RANKS

RANKS.update({"SpatialDropout1D": (3,), "SpatialDropout2D": (4,), "SpatialDropout3D": (5,)})
# Rates and factors a little outside their ranges too: Keras refuses those in __init__.
for _type in ("Dropout", "AlphaDropout", "GaussianDropout"):
    PARAM_STRATEGIES[(_type, "rate")] = st.floats(-0.5, 1.5)
for _type in ("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"):
    PARAM_STRATEGIES[(_type, "rate")] = st.floats(-0.5, 1.5)
PARAM_STRATEGIES[("GaussianNoise", "stddev")] = st.floats(-0.5, 1.5)
PARAM_STRATEGIES[("ActivityRegularization", "l1")] = st.floats(-1, 2)
PARAM_STRATEGIES[("ActivityRegularization", "l2")] = st.floats(-1, 2)
