"""The ONNX export itself: torch's dynamo exporter run on a built Keras model.

One function for both places that write ONNX: `codegen.export` (kgs compile, kgs
train, the studio) and the generated training scripts, which carry this module's
source (codegen/training_script/embedded.py), so a script's file is made exactly as
the compiler makes it. It therefore imports nothing of the project, and torch only
when it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
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
        program = torch.onnx.export(
            model,
            args,
            dynamo=True,
            verbose=False,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_shapes=dynamic_shapes,
        )
        program.optimize()
        program.save(path)
    finally:
        model.train(was_training)
