"""Sampling hints for the regularization specs."""

from tests.spec_oracle import PARAM_STRATEGIES, RANKS  # noqa: F401
