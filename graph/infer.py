"""Per-node inference: check a layer's params, then apply its spec's rules.

`validate()` runs this for every node; the conformance tests run it against Keras,
so what they prove is what validation does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from graph.params import thaw
from graph.shapes import Shape
from graph.spec import LayerSpec


class Inferred(NamedTuple):
    """What a layer produces on its inputs: output shape and dtype, weight counts.

    A node with several outputs (a block use) is its first output, with the weights of
    the whole node, and `more`: the results of its further outputs (no weights).
    """

    shape: Shape
    dtype: str
    trainable: int
    non_trainable: int
    more: tuple[Inferred, ...] = ()

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable

    def output(self, index: int) -> Inferred | None:
        """The result of output `index` (0: this one), or None past the last output."""
        if index == 0:
            return self
        return self.more[index - 1] if 0 < index <= len(self.more) else None


def shown(value: Any, limit: int = 60) -> str:
    """A value as messages show it: its JSON-like repr, cut short if long."""
    text = repr(thaw(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_params(
    spec: LayerSpec, params: Mapping[str, Any]
) -> tuple[list[tuple[str, str]], dict[str, Any] | None]:
    """(problems, resolved params): every (param name, reason) refused in `params`,
    cross-parameter rules included, and the full param dict when there is no problem.

    Cross-parameter rules run only when each value is fine on its own.
    """
    problems: list[tuple[str, str]] = []
    by_name = spec.param_by_name
    for name, value in params.items():
        param = by_name.get(name)
        if param is None:
            problems.append((name, f"is not a parameter of {spec.type}"))
            continue
        reason = param.kind.problem(value)
        if reason is not None:
            problems.append((name, f"{reason}. Received: {name}={shown(value)}"))
    for name in spec.required_params:
        if name not in params:
            problems.append((name, "is required"))
    if problems:
        return problems, None
    resolved = spec.resolve(params)
    problems.extend(spec.check_params(resolved))
    return problems, None if problems else resolved


#: The most elements one tensor can hold: torch and ONNX index with 32-bit sizes in
#: places, and no layer past it can be allocated on any machine this runs on.
MAX_TENSOR_ELEMENTS = 2**31


def _elements(shape: Shape) -> int:
    """Elements of one sample of `shape` (its batch axis and unknown axes left out)."""
    return math.prod(d for d in shape[1:] if isinstance(d, int))


def size_problem(result: Inferred) -> str | None:
    """Why a layer with `result` cannot exist (its weights or one sample of its
    output past MAX_TENSOR_ELEMENTS), or None. Weights are counted all together: a
    layer's largest tensor is most of them."""
    if result.params > MAX_TENSOR_ELEMENTS:
        return f"{result.params} weights, past the {MAX_TENSOR_ELEMENTS} elements a tensor can hold"
    elements = _elements(result.shape)
    if elements > MAX_TENSOR_ELEMENTS:
        return (
            f"an output of {elements} elements a sample, past the {MAX_TENSOR_ELEMENTS} "
            "elements a tensor can hold"
        )
    return None


def infer(
    spec: LayerSpec, p: Mapping[str, Any], shapes: list[Shape], dtypes: list[str]
) -> Inferred:
    """Apply `spec`'s rules to resolved params `p`; raises ShapeError."""
    return Inferred(*spec.infer(shapes, dtypes, p))
