"""Layer names: what Keras accepts, and fresh names in Keras's own style."""

from __future__ import annotations

import re
from collections.abc import Container

#: Letters, digits, '_' and '-', starting with a letter or '_'. Keras itself only
#: forbids '/', but torch refuses '.' in the names of a layer's weights, and these
#: names also become Python identifiers and ONNX names. Public for a test of many
#: names at once (validate's), which asks name_problem only about names it refuses.
VALID_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,254}")
#: A character no valid name holds.
_INVALID_CHAR = re.compile(r"[^A-Za-z0-9_\-]")


def name_problem(name: object) -> str | None:
    """Why `name` is not a valid layer name, or None."""
    if not isinstance(name, str) or not VALID_NAME.fullmatch(name):
        return (
            "must start with a letter or '_' and contain only letters, digits, "
            f"'_' and '-' (at most 255 characters). Received: name={name!r}"
        )
    return None


def valid_name(name: str) -> str:
    """`name` made one that name_problem accepts: every character it refuses
    replaced by '_', a leading '_' where it does not start with a letter or '_', and
    cut to the length allowed. A valid name comes back as it is."""
    name = _INVALID_CHAR.sub("_", name)
    if not re.match(r"[A-Za-z_]", name):
        name = f"_{name}"
    return name[:255]


def snake_case(type_name: str) -> str:
    """Keras's default name stem for a layer class: Conv2D -> conv2d."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", type_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def fresh_name(type_name: str, taken: Container[str]) -> str:
    """The first of stem, stem_1, stem_2, ... that is not `taken`."""
    stem = snake_case(type_name)
    if stem not in taken:
        return stem
    i = 1
    while f"{stem}_{i}" in taken:
        i += 1
    return f"{stem}_{i}"
