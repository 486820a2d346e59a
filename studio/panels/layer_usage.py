"""Which layer types the user adds most and most recently, for quick-add's first rows.

One score per type: each use adds 1 after every score has faded by DECAY, so a type
used often stays near the top and one used just now rises at once ("frecency", as
browsers rank their address bar). The scores are kept in the studio's QSettings, so
the next session starts where this one left off.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QSettings

#: How much every score keeps at each use (older uses count less).
DECAY = 0.8
#: Scores below this are forgotten, so the stored list stays short.
FORGET_BELOW = 0.01
SETTINGS_KEY = "quick_add/layer_usage"


class LayerUsage:
    """Scores of the layer types used, remembered in `settings` (if given)."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings
        self._scores: dict[str, float] = self._load()

    def record(self, layer_type: str) -> None:
        """Count one use of `layer_type`, now."""
        scores = {t: s * DECAY for t, s in self._scores.items() if s * DECAY >= FORGET_BELOW}
        scores[layer_type] = scores.get(layer_type, 0.0) + 1.0
        self._scores = scores
        if self._settings is not None:
            self._settings.setValue(SETTINGS_KEY, json.dumps(scores, sort_keys=True))

    def ranked(self) -> list[str]:
        """The types used, best score first (ties: by name, so the order is stable)."""
        return sorted(self._scores, key=lambda t: (-self._scores[t], t))

    def _load(self) -> dict[str, float]:
        """The stored scores; anything unreadable (another version's value) is ignored."""
        if self._settings is None:
            return {}
        try:
            stored = json.loads(str(self._settings.value(SETTINGS_KEY, "{}")))
        except ValueError:
            return {}
        if not isinstance(stored, dict):
            return {}
        return {
            t: float(s)
            for t, s in stored.items()
            if isinstance(t, str) and isinstance(s, (int, float)) and s >= FORGET_BELOW
        }
