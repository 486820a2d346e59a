"""Python syntax colouring for the code panel (a QSyntaxHighlighter).

The panel shows code we generate, not arbitrary Python, so a handful of rules is
enough: keywords, builtins, numbers, strings, comments, decorators, and
triple-quoted docstrings that span lines (carried from block to block through the
block state). Colours come as a palette, so the light and dark themes each pass
their own.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Mapping

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

#: Colour per token kind, for a light background.
LIGHT = {
    "keyword": "#0033b3",
    "builtin": "#871094",
    "number": "#1750eb",
    "string": "#067d17",
    "comment": "#8c8c8c",
    "decorator": "#9e880d",
}
#: Colour per token kind, for a dark background.
DARK = {
    "keyword": "#cf8e6d",
    "builtin": "#c77dbb",
    "number": "#2aacb8",
    "string": "#6aab73",
    "comment": "#7a7e85",
    "decorator": "#b3ae60",
}

_WORDS = r"\b(?:{})\b"
#: (kind, pattern) in priority order: a later match inside an earlier one is skipped.
_RULES = (
    ("comment", re.compile(r"#[^\n]*")),
    ("string", re.compile(r"""[rbfu]{0,2}('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")""", re.I)),
    ("decorator", re.compile(r"^\s*@[\w.]+")),
    ("keyword", re.compile(_WORDS.format("|".join(keyword.kwlist)))),
    ("builtin", re.compile(_WORDS.format("|".join(n for n in dir(builtins) if n.isalpha())))),
    ("number", re.compile(r"\b(?:\d[\d_]*\.?[\d_]*(?:e[+-]?\d+)?|0x[\da-f_]+)\b", re.I)),
)
_TRIPLE = re.compile(r'"""|\'\'\'')
#: Block states: outside a docstring, or inside one opened by """ or by '''.
_OUTSIDE, _IN_DOUBLE, _IN_SINGLE = -1, 1, 2
_CLOSER = {_IN_DOUBLE: '"""', _IN_SINGLE: "'''"}


class PythonHighlighter(QSyntaxHighlighter):
    """Colours Python source in `document` with `colors` (a palette like LIGHT)."""

    def __init__(self, document: QTextDocument, colors: Mapping[str, str] = LIGHT) -> None:
        super().__init__(document)
        self.formats: dict[str, QTextCharFormat] = {}
        self.set_colors(colors)

    def set_colors(self, colors: Mapping[str, str]) -> None:
        """Switch palette (e.g. on a theme change) and recolour the document."""
        self.formats = {}
        for kind, color in colors.items():
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(color))
            if kind == "keyword":
                fmt.setFontWeight(QFont.Weight.Bold)
            if kind == "comment":
                fmt.setFontItalic(True)
            self.formats[kind] = fmt
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        start = self._continue_docstring(text)
        if start is None:
            return
        taken: list[tuple[int, int]] = []
        for kind, pattern in _RULES:
            for match in pattern.finditer(text, start):
                a, b = match.span()
                if any(a < end and b > begin for begin, end in taken):
                    continue
                taken.append((a, b))
                self.setFormat(a, b - a, self.formats[kind])
        self._open_docstrings(text, start, taken)

    def _continue_docstring(self, text: str) -> int | None:
        """Colour the rest of a docstring left open by the previous block.

        Returns where ordinary highlighting resumes, or None if the whole line is
        still inside the docstring.
        """
        state = self.previousBlockState()
        if state not in _CLOSER:
            self.setCurrentBlockState(_OUTSIDE)
            return 0
        end = text.find(_CLOSER[state])
        if end < 0:
            self.setFormat(0, len(text), self.formats["string"])
            self.setCurrentBlockState(state)
            return None
        end += 3
        self.setFormat(0, end, self.formats["string"])
        self.setCurrentBlockState(_OUTSIDE)
        return end

    def _open_docstrings(self, text: str, start: int, taken: list[tuple[int, int]]) -> None:
        """Colour triple-quoted strings that begin on this line (outside comments)."""
        position = start
        while (match := _TRIPLE.search(text, position)) is not None:
            opener = match.start()
            if any(begin <= opener < end for begin, end in taken if text[begin] == "#"):
                return
            quote = match.group()
            close = text.find(quote, opener + 3)
            if close < 0:
                self.setFormat(opener, len(text) - opener, self.formats["string"])
                self.setCurrentBlockState(_IN_DOUBLE if quote == '"""' else _IN_SINGLE)
                return
            self.setFormat(opener, close + 3 - opener, self.formats["string"])
            position = close + 3
