"""The ONNX export itself: torch's dynamo exporter run on a built Keras model.

One function for both places that write ONNX: `codegen.export` (kgs compile, kgs
train, the studio) and the generated training scripts, which carry this module's
source (codegen/training_script/embedded.py), so a script's file is made exactly as
the compiler makes it. It therefore imports nothing of the project, and torch only
when it runs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

#: The largest batch size the ONNX file's dynamic batch axis is declared for.
MAX_BATCH = 4096


def dynamo_export(
    model: Any,
    examples: Sequence[Any],
    shapes: Sequence[Sequence[int | None]],
    input_names: Sequence[str],
    output_names: Sequence[str],
    path: str,
) -> None:
    """Write `model` to `path` as ONNX, traced in inference mode on `examples` (a
    tensor per input, batch first, at least 2 rows: 0 and 1 would be specialised).

    Every free (None) axis of the input `shapes` stays dynamic; the batch axis is one
    dimension shared by all inputs, declared up to MAX_BATCH. The model's training
    mode is restored afterwards.
    """
    import torch

    batch = torch.export.Dim("batch", min=1, max=MAX_BATCH)
    dynamic = [
        {
            axis: batch if axis == 0 else torch.export.Dim.DYNAMIC
            for axis, size in enumerate(shape)
            if size is None
        }
        for shape in shapes
    ]
    # A Keras model's forward takes *args: the example and its dynamic shapes describe
    # that args tuple, whose one element is the input (or the list of inputs).
    if len(examples) == 1:
        args, dynamic_shapes = (examples[0],), ((dynamic[0],),)
    else:
        args, dynamic_shapes = (list(examples),), ((dynamic,),)
    was_training = model.training
    model.eval()
    try:
        with _param_metadata_in_linear_time(), _layer_paths_recorded():
            # optimize=True (the default) runs the onnxscript optimizer once; a second
            # program.optimize() was measured to leave the file byte for byte the same.
            program = torch.onnx.export(
                model,
                args,
                dynamo=True,
                verbose=False,
                input_names=list(input_names),
                output_names=list(output_names),
                dynamic_shapes=dynamic_shapes,
                optimize=True,
            )
        _name_nodes_by_layer(program)
        _free_output_names(program)
        program.save(path)
    finally:
        model.train(was_training)


#: The key under which each traced op keeps the path of the Keras layer that ran it.
_LAYER_PATH = "keras_layer_path"


@contextlib.contextmanager
def _layer_paths_recorded() -> Iterator[None]:
    """Within the block, every op traced records the path of names of the Keras layers
    it runs in, from the model down (`enc/dense`: layer dense of the nested model of
    block use enc), in its FX node's custom metadata.

    Keras calls its layers through its own `__call__`, not torch's Module call, so torch
    sees no module hierarchy (the file's name scopes are empty). Here Layer.__call__ is
    wrapped to annotate what it traces (torch.fx.traceback.annotate, kept through the
    export's decompositions by preserve_node_meta); the path is per thread.
    """
    import threading

    import keras
    import torch.fx.traceback

    layer_class = keras.layers.Layer
    original = layer_class.__call__
    names = threading.local()

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        stack = names.__dict__.setdefault("stack", [])
        stack.append(self.name)
        try:
            with torch.fx.traceback.annotate({_LAYER_PATH: "/".join(stack[1:])}):
                return original(self, *args, **kwargs)
        finally:
            stack.pop()

    layer_class.__call__ = call
    try:
        with torch.fx.traceback.preserve_node_meta():
            yield
    finally:
        layer_class.__call__ = original


def _name_nodes_by_layer(program: Any) -> None:
    """Name each ONNX node after the layer path its op was traced in (see
    `_layer_paths_recorded`) and the op: `enc/dense/matmul` for torch's `node_matmul`.
    Nodes the exporter made itself, and ops outside any layer, keep torch's names."""
    paths = {
        node.name: (node.meta.get("custom") or {}).get(_LAYER_PATH)
        for node in program.exported_program.graph.nodes
    }
    for node in program.model.graph:
        op = node.name.removeprefix("node_")
        if paths.get(op):
            node.name = f"{paths[op]}/{op}"


def _free_output_names(program: Any) -> None:
    """Rename the inner values that took a name given to an output.

    The exporter names values after torch's ops, with counters of its own (add_4),
    and then gives the outputs the names asked for without looking: an operation
    node named add_4 as the output of a model whose Dense bias add the exporter
    also called add_4 made a file onnxruntime refuses ("Duplicate definition").
    """
    graph = program.model.graph
    outputs = {id(v) for v in graph.outputs}
    names = {v.name for v in graph.outputs}
    taken = {v.name for node in graph for v in node.outputs} | {v.name for v in graph.inputs}
    taken |= set(graph.initializers)
    for node in graph:
        for value in node.outputs:
            if value.name in names and id(value) not in outputs:
                stem, i = value.name, 1
                while f"{stem}_inner{i}" in taken:
                    i += 1
                value.name = f"{stem}_inner{i}"
                taken.add(value.name)


#: The torch function that is quadratic in the number of weights (see below).
_POPULATE = "_populate_param_buffer_metadata_to_new_gm"


class _SignatureMaps:
    """An ExportGraphSignature whose two input mappings are computed once.

    torch 2.13 rebuilds `inputs_to_parameters` and `inputs_to_buffers` (a dict over
    every graph input) on each access; anything else is read from the signature.
    """

    def __init__(self, signature: Any) -> None:
        self._signature = signature
        self.inputs_to_parameters = signature.inputs_to_parameters
        self.inputs_to_buffers = signature.inputs_to_buffers

    def __getattr__(self, name: str) -> Any:
        return getattr(self._signature, name)


@contextlib.contextmanager
def _param_metadata_in_linear_time() -> Iterator[None]:
    """Within the block, torch.export copies weight metadata in linear time.

    torch 2.13's `_populate_param_buffer_metadata_to_new_gm` (run when tracing and
    again in the exporter's decompositions) reads the signature's input mappings once
    per graph input, and each read rebuilds them: quadratic in the weights (a
    2,001-layer chain: 16 of its 127 CPU seconds of decompositions, bench/RESULTS.md). The
    same function is run on a signature whose mappings are built once; it does not
    change the signature, so the result is the same. Where torch no longer has that
    function in both modules that call it, nothing is changed.
    """
    import torch._export.utils
    import torch.export._trace
    import torch.export.exported_program

    original = getattr(torch._export.utils, _POPULATE, None)
    callers = [torch.export._trace, torch.export.exported_program]
    if original is None or any(getattr(m, _POPULATE, None) is not original for m in callers):
        yield  # another torch, or the block is already active (another thread)
        return

    def populate(metadata: Any, graph_module: Any, signature: Any) -> None:
        original(metadata, graph_module, _SignatureMaps(signature))

    for module in callers:
        setattr(module, _POPULATE, populate)
    try:
        yield
    finally:
        for module in callers:
            setattr(module, _POPULATE, original)
