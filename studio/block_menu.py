"""The Block menu: the window asks what a block action needs (a name, a count, which
definition) through its prompts, then the canvas's block actions do it
(studio.canvas.block_actions); the node right-click menu offers the same actions.

The user's block library (graph.block_library) lives in a folder kept in the
window's settings (`LIBRARY_KEY`; by default `blocks` in the app's data folder):
Save block to library writes a definition there, Block library folder... changes
it, and the palette lists its entries (`refresh_palette_blocks`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from graph import GraphFileError
from graph.block_library import SUFFIX, read_library, save_to_library
from graph.grouping import free_block_name

if TYPE_CHECKING:
    from studio.mainwindow import MainWindow

#: The most uses Repeat makes in one step.
MOST_REPEATS = 1000


def install_block_menu(w: MainWindow, add: Callable[..., QAction]) -> None:
    """The Block menu's entries, added to the window's menu bar with `add`."""
    block = w.menuBar().addMenu("&Block")
    add(block, "group_block", "&Group into block...", lambda: group(w))
    add(block, "ungroup_block", "&Ungroup", lambda: w.controller.blocks.ungroup())
    add(block, "make_unique", "Make &unique", lambda: w.controller.blocks.make_unique())
    add(block, "repeat_block", "&Repeat...", lambda: repeat(w))
    add(block, "group_by_names", "Group by &names", lambda: group_by_names(w))
    block.addSeparator()
    add(block, "rename_block", "Rena&me block definition...", lambda: rename(w))
    add(block, "remove_block", "Re&move block definition...", lambda: remove(w))
    block.addSeparator()
    add(block, "save_block_library", "&Save block to library...", lambda: save_to_lib(w))
    add(block, "block_library_folder", "Block &library folder...", lambda: choose_folder(w))


def add_block_entries(w: MainWindow, menu: QMenu) -> None:
    """The block actions that fit the selection, for a node's right-click menu."""
    a = w.actions_
    menu.addAction(a["group_block"])
    if w.controller.blocks.selected_use() is not None:
        menu.addActions([a["ungroup_block"], a["make_unique"], a["repeat_block"]])
        menu.addAction(a["save_block_library"])


def group(w: MainWindow) -> None:
    """Group the selection into a block named as the user says."""
    if not w.scene.selected_node_ids():
        w.show_refusal("select the nodes to group into a block")
        return
    suggested = free_block_name("block", set(w.document.graph.blocks.names()))
    name = w.prompts.text("Group into block", "Name of the new block:", suggested)
    if name:
        w.controller.blocks.group(name)


def repeat(w: MainWindow) -> None:
    """Make the selected use the first of a chain of as many uses as the user says."""
    if w.controller.blocks.selected_use() is None:
        w.show_refusal("select one block use to repeat")
        return
    count = w.prompts.number("Repeat block", "Uses in the chain:", 2, 2, MOST_REPEATS)
    if count is not None:
        w.controller.blocks.repeat(count)


def group_by_names(w: MainWindow) -> None:
    """Group the selection, or the whole graph, by name scope; say what was grouped."""
    done = w.controller.blocks.group_by_names()
    if done is not None:
        w.statusBar().showMessage(done, 8000)


def rename(w: MainWindow) -> None:
    """Rename a definition: the selected use's, else one the user picks."""
    old = _definition(w, "Rename block definition")
    if old is None:
        return
    new = w.prompts.text("Rename block definition", f"New name of block '{old}':", old)
    if new and new != old:
        w.controller.blocks.rename_block(w.document.graph, old, new)


def remove(w: MainWindow) -> None:
    """Remove a definition the user picks (refused while it is used)."""
    name = _definition(w, "Remove block definition")
    if name is not None:
        w.controller.blocks.remove_block(w.document.graph, name)


def _definition(w: MainWindow, title: str) -> str | None:
    """The selected use's definition, else the one the user picks from the model's."""
    use = w.controller.blocks.selected_use()
    if use is not None:
        return w.controller.graph.layer(use).type
    names = w.document.graph.blocks.names()
    if not names:
        w.show_refusal("the model has no block definitions")
        return None
    return w.prompts.choice(title, "Block definition:", names)


#: The settings key of the block library's folder.
LIBRARY_KEY = "block_library"


def library_folder(w: MainWindow) -> Path:
    """The block library's folder, from the window's settings."""
    saved = w.settings.value(LIBRARY_KEY)
    if saved:
        return Path(str(saved))
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "blocks"


def refresh_palette_blocks(w: MainWindow) -> None:
    """List the file's definitions and the library's entries in the palette; a
    library file that cannot be read is named in the status bar."""
    w.palette_.set_definitions(w.document.graph.blocks.names())
    library = read_library(library_folder(w))
    w.palette_.set_library(library.blocks)
    if library.problems:
        w.statusBar().showMessage("; ".join(library.problems), 8000)


def save_to_lib(w: MainWindow) -> None:
    """Write a definition (the selected use's, else one the user picks) to the
    library, asking before replacing an entry of that name."""
    name = _definition(w, "Save block to library")
    if name is None:
        return
    folder = library_folder(w)
    existing = folder / f"{name}{SUFFIX}"
    if existing.exists() and not w.prompts.confirm(
        "Save block to library", f"The library has a block '{name}' already. Replace it?"
    ):
        return
    try:
        path = save_to_library(w.document.graph, name, folder)
    except GraphFileError as e:
        w.prompts.error("Save block to library", str(e))
        return
    refresh_palette_blocks(w)
    w.statusBar().showMessage(f"Saved block '{name}' to {path}", 8000)


def choose_folder(w: MainWindow) -> None:
    """Let the user name the library's folder, kept in the settings."""
    folder = w.prompts.folder("Block library folder", library_folder(w))
    if folder is not None:
        w.settings.setValue(LIBRARY_KEY, str(folder))
        refresh_palette_blocks(w)
