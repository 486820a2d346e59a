"""Facts about Keras layers that have no hand-written spec, which their Keras-backed
specs (codegen/generic_spec.py) take on.

Keras itself answers shapes, dtypes and weights for those layers, but not what keeps
one from ONNX: that is measured (keras 3.15, torch 2.13; see the field notes) and
stated here, with the other layer-type facts, by the Keras class name and category.
"""

from __future__ import annotations

from graph.layers.recurrent import recurrent_onnx_limits
from graph.shapes import Shape
from graph.spec import OnnxLimit, Params

#: Keras's random augmentation layers (RandomFlip, RandomRotation, ...) draw their
#: transform from data-dependent random values even at inference, where they do
#: nothing, and torch's exporter cannot trace that.
RANDOM_AUGMENTATION = OnnxLimit(
    "random augmentation layers cannot be traced by torch's exporter (they draw "
    "data-dependent random transforms, even at inference where they do nothing)",
    "export a copy of the graph without this layer (it only acts while training)",
)


#: Keras's own layers (codegen/keras_registry.py) called on a list of tensors, with
#: how many: their call takes one argument, so only their code tells (read, keras 3.15).
LIST_CALLED = {"keras.src.applications.inception_resnet_v2.CustomScaleLayer": 2}


def onnx_limits(
    layer_type: str, category: str, shapes: list[Shape] | None, p: Params
) -> list[OnnxLimit]:
    """What keeps a Keras-backed layer from ONNX: a random augmentation layer never
    exports; a layer of Keras's rnn package (ConvLSTM2D, ...) has a recurrent loop's
    limits."""
    if layer_type.startswith("Random"):
        return [RANDOM_AUGMENTATION]
    if category == "Recurrent":
        return recurrent_onnx_limits(shapes, p)
    return []
