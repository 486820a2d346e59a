"""Sampling hints for the normalization specs."""

from hypothesis import strategies as st

from tests.spec_oracle import PARAM_STRATEGIES, RANKS

RANKS.update(
    {
        "BatchNormalization": (2, 3, 4),
        "LayerNormalization": (2, 3, 4),
        "GroupNormalization": (3, 4),
        "RMSNormalization": (2, 3),
        "UnitNormalization": (2, 3),
    }
)
for _type in ("BatchNormalization", "GroupNormalization"):
    PARAM_STRATEGIES[(_type, "axis")] = st.integers(-4, 3)
# Small group counts, so that they divide the (small) sampled channel counts often.
PARAM_STRATEGIES[("GroupNormalization", "groups")] = st.sampled_from([-1, 0, 1, 2, 3, 4, 32])
