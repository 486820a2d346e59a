"""The drag payloads of a layer type and of a block library entry, shared by the
palette (drag source) and the canvas (drop target), so neither needs to know the other."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData

#: MIME type of a dragged layer type; the payload is the type name in UTF-8.
LAYER_MIME = "application/x-kgs-layer-type"
#: MIME type of a dragged block library entry; the payload is its file's path in UTF-8.
LIBRARY_MIME = "application/x-kgs-library-block"


def layer_mime_data(layer_type: str) -> QMimeData:
    """The QMimeData a palette drag carries for `layer_type`."""
    data = QMimeData()
    data.setData(LAYER_MIME, layer_type.encode())
    data.setText(layer_type)
    return data


def dropped_layer_type(data: QMimeData) -> str | None:
    """The layer type a drop carries, or None if the drop is not a layer."""
    if not data.hasFormat(LAYER_MIME):
        return None
    return bytes(data.data(LAYER_MIME).data()).decode() or None


def library_mime_data(path: Path) -> QMimeData:
    """The QMimeData a palette drag carries for the block library entry at `path`."""
    data = QMimeData()
    data.setData(LIBRARY_MIME, str(path).encode())
    data.setText(path.name)
    return data


def dropped_library_block(data: QMimeData) -> Path | None:
    """The block library file a drop carries, or None if the drop is not one."""
    if not data.hasFormat(LIBRARY_MIME):
        return None
    text = bytes(data.data(LIBRARY_MIME).data()).decode()
    return Path(text) if text else None
