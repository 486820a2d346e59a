"""MainWindow: the studio's window, holding one Document at a time.

The window wires the parts together and owns the document's life (new, open,
save, close, autosave, recovery); it edits nothing itself. The canvas
(GraphScene + GraphView + CanvasController), the palette, the inspector and the
panels each do one job, and all of them reach the graph through the document's
undo stack or by listening to the scene's `validated` report.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QByteArray, QPoint, QPointF, QSettings, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QCursor, QResizeEvent, QUndoGroup
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from codegen.layout import DIRECTIONS, Direction, direction_of
from graph import GraphError, ModelGraph, Report, load, save, validate
from graph.fileformat import dumps, loads
from graph.filenames import file_stem
from graph.weights import WeightsRecord
from graph.wording import counted
from studio.block_menu import refresh_palette_blocks
from studio.canvas import render
from studio.canvas.breadcrumb import Breadcrumb
from studio.canvas.controller import CanvasController
from studio.canvas.items import NodeItem
from studio.canvas.scene import GraphScene
from studio.canvas.view import GraphView
from studio.compare import Comparison
from studio.cost_display import CostDisplay
from studio.dock_fit import DockFit
from studio.document.autosave import orphans
from studio.document.document import Document
from studio.exporting import TARGETS, export_graph, with_suffix
from studio.icons import icon
from studio.jobs import Job
from studio.menus import context_menu, install_menus
from studio.offer_button import OFFER_MS, OfferButton
from studio.panels import highlighter
from studio.panels.code_panel import CodePanel
from studio.panels.inspector import Inspector
from studio.panels.layer_search import takes_input
from studio.panels.layer_usage import LayerUsage
from studio.panels.palette import LayerPalette
from studio.panels.problems_panel import EMPTY_GRAPH, ProblemsPanel
from studio.panels.quick_add import QuickAdd
from studio.panels.summary_panel import SummaryPanel
from studio.prompts import CANCEL, GRAPH_FILTER, SAVE, Prompts
from studio.severity import css_color, worst
from studio.theme import apply_theme
from studio.training.panel import TrainingPanel

APP_NAME = "Keras Graph Studio"
#: Code highlighting per theme.
CODE_COLORS = {"light": highlighter.LIGHT, "dark": highlighter.DARK}
MAX_RECENT = 8
AUTOSAVE_MS = 30_000


def validity_text(g: ModelGraph, report: Report) -> str:
    """The status bar's verdict: valid or not, with the counts that matter."""
    errors, warnings = len(report.errors), len(report.warnings)
    if not len(g):
        return EMPTY_GRAPH
    if errors:
        text = f"Invalid: {counted(errors, 'error')}"
    else:
        text = f"Valid: {counted(len(g), 'node')}, {report.total_params:,} params"
    return f"{text}, {counted(warnings, 'warning')}" if warnings else text


def _catch_up(refresh: Callable[[], None], visible: bool) -> None:
    """A dock's visibilityChanged: its panel catches up once its tab is raised."""
    if visible:
        refresh()


class MainWindow(QMainWindow):
    """The studio window. `settings` keeps the dock layout, theme and recent files."""

    def __init__(
        self,
        settings: QSettings | None = None,
        autosave_folder: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings or QSettings()
        self.autosave_folder = autosave_folder
        self.prompts = Prompts(self)
        self.setWindowIcon(icon("app"))
        self.undo_group = QUndoGroup(self)
        self.jobs: list[Job] = []
        self.document: Document | None = None
        self.scene: GraphScene | None = None
        self.controller: CanvasController | None = None
        self.report = Report()
        self.theme = str(self.settings.value("theme", "light"))
        #: Which way auto layout runs (View > Layout direction), and new graphs read.
        direction = str(self.settings.value("layout_direction", "LR"))
        self.layout_direction: Direction = direction if direction in DIRECTIONS else "LR"
        self.style_ = apply_theme(QApplication.instance(), self.theme)

        self.view = GraphView()
        #: Which block use the canvas is inside, above it (hidden at the top level).
        self.breadcrumb = Breadcrumb()
        canvas = QWidget()
        column = QVBoxLayout(canvas)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.breadcrumb)
        column.addWidget(self.view, 1)
        self.setCentralWidget(canvas)
        self.palette_ = LayerPalette()
        self.inspector = Inspector(None)
        self.problems = ProblemsPanel()
        self.summary = SummaryPanel()
        self.cost_display = CostDisplay(self.settings)
        self.code = CodePanel()
        self.training = TrainingPanel()
        self.comparison = Comparison(self)
        self.code.set_colors(CODE_COLORS[self.theme])
        self._theme_panels()
        self.layer_usage = LayerUsage(self.settings)
        self.quick_add = QuickAdd(self, self.layer_usage)
        #: Where quick-add puts the layer chosen, and the node it connects it after.
        self._quick_add_at = QPointF()
        self._quick_add_after: str | None = None
        self.docks = {
            "palette": self._dock("Layers", self.palette_, Qt.DockWidgetArea.LeftDockWidgetArea),
            "inspector": self._dock(
                "Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea
            ),
            "problems": self._dock(
                "Problems", self.problems, Qt.DockWidgetArea.BottomDockWidgetArea
            ),
            "summary": self._dock("Summary", self.summary, Qt.DockWidgetArea.BottomDockWidgetArea),
            "code": self._dock("Code", self.code, Qt.DockWidgetArea.BottomDockWidgetArea),
            # The panel scrolls its own parts, under a progress bar that stays in view:
            # its form and plots need more than a bottom dock's default share (the
            # canvas comes first); Train makes room for them.
            "training": self._dock(
                "Training", self.training, Qt.DockWidgetArea.BottomDockWidgetArea
            ),
            "compare": self._dock(
                "Compare", self.comparison.panel, Qt.DockWidgetArea.BottomDockWidgetArea
            ),
        }
        self.tabifyDockWidget(self.docks["problems"], self.docks["summary"])
        self.tabifyDockWidget(self.docks["summary"], self.docks["code"])
        self.tabifyDockWidget(self.docks["code"], self.docks["training"])
        self.tabifyDockWidget(self.docks["training"], self.docks["compare"])
        self.docks["compare"].hide()  # until File > Compare with...
        self.docks["problems"].raise_()
        self.dock_fit = DockFit(
            self, self.docks["palette"], self.docks["inspector"], self.docks["problems"]
        )
        # Panels skip work while their dock is behind a tab (studio/visibility.py) and
        # catch up when its tab is raised.
        for name, panel in (("summary", self.summary), ("code", self.code)):
            self.docks[name].visibilityChanged.connect(partial(_catch_up, panel.refresh))
        self.docks["training"].visibilityChanged.connect(partial(_catch_up, self.training.catch_up))
        #: After a Delete in a chain: joins the deleted node's neighbours.
        self.reconnect_offer = OfferButton("Reconnect")
        self.statusBar().addPermanentWidget(self.reconnect_offer)
        self.undo_group.indexChanged.connect(self.reconnect_offer.withdraw)
        self.validity = QLabel()
        self.statusBar().addPermanentWidget(self.validity)
        self.actions_ = install_menus(self)

        self.view.quick_add_requested.connect(self._open_quick_add)
        self.view.escape_pressed.connect(self.leave_use)
        self.breadcrumb.chosen.connect(lambda depth: self.document.go_to(depth))
        self.view.context_menu_requested.connect(self._show_context_menu)
        #: The right-click menu last shown (tests read and trigger it).
        self.context_menu: QMenu | None = None
        self.quick_add.chosen.connect(self._quick_add_chosen)
        self.quick_add.closed.connect(lambda: self.controller.connect_gesture.drop_parked())
        self.palette_.layer_chosen.connect(self._add_from_palette)
        self.palette_.library_chosen.connect(self._add_library_block)
        self.view.layer_dropped.connect(self.layer_usage.record)
        self.problems.node_activated.connect(self.focus_node)
        self.problems.inner_activated.connect(self.reveal_inner)
        self.problems.fix_chosen.connect(lambda fix: self.controller.apply_fix(fix))
        self.training.script_requested.connect(lambda style: self.export(f"training:{style}"))
        self.training.model_export_requested.connect(self.export_trained)
        self.training.exported.connect(lambda message, path: self._exported(path, message))
        self.training.keep_weights_requested.connect(self.keep_trained_weights)

        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(AUTOSAVE_MS)
        self._autosave_timer.timeout.connect(self.autosave)
        self._autosave_timer.start()

        self.set_document(Document(ModelGraph(), None, autosave_folder))
        self._restore_layout()

    # ----------------------------------------------------------------- parts

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")  # saveState() finds docks by name
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def set_document(self, document: Document) -> None:
        """Show `document`: a fresh scene and controller; panels follow its reports."""
        old = self.document
        self.comparison.stop()  # it compared the document going away
        if old is not None:
            old.level_changed.disconnect(self._show_level)
            old.graph.events.training_changed.disconnect(self._on_training_changed)
            old.graph.blocks.changed.disconnect(self._list_blocks)
        self.document = document
        self.undo_group.addStack(document.stack)
        self.undo_group.setActiveStack(document.stack)
        self.inspector.set_stack(document.stack)
        self.training.set_document(
            document.graph, document.stack, self._base_folder(), document.path
        )
        document.graph.events.training_changed.connect(self._on_training_changed)
        document.graph.blocks.changed.connect(self._list_blocks)
        refresh_palette_blocks(self)
        document.state_changed.connect(self._update_title)
        document.level_changed.connect(self._show_level)
        self._show_level()
        self._update_title()
        if old is not None:
            self.undo_group.removeStack(old.stack)
            old.close()
            old.deleteLater()

    def _show_level(self) -> None:
        """Draw the level of the document shown (its top graph, or the body of the use
        entered): a fresh scene and controller on the same undo stack."""
        document, old_scene = self.document, self.scene
        if old_scene is not None and old_scene.graph is not document.shown:
            # Its marks are the top graph's, on the scene going away.
            self.comparison.stop()
        shown = document.shown
        direction = direction_of(shown) or self.layout_direction
        report_of = document.level_report if document.depth else None
        self.scene = GraphScene(
            shown, self.style_, direction=direction, report_of=report_of, top=document.graph
        )
        self.controller = CanvasController(self.scene, self.view, document.stack)
        self.controller.refused.connect(self.show_refusal)
        self.controller.reconnect_offered.connect(self._offer_reconnect)
        self.controller.wire_dropped.connect(self._open_quick_add_after)
        self.scene.validated.connect(self._on_validated)
        self.scene.selectionChanged.connect(self._on_selection_changed)
        self.scene.enter_requested.connect(self.enter_use)
        self.view.setScene(self.scene)
        self.inspector.set_graph(shown)
        self.breadcrumb.set_crumbs(document.crumbs())
        self._on_validated(self.scene.report)
        if old_scene is not None:
            self._release(old_scene)
            old_scene.deleteLater()
        self.view.fit()
        QTimer.singleShot(0, self.view.fit)  # again once the window has its final size

    def enter_use(self, node_id: str) -> None:
        """Show the body of the block use `node_id` (of the level shown): its edits are
        edits of the definition, every use follows."""
        self.document.enter(node_id)

    def enter_selected(self) -> None:
        """Enter the one selected node, a block use (View > Enter block)."""
        selected = self.scene.selected_node_ids()
        if len(selected) != 1 or selected[0] not in self.scene.block_uses():
            self.show_refusal("select one block use to enter it")
            return
        self.enter_use(selected[0])

    def leave_use(self) -> None:
        """Back out of the block shown to the level above (nothing at the top)."""
        self.document.leave()

    def _release(self, scene: GraphScene) -> None:
        """Stop listening to `scene` (it clears its selection as it is destroyed)."""
        scene.validated.disconnect(self._on_validated)
        scene.selectionChanged.disconnect(self._on_selection_changed)
        scene.detach()

    def _on_training_changed(self) -> None:
        """The training setup is no part of validation, but the training scripts show it
        and the cost is at its batch size."""
        g = self.document.graph
        whole = validate(g) if self.document.depth else self.report
        self.code.show_graph(g, whole, self._base_folder())
        self._show_cost()

    def _show_cost(self) -> None:
        """The summary and cost of the level shown (a body: as its use sees it)."""
        g, report = self._level_view()
        self.summary.show_report(g, report, self.cost_display.show(g, report, self.scene))

    def _level_view(self) -> tuple[ModelGraph, Report]:
        """The level shown as the panels read it: the top graph and its report, or
        the entered use's body made concrete and its report (the scene's)."""
        if not self.document.depth:
            return self.document.graph, self.report
        return self.document.level_view()

    def _suggested(self, suffix: str) -> str:
        """The file a save dialog proposes: named after the graph (made a safe file name:
        a name like '../x' proposes 'x'), in the graph file's folder."""
        name = file_stem(self.document.graph.name) + suffix
        folder = self._base_folder()
        return str(folder / name) if folder else name

    def _base_folder(self) -> Path | None:
        """Where relative data paths of the training setup start: the file's folder."""
        return self.document.path.parent if self.document.path else None

    def show_training(self) -> None:
        """Bring the training panel up, tall enough for its form and plots (in a small
        window, as tall as the canvas's share allows)."""
        dock = self.docks["training"]
        dock.show()
        dock.raise_()
        if dock.height() < self.height() // 2:
            self.dock_fit.grow_bottom(dock, self.height() * 3 // 5)

    def _on_validated(self, report: Report) -> None:
        """The level shown was validated: the problems, summary and inspector follow
        it; the code and the status bar's verdict are the whole model's."""
        self.report = report
        level, _ = self._level_view()
        self.problems.show_report(level, report)
        self._show_cost()
        self.inspector.show_report(report)
        g = self.document.graph
        whole = validate(g) if self.document.depth else report
        self.code.show_graph(g, whole, self._base_folder())
        self.validity.setText(validity_text(g, whole))
        severity = worst(whole.problems) if len(g) else None
        self.validity.setStyleSheet(css_color(self.theme, severity))

    def _on_selection_changed(self) -> None:
        nodes = [i for i in self.scene.selectedItems() if isinstance(i, NodeItem)]
        self.inspector.show_node(nodes[0].node_id if len(nodes) == 1 else None)

    def _update_title(self) -> None:
        self.setWindowTitle(f"{self.document.title()} - {APP_NAME}")

    def show_refusal(self, reason: str) -> None:
        self.statusBar().showMessage(reason, 8000)

    def _offer_reconnect(self, deleted: str) -> None:
        """A Delete in a chain deleted, as asked; Reconnect, beside it, joins the
        neighbours too (one undo step with the delete, as Ctrl+Delete does)."""
        self.statusBar().showMessage(f"{deleted}: Reconnect joins its neighbours", OFFER_MS)
        tip = "Join the deleted node's input to its outputs (Ctrl+Delete does both at once)"
        self.reconnect_offer.offer(tip, self.controller.reconnect_deleted)

    def _show_context_menu(self, scene_pos: QPointF, screen_pos: QPoint) -> None:
        """Select what was right-clicked (unless it is part of the selection), then
        offer its menu there."""
        node, edge = self.scene.node_at(scene_pos), self.scene.edge_at(scene_pos)
        if node is not None:
            if node not in self.scene.selected_node_ids():
                self.scene.select_nodes([node])
        elif edge is not None:
            self.scene.clearSelection()
            self.scene.edge_item(*edge).setSelected(True)
        if self.context_menu is not None:
            self.context_menu.deleteLater()
        self.context_menu = context_menu(self, scene_pos)
        self.context_menu.popup(screen_pos)

    def inspect_selected(self) -> None:
        """Show the one selected node in the inspector, its name ready to edit."""
        if len(self.scene.selected_node_ids()) != 1:
            self.show_refusal("select one node to rename or inspect it")
            return
        dock = self.docks["inspector"]
        dock.show()
        dock.raise_()
        self.inspector.name_edit.setFocus()
        self.inspector.name_edit.selectAll()

    def focus_node(self, node_id: str) -> None:
        """Select `node_id` alone and bring it into view (a problems-panel click)."""
        item = self.scene.node_item(node_id)
        self.scene.clearSelection()
        item.setSelected(True)
        self.view.centerOn(item)

    def reveal_inner(self, use: str, inner: str) -> None:
        """Enter the block use `use` and the uses `inner` names on the way (see
        Problem.inner: "block/use/.../layer"), then focus the node it is about."""
        self.enter_use(use)
        *uses, last = inner.split("/")[1:] or [None]
        for name in uses:
            node = self._node_named(name)
            if node is None or node not in self.scene.block_uses():
                return
            self.enter_use(node)
        node = None if last is None else self._node_named(last)
        if node is not None:
            self.focus_node(node)

    def _node_named(self, name: str) -> str | None:
        """The node of the level shown whose layer is named `name` (its first call)."""
        g = self.scene.graph
        return next((n for n in g.node_ids() if g.layer(n).name == name), None)

    # -------------------------------------------------------------- adding

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab with the cursor over the canvas asks for quick-add wherever the focus is
        (after an inspector edit, say); elsewhere Tab walks the fields as usual.

        A Tab the focused widget leaves alone comes here from its parents
        (QWidget::focusNextPrevChild), before the focus moves."""
        if next and self.view.has_cursor():
            self.view.request_quick_add()
            return True
        return super().focusNextPrevChild(next)

    def _open_quick_add(self, scene_pos: QPointF) -> None:
        """Open the popup where the node will go: after the one selected node, beside
        it; else at the cursor over the canvas, or at the canvas's middle when Tab
        came with the cursor elsewhere."""
        selected = self.scene.selected_node_ids()
        if len(selected) == 1:
            self._open_quick_add_after(selected[0], self.controller.beside(selected[0]))
        else:
            self._open_quick_add_after(None, scene_pos)

    def open_quick_add_at(self, scene_pos: QPointF) -> None:
        """Quick-add for a node at `scene_pos`, after nothing (the canvas menu's Add here)."""
        self._open_quick_add_after(None, scene_pos)

    def _open_quick_add_after(self, src: str | None, scene_pos: QPointF) -> None:
        """Open the popup at `scene_pos` for a node connected after `src` (if given);
        only layers that take an input are offered then."""
        self._quick_add_at, self._quick_add_after = scene_pos, src
        if src is not None:
            self.controller.connect_gesture.park(src, scene_pos)
        corner = self.view.viewport().mapToGlobal(self.view.mapFromScene(scene_pos))
        self.quick_add.popup_at(corner, None if src is None else takes_input)

    def _quick_add_chosen(self, layer_type: str) -> None:
        self.layer_usage.record(layer_type)
        if self._quick_add_after is None:
            self.controller.add_node(layer_type, self._quick_add_at)
        else:
            self.controller.add_after(layer_type, self._quick_add_after, self._quick_add_at)

    def _add_from_palette(self, layer_type: str) -> None:
        """A palette double-click: the layer beside the selection, else at the cursor
        over the canvas, else mid-canvas (off other nodes each time)."""
        self.layer_usage.record(layer_type)
        self.controller.add_node(layer_type, self._palette_spot())

    def _add_library_block(self, path: str) -> None:
        """A block library entry double-clicked: placed as a palette layer."""
        self.controller.blocks.add_from_library(Path(path), self._palette_spot())

    def _palette_spot(self) -> QPointF:
        """Where a double-clicked palette entry goes (see `_add_from_palette`)."""
        selected = self.scene.selected_node_ids()
        port = self.view.viewport()
        if selected:
            return self.controller.beside(selected[-1])
        if self.view.has_cursor():
            return self.view.mapToScene(port.mapFromGlobal(QCursor.pos()))
        return self.view.mapToScene(port.rect().center())

    def _list_blocks(self) -> None:
        self.palette_.set_definitions(self.document.graph.blocks.names())

    # --------------------------------------------------------------- files

    def maybe_save(self) -> bool:
        """True when the current work may be dropped (saved, discarded or unchanged)."""
        if not self.document.unsaved:
            return True
        answer = self.prompts.save_changes(self.document.display_name())
        if answer == CANCEL:
            return False
        return self.save() if answer == SAVE else True

    def new_document(self, g: ModelGraph | None = None) -> bool:
        if not self.maybe_save():
            return False
        self.set_document(Document(g or ModelGraph(), None, self.autosave_folder))
        return True

    def new_from_template(self, path: Path) -> bool:
        """An untitled document with a copy of the template `path`."""
        try:
            g = load(path)
        except GraphError as e:
            self.prompts.error("Cannot open the template", str(e))
            return False
        return self.new_document(g)

    def open_file(self, path: Path | None = None) -> bool:
        path = path or self.prompts.open_path("Open graph", GRAPH_FILTER)
        if path is None or not self.maybe_save():
            return False
        try:
            document = Document.open(path, self.autosave_folder)
        except GraphError as e:
            self.prompts.error("Cannot open the file", str(e))
            return False
        self.set_document(document)
        self._remember_recent(path)
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        path = self.prompts.save_path("Save graph as", GRAPH_FILTER, self._suggested(".graph.json"))
        if path is None:
            return False
        if not path.name.endswith(".graph.json"):
            path = path.with_name(path.name + ".graph.json")
        return self._save_to(path)

    def _save_to(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except GraphError as e:
            self.prompts.error("Cannot save", str(e))
            return False
        self.training.graph_file = path  # where its weights sidecar now lies
        self._remember_recent(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def recent_files(self) -> list[Path]:
        return [Path(p) for p in self.settings.value("recent_files", [], list) if p]

    def _remember_recent(self, path: Path) -> None:
        path = Path(path).resolve()
        paths = [path, *(p for p in self.recent_files() if p != path)][:MAX_RECENT]
        self.settings.setValue("recent_files", [str(p) for p in paths])

    def autosave(self) -> bool:
        """Copy unsaved work aside; False (and a status message) when that failed."""
        try:
            self.document.autosave()
        except (GraphError, OSError) as e:  # a full disk must not take the session down
            self.statusBar().showMessage(f"Autosave failed: {e}", 8000)
            return False
        return True

    def offer_recovery(self) -> bool:
        """Offer back work left by a crashed session; True if a document was recovered.

        A recovered document is autosaved at once, and the crashed copy removed only
        once that copy is written: a second crash before the next timer tick must not
        lose the work again."""
        if self.autosave_folder is None:
            return False
        for autosaved in orphans(self.autosave_folder):
            if not self.prompts.recover(autosaved):
                autosaved.discard()
                continue
            try:
                g = autosaved.load()
            except GraphError as e:
                self.prompts.error("Cannot recover", str(e))
                continue
            document = Document(g, autosaved.original, self.autosave_folder)
            self.set_document(document)
            document.mark_recovered()
            if self.autosave():
                autosaved.discard()
            return True
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self.settings.setValue("layout_size", self.size())
        self.settings.setValue("theme", self.theme)
        self._autosave_timer.stop()
        self.training.shutdown()
        for job in self.jobs:
            job.wait()
        self.document.level_changed.disconnect(self._show_level)
        self.document.close()
        self.inspector.set_graph(None)
        self._release(self.scene)
        event.accept()

    def _restore_layout(self) -> None:
        geometry = self.settings.value("geometry")
        state = self.settings.value("window_state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        if isinstance(state, QByteArray):
            self.restoreState(state)
            # The docks were laid out for the size the window had when it closed; the
            # geometry may come back clamped to a smaller screen, and the next resize
            # then fits them to it.
            laid_for = self.settings.value("layout_size")
            self.dock_fit.settled(laid_for if isinstance(laid_for, QSize) else self.size())
        else:
            self.dock_fit.roomy()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.dock_fit.fit(event.size())

    # -------------------------------------------------------- import/export

    def import_keras(self, path: Path | None = None) -> bool:
        """A `.keras` model as a new untitled graph (checked before Keras loads it)."""
        path = path or self.prompts.open_path("Import a Keras model", "Keras model (*.keras)")
        if path is None:
            return False
        from codegen import import_keras_model

        try:
            g, notes = import_keras_model(path)
        except GraphError as e:
            self.prompts.error("Cannot import", str(e))
            return False
        if not self.new_document(g):
            return False
        if notes:
            self.prompts.info("Imported with notes", "\n".join(notes))
        return True

    def export(self, target: str, path: Path | None = None) -> Job | None:
        """Export to `target` (see studio.exporting.TARGETS) in the background."""
        spec = TARGETS[target]
        g = self.document.graph
        path = path or self.prompts.save_path(
            f"Export {spec.title}", spec.file_filter, self._suggested(spec.suffix)
        )
        if path is None:
            return None
        path = with_suffix(path, target)
        if target == "onnx":
            problems = self.controller.check_export()  # marks the nodes on the canvas
            if problems:
                reasons = "\n".join(p.message for p in problems)
                self.prompts.error("Cannot export to ONNX", f"Marked on the canvas:\n{reasons}")
                return None
        snapshot, graph_file = loads(dumps(g)), self.document.path
        trusted = frozenset(self.training.trusted)  # what the user trusted for a run
        job = Job(
            f"Export to {spec.title}",
            lambda: export_graph(snapshot, path, target, graph_file, trusted),
            self,
        )
        job.succeeded.connect(partial(self._exported, path))
        job.failed.connect(lambda message: self.prompts.error("Export failed", message))
        job.finished.connect(lambda: self.jobs.remove(job))
        self.jobs.append(job)
        self.statusBar().showMessage(f"{job.title}...")
        job.start()
        return job

    def export_trained(self, target: str, path: Path | None = None) -> Job | None:
        """The training panel's trained model as 'keras' or 'onnx', named like File > Export."""
        spec = TARGETS[target]
        path = path or self.prompts.save_path(
            f"Export trained model: {spec.title}", spec.file_filter, self._suggested(spec.suffix)
        )
        return self.training.export_model(target, path) if path is not None else None

    def keep_trained_weights(self) -> Job | None:
        """Keep the training panel's trained weights in the graph, once the user
        confirmed: its sidecar rewritten in the background, then the graph file saved
        with the new record (as `kgs train --update-weights`; not an undoable edit, as
        the old weights are gone from the sidecar). None when nothing is written."""
        path = self.document.path
        if self.training.result is None:
            return None
        if path is None:
            self.prompts.error(
                "Cannot keep the trained weights",
                "The graph has no file yet: save it first, its weights go beside it.",
            )
            return None
        question = self.training.keep_weights_question(path)
        if not self.prompts.confirm("Keep the trained weights", question):
            return None
        job = self.training.write_trained_weights(path)
        job.succeeded.connect(partial(self._weights_written, self.document, path))
        job.failed.connect(
            lambda message: self.prompts.error("Cannot keep the trained weights", message)
        )
        return job

    def _weights_written(self, document: Document, path: Path, record: WeightsRecord) -> None:
        """The sidecar beside `path` now holds the trained weights: record them in the
        graph file, so that the two match again. The document's unsaved edits are saved
        with them; a document closed meanwhile has its saved file updated instead."""
        if self.document is document:
            self.document.graph.weights = record
            self._save_to(path)
            return
        try:
            g = load(path)
            g.weights = record
            save(g, path)
        except GraphError as e:
            self.prompts.error("Cannot keep the trained weights", str(e))

    def _exported(self, path: Path, message: str) -> None:
        self.statusBar().showMessage(message, 10000)
        self.prompts.exported(message, path)

    def export_image(self, path: Path | None = None) -> bool:
        """The canvas as PNG or SVG (by the file's suffix)."""
        file_filter = "PNG image (*.png);;SVG drawing (*.svg)"
        path = path or self.prompts.save_path("Export canvas", file_filter, self._suggested(".png"))
        if path is None:
            return False
        if path.suffix.lower() not in (".png", ".svg"):
            path = path.with_name(path.name + ".png")
        draw = render.render_svg if path.suffix.lower() == ".svg" else render.render_png
        draw(self.scene, path)
        self.statusBar().showMessage(f"Wrote {path}", 5000)
        return True

    # --------------------------------------------------------------- view

    def set_theme(self, name: str) -> None:
        self.theme = name
        self.style_ = apply_theme(QApplication.instance(), name)
        self.scene.set_style(self.style_)
        self.code.set_colors(CODE_COLORS[name])
        self._theme_panels()
        self._on_validated(self.report)
        self.comparison.refresh()  # its marks and rows in the theme's colours
        self.settings.setValue("theme", name)

    def set_layout_direction(self, direction: Direction) -> None:
        """Lay the graph out in `direction` ("LR", "TB") now and from now on (remembered)."""
        self.layout_direction = direction
        self.settings.setValue("layout_direction", direction)
        for name in DIRECTIONS:
            self.actions_[f"direction:{name}"].setChecked(name == direction)
        self.controller.auto_layout(direction)

    def _theme_panels(self) -> None:
        """Give the panels that show problems the theme's severity colours."""
        for panel in (self.problems, self.summary, self.inspector):
            panel.set_theme(self.theme)
