"""Sampling hints for the preprocessing specs."""

from tests.spec_oracle import PARAM_STRATEGIES, RANKS  # noqa: F401
