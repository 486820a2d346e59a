"""Sampling hints for the spec oracle, one module per layer family."""

from tests.hints import attention, convolutional, core, merging, normalization, pooling  # noqa: F401
from tests.hints import activations, preprocessing, recurrent, regularization, reshaping  # noqa: F401
