"""Sampling hints for the merging specs."""

from tests.spec_oracle import PARAM_STRATEGIES, RANKS  # noqa: F401
