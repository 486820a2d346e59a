"""The built-in layer specs, one module per Keras category; importing registers them.

`keras_backed` registers nothing: it states what the Keras-backed specs
(codegen/generic_spec.py) cannot learn from Keras itself, such as ONNX limits.
"""

from graph.layers import (  # noqa: F401
    activations,
    attention,
    convolutional,
    core,
    merging,
    normalization,
    ops_elementwise,
    ops_tensors,
    pooling,
    preprocessing,
    recurrent,
    regularization,
    reshaping,
)
