"""Pictures of the studio at the stages of building the ticket model, with no display.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/studio_shots.py OUT_FOLDER
        [--size 1600x1000 --size 1024x700] [--theme light --theme dark]

Writes one PNG per stage, size and theme (`03_half_model_dark_1024x700.png`), so that
anyone can see what the studio looks like after a change without driving it by hand.
The stages follow a user building the book's ticket model (listing 7.1): an empty
window, the three Inputs, the model wired up to its outputs, the whole model with a node selected,
a broken connection and its error, quick-add open after a node, the training panel.
The partial models are the bundled template with its later nodes removed, so every
picture shows the real studio on a real graph.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
from PySide6.QtCore import QPoint, QSettings
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QApplication

import graph
from graph.model import ModelGraph
from studio.mainwindow import MainWindow
from studio.templates import TEMPLATE_FOLDER

TICKETS = TEMPLATE_FOLDER / "customer_tickets.graph.json"


def first_nodes(g: ModelGraph, count: int) -> ModelGraph:
    """`g` with only its first `count` nodes in topological order (a model half built)."""
    order = list(nx.lexicographical_topological_sort(g.nx))
    for node_id in reversed(order[count:]):
        g.remove_node(node_id)
    return g


def settle(app: QApplication) -> None:
    """Let the window finish its queued work (validation, layout, repaints)."""
    for _ in range(30):
        app.processEvents()


def grab_with_popups(win: MainWindow) -> QPixmap:
    """The window as the user sees it: a grab does not include popup windows, so the
    quick-add popup is painted onto it where it stands."""
    shot = win.grab()
    if win.quick_add.isVisible():
        painter = QPainter(shot)
        corner = win.mapFromGlobal(win.quick_add.mapToGlobal(QPoint(0, 0)))
        painter.drawPixmap(corner, win.quick_add.grab())
        painter.end()
    return shot


def stages(win: MainWindow, app: QApplication) -> Iterator[str]:
    """Bring the window to each stage in turn, yielding the stage's name."""
    win.new_document()
    yield "01_empty"
    full = graph.load(TICKETS)
    win.new_document(first_nodes(graph.load(TICKETS), len(full.inputs)))
    win.view.fit()
    yield "02_inputs"
    win.new_document(first_nodes(graph.load(TICKETS), len(full.node_ids()) - len(full.outputs)))
    win.view.fit()
    yield "03_half_model"
    win.new_from_template(TICKETS)
    g = win.document.graph
    features = next(n for n in g.node_ids() if g.in_edges(n) and len(g.out_edges(n)) > 1)
    win.focus_node(features)
    win.view.fit()
    yield "04_model_selected"
    src, dst, port = g.edges()[-1]
    win.controller.disconnect((src, dst, port))
    yield "05_error"
    win.document.stack.undo()
    win.focus_node(features)
    win.view.request_quick_add()
    settle(app)
    yield "06_quick_add"
    win.quick_add.hide()
    win.show_training()
    yield "07_training"


def take(out: Path, sizes: list[tuple[int, int]], themes: list[str]) -> list[Path]:
    """Write every stage at every size and theme into `out`; returns the files."""
    app = QApplication.instance() or QApplication(sys.argv)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        for theme in themes:
            for width, height in sizes:
                settings = QSettings(
                    str(Path(scratch) / f"{theme}{width}.ini"), QSettings.Format.IniFormat
                )
                win = MainWindow(settings=settings, autosave_folder=Path(scratch) / "autosave")
                win.set_theme(theme)
                win.resize(width, height)
                win.show()
                settle(app)
                for stage in stages(win, app):
                    settle(app)
                    path = out / f"{stage}_{theme}_{width}x{height}.png"
                    grab_with_popups(win).save(str(path))
                    written.append(path)
                win.document.stack.setClean()
                win.close()
    return written


def size(text: str) -> tuple[int, int]:
    width, _, height = text.partition("x")
    return int(width), int(height)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNGs")
    parser.add_argument("--size", type=size, action="append", help="WIDTHxHEIGHT")
    parser.add_argument("--theme", choices=("light", "dark"), action="append")
    args = parser.parse_args(argv)
    written = take(
        args.out, args.size or [(1600, 1000), (1024, 700)], args.theme or ["light", "dark"]
    )
    print(f"{len(written)} pictures in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
