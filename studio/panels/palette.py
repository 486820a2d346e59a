"""The layer palette: every layer type by category, searchable, dragged onto the canvas.

Above the layers, the file's block definitions (a use of one is added as a layer is)
and the user's block library (an entry is added by its file: the definition is
copied into the graph); the window keeps both lists current (`set_definitions`,
`set_library`).

The hand-written specs fill it at once. The Keras-backed ones need keras imported
(about 2 s), so the palette adds them just after it is first shown (a "Loading"
row stands in until then); `load_keras_layers()` does it at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from graph import LayerSpec, builtin_specs
from studio.mime import LAYER_MIME, LIBRARY_MIME, layer_mime_data, library_mime_data
from studio.panels.layer_search import category_key, keras_backed_layers, match_rank, search

#: Item data role holding a layer item's type name (a definition's: its block name).
TYPE_ROLE = Qt.ItemDataRole.UserRole
#: Item data role holding a block library item's file path.
LIBRARY_ROLE = Qt.ItemDataRole.UserRole + 1
#: The headings of the file's definitions and of the block library, above the layers.
DEFINITIONS, LIBRARY = "Blocks in this file", "Block library"
_DRAGGABLE = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
)


class LayerTree(QTreeWidget):
    """Categories with their layer types; a dragged layer carries `layer_mime_data`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self._categories: dict[str, QTreeWidgetItem] = {}
        #: The file's definitions and the block library, first; hidden while empty.
        self.block_groups = [_heading(DEFINITIONS), _heading(LIBRARY)]
        self.addTopLevelItems(self.block_groups)
        for group in self.block_groups:
            group.setHidden(True)

    def add_specs(self, specs: Sequence[LayerSpec]) -> None:
        for spec in specs:
            item = _entry(spec.type, spec.doc)
            item.setData(0, TYPE_ROLE, spec.type)
            self._category(spec.category).addChild(item)

    def set_definitions(self, names: Sequence[str]) -> None:
        """List the file's block definitions `names`."""
        items = [_entry(name, f"A use of block '{name}' of this file.") for name in names]
        for item, name in zip(items, names, strict=True):
            item.setData(0, TYPE_ROLE, name)
        self._fill(self.block_groups[0], items)

    def set_library(self, blocks: Mapping[str, Path]) -> None:
        """List the block library's entries: each block's file, by name."""
        items = [_entry(name, f"Block '{name}' from {path}") for name, path in blocks.items()]
        for item, path in zip(items, blocks.values(), strict=True):
            item.setData(0, LIBRARY_ROLE, str(path))
        self._fill(self.block_groups[1], items)

    def layer_items(self) -> list[QTreeWidgetItem]:
        """Every layer item, in the order shown."""
        return [c.child(i) for c in self.category_items() for i in range(c.childCount())]

    def block_items(self) -> list[QTreeWidgetItem]:
        """The definitions' items, then the library's."""
        return [g.child(i) for g in self.block_groups for i in range(g.childCount())]

    def category_items(self) -> list[QTreeWidgetItem]:
        """The layer categories (and the loading row), in the order shown."""
        items = [self.topLevelItem(i) for i in range(self.topLevelItemCount())]
        return [item for item in items if item not in self.block_groups]

    def mimeTypes(self) -> list[str]:
        return [LAYER_MIME, LIBRARY_MIME]

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:
        for item in items:
            if path := item.data(0, LIBRARY_ROLE):
                return library_mime_data(Path(path))
            if layer_type := item.data(0, TYPE_ROLE):
                return layer_mime_data(layer_type)
        return QMimeData()

    def _fill(self, group: QTreeWidgetItem, items: list[QTreeWidgetItem]) -> None:
        group.takeChildren()
        group.addChildren(items)
        group.setHidden(not items)
        group.setExpanded(True)

    def _category(self, name: str) -> QTreeWidgetItem:
        item = self._categories.get(name)
        if item is None:
            item = self._categories[name] = _heading(name)
            order = sorted(self._categories, key=category_key)
            self.insertTopLevelItem(len(self.block_groups) + order.index(name), item)
            item.setExpanded(True)
        return item


def _heading(name: str) -> QTreeWidgetItem:
    """A group's bold heading row."""
    item = QTreeWidgetItem([name])
    item.setFlags(Qt.ItemFlag.ItemIsEnabled)
    font = item.font(0)
    font.setBold(True)
    item.setFont(0, font)
    return item


def _entry(text: str, tooltip: str) -> QTreeWidgetItem:
    """A row that can be chosen or dragged."""
    item = QTreeWidgetItem([text])
    item.setToolTip(0, tooltip)
    item.setFlags(_DRAGGABLE)
    return item


class LayerPalette(QWidget):
    """A search box over the layer tree; double-click or Enter chooses a layer."""

    #: A layer type the user chose to add (double-click, or Enter in the search box);
    #: a definition of the file is chosen as its block name.
    layer_chosen = Signal(str)
    #: A block library entry chosen to add (double-click): its file's path.
    library_chosen = Signal(str)

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

    def set_definitions(self, names: Sequence[str]) -> None:
        """List the file's block definitions `names` (as LayerTree.set_definitions)."""
        self.tree.set_definitions(names)
        self._filter(self.search.text())

    def set_library(self, blocks: Mapping[str, Path]) -> None:
        """List the block library's entries (as LayerTree.set_library)."""
        self.tree.set_library(blocks)
        self._filter(self.search.text())

    def visible_blocks(self) -> list[str]:
        """The definitions' and library entries' names the filter shows, in order."""
        return [i.text(0) for i in self.tree.block_items() if not i.isHidden()]

    def visible_types(self) -> list[str]:
        """The layer types the filter shows, in the order shown."""
        return [i.data(0, TYPE_ROLE) for i in self.tree.layer_items() if not i.isHidden()]

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._keras_loaded:
            QTimer.singleShot(0, self.load_keras_layers)  # after the first paint

    def _filter(self, text: str) -> None:
        for category in [*self.tree.block_groups, *self.tree.category_items()]:
            if category is self._loading:
                continue
            shown = 0
            for i in range(category.childCount()):
                child = category.child(i)
                hidden = match_rank(child.text(0), text) is None
                child.setHidden(hidden)
                shown += not hidden
            category.setHidden(shown == 0)
            category.setExpanded(True)

    def _choose_best(self) -> None:
        """Enter: the best match among the blocks and layers shown (a file's
        definition before a library entry of its name, blocks before layers)."""
        shown = [i for i in self.tree.block_items() if not i.isHidden()]
        shown += [i for i in self.tree.layer_items() if not i.isHidden()]
        items = {}
        for item in shown:
            items.setdefault(item.text(0), item)
        best = search(items, self.search.text())
        if best:
            self._choose_item(items[best[0]])

    def _choose_item(self, item: QTreeWidgetItem) -> None:
        path, layer_type = item.data(0, LIBRARY_ROLE), item.data(0, TYPE_ROLE)
        if path:
            self.library_chosen.emit(path)
        elif layer_type:
            self.layer_chosen.emit(layer_type)
