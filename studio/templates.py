"""The bundled templates, in the order File > New from template lists them.

Templates are ordinary graph files in resources/templates (a user can open, edit
and save them like any other). This list is the menu's data: a title to show and
the file. It lives in studio because the menu is its only reader, and needs no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codegen.bundled import bundled_folder
from graph import ModelGraph, load

TEMPLATE_FOLDER = bundled_folder("templates")


@dataclass(frozen=True)
class Template:
    title: str
    path: Path

    def load(self) -> ModelGraph:
        """A fresh graph from the template's file."""
        return load(self.path)


def _template(title: str, stem: str) -> Template:
    return Template(title, TEMPLATE_FOLDER / f"{stem}.graph.json")


#: The book's examples first, then one of each common architecture, simplest first.
TEMPLATES = (
    _template("MNIST MLP (the book's first network)", "mnist_mlp"),
    _template("Customer ticket classifier (multi-input, multi-output)", "customer_tickets"),
    _template("Small CNN (digits)", "small_cnn"),
    _template("Residual block", "residual_block"),
    _template("LSTM text classifier", "lstm_text_classifier"),
    _template("Transformer encoder block", "transformer_encoder"),
    _template("Small U-Net (per-pixel segmentation)", "small_unet"),
    _template("Small transformer (4 encoder-block uses)", "small_transformer"),
    _template("ResNet-style stages of residual blocks (digits)", "resnet_stages"),
)
