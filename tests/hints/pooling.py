"""Sampling hints for the pooling specs."""

from tests.spec_oracle import PARAM_STRATEGIES, RANKS  # noqa: F401

for _rank in (1, 2, 3):
    for _kind in ("MaxPooling", "AveragePooling", "GlobalMaxPooling", "GlobalAveragePooling"):
        RANKS[f"{_kind}{_rank}D"] = (_rank + 2,)
