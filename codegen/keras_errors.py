"""Exceptions raised inside Keras, told to a user: where they came from, in plain text.

Keras re-raises an error from inside a layer with the layer's call arguments added and
terminal colour codes in the text; the exporter wraps errors several levels deep. The
studio's panels, `kgs train` and the ONNX export all show such errors, so they share
these helpers.
"""

from __future__ import annotations

import re
from typing import Any

from codegen.keras_env import import_keras

_COLOUR_CODES = re.compile(r"\x1b\[[0-9;]*m")


def plain_text(text: str) -> str:
    """`text` without terminal colour codes (Keras colours some of its messages)."""
    return _COLOUR_CODES.sub("", text)


def exception_chain(error: BaseException) -> list[BaseException]:
    """`error`, then what caused it, and so on (outermost first)."""
    chain: list[BaseException] = []
    exc: BaseException | None = error
    while exc is not None and exc not in chain:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def failing_layer(chain: list[BaseException]) -> Any | None:
    """The model's layer that was running when the innermost error of `chain` was raised.

    Keras runs the model's Python code (in training and in the exporter's trace alike),
    so the traceback of the root cause passes through the failing layer's methods; the
    outermost layer frame that is not a Model is the graph's layer (not, say, a
    Bidirectional's inner LSTM).
    """
    keras = import_keras()
    for exc in reversed(chain):
        tb = exc.__traceback__
        while tb is not None:
            owner = tb.tb_frame.f_locals.get("self")
            if isinstance(owner, keras.layers.Layer) and not isinstance(owner, keras.Model):
                return owner
            tb = tb.tb_next
    return None
