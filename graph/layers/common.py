"""Parameters that many layers share, written once: activations, initializers,
regularizers, data formats. The choice lists are Keras's own names (a conformance
test checks each against Keras's lookup functions).
"""

from __future__ import annotations

from graph.params import Bool, Choice, Param

ACTIVATIONS = (
    None, "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu",
    "silu", "swish", "mish", "sigmoid", "hard_sigmoid", "tanh", "softplus", "softsign",
    "softmax", "log_softmax", "exponential",
)  # fmt: skip

#: Initializers of kernels and other matrices ("identity" is left out: it needs a
#: square 2-D weight).
INITIALIZERS = (
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
    "lecun_normal", "orthogonal", "random_normal", "random_uniform", "uniform",
    "truncated_normal", "variance_scaling", "zeros", "ones",
)  # fmt: skip

#: Initializers of biases, scales and other vectors: Keras's "orthogonal" needs a
#: weight of rank >= 2 and fails when a vector is built.
VECTOR_INITIALIZERS = tuple(name for name in INITIALIZERS if name != "orthogonal")

REGULARIZERS = (None, "l1", "l2", "l1l2")

DATA_FORMATS = ("channels_last", "channels_first")


def activation(default: object = None, name: str = "activation") -> Param:
    return Param(
        name, Choice(ACTIVATIONS), default, "Activation applied to the output (None: linear)."
    )


def initializer(name: str, default: str, what: str, vector: bool = False) -> Param:
    """An initializer param; `vector` for biases, scales and other 1-D weights."""
    choices = VECTOR_INITIALIZERS if vector else INITIALIZERS
    return Param(name, Choice(choices), default, f"Initializer of the {what}.")


def regularizer(name: str, what: str) -> Param:
    return Param(name, Choice(REGULARIZERS), None, f"Regularizer applied to the {what}.")


def use_bias() -> Param:
    return Param("use_bias", Bool(), True, "Whether the layer adds a bias vector.")


def weight_params(kernel: str = "kernel", kernel_init: str = "glorot_uniform") -> tuple[Param, ...]:
    """The initializer/regularizer params of a layer with a kernel and a bias."""
    return (
        initializer(f"{kernel}_initializer", kernel_init, kernel + " weights"),
        initializer("bias_initializer", "zeros", "bias vector", vector=True),
        regularizer(f"{kernel}_regularizer", kernel + " weights"),
        regularizer("bias_regularizer", "bias vector"),
        regularizer("activity_regularizer", "layer's output"),
    )


def data_format(default: object = None) -> Param:
    return Param(
        "data_format",
        Choice((None, *DATA_FORMATS)) if default is None else Choice(DATA_FORMATS),
        default,
        "Where the channels axis is; None means channels_last.",
    )


def channels_last(p: dict) -> bool:
    """Whether the resolved params put channels on the last axis."""
    return p.get("data_format") in (None, "channels_last")
