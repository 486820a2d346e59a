"""The whole studio window on a 1,501-node graph: what a user waits for.

bench/canvas_bench.py measures the canvas alone; this measures the main window with
every dock attached (palette, inspector, problems, summary, code), as `kgs studio`
shows it, and prints medians of:
  - open: MainWindow.open_file (load, scene, panels fed the first report, fit) and the
    first paint of the whole window,
  - one param edit from the inspector's path (SetParams through the undo stack), with
    everything that runs at once (validation, items, problems panel, inspector) and
    the repaint; the summary and code panels wait for edits to pause, so their
    catch-up is printed separately,
  - a scroll frame (the view scrolled by 40 px) and a zoom frame (one 1.2x step).
Goals (issue 8): open under 1 s, an edit under 16 ms.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/studio_bench.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import graph  # noqa: E402
from bench.canvas_bench import laid_out_graph, median_ms  # noqa: E402
from studio.document.commands import SetParams, push_checked  # noqa: E402
from studio.mainwindow import MainWindow  # noqa: E402

WINDOW = (1600, 1000)


def open_window(path: Path, settings: QSettings) -> tuple[MainWindow, float]:
    window = MainWindow(settings=settings)
    window.resize(*WINDOW)
    window.show()
    QTest.qWaitForWindowExposed(window)
    start = time.perf_counter()
    window.open_file(path)
    window.repaint()
    return window, time.perf_counter() - start


def median_open(path: Path, settings: QSettings, runs: int = 5) -> tuple[float, int]:
    """The median seconds of `runs` opens of `path` in a fresh window (open_window), and
    how many nodes the last one drew."""
    opens = []
    for _ in range(runs):
        window, seconds = open_window(path, settings)
        opens.append(seconds)
        drawn = len(window.scene.node_items())
        window.close()
    return statistics.median(opens), drawn


def main() -> None:
    app = QApplication.instance() or QApplication([])
    g = laid_out_graph()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "residual.graph.json"
        graph.save(g, path)
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        opened, _ = median_open(path, settings)
        window, _ = open_window(path, settings)
        g = window.document.graph
        print(f"graph: {len(g)} nodes; window {WINDOW[0]}x{WINDOW[1]}, all docks shown")
        print(f"open file + first paint of the window:  {opened * 1e3:8.1f} ms")

        dense = [n for n in g.node_ids() if g.layer(n).type == "Dense"]
        middle = dense[len(dense) // 2]
        window.focus_node(middle)  # the inspector shows the node being edited
        app.processEvents()

        def edit() -> None:
            current = g.layer(middle).params["activation"]
            flipped = "tanh" if current == "relu" else "relu"
            push_checked(window.document.stack, SetParams.one(g, middle, "activation", flipped))
            window.repaint()

        print(f"param edit (all immediate work + repaint): {median_ms(edit):6.2f} ms")
        window.docks["summary"].raise_()
        app.processEvents()
        summary_ms = median_ms(lambda: (edit(), window.summary.refresh()), 11) - median_ms(edit)
        print(f"  summary panel catch-up after edits pause: {summary_ms:6.2f} ms")
        window.docks["code"].raise_()
        app.processEvents()
        code_ms = median_ms(lambda: (edit(), window.code.refresh()), 11) - median_ms(edit)
        print(f"  code panel catch-up after edits pause:    {code_ms:6.2f} ms")

        bar = window.view.horizontalScrollBar()
        steps = [0]

        def scroll_frame() -> None:
            steps[0] += 1
            bar.setValue(bar.value() + (40 if steps[0] % 2 else -40))
            window.view.viewport().repaint()

        print(f"scroll frame (40 px):                     {median_ms(scroll_frame):6.2f} ms")
        flips = [0]

        def zoom_frame() -> None:
            flips[0] += 1
            window.view.zoom_by(1.2 if flips[0] % 2 else 1 / 1.2)
            window.view.viewport().repaint()

        print(f"zoom frame (1.2x step):                   {median_ms(zoom_frame):6.2f} ms")
        window.document.stack.setClean()
        window.close()


if __name__ == "__main__":
    main()
