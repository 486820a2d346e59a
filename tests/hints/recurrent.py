"""Sampling hints for the recurrent specs."""

from tests.spec_oracle import PARAM_STRATEGIES, RANKS  # noqa: F401
