"""The built-in layer specs, one module per Keras category; importing registers them."""

from graph.layers import (  # noqa: F401
    activations,
    attention,
    convolutional,
    core,
    merging,
    normalization,
    pooling,
    preprocessing,
    recurrent,
    regularization,
    reshaping,
)
