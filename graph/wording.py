"""How messages say a count: "1 input", "2 inputs", never "1 inputs" or "input(s)"."""

from __future__ import annotations


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`count` and `noun`, the noun plural unless the count is 1 ("2 axes": pass
    `plural` where adding an s is wrong)."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {plural or noun + 's'}"
