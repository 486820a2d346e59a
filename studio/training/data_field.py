"""One data file of the training setup (`data` or `validation_data`), typed or browsed.

The form has two: the training data and an optional validation file (without one,
the validation split of the training data validates). A path inside the graph
file's folder is stored relative to it, so the graph and its data move together; a
file given here from elsewhere is read without asking again in this session.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from graph.training import DataSource

if TYPE_CHECKING:
    from studio.training.form import TrainingForm


class DataFileField(QWidget):
    """Edits the setup's `field` (a DataSource or None) through the form's undo path."""

    def __init__(self, form: TrainingForm, field: str, title: str) -> None:
        super().__init__()
        self.form, self.field, self.title = form, field, title
        self._text = ""
        self.line = QLineEdit()
        self.line.editingFinished.connect(self._typed)
        self.browse_button = QPushButton("Browse...")
        self.browse_button.clicked.connect(self._browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.browse_button)

    def show_source(self, data: DataSource | None, placeholder: str) -> None:
        """Show the stored `data` (a file, or `.npy` arrays listed by name)."""
        if data is None:
            self._text = ""
        elif data.path is not None:
            self._text = data.path
        else:
            self._text = ", ".join(f"{k}={v}" for k, v in data.arrays.items())
        self.line.setText(self._text)
        self.line.setPlaceholderText(placeholder)

    def _typed(self) -> None:
        text = self.line.text().strip()
        if text == self._text:
            return  # unchanged (also: the .npy listing shown, not edited)
        self._set(DataSource(text) if text else None)

    def _browse(self) -> None:
        path = self.form.ask_data_path(self.title)
        if path is None:
            return
        base = self.form.base
        if base is not None and path.is_relative_to(base):
            path = path.relative_to(base)
        self._set(DataSource(str(Path(path))))

    def _set(self, data: DataSource | None) -> None:
        if data is not None:
            self.form.confirm(data.files())  # the user's own choice, wherever it lies
        self.form.edit(self.title.lower(), replace(self.form.stored(), **{self.field: data}))
