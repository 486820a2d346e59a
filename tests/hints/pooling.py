"""Sampling hints for the pooling specs."""

from tests.spec_oracle import PARAM_STRATEGIES, RANKS  # noqa: F401
