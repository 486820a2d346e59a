"""The canvas's block actions: Group into block, Ungroup, Make unique, Repeat, Group
by names, and renaming and removing a definition, each one undo step.

They act on the graph the canvas shows (the model, or a body it entered) and its
selection; what they need to be told (a name, a count) the window asks first
(studio.block_menu). A refused action changes nothing and says why through the
controller's `refused`, as every canvas edit does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF

from codegen.layout import relaid
from graph import GraphEditError, GraphFileError, ModelGraph
from graph.block_edit import group_into_block, make_unique, remove_block, repeat, ungroup
from graph.block_library import add_definition, load_library_block
from graph.blocks import BlockSpec
from graph.grouping import group_by_names
from studio.document.block_commands import RenameBlock, Restructure
from studio.document.commands import GraphCommand, push_checked

if TYPE_CHECKING:
    from studio.canvas.controller import CanvasController


class BlockActions:
    """Block edits of `controller`'s graph through its undo stack."""

    def __init__(self, controller: CanvasController) -> None:
        self._controller = controller

    @property
    def graph(self) -> ModelGraph:
        return self._controller.graph

    def selected_use(self) -> str | None:
        """The one selected node, when it is a block use."""
        selected = self._controller.scene.selected_node_ids()
        if len(selected) == 1 and isinstance(self.graph.spec(selected[0]), BlockSpec):
            return selected[0]
        return None

    def group(self, name: str | None = None) -> str | None:
        """Group the selection into a new block `name`; returns the use, selected."""
        selected = self._controller.scene.selected_node_ids()
        use = self._restructure(
            f"Group {len(selected)} nodes into a block",
            lambda g: group_into_block(g, selected, name),
        )
        if use is not None:
            self._controller.scene.select_nodes([use])
        return use

    def ungroup(self) -> list[str] | None:
        """Inline the selected use; returns its layers' nodes, selected."""
        use = self._use("ungroup")
        if use is None:
            return None
        label = self.graph.layer(use).name
        made = self._restructure(f"Ungroup '{label}'", lambda g: ungroup(g, use))
        if made is not None:
            self._controller.scene.select_nodes(made)
        return made

    def make_unique(self) -> str | None:
        """Give the selected use a definition of its own; returns its name."""
        use = self._use("make its definition unique")
        if use is None:
            return None
        label = self.graph.layer(use).name
        return self._restructure(f"Make '{label}' unique", lambda g: make_unique(g, use))

    def repeat(self, count: int) -> list[str] | None:
        """Make the selected use the first of a chain of `count` uses, the chain and
        what follows it laid out afresh (codegen.layout.relaid) in the same step."""
        use = self._use("repeat")
        if use is None:
            return None
        label = self.graph.layer(use).name
        scene = self._controller.scene
        sizes, direction = scene.node_sizes(), scene.direction

        def repeat_and_lay_out(g: ModelGraph) -> list[str]:
            chain = repeat(g, use, count)
            sizes.update((node, sizes[use]) for node in chain)  # uses of one block
            after = _fed_by(g, chain[-1])
            for node, pos in relaid(g, [*chain, *after], direction, sizes).items():
                g.move(node, pos)
            return chain

        return self._restructure(f"Repeat '{label}' {count} times", repeat_and_lay_out)

    def add_from_library(self, path: Path, scene_pos: QPointF) -> str | None:
        """Add a use of the block library entry at `path` at `scene_pos` (as a layer
        from the palette), its definition copied into the file with the ones it needs
        (graph.block_library), as one step; returns the use, selected."""
        try:
            entry = load_library_block(path)
        except GraphFileError as e:
            self._controller.refused.emit(str(e))
            return None
        name = entry.name
        pos = self._controller.spot_for(entry.blocks.spec(name), scene_pos)
        use = self._restructure(
            f"Add block '{name}' from the library",
            lambda g: g.add_node(add_definition(g, entry, name), pos=pos),
        )
        if use is not None:
            self._controller.scene.select_nodes([use])
        return use

    def group_by_names(self) -> str | None:
        """Group the selection (or, with none, the whole graph) by name scope;
        returns what was grouped, in words (nothing pushed when nothing was)."""
        selected = self._controller.scene.selected_node_ids() or None
        grouping = self._restructure(
            "Group by names", lambda g: _grouped_or_refused(group_by_names(g, selected))
        )
        return None if grouping is None else grouping.summary()

    def rename_block(self, top: ModelGraph, old: str, new: str) -> bool:
        """Rename definition `old` of the model `top`; every use follows."""
        return self._push(RenameBlock(top, old, new))

    def remove_block(self, top: ModelGraph, name: str) -> bool:
        """Remove definition `name` of the model `top` (refused while it is used)."""
        command = Restructure(top, f"Remove block '{name}'", lambda g: remove_block(g, name))
        return self._push(command)

    # ------------------------------------------------------------ helpers

    def _use(self, doing: str) -> str | None:
        use = self.selected_use()
        if use is None:
            self._controller.refused.emit(f"select one block use to {doing}")
        return use

    def _restructure(self, text: str, edit: Callable[[ModelGraph], Any]) -> Any:
        command = Restructure(self.graph, text, edit, self._controller.scene.batch)
        return command.result if self._push(command) else None

    def _push(self, command: GraphCommand) -> bool:
        try:
            push_checked(self._controller.stack, command)
        except GraphEditError as e:
            self._controller.refused.emit(str(e))
            return False
        return True


def _fed_by(g: ModelGraph, node: str) -> list[str]:
    """Every node `node` feeds, directly or not, in graph order."""
    reach: set[str] = set()
    todo = [node]
    while todo:
        fresh = {dst for dst, _ in g.out_edges(todo.pop())} - reach
        reach |= fresh
        todo += fresh
    return [n for n in g.node_ids() if n in reach]


def _grouped_or_refused(grouping):
    """`grouping`, or a refusal when it grouped nothing (nothing to undo then)."""
    if not grouping.uses:
        raise GraphEditError(grouping.summary())
    return grouping
