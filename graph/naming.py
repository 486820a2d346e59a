"""Layer names: what Keras accepts, and fresh names in Keras's own style."""

from __future__ import annotations

import re
from collections.abc import Container, Sequence

#: Letters, digits, '_' and '-', starting with a letter or '_'. Keras itself only
#: forbids '/', but torch refuses '.' in the names of a layer's weights, and these
#: names also become Python identifiers and ONNX names.
_VALID = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,254}")
#: Valid names, each followed by a newline (which no valid name holds). Possessive
#: quantifiers: what follows a name's characters cannot be one of them, so nothing
#: is worth trying again.
_VALID_LINES = re.compile(r"(?:[A-Za-z_][A-Za-z0-9_\-]{0,254}+\n)*+")
#: A character no valid name holds.
_INVALID_CHAR = re.compile(r"[^A-Za-z0-9_\-]")


def name_problem(name: object) -> str | None:
    """Why `name` is not a valid layer name, or None."""
    if not isinstance(name, str) or not _VALID.fullmatch(name):
        return (
            "must start with a letter or '_' and contain only letters, digits, "
            f"'_' and '-' (at most 255 characters). Received: name={name!r}"
        )
    return None


def names_valid_and_unique(names: Sequence[object]) -> bool:
    """Whether every one of `names` is a valid layer name (one name_problem accepts)
    and none comes twice.

    For validate, which checks every layer's name on every run: the names are tested
    together, by a set and one pattern over them joined by newlines, in C loops
    instead of a call per name (a few times faster). A name holding a newline would
    add one to the text, which the count of newlines tells.
    """
    if not names:
        return True
    try:
        text = "\n".join(names) + "\n"  # type: ignore[arg-type]
    except TypeError:  # a name that is not a string
        return False
    return (
        len(set(names)) == len(names)
        and text.count("\n") == len(names)
        and _VALID_LINES.fullmatch(text) is not None
    )


def valid_name(name: str) -> str:
    """`name` made one that name_problem accepts: every character it refuses
    replaced by '_', a leading '_' where it does not start with a letter or '_', and
    cut to the length allowed. A valid name comes back as it is."""
    name = _INVALID_CHAR.sub("_", name)
    if not re.match(r"[A-Za-z_]", name):
        name = f"_{name}"
    return name[:255]


def snake_case(type_name: str) -> str:
    """Keras's default name stem for a layer class: Conv2D -> conv2d; for an
    operation, its function's: ops.get_item -> get_item."""
    name = type_name.rpartition(".")[2]
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def numbered(stem: str, taken: Container[str]) -> str:
    """The first of stem, stem_1, stem_2, ... that is not `taken` (names or node ids)."""
    name, i = stem, 0
    while name in taken:
        i += 1
        name = f"{stem}_{i}"
    return name


def fresh_name(type_name: str, taken: Container[str]) -> str:
    """The first of stem, stem_1, stem_2, ... that is not `taken`; a user layer type
    (`module:Name`) is named after its class, as Keras names it."""
    stem = snake_case(type_name.rpartition(":")[2])
    if stem not in taken:
        return stem
    i = 1
    while f"{stem}_{i}" in taken:
        i += 1
    return f"{stem}_{i}"
