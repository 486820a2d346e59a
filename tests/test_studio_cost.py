"""The studio's live cost, driven through the real window: the summary panel's cost
columns, the cost line on node faces and the heat colouring (View menu, remembered),
and the memory budget in the training form. What is shown is held to graph.cost, which
tests/test_cost.py holds to torch's own counters."""

from __future__ import annotations

from dataclasses import replace

import pytest

from graph import validate
from graph.cost import cost
from graph.wording import byte_size
from studio.canvas.heat import HOT, MAX_BLEND
from studio.canvas.items import short_count
from studio.panels.summary_panel import COLUMNS
from tests.test_training_form import type_into
from tests.windows import TEMPLATES


def summary_cells(window) -> dict[str, tuple[str, str]]:
    """The summary's MACs and output memory cells by layer name (first calls)."""
    panel = window.summary
    window.docks["summary"].show()
    window.docks["summary"].raise_()
    panel.refresh()
    table = panel.table
    macs, memory = COLUMNS.index("MACs"), COLUMNS.index("Output memory")
    cells = {}
    for r in range(table.rowCount()):
        name = table.data(table.index(r, 0)).split(" (")[0]
        cells[name] = (table.data(table.index(r, macs)), table.data(table.index(r, memory)))
    return cells


@pytest.fixture
def cnn(window):
    """The window on the small CNN template, at batch 8 with sgd."""
    assert window.new_from_template(TEMPLATES / "small_cnn.graph.json")
    g = window.document.graph
    form = window.training.form
    form.edit("batch size", replace(form.stored(), batch_size=8, optimizer="sgd"))
    return window, g


def test_the_summary_shows_each_nodes_macs_and_output_memory_at_the_setups_batch(qtbot, cnn):
    window, g = cnn
    expected = cost(g, validate(g), batch=8, optimizer="sgd")
    cells = summary_cells(window)
    for node_id, c in expected.nodes.items():
        assert cells[g.layer(node_id).name] == (f"{c.macs:,}", byte_size(c.output_bytes))
    assert "at batch 8" in window.summary.cost.text()
    assert f"Training step (sgd): {byte_size(expected.train_memory_bytes)}" in (
        window.summary.cost.text()
    )
    conv = next(n for n in g.node_ids() if g.layer(n).type == "Conv2D")
    form = window.training.form
    form.edit("batch size", replace(form.stored(), batch_size=2))
    g.set_param(conv, "filters", 3)  # an edit and a new batch size: the columns follow
    expected = cost(g, validate(g), batch=2, optimizer="sgd")
    c = expected.nodes[conv]
    assert summary_cells(window)[g.layer(conv).name] == (f"{c.macs:,}", byte_size(c.output_bytes))


def test_heat_colours_nodes_by_macs_or_memory_and_is_remembered(qtbot, cnn, make_window):
    window, g = cnn
    items = {item.node_id: item for item in window.scene.node_items()}
    assert all(item._heat is None for item in items.values())  # off by default
    window.actions_["heat:macs"].trigger()
    result = cost(g, validate(g), batch=8, optimizer="sgd")
    heaviest = max(result.nodes, key=lambda n: result.nodes[n].macs or 0)
    base = window.scene.style.node_brush.color()
    hot = items[heaviest]._heat.color()
    assert hot.redF() == pytest.approx(
        base.redF() + (HOT.redF() - base.redF()) * MAX_BLEND, abs=1e-3
    )
    no_macs = [n for n, c in result.nodes.items() if not c.macs]
    assert no_macs and all(items[n]._heat is None for n in no_macs)

    window.actions_["heat:memory"].trigger()
    shares = result.memory_by_node
    heaviest = max(shares, key=shares.get)
    assert items[heaviest]._heat.color() == hot  # the heaviest node is the hottest
    assert all(items[n]._heat is not None for n, share in shares.items() if share)

    hot_node = heaviest  # deleted and undone: its new item is coloured again
    window.scene.select_nodes([hot_node])
    window.actions_["delete"].trigger()
    assert hot_node not in g
    window.document.stack.undo()
    assert window.scene.node_item(hot_node)._heat.color() == hot

    again = make_window()  # the choice is remembered
    assert again.actions_["heat:memory"].isChecked()
    assert again.new_from_template(TEMPLATES / "small_cnn.graph.json")
    assert any(item._heat is not None for item in again.scene.node_items())
    window.actions_["heat:off"].trigger()
    assert all(item._heat is None for item in window.scene.node_items())


def test_the_cost_line_on_node_faces_follows_edits_and_is_remembered(qtbot, cnn, make_window):
    window, g = cnn
    conv = next(n for n in g.node_ids() if g.layer(n).type == "Conv2D")
    item = window.scene.node_item(conv)
    assert not any("MACs" in text for text in item.drawn_texts(1.0))
    window.actions_["cost_line"].trigger()
    assert window.actions_["cost_line"].isChecked()
    c = cost(g, validate(g), batch=8, optimizer="sgd").nodes[conv]
    assert item.drawn_texts(1.0)[-1] == f"{short_count(c.macs)} MACs · {byte_size(c.output_bytes)}"
    g.set_param(conv, "filters", 2)
    c = cost(g, validate(g), batch=8, optimizer="sgd").nodes[conv]
    assert item.drawn_texts(1.0)[-1].endswith(f"MACs · {byte_size(c.output_bytes)}")
    again = make_window()
    assert again.actions_["cost_line"].isChecked()
    window.actions_["cost_line"].trigger()
    assert not any("MACs" in text for text in item.drawn_texts(1.0))


def test_the_budget_is_typed_in_the_training_form_and_says_whether_the_model_fits(
    qtbot, cnn, artifacts
):
    window, g = cnn
    form = window.training.form
    window.show_training()
    field = form.memory_budget
    type_into(qtbot, field.edit, "1KiB")
    assert g.training.memory_budget == 1024
    assert window.document.stack.undoText() == "Edit training memory budget"
    assert field.edit.text() == "1.0 KiB"
    needed = cost(g, validate(g), batch=8, optimizer="sgd").train_memory_bytes
    lines = field.verdict.text().splitlines()
    assert lines[0] == (
        f"Memory budget 1.0 KiB at batch 8 (sgd): does not fit, a training step needs "
        f"{byte_size(needed)}"
    )
    assert lines[1].startswith("Heaviest: ") and lines[2] == (
        "Largest batch that fits: none (batch 1 does not fit)"
    )
    window.resize(1400, 900)
    qtbot.wait(50)
    assert window.docks["training"].grab().save(str(artifacts / "training_budget.png"))
    type_into(qtbot, field.edit, "64 MiB")
    assert g.training.memory_budget == 64 << 20
    assert "(sgd): fits" in field.verdict.text()
    type_into(qtbot, field.edit, "lots")
    assert g.training.memory_budget == 64 << 20  # refused, and said why
    assert "not a byte count: 'lots'" in field.verdict.text()
    window.document.stack.undo()  # budget edits in a row are one undo step
    assert g.training.memory_budget is None and field.edit.text() == ""
    assert not field.verdict.isVisible()


def test_a_screenshot_shows_the_cost(qtbot, cnn, artifacts):
    window, g = cnn
    window.resize(1400, 900)
    window.actions_["heat:macs"].trigger()
    window.actions_["cost_line"].trigger()
    summary_cells(window)
    window.view.fit()
    qtbot.wait(50)
    assert window.grab().save(str(artifacts / "studio_cost.png"))
    conv = next(n for n in g.node_ids() if g.layer(n).type == "Conv2D")
    window.view.resetTransform()  # near: the faces' texts and cost lines
    window.view.centerOn(window.scene.node_item(conv))
    qtbot.wait(50)
    assert window.view.grab().save(str(artifacts / "studio_cost_near.png"))
