"""Byte counts as people read and write them: "3.2 MiB" shown, "8GiB" or "512 MB" typed
(a memory budget, in the CLI and the training form)."""

from __future__ import annotations

import re

#: Bytes per unit: the binary units people mean for memory, and the decimal ones.
_UNITS = {
    "": 1,
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*")


def bytes_text(count: int | None) -> str:
    """A byte count as people read it: 512 B, 1.5 KiB, 3.2 MiB; ? when unknown."""
    if count is None:
        return "?"
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def parse_bytes(text: str) -> int:
    """Bytes from "8589934592", "8GiB", "1.5 GB" or "512 MiB" (units: B, KB, MB, GB, TB
    in 1000s, KiB, MiB, GiB, TiB in 1024s; any case). Raises ValueError naming the text."""
    match = _SIZE.fullmatch(text)
    unit = match and _UNITS.get(match.group(2).lower())
    if not match or unit is None:
        raise ValueError(
            f"not a byte count: {text!r} (a number of bytes, or with a unit: 512MiB, 8GiB, 1.5GB)"
        )
    number = match.group(1)
    count = int(float(number) * unit) if "." in number else int(number) * unit
    if count < 1:
        raise ValueError(f"a byte count must be at least 1 byte. Received: {text!r}")
    return count
