"""Canvas speed on a 1,501-node graph: open, first paint, an edit, drag and zoom frames.

Builds a residual graph (Input, then 750 Dense + Add blocks) laid out left to right,
saves it, and prints medians of:
  - open: graph.load + GraphScene (items, first validation) + view fit + first paint,
  - one param edit through the undo stack (SetParams: validate, update the items it
    changed) and the repaint that follows,
  - a drag frame: one mouse move of a drag of 20 selected nodes, and its repaint,
  - a zoom frame: one wheel notch and its repaint, zoomed in (about 20 nodes in view)
    and zoomed out (hundreds of nodes in view, text skipped),
  - a paste of 100 nodes (one batched validation), and its undo.
Goals (issue 8): open under 1 s, an edit under 16 ms.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/canvas_bench.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtGui import QUndoStack  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import graph  # noqa: E402
from codegen.layout import layered_layout  # noqa: E402
from studio.canvas.controller import CanvasController  # noqa: E402
from studio.canvas.scene import GraphScene  # noqa: E402
from studio.canvas.view import GraphView  # noqa: E402
from studio.document.commands import SetParams, push_checked  # noqa: E402
from tests.canvas_events import wheel  # noqa: E402
from tests.graphs import residual  # noqa: E402

BLOCKS = 750  # 1,501 nodes
VIEWPORT = (1600, 1000)


def median_ms(action: Callable[[], object], runs: int = 21) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def open_and_paint(path: Path) -> tuple[GraphScene, GraphView, float]:
    start = time.perf_counter()
    scene = GraphScene(graph.load(path))
    view = GraphView(scene)
    view.resize(*VIEWPORT)
    view.show()
    QTest.qWaitForWindowExposed(view)
    view.fit()
    view.viewport().repaint()
    return scene, view, time.perf_counter() - start


def laid_out_graph() -> graph.ModelGraph:
    """The benchmark graph: Input + BLOCKS residual Dense/Add blocks, laid out in one
    long row (unfolded: the picture the figures in bench/RESULTS.md were taken on)."""
    g = residual(BLOCKS, width=32)
    for node_id, pos in layered_layout(g, fold=False).items():
        g.move(node_id, pos)
    return g


def main() -> None:
    QApplication.instance() or QApplication([])
    g = laid_out_graph()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "residual.graph.json"
        graph.save(g, path)
        opens = []
        for _ in range(5):
            scene, view, seconds = open_and_paint(path)
            opens.append(seconds)
            scene.detach()
            view.close()
        scene, view, _ = open_and_paint(path)
    g = scene.graph
    stack = QUndoStack()
    controller = CanvasController(scene, view, stack)
    port = view.viewport()
    print(f"graph: {len(g)} nodes, {len(g.edges())} edges; viewport {VIEWPORT[0]}x{VIEWPORT[1]}")
    print(f"open (load + scene + fit + first paint): {statistics.median(opens) * 1e3:8.1f} ms")

    dense = [n for n in g.node_ids() if g.layer(n).type == "Dense"]
    middle = dense[len(dense) // 2]
    view.resetTransform()
    view.centerOn(scene.node_item(middle))
    port.repaint()

    def edit() -> None:
        current = g.layer(middle).params["activation"]
        flipped = "tanh" if current == "relu" else "relu"
        push_checked(stack, SetParams.one(g, middle, "activation", flipped))
        port.repaint()

    print(f"param edit + revalidate + repaint:       {median_ms(edit):8.2f} ms")

    chosen = dense[len(dense) // 2 - 10 : len(dense) // 2 + 10]
    scene.select_nodes(chosen)
    grip = view.mapFromScene(scene.node_item(middle).sceneBoundingRect().center())
    QTest.mousePress(port, Qt.MouseButton.LeftButton, pos=grip)
    offset = [0]

    def drag_frame() -> None:
        offset[0] += 1
        QTest.mouseMove(port, grip + QPoint(offset[0] % 40, offset[0] % 25))
        port.repaint()

    print(f"drag frame, 20 nodes, zoom 1:            {median_ms(drag_frame, 41):8.2f} ms")
    QTest.mouseRelease(port, Qt.MouseButton.LeftButton, pos=grip + QPoint(offset[0] % 40, 0))
    scene.select_nodes(g.node_ids())
    QTest.mousePress(port, Qt.MouseButton.LeftButton, pos=grip)
    print(f"drag frame, all {len(g)} nodes, zoom 1:      {median_ms(drag_frame, 21):8.2f} ms")
    start = time.perf_counter()
    QTest.mouseRelease(port, Qt.MouseButton.LeftButton, pos=grip + QPoint(offset[0] % 40, 0))
    port.repaint()
    release_ms = (time.perf_counter() - start) * 1e3
    print(f"  its release (one move command):        {release_ms:8.1f} ms")

    flips = [0]

    def zoom_one_notch() -> None:
        flips[0] += 1
        wheel(view, port.rect().center(), 1 if flips[0] % 2 else -1)
        port.repaint()

    scene.clearSelection()
    view.resetTransform()
    view.centerOn(scene.node_item(middle))
    print(f"zoom frame around zoom 1:                {median_ms(zoom_one_notch):8.2f} ms")
    view.resetTransform()
    view.scale(0.1, 0.1)
    view.centerOn(scene.node_item(middle))
    in_view = len(view.items(port.rect()))
    print(f"zoom frame around zoom 0.1 ({in_view} items): {median_ms(zoom_one_notch):6.2f} ms")

    scene.select_nodes(dense[:50] + [n for n in g.node_ids() if g.layer(n).type == "Add"][:50])
    controller.copy()
    start = time.perf_counter()
    pasted = controller.paste()
    paste_ms = (time.perf_counter() - start) * 1e3
    start = time.perf_counter()
    stack.undo()
    undo_ms = (time.perf_counter() - start) * 1e3
    print(f"paste {len(pasted)} nodes (batched), and undo:   {paste_ms:8.1f} ms, {undo_ms:.1f} ms")
    scene.detach()


if __name__ == "__main__":
    main()
