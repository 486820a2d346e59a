"""Recurrent layers: SimpleRNN, GRU, LSTM, and Bidirectional wrapping one of them.

One base class holds what every recurrent layer shares (a rank-3 input of shape
(batch, timesteps, features), the last step or the whole sequence as output, the
kernel/recurrent-kernel/bias weights); the layers differ in their number of gates
and their bias, as Keras's cells do. Bidirectional takes its wrapped layer as a
nested layer, {"type": "LSTM", "params": {...}}, checked by the `NestedLayer` kind.

`return_state` is not exposed: with it Keras returns the output and the final
states as several tensors, and a graph node has a single output.

ONNX: torch's dynamo exporter unrolls the loop and fixes the number of steps to the
example's, so a free (None) time axis gives a file that rejects every other length
(and Keras's own export silently runs one step); a stateful layer's state is a
variable written in the forward pass, which the exporter refuses ("Constant ... is
mutated in the forward method"). Measured with keras 3.15, torch 2.13 (field notes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from graph.errors import ShapeError
from graph.layers.common import ACTIVATIONS, constraint, initializer, regularizer, use_bias
from graph.params import Bool, Choice, Float, Int, NestedLayer, Param
from graph.shapes import Shape, fmt
from graph.spec import LayerSpec, OnnxLimit, Saved, expect_rank, get_spec, last_axes, register

_LAYOUT = "(batch, timesteps, features)"


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


_STATEFUL = OnnxLimit(
    "a stateful recurrent layer keeps its state in a variable written by the forward pass, "
    "which ONNX export refuses",
    "set stateful=False",
)


def recurrent_onnx_limits(shapes: list[Shape] | None, p: Mapping[str, Any]) -> list[OnnxLimit]:
    """What keeps a recurrent loop with params `p` (as a node holds them) on inputs of
    `shapes` (None: not inferred) from ONNX: being stateful, a free time axis."""
    limits = [_STATEFUL] if p.get("stateful") else []
    shape = shapes[0] if shapes else None
    if shape is not None and len(shape) > 1 and shape[1] is None:
        limits.append(
            OnnxLimit(
                f"runs over a free time axis (input shape {fmt(shape)}): torch's exporter "
                "fixes the number of steps to the example's and the file then rejects "
                "every other length",
                "give the sequence a fixed number of time steps upstream of this layer",
                free_time_axis=True,
            )
        )
    return limits


class BaseRNN(LayerSpec):
    """Base of the recurrent layers: `gates` kernels of `units` columns each."""

    category = "Recurrent"
    gates: ClassVar[int]
    #: Values per unit that each step keeps for backward (gates, states, products),
    #: measured on Keras's torch backend.
    kept_per_step: ClassVar[int]
    #: Steps run besides the sequence's, and values per unit kept once per sequence:
    #: Keras's generic torch loop (SimpleRNN's; LSTM and GRU have their own) runs the
    #: step once more at time zero to learn the output's structure.
    extra_steps: ClassVar[int] = 0
    kept_once: ClassVar[int] = 0
    #: Values per unit that a frozen layer does not keep, per step and once per
    #: sequence: what only its kernels' gradients read (measured; the input too).
    frozen_spared: ClassVar[tuple[int, int]] = (0, 0)

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

    def macs(self, shapes, output, p):
        batch, steps, features = shapes[0]
        units = p["units"]
        return batch * (steps + self.extra_steps) * (features + units) * self.gates * units

    def saved(self, shapes, output, p):
        batch, steps, _ = shapes[0]
        kept = (steps + self.extra_steps) * self.kept_per_step + self.kept_once
        return Saved(inputs=(0,), extra=batch * kept * p["units"])

    def saved_with_grads(self, shapes, output, p, input_grads, trainable=True):
        kept = self.saved(shapes, output, p)
        if trainable:
            return kept
        batch, steps, _ = shapes[0]
        per_step, once = self.frozen_spared
        return Saved(extra=kept.extra - batch * (steps * per_step + once) * p["units"])

    def onnx_limits(self, shapes, p):
        return recurrent_onnx_limits(shapes, p)


@register
class SimpleRNN(BaseRNN):
    """A fully connected recurrent layer: the output is fed back as the next step's input."""

    type = "SimpleRNN"
    gates = 1
    kept_per_step = 1
    extra_steps = 1
    kept_once = 1
    frozen_spared = (0, 1)
    params = _rnn_params(gated=False)


@register
class GRU(BaseRNN):
    """Gated Recurrent Unit layer (Cho et al., 2014)."""

    type = "GRU"
    gates = 3
    kept_per_step = 8
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
    kept_per_step = 7
    frozen_spared = (1, 0)
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


@register
class Bidirectional(LayerSpec):
    """Runs a recurrent layer forwards and backwards over the sequence and merges both."""

    type = "Bidirectional"
    category = "Recurrent"
    params = (
        Param(
            "layer",
            NestedLayer(RNN_TYPES, "a recurrent layer"),
            help="The recurrent layer to run in both directions (its backward copy is made "
            "with go_backwards=True).",
            initial=NestedLayer.value("LSTM", {"units": 32}),
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
        _, inner = NestedLayer.parts(p["layer"])
        if inner.get("go_backwards", False):
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
        spec, inner = NestedLayer.resolve(layer)
        return f"{spec.type} {spec.face_params(inner)}".strip()

    def output_shape(self, shapes, p):
        spec, inner = NestedLayer.resolve(p["layer"])
        shape = spec.output_shape(shapes, inner)
        if p["merge_mode"] == "concat":
            return (*shape[:-1], shape[-1] * 2)
        return shape

    def weight_signature(self, shapes, p):
        return last_axes(shapes)

    def weights(self, shapes, p):
        spec, inner = NestedLayer.resolve(p["layer"])
        trainable, non_trainable = spec.weights(shapes, inner)
        return (2 * trainable, 2 * non_trainable)

    def macs(self, shapes, output, p):
        spec, inner = NestedLayer.resolve(p["layer"])
        return 2 * spec.macs(shapes, spec.output_shape(shapes, inner), inner)

    def saved(self, shapes, output, p):
        spec, inner = NestedLayer.resolve(p["layer"])
        one = spec.saved(shapes, spec.output_shape(shapes, inner), inner)
        # Both directions keep their steps; the backward one also a reversed copy of
        # the input (measured on Keras's torch backend).
        return one._replace(extra=2 * one.extra + math.prod(shapes[0]), indices=2 * one.indices)

    def onnx_limits(self, shapes, p):
        layer = p.get("layer")  # as the node holds it: perhaps missing from an invalid file
        _, inner = NestedLayer.parts(layer) if isinstance(layer, Mapping) else (None, {})
        return recurrent_onnx_limits(shapes, inner)

    def derived_config(self, config):
        """backward_layer, where it is the copy Keras makes of the forward layer (going
        the other way), not one the user gave."""
        backward = config.get("backward_layer")
        if backward is None or not _mirrors(config["layer"]["config"], backward["config"]):
            return frozenset()
        return frozenset({"backward_layer"})


def _mirrors(forward: Mapping[str, Any], backward: Mapping[str, Any]) -> bool:
    """Whether two recurrent layer configs differ in their name and direction only."""
    differing = {k for k in {*forward, *backward} if forward.get(k) != backward.get(k)}
    return differing <= {"name", "go_backwards"}
