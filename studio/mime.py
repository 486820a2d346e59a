"""The drag payload of a layer type, shared by the palette (drag source) and the canvas
(drop target), so neither needs to know the other."""

from __future__ import annotations

from PySide6.QtCore import QMimeData

#: MIME type of a dragged layer type; the payload is the type name in UTF-8.
LAYER_MIME = "application/x-kgs-layer-type"


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
