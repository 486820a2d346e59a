"""Byte counts as people write them: "8GiB" or "512 MB" typed for a memory budget (in
the CLI and the training form); graph.wording.byte_size shows them."""

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
