"""Sampling hints for the convolutional specs."""

from tests.spec_oracle import PARAM_STRATEGIES, RANKS  # noqa: F401
