"""Built models to files: `.keras` through Keras, ONNX through torch's dynamo exporter.

Keras's own `model.export(format="onnx")` is not used: with a free batch axis it takes
torch's TorchScript exporter, which fails on some architectures and silently runs an
RNN over a free time axis for a single step. The dynamo exporter, with the batch axis
declared dynamic, exported every architecture we measured to within 4e-7 of Keras
(see the project's field notes). Every ONNX file is checked against Keras with
onnxruntime on request (`check_onnx_parity`), since that, not the exporter's success,
is what proves the file right.

Files are written atomically (`graph.atomicfile.atomic_path`), so a failed export
never leaves a truncated file behind.

torch, onnx and onnxruntime are imported inside the functions that need them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from codegen.keras_env import allow_depth, import_keras
from codegen.keras_errors import exception_chain, failing_layer, plain_text
from codegen.onnx_readiness import onnx_problems
from graph import GraphError, ModelGraph
from graph.atomicfile import atomic_path
from graph.wording import counted

#: Batch size of the example the exporter traces (0 and 1 would be specialised).
EXPORT_BATCH = 2
#: Size given to free (None) non-batch axes in example and check inputs: big enough
#: for a few poolings or strided convolutions.
FREE_AXIS_SIZE = 32
#: Integer inputs that feed no layer with a known vocabulary get ids below this.
SMALL_INT_BOUND = 10


class ParityError(GraphError):
    """An ONNX file's outputs differ from Keras's by more than the tolerance."""

    def __init__(self, message: str, report: ParityReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class ParityReport:
    """How far an ONNX file's outputs are from Keras's on the same random inputs."""

    model: str
    path: str
    tolerance: float
    #: output name -> batch size -> max abs difference (inf where the shapes differ)
    max_abs_diff: Mapping[str, Mapping[int, float]]

    @property
    def worst(self) -> float:
        """The largest difference over every output and batch size."""
        return max(d for per_batch in self.max_abs_diff.values() for d in per_batch.values())

    @property
    def failed_outputs(self) -> list[str]:
        """The outputs that exceed the tolerance at some batch size, in output order."""
        return [
            name
            for name, per_batch in self.max_abs_diff.items()
            if not all(d <= self.tolerance for d in per_batch.values())
        ]

    @property
    def ok(self) -> bool:
        return not self.failed_outputs

    def __str__(self) -> str:
        verdict = "ok" if self.ok else "FAILED"
        lines = [f"ONNX parity of '{self.model}' ({self.path}), tolerance {self.tolerance:g}:"]
        for name, per_batch in self.max_abs_diff.items():
            figures = ", ".join(f"batch {b}: {d:.2e}" for b, d in per_batch.items())
            lines.append(f"  {name}: {figures}")
        lines.append(f"  worst {self.worst:.2e}: {verdict}")
        return "\n".join(lines)


def save_keras(model: Any, path: str | os.PathLike) -> None:
    """Write `model` as a `.keras` file, loadable with `keras.models.load_model`."""
    path = Path(path)
    if path.suffix != ".keras":
        raise GraphError(f"a Keras model file must end in .keras. Received: path={str(path)!r}")
    allow_depth(len(model.layers))
    with atomic_path(path) as tmp:
        model.save(tmp)


def export_onnx(
    model: Any, g: ModelGraph, path: str | os.PathLike, *, check: bool = True
) -> ParityReport | None:
    """Write `model`, built from `g`, as an ONNX file with a dynamic batch axis.

    ONNX inputs are named after the graph's Input layers and outputs after the output
    nodes' layers (see `onnx_output_names` for outputs that would share a name).
    Graphs with nodes `onnx_problems` finds are refused before any export work. With
    `check`, the file is compared with Keras (`check_onnx_parity`) and the report
    returned; a mismatch raises ParityError.
    """
    problems = onnx_problems(g)
    if problems:
        lines = "\n".join(f"  {p.message}" for p in problems)
        raise GraphError(f"model '{g.name}' cannot be exported to ONNX:\n{lines}")
    input_names = [g.layer(n).name for n in g.inputs]
    output_names = onnx_output_names(g)
    if len(model.inputs) != len(input_names) or len(model.outputs) != len(output_names):
        raise GraphError(
            f"model '{model.name}' does not match graph '{g.name}'. Expected "
            f"{counted(len(input_names), 'input')} and {counted(len(output_names), 'output')}. "
            f"Received: {counted(len(model.inputs), 'input')} and "
            f"{counted(len(model.outputs), 'output')}"
        )
    _export(model, Path(path), input_names, output_names)
    return check_onnx_parity(model, path) if check else None


def onnx_output_names(g: ModelGraph) -> list[str]:
    """The ONNX names of `g`'s outputs: each output node's layer name, made unique.

    ONNX needs every input and output name to be distinct, but two outputs can be
    call sites of one shared layer (or an Input can be an output). An output whose
    layer name is already taken, by an input or an earlier output, is named
    `<name>_call<k>` after its call site (k = 1, 2, ...), then `_1`, `_2`, ... are
    appended while that too is taken. The result depends only on the graph.
    """
    taken = {g.layer(n).name for n in g.inputs}
    names = []
    for node_id in g.outputs:
        name = g.layer(node_id).name
        if name in taken:
            stem = name = f"{name}_call{g.call_index(node_id)}"
            suffix = 0
            while name in taken:
                suffix += 1
                name = f"{stem}_{suffix}"
        taken.add(name)
        names.append(name)
    return names


def check_onnx_parity(
    model: Any,
    path: str | os.PathLike,
    batch_sizes: Sequence[int] = (2, 5),
    tolerance: float = 1e-4,
) -> ParityReport:
    """Compare the ONNX file at `path` with `model` on the same random inputs.

    Inputs are seeded, so the check is repeatable; each has its input's dtype (integer
    ids below the vocabulary size of the Embedding they feed). When an input fixes the
    batch size, that size replaces `batch_sizes`. Raises ParityError naming the
    outputs whose max abs difference exceeds `tolerance`.
    """
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    input_names = [i.name for i in session.get_inputs()]
    output_names = [o.name for o in session.get_outputs()]
    rng = np.random.default_rng(0)
    diffs: dict[str, dict[int, float]] = {name: {} for name in output_names}
    for batch in _batch_sizes(model, batch_sizes):
        inputs = _sample_inputs(model, batch, rng)
        expected = model.predict(_model_args(inputs), batch_size=batch, verbose=0)
        if not isinstance(expected, (list, tuple)):
            expected = [expected]
        received = session.run(None, dict(zip(input_names, inputs, strict=True)))
        for name, want, got in zip(output_names, expected, received, strict=True):
            diffs[name][batch] = _max_abs_diff(np.asarray(want), got)
    report = ParityReport(model.name, str(path), tolerance, diffs)
    if not report.ok:
        failed = ", ".join(f"'{name}'" for name in report.failed_outputs)
        raise ParityError(
            f"the ONNX file {str(path)!r} of model '{model.name}' does not match Keras on "
            f"outputs {failed}. Expected: max abs difference <= {tolerance:g}. "
            f"Received:\n{report}",
            report,
        )
    return report


def _sample_inputs(model: Any, batch: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Random inputs for `model`, one per input, of its dtype and shape.

    Free axes get `batch` (the batch axis) or FREE_AXIS_SIZE; floats are standard
    normal, integers uniform below the vocabulary they feed (`_id_bounds`), booleans
    fair coin flips.
    """
    bounds = _id_bounds(model)
    arrays = []
    for tensor in model.inputs:
        name = tensor.name
        shape = (batch if tensor.shape[0] is None else tensor.shape[0],)
        shape += tuple(FREE_AXIS_SIZE if d is None else d for d in tensor.shape[1:])
        dtype = _numpy_dtype(name, tensor.dtype)
        if dtype.kind == "f":
            arrays.append(rng.standard_normal(shape).astype(dtype))
        elif dtype.kind == "b":
            arrays.append(rng.integers(0, 2, shape).astype(dtype))
        else:
            high = min(bounds.get(name, SMALL_INT_BOUND), np.iinfo(dtype).max)
            arrays.append(rng.integers(0, high, shape).astype(dtype))
    return arrays


def _model_args(per_input: list[Any]) -> Any:
    """What a Keras model takes for its inputs: the one input itself, or their list."""
    return per_input[0] if len(per_input) == 1 else per_input


def _numpy_dtype(input_name: str, dtype: str) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError:
        raise GraphError(
            f"input '{input_name}' has a dtype numpy cannot hold, so onnxruntime cannot be "
            f"fed with it. Expected a float, int or bool dtype. Received: dtype={dtype}"
        ) from None


def _batch_sizes(model: Any, batch_sizes: Sequence[int]) -> list[int]:
    fixed = {t.shape[0] for t in model.inputs} - {None}
    return sorted(fixed) if fixed else list(batch_sizes)


def _max_abs_diff(expected: np.ndarray, received: np.ndarray) -> float:
    """The largest element-wise difference, inf where the shapes differ.

    Values equal in both (the same infinity, NaN in both) count as no difference;
    NaN in one only counts as an infinite one.
    """
    if expected.shape != received.shape:
        return math.inf
    if not expected.size:
        return 0.0
    a, b = expected.astype(np.float64), received.astype(np.float64)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    diff = np.where(same, 0.0, np.abs(a - b))
    return float(np.nan_to_num(diff, nan=math.inf).max())


def _id_bounds(model: Any) -> dict[str, int]:
    """Input name -> exclusive upper bound for ids, from the vocabularies they feed.

    An input upstream of an Embedding (or CategoryEncoding) gets that layer's
    vocabulary size; of several, the smallest. A nested model (a block use) counts
    as the smallest vocabulary inside it.
    """
    keras = import_keras()
    bounds: dict[str, int] = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.Embedding):
            size = layer.input_dim
        elif isinstance(layer, keras.layers.CategoryEncoding):
            size = layer.num_tokens
        elif isinstance(layer, keras.Model) and (inner := _id_bounds(layer)):
            size = min(inner.values())  # a block use's: its smallest, for every input
        else:
            continue
        for name in _upstream_inputs(keras, layer):
            bounds[name] = min(bounds.get(name, size), size)
    return bounds


def _upstream_inputs(keras: Any, layer: Any) -> set[str]:
    """The names of the InputLayers that `layer` depends on, through any call of it.

    Keras 3 keeps a layer's calls only in `_inbound_nodes` (its own Functional code
    walks them the same way); there is no public accessor for a layer called twice.
    """
    names = set()
    seen = set()
    stack = list(layer._inbound_nodes)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node.operation, keras.layers.InputLayer):
            names.add(node.operation.name)
        stack.extend(node.parent_nodes)
    return names


def _export(model: Any, path: Path, input_names: list[str], output_names: list[str]) -> None:
    """Run the dynamo export (codegen.onnx_dynamo) on `model`, traced on sample
    inputs, and write the file atomically; a failure names the layer when known."""
    import torch

    from codegen.onnx_dynamo import dynamo_export

    allow_depth(len(model.layers))
    rng = np.random.default_rng(0)
    examples = [torch.from_numpy(a) for a in _sample_inputs(model, EXPORT_BATCH, rng)]
    shapes = [tuple(tensor.shape) for tensor in model.inputs]
    with atomic_path(path) as tmp:
        try:
            dynamo_export(model, examples, shapes, input_names, output_names, str(tmp))
        except Exception as e:
            raise _export_failure(model, e) from e


def _export_failure(model: Any, error: BaseException) -> GraphError:
    """A GraphError for an exporter failure: the model, the layer if known, the causes."""
    chain = exception_chain(error)
    layer = failing_layer(chain)
    where = f" in {type(layer).__name__} '{layer.name}'" if layer is not None else ""
    causes = []
    for exc in chain:
        text = plain_text(str(exc)).strip()
        line = f"{type(exc).__name__}: {text.splitlines()[0]}" if text else ""
        if line and line not in causes:
            causes.append(line)
    details = "\n".join(f"  {line}" for line in causes) or f"  {type(error).__name__}"
    return GraphError(f"ONNX export of model '{model.name}' failed{where}:\n{details}")
