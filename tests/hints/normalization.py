"""Sampling hints for the normalization specs."""

from tests.spec_oracle import PARAM_STRATEGIES, RANKS  # noqa: F401
