"""Recurrent layers: SimpleRNN, GRU, LSTM, and Bidirectional wrapping one of them.

One base class holds what every recurrent layer shares (a rank-3 input of shape
(batch, timesteps, features), the last step or the whole sequence as output, the
kernel/recurrent-kernel/bias weights); the layers differ in their number of gates
and their bias, as Keras's cells do. Bidirectional takes its wrapped layer as a
nested layer, {"type": "LSTM", "params": {...}}, checked by the `RecurrentLayer` kind.

`return_state` is not exposed: with it Keras returns the output and the final
states as several tensors, and a graph node has a single output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

from graph.errors import ShapeError
from graph.infer import check_params
from graph.layers.common import ACTIVATIONS, constraint, initializer, regularizer, use_bias
from graph.params import Bool, Choice, Float, Int, Kind, Param, freeze
from graph.shapes import fmt
from graph.spec import LayerSpec, expect_rank, get_spec, last_axes, register

_LAYOUT = "(batch, timesteps, features)"
_NO_PARAMS: Mapping[str, Any] = MappingProxyType({})


def _rnn_params(
    gated: bool, cell_extra: tuple[Param, ...] = (), layer_extra: tuple[Param, ...] = ()
) -> tuple[Param, ...]:
    """The params of a recurrent layer, in Keras's constructor order.

    `gated`: whether the layer has a recurrent_activation (GRU, LSTM); `cell_extra`
    goes after the initializers (LSTM's unit_forget_bias), `layer_extra` last
    (GRU's reset_after).
    """
    gate = (
        Param(
            "recurrent_activation",
            Choice(ACTIVATIONS),
            "sigmoid",
            "Activation of the gates (None: linear).",
        ),
    )
    return (
        Param("units", Int(min=1), help="Size of the output (and state) vectors.", initial=32),
        Param(
            "activation", Choice(ACTIVATIONS), "tanh", "Activation of the output (None: linear)."
        ),
        *(gate if gated else ()),
        use_bias(),
        initializer("kernel_initializer", "glorot_uniform", "input kernel"),
        initializer("recurrent_initializer", "orthogonal", "recurrent kernel"),
        initializer("bias_initializer", "zeros", "bias vector", vector=True),
        *cell_extra,
        regularizer("kernel_regularizer", "input kernel"),
        regularizer("recurrent_regularizer", "recurrent kernel"),
        regularizer("bias_regularizer", "bias vector"),
        regularizer("activity_regularizer", "layer's output"),
        constraint("kernel_constraint", "input kernel"),
        constraint("recurrent_constraint", "recurrent kernel"),
        constraint("bias_constraint", "bias vector"),
        Param("dropout", Float(0, 1), 0.0, "Fraction of the inputs dropped while training."),
        Param(
            "recurrent_dropout",
            Float(0, 1),
            0.0,
            "Fraction of the recurrent state dropped while training.",
        ),
        Param(
            "return_sequences",
            Bool(),
            False,
            "Output the whole sequence (batch, timesteps, units) instead of the last step.",
        ),
        Param("go_backwards", Bool(), False, "Process the sequence backwards."),
        Param(
            "stateful",
            Bool(),
            False,
            "Carry the states over from one batch to the next (needs a fixed batch size).",
        ),
        Param(
            "unroll",
            Bool(),
            False,
            "Unroll the loop: can be faster for short sequences, uses more memory.",
        ),
        *layer_extra,
    )


class BaseRNN(LayerSpec):
    """Base of the recurrent layers: `gates` kernels of `units` columns each."""

    category = "Recurrent"
    gates: ClassVar[int]

    def output_shape(self, shapes, p):
        (shape,) = shapes
        expect_rank(shape, 3, _LAYOUT)
        if shape[-1] is None:
            raise ShapeError(
                "needs a known size on the input's last axis (features). "
                f"Received: input shape {fmt(shape)}"
            )
        if p["stateful"] and shape[0] is None:
            raise ShapeError(
                "with stateful=True needs a fixed batch size (set batch_size on the Input). "
                f"Received: input shape {fmt(shape)}"
            )
        # Keras accepts unroll=True with an unknown number of timesteps: the symbolic
        # call checks nothing, and an eager call unrolls over the actual length.
        if p["return_sequences"]:
            return (shape[0], shape[1], p["units"])
        return (shape[0], p["units"])

    def bias_size(self, p) -> int:
        return self.gates * p["units"]

    def weight_signature(self, shapes, p):
        return last_axes(shapes)

    def weights(self, shapes, p):
        units = p["units"]
        columns = self.gates * units
        bias = self.bias_size(p) if p["use_bias"] else 0
        return ((shapes[0][-1] + units) * columns + bias, 0)


@register
class SimpleRNN(BaseRNN):
    """A fully connected recurrent layer: the output is fed back as the next step's input."""

    type = "SimpleRNN"
    gates = 1
    params = _rnn_params(gated=False)


@register
class GRU(BaseRNN):
    """Gated Recurrent Unit layer (Cho et al., 2014)."""

    type = "GRU"
    gates = 3
    params = _rnn_params(
        gated=True,
        layer_extra=(
            Param(
                "reset_after",
                Bool(),
                True,
                "Apply the reset gate after the matrix product (separate input and "
                "recurrent biases, the cuDNN convention).",
            ),
        ),
    )

    def bias_size(self, p) -> int:
        return (2 if p["reset_after"] else 1) * 3 * p["units"]


@register
class LSTM(BaseRNN):
    """Long Short-Term Memory layer (Hochreiter, 1997)."""

    type = "LSTM"
    gates = 4
    params = _rnn_params(
        gated=True,
        cell_extra=(
            Param(
                "unit_forget_bias",
                Bool(),
                True,
                "Add 1 to the forget gate's bias at initialization.",
            ),
        ),
    )


RNN_TYPES = ("LSTM", "GRU", "SimpleRNN")


@dataclass(frozen=True)
class RecurrentLayer(Kind):
    """A nested recurrent layer: {"type": one of `types`, "params": {...}}.

    The params are checked against the nested type's own spec, so a nested layer
    is refused exactly when the same layer on its own would be.
    """

    types: tuple[str, ...] = RNN_TYPES

    def problem(self, value: Any) -> str | None:
        if not isinstance(value, Mapping) or not set(value) <= {"type", "params"}:
            return f"must be {self.describe()}"
        layer_type = value.get("type")
        if not isinstance(layer_type, str) or layer_type not in self.types:
            return f"must be {self.describe()}"
        params = value.get("params", _NO_PARAMS)
        if not isinstance(params, Mapping):
            return f"must be {self.describe()}"
        problems, _ = check_params(self.spec(layer_type), params)
        if problems:
            reasons = "; ".join(f"{name} {reason}" for name, reason in problems)
            return f"must be a valid {layer_type} layer: its {reasons}"
        return None

    def describe(self) -> str:
        names = ", ".join(self.types[:-1]) + " or " + self.types[-1]
        return f'a recurrent layer {{"type": {names}, "params": {{...}}}}'

    @staticmethod
    def spec(layer_type: str) -> LayerSpec:
        return get_spec(layer_type)

    @classmethod
    def resolve(cls, value: Mapping[str, Any]) -> tuple[LayerSpec, dict[str, Any]]:
        """The nested layer's spec and its resolved params (Keras defaults filled in)."""
        spec = cls.spec(value["type"])
        return spec, spec.resolve(value.get("params", _NO_PARAMS))


@register
class Bidirectional(LayerSpec):
    """Runs a recurrent layer forwards and backwards over the sequence and merges both."""

    type = "Bidirectional"
    category = "Recurrent"
    params = (
        Param(
            "layer",
            RecurrentLayer(),
            help="The recurrent layer to run in both directions (its backward copy is made "
            "with go_backwards=True).",
            initial=freeze({"type": "LSTM", "params": {"units": 32}}),
        ),
        Param(
            "merge_mode",
            # Keras also takes None (two output tensors); a graph node has one output.
            Choice(("concat", "sum", "mul", "ave")),
            "concat",
            "How the forward and backward outputs are combined.",
        ),
    )

    def check_params(self, p):
        if p["layer"].get("params", _NO_PARAMS).get("go_backwards", False):
            yield (
                "layer",
                "must not set go_backwards=True: Bidirectional makes the backward copy "
                "itself, and both copies would then run backwards",
            )

    def face_params(self, p):
        """ "LSTM 32 · tanh": the wrapped layer as its own node would show it."""
        layer = p.get("layer")
        if not isinstance(layer, Mapping) or get_spec(str(layer.get("type"))) is None:
            return ""
        spec, inner = RecurrentLayer.resolve(layer)
        return f"{spec.type} {spec.face_params(inner)}".strip()

    def output_shape(self, shapes, p):
        spec, inner = RecurrentLayer.resolve(p["layer"])
        shape = spec.output_shape(shapes, inner)
        if p["merge_mode"] == "concat":
            return (*shape[:-1], shape[-1] * 2)
        return shape

    def weight_signature(self, shapes, p):
        return last_axes(shapes)

    def weights(self, shapes, p):
        spec, inner = RecurrentLayer.resolve(p["layer"])
        trainable, non_trainable = spec.weights(shapes, inner)
        return (2 * trainable, 2 * non_trainable)
