"""A quick fix (graph.quick_fixes) done as one undoable step.

The fix makes its edits through an Editor; here each edit is an undo command run as
a step of one CompoundEdit, so undo takes the whole fix back and restores the file
byte for byte, as every command does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from graph import ModelGraph
from graph.model import Position
from graph.quick_fixes import QuickFix
from studio.document.commands import AddNode, Connect, Disconnect, SetParams
from studio.document.compound import CompoundEdit


class CommandEditor:
    """An Editor (see graph.quick_fixes) that does each edit as a step of `edit`."""

    def __init__(self, edit: CompoundEdit) -> None:
        self.edit = edit

    def add_node(self, layer_type: str, *, params: Mapping[str, Any], pos: Position) -> str:
        return self.edit.run(AddNode(self.edit.g, layer_type, params, pos)).node_id

    def connect(self, src: str, dst: str, port: str) -> None:
        self.edit.run(Connect(self.edit.g, src, dst, port))

    def disconnect(self, src: str, dst: str, port: str) -> None:
        self.edit.run(Disconnect(self.edit.g, src, dst, port))

    def set_params(self, node_id: str, params: Mapping[str, Any]) -> None:
        self.edit.run(SetParams(self.edit.g, node_id, params))


def fix_edit(
    g: ModelGraph, fix: QuickFix, batch: Callable[[], AbstractContextManager] = nullcontext
) -> CompoundEdit:
    """Do `fix` on `g` as one edit, named by the fix, ready to push (see
    CompoundEdit.push_to). A refused step raises with the graph left as it was."""
    edit = CompoundEdit(g, fix.description, batch)
    with batch():
        fix.apply(CommandEditor(edit))
    return edit
