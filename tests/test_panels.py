"""The problems, summary and code panels, driven for real offscreen and fed by a
GraphScene's `validated` signal, as the main window feeds them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest

from codegen.build import build_model
from graph import ModelGraph, Report, load, validate
from graph.summary import HEADERS, summary_rows
from studio.canvas.scene import GraphScene
from studio.panels.code_panel import DEBOUNCE_MS, CodePanel, CodeTab
from studio.panels.highlighter import PythonHighlighter
from studio.panels.problems_panel import EMPTY_GRAPH, NO_PROBLEMS, ProblemsPanel
from studio.panels.summary_panel import COLUMNS, COST_HEADERS, SummaryPanel
from studio.severity import COLORS

TEMPLATES = Path(__file__).parents[1] / "resources" / "templates"


def template(stem: str) -> ModelGraph:
    return load(TEMPLATES / f"{stem}.graph.json")


@pytest.fixture
def follow(qapp):
    """follow(g, show): a scene on `g` whose every validation goes to `show(g, report)`
    (a panel's show_report or show_graph), shown once at the start. Scenes are
    detached at the end of the test."""
    made = []

    def make(g: ModelGraph, show: Callable[[ModelGraph, Report], None]) -> GraphScene:
        scene = GraphScene(g)
        made.append(scene)
        scene.validated.connect(lambda report: show(g, report))
        show(g, scene.report)
        return scene

    yield make
    for scene in made:
        scene.detach()


@pytest.fixture
def grab(artifacts):
    """Save what a widget looks like, by name, in the artifacts folder."""

    def save(widget, name: str) -> None:
        assert widget.grab().save(str(artifacts / name))

    return save


def broken_tickets() -> tuple[ModelGraph, str, str]:
    """The ticket classifier with an Add of mismatched shapes and an unconnected Dense."""
    g = template("customer_tickets")
    add = g.add_node("Add", name="broken", pos=(480.0, 320.0))
    g.connect("title", add, "input_0")
    g.connect("tags", add, "input_1")
    orphan = g.add_node("Dense", name="orphan", params={"units": 3}, pos=(480.0, 480.0))
    return g, add, orphan


# ------------------------------------------------------------------- problems


def test_problems_panel_lists_every_problem_errors_first(qtbot, follow, grab):
    g, add, orphan = broken_tickets()
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    follow(g, panel.show_report)
    panel.resize(900, 200)
    grab(panel, "problems_panel.png")

    report = validate(g)
    assert len(report.errors) == 2 and len(report.warnings) == 2
    rows = panel.rows()
    assert len(rows) == len(report.problems)
    # Each row: the node's label, and its message with that label not repeated.
    expected = [
        (g.label(p.node), p.message.removeprefix(f"{g.label(p.node)}: "))
        for p in report.errors + report.warnings
    ]
    assert rows == expected
    assert rows[0][0] == "Add 'broken'" and "(None, 10000), (None, 100)" in rows[0][1]

    g.remove_node(add)  # the scene revalidates and the panel follows
    assert [where for where, _ in panel.rows()] == ["Dense 'orphan'", "Dense 'orphan'"]
    g.remove_node(orphan)
    assert panel.rows() == [("", NO_PROBLEMS)]


def test_an_empty_graph_gets_a_plain_hint_and_its_first_node_the_real_errors(qtbot, follow):
    g = ModelGraph()
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    follow(g, panel.show_report)
    assert [p.code for p in validate(g).errors] == ["no-inputs", "no-outputs"]
    assert panel.rows() == [("", EMPTY_GRAPH)]
    assert panel.tree.topLevelItem(0).icon(0).isNull()  # no error icon
    g.add_node("Dense", params={"units": 4})
    assert len(panel.rows()) == len(validate(g).problems) >= 2
    assert EMPTY_GRAPH not in dict(panel.rows()).values()


def test_clicking_a_problem_emits_its_node(qtbot):
    g, add, orphan = broken_tickets()
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel.show_report(g, validate(g))
    panel.resize(900, 200)
    panel.show()
    qtbot.waitExposed(panel)
    tree = panel.tree
    for row, node_id in ((1, orphan), (0, add)):
        rect = tree.visualItemRect(tree.topLevelItem(row))
        with qtbot.waitSignal(panel.node_activated) as activated:
            QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert activated.args == [node_id]


def test_no_problems_row_emits_nothing(qtbot):
    g = template("mnist_mlp")
    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel.show_report(g, validate(g))
    panel.show()
    qtbot.waitExposed(panel)
    rect = panel.tree.visualItemRect(panel.tree.topLevelItem(0))
    with qtbot.assertNotEmitted(panel.node_activated):
        QTest.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


# -------------------------------------------------------------------- summary


def test_summary_shows_the_table_and_keras_total(qtbot, follow, grab):
    g = template("small_cnn")
    panel = SummaryPanel()
    qtbot.addWidget(panel)
    follow(g, panel.show_report)
    panel.resize(800, 320)
    panel.show()  # a panel shows what it was given when it appears
    qtbot.waitExposed(panel)
    grab(panel, "summary_panel.png")

    table = panel.table

    def shown() -> list[tuple]:
        """The rows, less the cost columns (tests/test_studio_cost.py checks those)."""
        kept = [c for c in range(table.columnCount()) if COLUMNS[c] not in COST_HEADERS]
        return [tuple(table.data(table.index(r, c)) for c in kept) for r in range(table.rowCount())]

    assert shown() == summary_rows(g, validate(g))
    headers = [table.headerData(c, Qt.Orientation.Horizontal) for c in range(len(COLUMNS))]
    assert [h for h in headers if h not in COST_HEADERS] == list(HEADERS)
    total = build_model(g).count_params()
    assert f"Total params: {total:,}" in panel.totals.text()

    g.set_param("digit", "units", 5)  # an edit: the panel follows once edits pause
    assert f"Total params: {total:,}" in panel.totals.text()
    new_total = build_model(g).count_params()
    qtbot.waitUntil(lambda: f"Total params: {new_total:,}" in panel.totals.text())
    assert shown() == summary_rows(g, validate(g))

    panel.hide()  # a hidden panel does no work until shown again
    g.set_param("digit", "units", 7)
    assert not panel.timer.isActive() and f"{new_total:,}" in panel.totals.text()
    panel.show()
    assert shown() == summary_rows(g, validate(g)) and "(None, 7)" in shown()[-1]


def test_summary_of_an_invalid_graph_says_so(qtbot):
    g, _, _ = broken_tickets()
    panel = SummaryPanel()
    qtbot.addWidget(panel)
    panel.show_report(g, validate(g))
    panel.refresh()
    assert panel.note.text() == "Invalid: 2 errors; shapes marked ? are unknown."
    assert panel.note.styleSheet() == f"color: {COLORS['light']['error']};"
    assert panel.table.rowCount() == len(g)


# ----------------------------------------------------------------------- code


@pytest.fixture
def code_panel(qtbot, follow):
    """A shown CodePanel following a scene on the residual block template."""
    g = template("residual_block")
    panel = CodePanel()
    qtbot.addWidget(panel)
    follow(g, panel.show_graph)
    panel.resize(800, 500)
    panel.show()
    qtbot.waitExposed(panel)
    functional = panel.view("Functional")
    qtbot.waitUntil(lambda: not functional.stale, timeout=30_000)
    return g, panel


def test_code_compiles_and_follows_edits_after_the_debounce(qtbot, code_panel, grab):
    g, panel = code_panel
    functional = panel.view("Functional")
    text = functional.toPlainText()
    compile(text, "functional.py", "exec")
    assert "filters=64" in text and functional.has_code
    grab(panel, "code_panel.png")

    with qtbot.assertNotEmitted(panel.regenerated, wait=0):
        for units in (11, 12, 13):  # quick edits: nothing regenerates in between
            g.set_param("classes", "units", units)
    assert functional.stale and "units=13" not in functional.toPlainText()
    with qtbot.waitSignal(panel.regenerated) as done:
        pass
    assert done.args == ["Functional"]
    text = functional.toPlainText()
    compile(text, "functional.py", "exec")
    assert "units=13" in text and "units=10" not in text


def test_hidden_tabs_generate_when_shown(qtbot, code_panel):
    g, panel = code_panel
    subclass = panel.view("Subclass")
    assert subclass.stale and subclass.toPlainText() == ""
    with qtbot.waitSignal(panel.regenerated) as done:
        panel.tabs.setCurrentWidget(subclass)
    assert done.args == ["Subclass"]
    compile(subclass.toPlainText(), "subclass.py", "exec")
    assert "class ResidualBlockModel(keras.Model)" in subclass.toPlainText()


def test_invalid_graph_shows_the_problem_count_and_disables_copy(qtbot, code_panel, grab):
    g, panel = code_panel
    functional = panel.view("Functional")
    panel.copy()
    assert QGuiApplication.clipboard().text() == functional.toPlainText()
    assert panel.copy_action.isEnabled()

    g.disconnect("stem", "residual_projection", "input")
    qtbot.waitUntil(lambda: not functional.stale)
    errors = len(validate(g).errors)
    assert functional.toPlainText().startswith(f"# No code: the graph has {errors} problem")
    assert not functional.has_code and not panel.copy_action.isEnabled()
    grab(panel, "code_panel_invalid.png")

    g.connect("stem", "residual_projection", "input")
    qtbot.waitUntil(lambda: functional.has_code)
    assert panel.copy_action.isEnabled()


def test_a_hidden_panel_generates_when_shown(qtbot, code_panel):
    g, panel = code_panel
    functional = panel.view("Functional")
    panel.hide()
    g.set_param("classes", "units", 4)
    qtbot.wait(2 * DEBOUNCE_MS)
    assert functional.stale and "units=4" not in functional.toPlainText()
    panel.show()
    assert not functional.stale and "units=4" in functional.toPlainText()


def test_a_tab_is_one_add_tab_call(qtbot, code_panel):
    g, panel = code_panel
    names = panel.add_tab(CodeTab("Layer names", lambda g, folder: "\n".join(sorted(g.names()))))
    panel.tabs.setCurrentWidget(names)
    assert names.toPlainText() == "\n".join(sorted(g.names()))
    g.rename("classes", "labels")
    qtbot.waitUntil(lambda: "labels" in names.toPlainText())


def test_highlighter_colours_keywords_strings_and_docstrings(qapp):
    from PySide6.QtGui import QTextDocument

    document = QTextDocument()
    document.setPlainText('def f():\n    """Doc\n    if not code."""\n    return "x"  # done\n')
    highlighter = PythonHighlighter(document)
    colors = {k: f.foreground().color().name() for k, f in highlighter.formats.items()}

    def color_at(line: int, column: int) -> str:
        block = document.findBlockByNumber(line)
        for fmt in block.layout().formats():
            if fmt.start <= column < fmt.start + fmt.length:
                return fmt.format.foreground().color().name()
        return ""

    assert color_at(0, 0) == colors["keyword"]  # def
    assert color_at(0, 4) == ""  # f
    assert color_at(2, 7) == colors["string"]  # "if" inside the docstring
    assert color_at(3, 4) == colors["keyword"]  # return
    assert color_at(3, 12) == colors["string"]
    assert color_at(3, 16) == colors["comment"]


def test_code_panel_follows_the_theme_in_every_tab(qtbot):
    from studio.panels.code_panel import CodePanel, CodeTab
    from studio.panels.highlighter import DARK

    panel = CodePanel()
    qtbot.addWidget(panel)
    panel.set_colors(DARK)
    later = panel.add_tab(CodeTab("Later", lambda g, folder: "x = 1\n"))
    views = [panel.tabs.widget(i) for i in range(panel.tabs.count())]
    assert later in views
    for view in views:
        keyword = view.highlighter.formats["keyword"].foreground().color().name()
        assert keyword == DARK["keyword"]
