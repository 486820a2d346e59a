"""Parameters that many layers share, written once: activations, initializers,
regularizers, constraints, data formats. The names are Keras's own, every one Keras
accepts, from graph.keras_names (generated from Keras's registries); initializers,
regularizers and constraints may also be objects with arguments (see KerasObject).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from graph import keras_names
from graph.params import Bool, Choice, KerasObject, Param
from graph.shapes import Shape
from graph.spec import Saved

#: Every activation name Keras accepts (aliases included: hard_swish is hard_silu).
ACTIVATIONS = (None, *keras_names.ACTIVATIONS)

#: Activations whose torch backward reads their result (torch keeps the output);
#: every other one but linear reads its input (torch keeps the pre-activation).
_KEEP_RESULT = frozenset({"relu", "sigmoid", "tanh", "softmax", "log_softmax"})


def activation_saved(name: str | None, output: Shape, own_input: bool = False) -> Saved:
    """What activation `name` keeps for backward. `own_input`: it is a layer of its own,
    whose input is a neighbour's tensor; else it ends a layer (the `activation` param),
    whose pre-activation is a tensor made inside it, of the `output` shape's size."""
    if name in (None, "linear"):
        return Saved()
    if name in _KEEP_RESULT:
        return Saved(output=True)
    return Saved(inputs=(0,)) if own_input else Saved(extra=math.prod(output))


#: Initializer classes a kernel cannot use whatever its shape: Identity needs a 2-D
#: weight (a convolution's kernel has more axes), and STFT builds Conv1D kernels of one
#: layout only, with scipy (not a dependency).
_NOT_FOR_KERNELS = frozenset({"Identity", "STFT"})
#: ... nor a bias, scale or other vector: Orthogonal needs a weight of rank >= 2.
_NOT_FOR_VECTORS = _NOT_FOR_KERNELS | {"Orthogonal"}


#: Per Keras module, its names (name -> class), its classes' arguments, and those
#: their configs must give.
_REGISTRIES: Mapping[str, tuple[Mapping[str, str], Mapping[str, tuple[str, ...]], Mapping]] = {
    "initializers": (
        keras_names.INITIALIZERS,
        keras_names.INITIALIZER_ARGS,
        keras_names.INITIALIZER_NEEDS,
    ),
    "regularizers": (
        keras_names.REGULARIZERS,
        keras_names.REGULARIZER_ARGS,
        keras_names.REGULARIZER_NEEDS,
    ),
    "constraints": (
        keras_names.CONSTRAINTS,
        keras_names.CONSTRAINT_ARGS,
        keras_names.CONSTRAINT_NEEDS,
    ),
}


def keras_object_kind(
    family: str, none: bool = False, refused: frozenset[str] = frozenset()
) -> KerasObject:
    """The kind of a param holding a Keras `family` object ("initializers"): every name
    and class Keras has, less the `refused` classes; `none`: None is accepted too."""
    names, args, needs = _REGISTRIES[family]
    return KerasObject(
        family,
        tuple((n, c) for n, c in names.items() if c not in refused),
        tuple((c, a) for c, a in args.items() if c not in refused),
        none,
        tuple(needs.items()),
    )


INITIALIZER = keras_object_kind("initializers", refused=_NOT_FOR_KERNELS)
VECTOR_INITIALIZER = keras_object_kind("initializers", refused=_NOT_FOR_VECTORS)
REGULARIZER = keras_object_kind("regularizers", none=True)
CONSTRAINT = keras_object_kind("constraints", none=True)

DATA_FORMATS = ("channels_last", "channels_first")


def activation(default: object = None, name: str = "activation") -> Param:
    return Param(
        name, Choice(ACTIVATIONS), default, "Activation applied to the output (None: linear)."
    )


def initializer(name: str, default: str, what: str, vector: bool = False) -> Param:
    """An initializer param; `vector` for biases, scales and other 1-D weights."""
    kind = VECTOR_INITIALIZER if vector else INITIALIZER
    return Param(name, kind, default, f"Initializer of the {what}.")


def regularizer(name: str, what: str) -> Param:
    return Param(name, REGULARIZER, None, f"Regularizer applied to the {what}.")


def constraint(name: str, what: str) -> Param:
    return Param(name, CONSTRAINT, None, f"Constraint applied to the {what} after each update.")


def use_bias() -> Param:
    return Param("use_bias", Bool(), True, "Whether the layer adds a bias vector.")


def weight_params(kernel: str = "kernel", kernel_init: str = "glorot_uniform") -> tuple[Param, ...]:
    """The initializer/regularizer/constraint params of a layer with a kernel and a bias,
    in Keras's constructor order."""
    return (
        initializer(f"{kernel}_initializer", kernel_init, kernel + " weights"),
        initializer("bias_initializer", "zeros", "bias vector", vector=True),
        regularizer(f"{kernel}_regularizer", kernel + " weights"),
        regularizer("bias_regularizer", "bias vector"),
        regularizer("activity_regularizer", "layer's output"),
        constraint(f"{kernel}_constraint", kernel + " weights"),
        constraint("bias_constraint", "bias vector"),
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
