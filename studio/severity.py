"""The colours of problems, one pair per theme: errors red, warnings amber.

One table for every place that shows a problem (the canvas's node borders, the
problems panel's rows, the inspector, the summary's note, the status bar), so a
warning never shows in an error's red. Text colours: each reads on its theme's
backgrounds (contrast at least 4.5:1 on the light theme's white, 8:1 for the dark
theme's amber).
"""

from __future__ import annotations

from collections.abc import Iterable

from graph.report import ERROR, WARNING, Problem

#: Per theme, per severity: its colour.
COLORS: dict[str, dict[str, str]] = {
    "light": {ERROR: "#d32f2f", WARNING: "#a66300"},
    "dark": {ERROR: "#ef5350", WARNING: "#f0b429"},
}


def worst(problems: Iterable[Problem]) -> str | None:
    """ERROR if any problem is one, else WARNING if there is any problem, else None."""
    severities = {p.severity for p in problems}
    if ERROR in severities:
        return ERROR
    return WARNING if severities else None


def css_color(theme: str, severity: str | None) -> str:
    """A style sheet giving text the colour of `severity` ("" for none)."""
    return f"color: {COLORS[theme][severity]};" if severity else ""
