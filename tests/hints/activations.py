"""Sampling hints for the activations specs."""

from tests.spec_oracle import PARAM_STRATEGIES, RANKS  # noqa: F401
