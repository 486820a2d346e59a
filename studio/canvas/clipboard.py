"""Copied nodes on the clipboard: a selection as a small graph file, and back.

The payload is the selection written in the graph file format (its nodes, the
connections among them, call sites of one layer as "shares"), under its own MIME type
and also as plain text. Pasting parses it with `graph.loads`, which only reads data
and names the bad field of a malformed payload, like opening a file.

Nodes copied inside a block's body may refer to the block's parameters
(`{"$param": "units"}`), which a graph file's top level cannot hold: the part has
each reference replaced by the parameter's default, and the params that referred
travel beside it (`Copied.refs`, a second MIME entry of JSON), so a paste into a
body that declares those parameters gets the references back.
"""

from __future__ import annotations

import atexit
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from graph import GraphFileError, ModelGraph, dumps, loads
from graph.blocks import refs_in, substitute
from graph.fileformat import MAX_BYTES
from graph.params import freeze, thaw

#: MIME type of copied nodes; the payload is graph file text in UTF-8.
NODES_MIME = "application/x-kgs-nodes"
#: MIME type of the params of copied nodes that refer to block parameters: JSON,
#: {node id in the part: {param: value with its references}}.
REFS_MIME = "application/x-kgs-node-refs"


@dataclass(frozen=True)
class Copied:
    """Copied nodes: the part (see `subgraph`) and, by its node ids, the params that
    referred to the copied body's parameters, as they were."""

    part: ModelGraph
    refs: dict[str, dict] = field(default_factory=dict)

    def params_in(self, g: ModelGraph, node_id: str) -> Mapping[str, Any]:
        """The params part's node `node_id` takes in `g`: with its references when `g`
        declares every parameter they name, else with the defaults the part has."""
        refs = self.refs.get(node_id, {})
        declared = {p.name for p in g.parameters}
        params = self.part.layer(node_id).params
        if not refs or not all(set(refs_in(value)) <= declared for value in refs.values()):
            return params
        return freeze({**thaw(params), **thaw(refs)})


def subgraph(g: ModelGraph, node_ids: Iterable[str]) -> Copied:
    """The nodes `node_ids` of `g` with the connections among them, as a new graph.

    Their layers keep names and params (references to block parameters replaced by
    the defaults, kept in `Copied.refs`); call sites of one layer among them stay call
    sites of one (new) layer; each connection keeps the output of its source it takes
    (a block use has several), and the part shares `g`'s block definitions (so its
    uses are uses, and its text carries their definitions). Raises the graph's error
    for what `g` holds but a checked edit refuses (a loaded file's unknown type or bad
    param).
    """
    chosen = set(node_ids)
    defaults = {p.name: p.default for p in g.parameters}
    part = ModelGraph(g.name, blocks=g.blocks)
    refs: dict[str, dict] = {}
    copied: dict[str, str] = {}
    first_call: dict[int, str] = {}
    for node_id in g.node_ids():
        if node_id not in chosen:
            continue
        node = g.node(node_id)
        if node.layer_id in first_call:
            copied[node_id] = part.call_again(first_call[node.layer_id], node.pos)
            continue
        layer = g.layer(node_id)
        params = {k: substitute(v, defaults) for k, v in layer.params.items()}
        copied[node_id] = part.add_node(layer.type, name=layer.name, params=params, pos=node.pos)
        first_call[node.layer_id] = copied[node_id]
        referring = {k: thaw(v) for k, v in layer.params.items() if next(refs_in(v), None)}
        if referring:
            refs[copied[node_id]] = referring
    for src, dst, port, output in g.connections():
        if src in chosen and dst in chosen:
            part.connect(copied[src], copied[dst], port, output)
    return Copied(part, refs)


def put_on_clipboard(copied: Copied) -> None:
    """Put copied nodes (see `subgraph`) on the application's clipboard."""
    text = dumps(copied.part)
    data = QMimeData()
    data.setData(NODES_MIME, text.encode())
    data.setData(REFS_MIME, json.dumps(copied.refs).encode())
    data.setText(text)
    QGuiApplication.clipboard().setMimeData(data)


@atexit.register
def _release_clipboard() -> None:
    """Take our payload off the clipboard before Python shuts down.

    Measured with PySide6 6.11.3: a QMimeData made in Python and left on the clipboard
    crashes the process at exit (segmentation fault, even offscreen) when Qt deletes it
    after the interpreter has gone; clearing it while Python runs exits cleanly.
    """
    if QGuiApplication.instance() is None:
        return
    clipboard = QGuiApplication.clipboard()
    data = clipboard.mimeData()
    if data is not None and data.hasFormat(NODES_MIME):
        clipboard.clear()


def has_nodes() -> bool:
    """Whether the clipboard holds copied nodes (Paste has something to add)."""
    data = QGuiApplication.clipboard().mimeData()
    return data is not None and data.hasFormat(NODES_MIME)


def pasted_nodes(data: QMimeData | None) -> Copied | None:
    """The copied nodes a clipboard payload holds, or None if it holds none.

    Raises GraphFileError naming the bad field when the payload is malformed.
    """
    if data is None or not data.hasFormat(NODES_MIME):
        return None
    part = loads(_text(data, NODES_MIME), "clipboard")
    if not data.hasFormat(REFS_MIME):
        return Copied(part)
    try:
        refs = json.loads(_text(data, REFS_MIME))
    except json.JSONDecodeError as e:
        raise GraphFileError("clipboard", f"references: not valid JSON: {e.msg}") from None
    if not isinstance(refs, dict) or not all(
        node_id in part and isinstance(params, dict) for node_id, params in refs.items()
    ):
        raise GraphFileError("clipboard", "references: must map the part's nodes to params")
    return Copied(part, refs)


def _text(data: QMimeData, mime: str) -> str:
    raw = bytes(data.data(mime).data())
    if len(raw) > MAX_BYTES:
        raise GraphFileError("clipboard", f"larger than {MAX_BYTES // 2**20} MiB")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise GraphFileError("clipboard", f"not UTF-8 text (byte {e.start})") from None
