"""The code panel: the Python the graph compiles to, one tab per kind of source.

Each tab is a `CodeTab`: a title and a function from a graph to text. The built-in
ones are the functional and subclass models of `codegen.to_python`; adding another
(a training script, say) is one `add_tab` call.

Generating source walks the whole graph (and imports keras the first time), so it
does not run per keystroke: `show_graph` only marks the tabs stale and restarts a
debounce timer; when it fires, only the visible tab is generated, and a hidden tab
(or the whole panel, hidden) catches up when it is shown.

An invalid graph has no code: the tab then says how many problems stand in the way
instead of keeping the last good code, which would no longer match the canvas and
could be copied by mistake. Copy is disabled while there is no code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QAction, QFontDatabase, QGuiApplication, QShowEvent
from PySide6.QtWidgets import QPlainTextEdit, QTabWidget, QToolButton, QVBoxLayout, QWidget

from graph import GraphError, ModelGraph, Report
from studio.panels.highlighter import LIGHT, PythonHighlighter
from studio.visibility import on_screen

#: How long the graph must stay unchanged before code is regenerated.
DEBOUNCE_MS = 250


@dataclass(frozen=True)
class CodeTab:
    """A tab of the code panel: its title and what it shows for a valid graph."""

    title: str
    #: The text for a graph whose file lies in a folder (data paths start there).
    generate: Callable[[ModelGraph, Path], str]


def _python(style: str) -> Callable[[ModelGraph, Path], str]:
    def generate(g: ModelGraph, folder: Path) -> str:
        from codegen import to_python  # keras-backed: imported on first use

        return to_python(g, style)

    return generate


def _training_script(style: str) -> Callable[[ModelGraph, Path], str]:
    def generate(g: ModelGraph, folder: Path) -> str:
        from codegen.training_script import setup_for_script, to_training_script

        # As if written beside the graph file (data paths stay as the setup has them,
        # read from its folder for the losses), with the bundled sample data when the
        # setup names none, as Export writes it.
        setup, _ = setup_for_script(g, folder, folder)
        return to_training_script(g, setup, style)

    return generate


#: The tabs every code panel starts with: the model, then its training as a script.
DEFAULT_TABS = (
    CodeTab("Functional", _python("functional")),
    CodeTab("Subclass", _python("subclass")),
    *(
        CodeTab(f"Training: {style}", _training_script(style))
        for style in ("fit", "loop", "ddp", "train_step")
    ),
)


def invalid_message(report: Report) -> str:
    count = len(report.errors)
    noun = "problem" if count == 1 else "problems"
    return (
        f"# No code: the graph has {count} {noun} (see the Problems panel).\n"
        "# The code appears here as soon as the graph is valid.\n"
    )


class CodeView(QPlainTextEdit):
    """Read-only, monospace, highlighted source of one tab."""

    def __init__(self, tab: CodeTab, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tab = tab
        self.stale = True
        #: Whether the text is code (False: a message saying why there is none).
        self.has_code = False
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.highlighter = PythonHighlighter(self.document())

    def show_text(self, text: str, has_code: bool) -> None:
        self.has_code = has_code
        self.stale = False
        if text != self.toPlainText():
            scroll = self.verticalScrollBar().value()
            self.setPlainText(text)
            self.verticalScrollBar().setValue(scroll)


class CodePanel(QWidget):
    """Tabs of generated source following `show_graph`, with a Copy action."""

    #: Emitted with the tab title after a tab's text was regenerated.
    regenerated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._graph: ModelGraph | None = None
        self._report: Report | None = None
        self._folder: Path | None = None
        self._colors: Mapping[str, str] = LIGHT
        self.tabs = QTabWidget(self)
        self.tabs.currentChanged.connect(self.refresh)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.refresh)
        self.copy_action = QAction("Copy", self)
        # No shortcut: Ctrl+C belongs to the canvas; in the editor it copies a selection.
        self.copy_action.setToolTip("Copy all the code of this tab")
        self.copy_action.triggered.connect(self.copy)
        self.copy_action.setEnabled(False)
        copy_button = QToolButton(self)
        copy_button.setDefaultAction(self.copy_action)
        self.tabs.setCornerWidget(copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        for tab in DEFAULT_TABS:
            self.add_tab(tab)

    def add_tab(self, tab: CodeTab) -> CodeView:
        """Add a tab after the others; it follows the graph like the built-in ones."""
        view = CodeView(tab, self.tabs)
        view.highlighter.set_colors(self._colors)
        self.tabs.addTab(view, tab.title)
        return view

    def set_colors(self, colors: Mapping[str, str]) -> None:
        """Highlight every tab with `colors` (highlighter.LIGHT or DARK, for the theme)."""
        self._colors = colors
        for i in range(self.tabs.count()):
            self.tabs.widget(i).highlighter.set_colors(colors)

    def view(self, title: str) -> CodeView:
        """The tab called `title`."""
        for i in range(self.tabs.count()):
            view = self.tabs.widget(i)
            if view.tab.title == title:
                return view
        raise KeyError(title)

    def current_view(self) -> CodeView | None:
        return self.tabs.currentWidget()

    def show_graph(self, g: ModelGraph, report: Report, folder: Path | None = None) -> None:
        """Follow `g` as validated in `report`, its file in `folder` (None: untitled, the
        working folder): regenerate once edits pause."""
        self._graph, self._report, self._folder = g, report, folder
        for i in range(self.tabs.count()):
            self.tabs.widget(i).stale = True
        self.timer.start()

    def copy(self) -> None:
        """Put the visible tab's code on the clipboard."""
        view = self.current_view()
        if view is not None and view.has_code:
            QGuiApplication.clipboard().setText(view.toPlainText())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        """Regenerate the visible tab now if the graph changed since (what the timer does)."""
        view = self.current_view()
        if view is None or self._graph is None or not on_screen(self):
            return
        if view.stale:
            self._regenerate(view)
        self.copy_action.setEnabled(view.has_code)

    def _regenerate(self, view: CodeView) -> None:
        report = self._report
        if not report.valid:
            view.show_text(invalid_message(report), has_code=False)
        else:
            try:
                view.show_text(
                    view.tab.generate(self._graph, self._folder or Path.cwd()), has_code=True
                )
            except GraphError as e:
                lines = f"No code: {e}".splitlines()
                view.show_text("".join(f"# {line}\n" for line in lines), has_code=False)
        self.regenerated.emit(view.tab.title)
