"""The colours of a comparison with another version: added green, changed blue,
removed red, per theme. One table for the canvas's marks and the Compare panel's
rows, so a node reads the same in both. Blue for changed keeps it apart from the
amber of warnings; removed nodes are ghosts (dashed), never a node's border, so
their red does not read as an error."""

from __future__ import annotations

ADDED, CHANGED, REMOVED = "added", "changed", "removed"

#: Per theme, per kind of change: its colour.
DIFF_COLORS: dict[str, dict[str, str]] = {
    "light": {ADDED: "#2e7d32", CHANGED: "#1565c0", REMOVED: "#c62828"},
    "dark": {ADDED: "#66bb6a", CHANGED: "#64b5f6", REMOVED: "#ef5350"},
}
