"""Copied nodes on the clipboard: a selection as a small graph file, and back.

The payload is the selection written in the graph file format (its nodes, the
connections among them, call sites of one layer as "shares"), under its own MIME type
and also as plain text. Pasting parses it with `graph.loads`, which only reads data
and names the bad field of a malformed payload, like opening a file.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterable

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from graph import GraphFileError, ModelGraph, dumps, loads
from graph.fileformat import MAX_BYTES

#: MIME type of copied nodes; the payload is graph file text in UTF-8.
NODES_MIME = "application/x-kgs-nodes"


def subgraph(g: ModelGraph, node_ids: Iterable[str]) -> ModelGraph:
    """The nodes `node_ids` of `g` with the connections among them, as a new graph.

    Their layers keep names and params; call sites of one layer among them stay call
    sites of one (new) layer; each connection keeps the output of its source it takes
    (a block use has several), and the part shares `g`'s block definitions (so its
    uses are uses, and its text carries their definitions). Raises the graph's error
    for what `g` holds but a checked edit refuses (a loaded file's unknown type or bad
    param).
    """
    chosen = set(node_ids)
    part = ModelGraph(g.name, blocks=g.blocks)
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
        copied[node_id] = part.add_node(
            layer.type, name=layer.name, params=layer.params, pos=node.pos
        )
        first_call[node.layer_id] = copied[node_id]
    for src, dst, port, output in g.connections():
        if src in chosen and dst in chosen:
            part.connect(copied[src], copied[dst], port, output)
    return part


def put_on_clipboard(part: ModelGraph) -> None:
    """Put copied nodes (see `subgraph`) on the application's clipboard."""
    text = dumps(part)
    data = QMimeData()
    data.setData(NODES_MIME, text.encode())
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


def pasted_nodes(data: QMimeData | None) -> ModelGraph | None:
    """The copied nodes a clipboard payload holds, or None if it holds none.

    Raises GraphFileError naming the bad field when the payload is malformed.
    """
    if data is None or not data.hasFormat(NODES_MIME):
        return None
    raw = bytes(data.data(NODES_MIME).data())
    if len(raw) > MAX_BYTES:
        raise GraphFileError("clipboard", f"larger than {MAX_BYTES // 2**20} MiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise GraphFileError("clipboard", f"not UTF-8 text (byte {e.start})") from None
    return loads(text, "clipboard")
