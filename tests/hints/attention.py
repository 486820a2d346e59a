"""Sampling hints for the attention specs."""

from tests.spec_oracle import PARAM_STRATEGIES, RANKS  # noqa: F401
