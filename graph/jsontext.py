"""JSON from untrusted files, parsed without risking the interpreter.

Python's json parser recurses in C once per nesting level and relies on the
recursion limit to stop. Keras needs that limit raised for deep models
(codegen.keras_env.allow_depth), and with a high limit a file of 100,000 nested
brackets overflows the C stack and kills the process instead of raising
RecursionError (seen: a segmentation fault). So the nesting depth is measured first,
without recursion, and a file deeper than any graph or Keras config is refused.

The measure is one linear pass (it runs before every graph, autosave and `.keras`
config is parsed, on files of up to 64 MiB): strings are cut out, then the brackets
left are summed. The string pattern matches at every quote, an unterminated string
running to the end of the text, so no quote is ever scanned from twice (a pattern
that could fail at a quote made a 40 KB file of `\\"` pairs take seconds to check).
"""

from __future__ import annotations

import re
from itertools import accumulate

#: Deeper than any graph file (about 5 levels) or Keras model config (about 15 per
#: nested sub-model) needs; far below what the C stack survives.
MAX_NESTING = 100

#: A string where json sees one: from a quote to the next quote no backslash escapes,
#: or to the end of the text (possessive, so it never backtracks). After a string
#: that is not valid JSON json stops, so what this takes for a string then is moot.
_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.DOTALL)

#: What is left once strings are cut out, apart from brackets.
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")

_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON `text` (0 for a scalar)."""
    brackets = _NOT_BRACKETS.sub("", _STRING.sub("", text))
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets)), default=0))


def too_deep(text: str) -> str | None:
    """Why `text` is refused for its nesting, or None when json may parse it."""
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        return f"values are nested too deeply ({depth} levels; at most {MAX_NESTING})"
    return None
