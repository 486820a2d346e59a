"""How messages say a count: "1 input", "2 inputs", never "1 inputs" or "input(s)";
and a byte count: "512 B", "1.5 KiB"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` and `noun`, the noun plural unless the count is 1 ("2 axes": pass
    `plural` where adding an s is wrong)."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {plural or noun + 's'}"


def byte_size(count: int | None) -> str:
    """A byte count as people read it: 512 B, 1.5 KiB, 3.2 MiB; ? when unknown."""
    if count is None:
        return "?"
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{count} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")
