"""The window's menus, toolbar and keyboard shortcuts.

Each menu entry names what the user sees (text, icon) and what it calls; every
shortcut is in one table, `SHORTCUTS`, by action name. Canvas commands go to the
window's current controller at the time they run (documents come and go).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu

from graph.blocks import BlockSpec
from studio.block_menu import add_block_entries, install_block_menu
from studio.canvas.clipboard import has_nodes
from studio.canvas.heat import HEAT_MODES
from studio.exporting import TARGETS
from studio.icons import icon
from studio.panels.layer_search import takes_input
from studio.panels.problems_panel import add_fix_actions
from studio.templates import TEMPLATES
from studio.theme import THEMES

if TYPE_CHECKING:
    from studio.mainwindow import MainWindow

Keys = QKeySequence.StandardKey

#: Every keyboard shortcut, by action name (standard keys follow the platform).
SHORTCUTS: dict[str, tuple[str | Keys, ...]] = {
    "new": (Keys.New,),
    "open": (Keys.Open,),
    "save": (Keys.Save,),
    "save_as": (Keys.SaveAs,),
    "import": ("Ctrl+I",),
    "export:image": ("Ctrl+E",),
    # Not Keys.Quit: it is empty on Linux unless the desktop's theme defines it.
    "quit": ("Ctrl+Q",),
    "undo": (Keys.Undo,),
    "redo": ("Ctrl+Shift+Z", "Ctrl+Y"),
    "copy": (Keys.Copy,),
    "paste": (Keys.Paste,),
    "duplicate": ("Ctrl+D",),
    "duplicate_with_inputs": ("Ctrl+Alt+D",),
    "delete": ("Delete", "Backspace"),
    "delete_reconnect": ("Ctrl+Delete",),
    "select_all": (Keys.SelectAll,),
    "call_again": ("Ctrl+Shift+D",),
    "toggle_output": ("Ctrl+Shift+O",),
    "check_export": ("Ctrl+Shift+E",),
    "train": ("Ctrl+T",),
    "rename": ("F2",),
    "zoom_in": ("Ctrl+=", "Ctrl++"),
    "zoom_out": ("Ctrl+-",),
    "fit": ("Ctrl+0",),
    # A bare key: line edits take typed letters first (Qt's shortcut override).
    "frame_selection": ("F",),
    "layout": ("Ctrl+Shift+L",),
    # Escape on the canvas backs out too (studio/canvas/view.py: a connection drag
    # takes it first).
    "enter_block": ("Alt+Down",),
    "leave_block": ("Alt+Up",),
    "group_block": ("Ctrl+G",),
    "ungroup_block": ("Ctrl+Shift+G",),
}


#: The View > Layout direction choices, by codegen.layout direction.
DIRECTION_TITLES = {"LR": "&Left to right", "TB": "&Top to bottom"}


def shortcuts_of(name: str) -> list[QKeySequence]:
    """The key sequences of action `name` (none if it has no shortcut)."""
    return [QKeySequence(k) for k in SHORTCUTS.get(name, ())]


def install_menus(w: MainWindow) -> dict[str, QAction]:
    """Build the menu bar and toolbar of `w`; return its actions by name."""
    actions: dict[str, QAction] = {}

    def add(menu: QMenu, name: str, text: str, slot: Callable[[], object], icon_name=None):
        action = QAction(text, w)
        if icon_name:
            action.setIcon(icon(icon_name))
        action.setShortcuts(shortcuts_of(name))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        actions[name] = action
        return action

    def canvas(method: str) -> Callable[[], object]:
        return lambda: getattr(w.controller, method)()

    file = w.menuBar().addMenu("&File")
    add(file, "new", "&New", w.new_document, "new")
    templates = file.addMenu("New from &template")
    for template in TEMPLATES:
        add(
            templates,
            "template:" + template.path.name.removesuffix(".graph.json"),
            template.title,
            partial(w.new_from_template, template.path),
        )
    add(file, "open", "&Open...", w.open_file, "open")
    recent = file.addMenu("Open &recent")
    recent.aboutToShow.connect(partial(_fill_recent, w, recent))
    add(file, "save", "&Save", w.save, "save")
    add(file, "save_as", "Save &as...", w.save_as)
    file.addSeparator()
    add(file, "compare", "Co&mpare with...", lambda: w.comparison.with_file())
    add(file, "compare_saved", "Compare with sa&ved version", w.comparison.with_saved)
    file.addSeparator()
    add(file, "import", "&Import Keras model...", w.import_keras, "import")
    export = file.addMenu(icon("export"), "&Export")
    for target, spec in TARGETS.items():
        add(export, f"export:{target}", spec.title + "...", partial(w.export, target))
    add(export, "export:image", "Canvas as PNG or SVG...", w.export_image)
    file.addSeparator()
    add(file, "quit", "&Quit", w.close)

    edit = w.menuBar().addMenu("&Edit")
    undo = w.undo_group.createUndoAction(w, "&Undo")
    redo = w.undo_group.createRedoAction(w, "&Redo")
    undo.setShortcuts(shortcuts_of("undo"))
    redo.setShortcuts(shortcuts_of("redo"))
    undo.setIcon(icon("undo"))
    redo.setIcon(icon("redo"))
    edit.addActions([undo, redo])
    actions.update(undo=undo, redo=redo)
    edit.addSeparator()
    add(edit, "copy", "&Copy", canvas("copy"), "copy")
    add(edit, "paste", "&Paste", canvas("paste"), "paste")
    add(edit, "duplicate", "D&uplicate", canvas("duplicate"))
    add(edit, "duplicate_with_inputs", "Duplicate &with inputs", canvas("duplicate_with_inputs"))
    add(edit, "delete", "&Delete", canvas("delete_selection"), "delete")
    add(edit, "delete_reconnect", "Delete and reco&nnect", canvas("delete_and_reconnect"))
    add(edit, "select_all", "Select &all", canvas("select_all"))
    add(edit, "rename", "&Rename / inspect", w.inspect_selected)

    model = w.menuBar().addMenu("&Model")
    add(model, "call_again", "&Call again (shared layer)", canvas("call_again"), "call_again")
    add(model, "toggle_output", "Toggle model &output", canvas("toggle_output"), "output")
    add(model, "freeze_upstream", "&Freeze up to here", canvas("freeze_upstream"))
    add(model, "unfreeze_all", "&Unfreeze all", canvas("unfreeze_all"))
    add(model, "check_export", "Check &ONNX export readiness", canvas("check_export"), "check")
    model.addSeparator()
    add(model, "train", "&Train...", w.show_training)

    install_block_menu(w, add)

    view = w.menuBar().addMenu("&View")
    add(view, "zoom_in", "Zoom &in", lambda: w.view.zoom_in())
    add(view, "zoom_out", "Zoom &out", lambda: w.view.zoom_out())
    add(view, "fit", "Zoom to &fit", lambda: w.view.fit(), "fit")
    view.addSeparator()
    add(view, "enter_block", "&Enter block", w.enter_selected)
    add(view, "leave_block", "&Back out of block", w.leave_use)
    add(view, "frame_selection", "F&rame selection", lambda: w.view.frame_selection())
    add(view, "layout", "Auto &layout", canvas("auto_layout"), "layout")
    directions = view.addMenu("Layout &direction")
    _add_choices(
        w,
        directions,
        add,
        "direction",
        DIRECTION_TITLES,
        w.layout_direction,
        w.set_layout_direction,
    )
    view.addSeparator()
    themes = view.addMenu("&Theme")
    titles = {name: name.capitalize() for name in THEMES}
    _add_choices(w, themes, add, "theme", titles, w.theme, w.set_theme)
    _add_cost_entries(w, view, add)
    view.addSeparator()
    for dock in w.docks.values():
        view.addAction(dock.toggleViewAction())

    toolbar = w.addToolBar("Main")
    toolbar.setObjectName("toolbar-main")
    for name in (
        "new",
        "open",
        "save",
        "undo",
        "redo",
        "delete",
        "fit",
        "layout",
        "call_again",
        "check_export",
    ):
        toolbar.addAction(actions[name])
    return actions


def _add_cost_entries(w: MainWindow, view: QMenu, add: Callable[..., QAction]) -> None:
    """View > Cost on nodes (a toggle) and View > Heat (off, MACs, memory), both
    remembered by the window's cost display."""
    costs = w.cost_display
    line = add(view, "cost_line", "&Cost on nodes", lambda: costs.set_line(line.isChecked()))
    line.setCheckable(True)
    line.setChecked(costs.line)
    heat = view.addMenu("&Heat")
    _add_choices(w, heat, add, "heat", HEAT_MODES, costs.heat, costs.set_heat)


def _add_choices(
    w: MainWindow,
    menu: QMenu,
    add: Callable[..., QAction],
    prefix: str,
    titles: Mapping[str, str],
    current: str,
    choose: Callable[[str], None],
) -> None:
    """One checkable action per choice in `menu` (named `prefix:choice`), of which
    one is checked (`current`); triggering one calls `choose(choice)`."""
    group = QActionGroup(w)
    for choice, text in titles.items():
        action = add(menu, f"{prefix}:{choice}", text, partial(choose, choice))
        action.setCheckable(True)
        action.setChecked(choice == current)
        group.addAction(action)


def context_menu(w: MainWindow, scene_pos: QPointF) -> QMenu:
    """The right-click menu for what is at `scene_pos` on the canvas, made of the
    window's actions (they act on the selection, which the click has set): a node's
    edits, its block actions (studio.block_menu), Freeze up to here and Unfreeze all,
    and the quick fixes of its errors, an
    edge's Delete, or the empty canvas's Add here, Paste, Fit and Layout."""
    menu = QMenu(w)
    node, edge = w.scene.node_at(scene_pos), w.scene.edge_at(scene_pos)
    a = w.actions_
    if node is not None:
        if isinstance(w.scene.graph.spec(node), BlockSpec):
            menu.addAction(a["enter_block"])
            menu.addSeparator()
        menu.addActions([a["copy"], a["duplicate"]])
        if w.controller.incoming(w.scene.selected_node_ids()):
            menu.addAction(a["duplicate_with_inputs"])
        menu.addAction(a["delete"])
        if w.controller.reconnectable():
            menu.addAction(a["delete_reconnect"])
        menu.addSeparator()
        spec = w.scene.graph.spec(node)
        if spec is None or takes_input(spec):  # an Input cannot be called again
            menu.addAction(a["call_again"])
        menu.addActions([a["toggle_output"], a["rename"]])
        menu.addSeparator()
        add_block_entries(w, menu)
        menu.addSeparator()
        menu.addActions([a["freeze_upstream"], a["unfreeze_all"]])
        fixes = w.controller.fixes_for(node)
        if fixes:
            menu.addSeparator()
            add_fix_actions(menu, fixes, w.controller.apply_fix)
    elif edge is not None:
        menu.addAction(a["delete"])
    else:
        here = menu.addAction("&Add layer here...")
        here.triggered.connect(lambda: w.open_quick_add_at(scene_pos))
        if has_nodes():  # at the click, not beside the selection the click kept
            paste = menu.addAction(a["paste"].icon(), "&Paste here")
            paste.triggered.connect(lambda: w.controller.paste(scene_pos))
        menu.addSeparator()
        menu.addActions([a["fit"], a["layout"]])
    return menu


def _fill_recent(w: MainWindow, menu: QMenu) -> None:
    menu.clear()
    paths = w.recent_files()
    for path in paths:
        action = menu.addAction(str(path))
        action.triggered.connect(partial(_open_recent, w, path))
    if not paths:
        menu.addAction("No recent files").setEnabled(False)


def _open_recent(w: MainWindow, path: Path) -> None:
    w.open_file(path)
