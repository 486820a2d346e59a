"""The one place Keras is imported: with the torch backend unless the user chose one."""

from __future__ import annotations

import os
from types import ModuleType


def import_keras() -> ModuleType:
    """Import and return keras, setting KERAS_BACKEND=torch if the user set none.

    Keras reads the variable once, at its first import, and otherwise falls back to
    ~/.keras/keras.json, which names tensorflow on a fresh machine.
    """
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import keras

    return keras
