"""A slicing key (`x[:, 0]`, `x[:, 1:3]`, `x[..., None]`) as the text a person writes.

The graph holds the key as that text (`":, 1:3"`), parsed here without running any
code: each comma-separated entry is an integer index, a slice `start:stop:step` of
integers, `...` or `None` (a new axis of size 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.params import Kind

Entry = int | slice | None | type(Ellipsis)


def _integer(text: str, key: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    sign = text[0] in "+-"
    digits = text[1:] if sign else text
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"a slicing key's entries are integers, ':' slices, '...' or None. "
                         f"Received: key={key!r}")  # fmt: skip
    return int(text)


def parse_key(key: str) -> tuple[Entry, ...]:
    """The Python key of the text `key`; raises ValueError saying what is wrong."""
    if not isinstance(key, str) or not key.strip():
        raise ValueError(f"a slicing key is text such as ':, 0'. Received: key={key!r}")
    entries: list[Entry] = []
    for part in key.split(","):
        text = part.strip()
        if text == "...":
            entries.append(Ellipsis)
        elif text == "None":
            entries.append(None)
        elif ":" in text:
            bounds = text.split(":")
            if len(bounds) > 3:
                raise ValueError(f"a slice has at most start:stop:step. Received: key={key!r}")
            values = [_integer(b, key) for b in bounds]
            if len(values) == 3 and values[2] == 0:
                raise ValueError(f"a slice's step cannot be 0. Received: key={key!r}")
            entries.append(slice(*values))
        else:
            value = _integer(text, key)
            if value is None:
                raise ValueError(f"a slicing key has an empty entry. Received: key={key!r}")
            entries.append(value)
    if entries.count(Ellipsis) > 1:
        raise ValueError(f"a slicing key holds at most one '...'. Received: key={key!r}")
    return tuple(entries)


def _bound(value: int | None) -> str:
    return "" if value is None else str(value)


def format_key(key: Any) -> str:
    """The text of a Python key (a tuple or list of entries, or one entry); raises
    ValueError for anything else."""
    entries = list(key) if isinstance(key, (tuple, list)) else [key]
    parts = []
    for entry in entries:
        if entry is Ellipsis:
            parts.append("...")
        elif entry is None:
            parts.append("None")
        elif isinstance(entry, int) and not isinstance(entry, bool):
            parts.append(str(entry))
        elif isinstance(entry, slice) and all(
            v is None or (isinstance(v, int) and not isinstance(v, bool))
            for v in (entry.start, entry.stop, entry.step)
        ):
            text = f"{_bound(entry.start)}:{_bound(entry.stop)}"
            parts.append(text if entry.step is None else f"{text}:{entry.step}")
        else:
            raise ValueError(
                "a slicing key's entries are integers, slices of integers, '...' or None. "
                f"Received: {entry!r}"
            )
    return ", ".join(parts)


@dataclass(frozen=True)
class SliceKey(Kind):
    """A slicing key as text: ':, 0', '..., 1:3', ':, None'."""

    def problem(self, value: Any) -> str | None:
        try:
            parse_key(value)
        except ValueError as e:
            return f"must be {self.describe()}: {e}"
        return None

    def describe(self) -> str:
        return "a slicing key such as ':, 0' or ':, 1:3'"
