"""Sampling hints for the reshaping specs."""

from tests.spec_oracle import PARAM_STRATEGIES, RANKS  # noqa: F401
