"""The layer palette: every layer type by category, searchable, dragged onto the canvas.

The hand-written specs fill it at once. The Keras-backed ones need keras imported
(about 2 s), so the palette adds them just after it is first shown (a "Loading"
row stands in until then); `load_keras_layers()` does it at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from graph import LayerSpec, builtin_specs
from studio.mime import LAYER_MIME, layer_mime_data
from studio.panels.layer_search import category_key, keras_backed_layers, match_rank, search

#: Item data role holding a layer item's type name.
TYPE_ROLE = Qt.ItemDataRole.UserRole


class LayerTree(QTreeWidget):
    """Categories with their layer types; a dragged layer carries `layer_mime_data`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self._categories: dict[str, QTreeWidgetItem] = {}

    def add_specs(self, specs: Sequence[LayerSpec]) -> None:
        for spec in specs:
            item = QTreeWidgetItem([spec.type])
            item.setData(0, TYPE_ROLE, spec.type)
            item.setToolTip(0, spec.doc)
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsDragEnabled
            )
            self._category(spec.category).addChild(item)

    def layer_items(self) -> list[QTreeWidgetItem]:
        """Every layer item, in the order shown."""
        return [c.child(i) for c in self.category_items() for i in range(c.childCount())]

    def category_items(self) -> list[QTreeWidgetItem]:
        return [self.topLevelItem(i) for i in range(self.topLevelItemCount())]

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME]

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:
        types = [t for item in items if (t := item.data(0, TYPE_ROLE))]
        return layer_mime_data(types[0]) if types else QMimeData()

    def _category(self, name: str) -> QTreeWidgetItem:
        item = self._categories.get(name)
        if item is None:
            item = self._categories[name] = QTreeWidgetItem([name])
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = item.font(0)
            font.setBold(True)
            item.setFont(0, font)
            order = sorted(self._categories, key=category_key)
            self.insertTopLevelItem(order.index(name), item)
            item.setExpanded(True)
        return item


class LayerPalette(QWidget):
    """A search box over the layer tree; double-click or Enter chooses a layer."""

    #: A layer type the user chose to add (double-click, or Enter in the search box).
    layer_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search layers")
        self.search.setClearButtonEnabled(True)
        self.tree = LayerTree()
        self.tree.add_specs(builtin_specs())
        self._loading = QTreeWidgetItem(["Loading Keras layers..."])
        self._loading.setFlags(Qt.ItemFlag.NoItemFlags)
        self.tree.addTopLevelItem(self._loading)
        self._keras_loaded = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._choose_best)
        self.tree.itemActivated.connect(self._choose_item)

    def load_keras_layers(self) -> None:
        """Add the Keras-backed layer types (imports keras once); idempotent."""
        if self._keras_loaded:
            return
        self._keras_loaded = True
        self.tree.add_specs(keras_backed_layers())
        self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(self._loading))
        self._filter(self.search.text())

    def visible_types(self) -> list[str]:
        """The layer types the filter shows, in the order shown."""
        return [i.data(0, TYPE_ROLE) for i in self.tree.layer_items() if not i.isHidden()]

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._keras_loaded:
            QTimer.singleShot(0, self.load_keras_layers)  # after the first paint

    def _filter(self, text: str) -> None:
        for category in self.tree.category_items():
            if category is self._loading:
                continue
            shown = 0
            for i in range(category.childCount()):
                child = category.child(i)
                hidden = match_rank(child.data(0, TYPE_ROLE), text) is None
                child.setHidden(hidden)
                shown += not hidden
            category.setHidden(shown == 0)
            category.setExpanded(True)

    def _choose_best(self) -> None:
        best = search(self.visible_types(), self.search.text())
        if best:
            self.layer_chosen.emit(best[0])

    def _choose_item(self, item: QTreeWidgetItem) -> None:
        layer_type = item.data(0, TYPE_ROLE)
        if layer_type:
            self.layer_chosen.emit(layer_type)
