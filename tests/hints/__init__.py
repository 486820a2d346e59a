"""Sampling hints for the spec oracle, one module per layer family."""

from tests.hints import (  # noqa: F401  # noqa: F401
    activations,
    attention,
    convolutional,
    core,
    merging,
    normalization,
    operations,
    pooling,
    preprocessing,
    recurrent,
    regularization,
    reshaping,
)
