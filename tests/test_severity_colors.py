"""Errors red, warnings amber, in both themes, wherever a problem shows: the node's
border, the problems panel's rows, the inspector, the summary's note, the status bar."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF

from graph.report import ERROR, WARNING
from studio.canvas.style import Style
from studio.severity import COLORS


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_canvas_style_takes_the_severity_colours(qapp, theme):
    style = getattr(Style, theme)()
    assert style.warning_pen.color().name() == COLORS[theme][WARNING]
    assert style.error_pen.color().name() == COLORS[theme][ERROR]
    assert COLORS[theme][WARNING] != COLORS[theme][ERROR]


def shown_colours(window, node: str) -> dict[str, str]:
    """The colour of each place that shows `node`'s problems."""
    window.summary.refresh()
    window.scene.select_nodes([node])
    css = {
        "status": window.validity.styleSheet(),
        "summary": window.summary.note.styleSheet(),
        "inspector": window.inspector.problems.styleSheet(),
    }
    colours = {k: v.removeprefix("color: ").removesuffix(";") for k, v in css.items()}
    colours["row"] = window.problems.tree.topLevelItem(0).foreground(1).color().name()
    item = window.scene.node_item(node)
    pen = {"warning": window.scene.style.warning_pen, "error": window.scene.style.error_pen}
    colours["border"] = pen[item.view.severity].color().name()
    return colours


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_warning_is_amber_and_an_error_red_everywhere(window, tickets, theme):
    window.set_theme(theme)
    window.open_file(tickets)
    stray = window.controller.add_node("Dense", QPointF(2400.0, 1400.0))
    window.controller.connect("title", stray, "input")  # valid, but reaches no output
    assert window.validity.text().startswith("Valid: 8 nodes") and "1 warning" in (
        window.validity.text()
    )
    window.summary.refresh()  # it waits for edits to pause, and for its tab
    assert window.summary.note.text() == "1 warning: see Problems"
    amber = COLORS[theme][WARNING]
    assert shown_colours(window, stray) == dict.fromkeys(
        ("status", "summary", "inspector", "row", "border"), amber
    )

    add = window.controller.add_node("Add", QPointF(2400.0, 1700.0))
    window.controller.connect("title", add, "input_0")
    window.controller.connect("tags", add, "input_1")
    assert window.validity.text() == "Invalid: 1 error, 2 warnings"
    red = COLORS[theme][ERROR]
    assert shown_colours(window, add) == dict.fromkeys(
        ("status", "summary", "inspector", "row", "border"), red
    )
    other = "dark" if theme == "light" else "light"
    window.set_theme(other)
    assert shown_colours(window, add)["row"] == COLORS[other][ERROR]
    assert shown_colours(window, add)["status"] == COLORS[other][ERROR]
