"""The live cost of the shown graph: computed after each validation and each change of
the training setup, at the setup's batch size and optimizer (graph.cost, incremental:
an edit costs again only what it reaches), for the summary panel's cost columns and
the canvas's heat and cost lines. What the canvas shows of it is the View menu's
choice, remembered in the settings."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from graph import ModelGraph, Report
from graph.cost import ModelCost, cost
from graph.training import OPTIMIZER_SLOTS, TrainingSetup
from studio.canvas.heat import HEAT_MODES, Decorator
from studio.canvas.scene import GraphScene


class CostDisplay:
    """Costs the graph a window shows and decorates its canvas as the user chose."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings
        heat = str(settings.value("cost_heat", "off"))
        #: What the canvas's heat colours by: a key of HEAT_MODES.
        self.heat = heat if heat in HEAT_MODES else "off"
        #: Whether node faces show a cost line.
        self.line = bool(settings.value("cost_line", False, bool))
        self.result: ModelCost | None = None
        #: The shown scene's decorator; whether it decorated (items keep their
        #: decoration until told otherwise).
        self._decorator: Decorator | None = None
        self._decorated = False

    def show(self, g: ModelGraph, report: Report, scene: GraphScene) -> ModelCost | None:
        """Cost `g` (validated as `report`) and decorate `scene`; None when the setup's
        batch size or optimizer cannot be costed (the training form names the problem)."""
        setup = g.training or TrainingSetup()
        known = setup.optimizer in OPTIMIZER_SLOTS and setup.batch_size >= 1
        self.result = (
            cost(g, report, batch=setup.batch_size, optimizer=setup.optimizer) if known else None
        )
        if self._decorator is None or self._decorator.scene is not scene:
            self._decorator, self._decorated = Decorator(scene), False
        self._decorate()
        return self.result

    def set_heat(self, mode: str) -> None:
        """Colour the canvas by `mode` (a key of HEAT_MODES), from now on."""
        self.heat = mode
        self.settings.setValue("cost_heat", mode)
        self._decorate()

    def set_line(self, on: bool) -> None:
        """Show (or hide) the cost line on node faces, from now on."""
        self.line = on
        self.settings.setValue("cost_line", on)
        self._decorate()

    def _decorate(self) -> None:
        wanted = self.heat != "off" or self.line
        if self._decorator is None or not (wanted or self._decorated):
            return  # nothing to show, and nothing shown to take away
        self._decorator.decorate(self.result, self.heat, self.line)
        self._decorated = wanted
