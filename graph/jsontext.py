"""JSON from untrusted files, parsed without risking the interpreter.

Python's json parser recurses in C once per nesting level and relies on the
recursion limit to stop. Keras needs that limit raised for deep models
(codegen.keras_env.allow_depth), and with a high limit a file of 100,000 nested
brackets overflows the C stack and kills the process instead of raising
RecursionError (seen: a segmentation fault). So the nesting depth is measured first,
without recursion, and a file deeper than any graph or Keras config is refused.
"""

from __future__ import annotations

import re

#: Deeper than any graph file (about 5 levels) or Keras model config (about 15 per
#: nested sub-model) needs; far below what the C stack survives.
MAX_NESTING = 100

#: Strings (skipped whole, so brackets inside them do not count) and brackets.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON `text` (0 for a scalar)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def too_deep(text: str) -> str | None:
    """Why `text` is refused for its nesting, or None when json may parse it."""
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        return f"values are nested too deeply ({depth} levels; at most {MAX_NESTING})"
    return None
