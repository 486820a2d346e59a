"""Readable, unique Python identifiers for generated code (after torch.fx's _Namespace).

Generated modules name their variables after layers. A layer name may be a keyword
("class"), a builtin ("input"), a name the module itself defines ("keras"), or hold
characters Python refuses ("my-layer.v2"); a `Namespace` turns each candidate into a
legal identifier that shadows none of those (a reserved word gets PEP 8's trailing
underscore: class_) and suffixes clashes `_1`, `_2`, ... as Keras does with layer
names. Allocation is deterministic: the same candidates in the same order always
give the same names.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable

#: Keywords, soft keywords (match, case, _, type) and builtins: never shadowed.
PYTHON_NAMES = frozenset(keyword.kwlist + keyword.softkwlist + dir(builtins))

#: Longest stem kept from a candidate (before a `_N` suffix): names stay readable and
#: generated lines stay within a formatter's line length.
MAX_STEM = 32

_ILLEGAL = re.compile(r"[^0-9A-Za-z_]+")
_SUFFIX = re.compile(r"(.*)_(\d+)")


def identifier_stem(candidate: str, max_length: int = MAX_STEM) -> str:
    """`candidate` as a legal ASCII identifier: illegal runs become '_', leading
    underscores collapse to one (no name mangling in class bodies), a leading digit
    gets a '_' prefix, and the result is cut to `max_length` characters."""
    stem = _ILLEGAL.sub("_", candidate)
    stem = re.sub(r"^_+", "_", stem)
    if stem[:1].isdigit():
        stem = "_" + stem
    if len(stem) > max_length:
        stem = stem[:max_length].rstrip("_") or "_"
    return stem or "_"


class Namespace:
    """Hands out identifiers that are legal, unique here and never shadow `reserved`
    (nor keywords or builtins)."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self._reserved = PYTHON_NAMES.union(reserved)
        self._created: set[str] = set()
        #: Per stem, the highest suffix handed out: clash resolution stays linear.
        self._last_suffix: dict[str, int] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._reserved or name in self._created

    def create_name(self, candidate: str, max_length: int = MAX_STEM) -> str:
        """A fresh identifier for `candidate`: itself if free once made legal; a
        reserved word gets PEP 8's trailing underscore (class_, input_), so that
        Keras's 'input', 'input_1', ... stay apart; other clashes the next free `_N`
        suffix ('dense', 'dense_1', ...; 'dense_2', if taken, becomes 'dense_3').

        `max_length` bounds the stem; a numeric suffix is kept whole.
        """
        match = _SUFFIX.fullmatch(candidate)
        if match is not None and match.group(1):
            stem = identifier_stem(match.group(1), max_length)
            name = f"{stem}_{match.group(2)}"
            suffix = int(match.group(2))
        else:
            stem = identifier_stem(candidate, max_length)
            name = stem
            suffix = self._last_suffix.get(stem, 0)
        if name in self._reserved and name + "_" not in self:
            name += "_"
        elif name in self:
            suffix += 1
            while f"{stem}_{suffix}" in self:
                suffix += 1
            self._last_suffix[stem] = suffix
            name = f"{stem}_{suffix}"
        self._created.add(name)
        return name
