"""The questions the window asks the user, behind one small object.

Every modal dialog (file choosers, "save changes?", errors) goes through `Prompts`,
so tests replace it with scripted answers and drive the real window without a
dialog blocking the event loop. The one notice that does not block, a finished
export, goes through it too.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from studio.document.autosave import Autosaved

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"

GRAPH_FILTER = "Keras Graph Studio graph (*.graph.json)"


class Prompts:
    """Modal dialogs over `parent`."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def save_changes(self, name: str) -> str:
        """SAVE, DISCARD or CANCEL for unsaved changes to `name`."""
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self.parent,
            "Unsaved changes",
            f"Save the changes to {name} before closing it?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )
        return {buttons.Save: SAVE, buttons.Discard: DISCARD}.get(answer, CANCEL)

    def recover(self, autosaved: Autosaved) -> bool:
        """Whether to reopen work a crashed session left unsaved."""
        name = autosaved.original.name if autosaved.original else "an untitled graph"
        answer = QMessageBox.question(
            self.parent,
            "Recover unsaved work",
            f"Keras Graph Studio closed without saving {name}. Recover the unsaved work?",
        )
        return answer == QMessageBox.StandardButton.Yes

    def open_path(self, title: str, file_filter: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, title, "", file_filter)
        return Path(path) if path else None

    def save_path(self, title: str, file_filter: str, suggested: str = "") -> Path | None:
        path, _ = QFileDialog.getSaveFileName(self.parent, title, suggested, file_filter)
        return Path(path) if path else None

    def folder(self, title: str, current: Path) -> Path | None:
        path = QFileDialog.getExistingDirectory(self.parent, title, str(current))
        return Path(path) if path else None

    def text(self, title: str, label: str, default: str = "") -> str | None:
        """A line of text (a name), or None if cancelled."""
        text, ok = QInputDialog.getText(self.parent, title, label, text=default)
        return text if ok else None

    def number(
        self, title: str, label: str, default: int, minimum: int, maximum: int
    ) -> int | None:
        """A whole number from `minimum` to `maximum`, or None if cancelled."""
        value, ok = QInputDialog.getInt(self.parent, title, label, default, minimum, maximum)
        return value if ok else None

    def choice(self, title: str, label: str, options: list[str], current: int = 0) -> str | None:
        """One of `options`, or None if cancelled."""
        item, ok = QInputDialog.getItem(self.parent, title, label, options, current, False)
        return item if ok else None

    def confirm(self, title: str, message: str) -> bool:
        """Whether the user goes ahead with what `message` describes."""
        answer = QMessageBox.question(self.parent, title, message)
        return answer == QMessageBox.StandardButton.Yes

    def error(self, title: str, message: str) -> None:
        QMessageBox.critical(self.parent, title, message)

    def info(self, title: str, message: str) -> None:
        QMessageBox.information(self.parent, title, message)

    def exported(self, message: str, path: Path) -> QMessageBox:
        """Say that an export finished, where the user looks (a status-bar line goes
        unseen), with a way to open its folder; non-modal, so work goes on."""
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Export finished",
            f"{message}\n\n{path}",
            QMessageBox.StandardButton.Close,
            self.parent,
        )
        opener = box.addButton("Open folder", QMessageBox.ButtonRole.ActionRole)
        opener.clicked.connect(lambda: self.open_folder(path.parent))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()
        return box

    def open_folder(self, folder: Path) -> None:
        """Show `folder` in the system's file manager (tests replace this)."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
