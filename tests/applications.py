"""Every keras.applications architecture, built small with fresh weights, for the tests
that hold the importer and the code generators against whole real networks.

The list is read from keras.applications itself, so a Keras upgrade that adds one is
tested too. NASNetMobile is left out because Keras refuses to build it on the torch
backend ("not available with the torch backend ... due to an outstanding bug").
"""

from codegen.keras_env import import_keras

#: Architectures Keras refuses to build on the torch backend, left out of ALL.
UNBUILDABLE_ON_TORCH = {"NASNetMobile"}


def _names() -> list[str]:
    keras = import_keras()
    return sorted(
        name
        for name in dir(keras.applications)
        if name[0].isupper() and name not in UNBUILDABLE_ON_TORCH
    )


#: Every architecture's name in keras.applications, sorted.
ALL = _names()

#: Architectures made with a layer class of their own that the importer refuses: name ->
#: that class. None today: ConvNeXt's LayerScale and InceptionResNetV2's
#: CustomScaleLayer are Keras's own (codegen/keras_registry.py) and import.
CUSTOM_LAYERS: dict[str, str] = {}


def input_shape(name: str) -> tuple[int, int, int]:
    """The smallest image most architectures take is 32x32; the Inception family and
    Xception need more."""
    if "Inception" in name:
        return (75, 75, 3)
    if name == "Xception":
        return (71, 71, 3)
    return (32, 32, 3)


def build(name: str):
    """keras.applications.`name` with fresh weights and a 10-class head at its small size."""
    keras = import_keras()
    return getattr(keras.applications, name)(
        weights=None, input_shape=input_shape(name), classes=10
    )
