"""Training in the studio's background thread against plain `model.fit`, and GUI latency.

Trains a bundled template on its bundled data (the MNIST MLP on the digits unless
`--template` names another) three times per round: with `model.fit` called directly
in the main thread, the same in a Python thread, and through a TrainingPanel (its
QThread, TrainingFeed and 10 Hz drain into pyqtgraph plots, offscreen; one panel
shown for all rounds, as one window trains again and again). Prints the median epoch
time of each (the first epoch of a run is left out: it pays for warm-up) and their
ratio (goal <= 1.05), and, while the studio trains, how late a 10 ms single-shot
timer chain fires on the GUI thread (goal: p99 < 50 ms).
Rounds are interleaved and twelve by default: one round's ratio swings by 5-15%
with the machine, the median of twelve by about 2%.

Torch runs on one thread by default (`--threads`): with one thread per core, OpenMP
threads wait on each other whenever anything else runs (the GUI thread, other
processes), and epoch times then swing by 10x between runs (see bench/RESULTS.md).

Run: .venv/bin/python bench/training_bench.py [--template NAME] [--epochs N] [--rounds R]
     [--threads T]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QElapsedTimer, QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QUndoStack  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from codegen.training import load_data  # noqa: E402
from codegen.training.samples import sample_data_for  # noqa: E402
from graph import load  # noqa: E402
from graph.training import TrainingSetup, resolve  # noqa: E402
from studio.training.panel import TrainingPanel  # noqa: E402

TEMPLATES = Path(__file__).resolve().parents[1] / "resources" / "templates"
#: The GUI probe's period.
PROBE_MS = 10
STUDIO = "studio background (panel)"


def plain_fit(g, setup) -> list[float]:
    """Epoch times of `model.fit` on the same model, data and setup, in this thread."""
    from codegen.build import build_model
    from codegen.keras_env import import_keras
    from codegen.training.compiling import compile_arguments

    keras = import_keras()
    data = load_data(setup.data, g, setup)
    train, validation = data.split(setup.validation_split)

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.began = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.began)

    keras.utils.set_random_seed(setup.seed)
    model = build_model(g)
    model.compile(**compile_arguments(setup))
    timer = EpochTimer()
    model.fit(
        train.x(),
        train.y(),
        batch_size=setup.batch_size,
        epochs=setup.epochs,
        validation_data=(validation.x(), validation.y()),
        callbacks=[timer],
        verbose=0,
    )
    return timer.seconds


def plain_fit_in_thread(g, setup) -> list[float]:
    """plain_fit in a Python thread: training off the main thread, without the studio."""
    seconds: list[float] = []
    worker = threading.Thread(target=lambda: seconds.extend(plain_fit(g, setup)))
    worker.start()
    worker.join()
    return seconds


@contextmanager
def collecting_as_a_script_does() -> Iterator[None]:
    """Python's automatic garbage collection on, as in a script. Once the panel has run
    a job, the studio's GC guard leaves collection to the GUI thread's timer, which
    does not run while a plain fit blocks the event loop: without this, the plain fits
    would pay for no collections and the studio for all of them. The GUI thread
    collects first, so the fit's collections find no Qt objects to free."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was_enabled:
            gc.disable()


def studio_fit(panel: TrainingPanel) -> tuple[list[float], list[float], float]:
    """Epoch times of a run of `panel` (shown, its document set), how late a PROBE_MS
    timer chain fired on the GUI thread while it ran (ms), and the share of the run's
    wall time the GUI thread spent on the CPU (probe included)."""
    lateness: list[float] = []
    clock = QElapsedTimer()
    probe = QTimer()
    probe.setSingleShot(True)
    probe.setTimerType(Qt.TimerType.PreciseTimer)

    def tick() -> None:
        if panel.running:
            lateness.append(clock.nsecsElapsed() / 1e6 - PROBE_MS)
        clock.start()
        probe.start(PROBE_MS)

    probe.timeout.connect(tick)
    loop = QEventLoop()
    panel.run_finished.connect(loop.quit)
    panel.start()
    clock.start()
    probe.start(PROBE_MS)
    cpu, wall = time.thread_time(), time.perf_counter()
    loop.exec()
    gui_share = (time.thread_time() - cpu) / (time.perf_counter() - wall)
    probe.stop()
    panel.run_finished.disconnect(loop.quit)
    seconds = panel.epoch_seconds
    if panel.message_is_error or panel.result is None or panel.result.stopped:
        raise SystemExit(f"the studio run failed: {panel.message.toPlainText()}")
    return seconds, lateness, gui_share


def shown_panel(g, setup) -> TrainingPanel:
    """One panel for every round, as one window trains again and again."""
    g.training = setup
    panel = TrainingPanel()
    panel.resize(1200, 800)
    panel.set_document(g, QUndoStack(), TEMPLATES)
    panel.show()
    return panel


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument(
        "--template",
        default="mnist_mlp",
        help="a bundled template with bundled data: mnist_mlp, small_cnn, customer_tickets",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (OMP_NUM_THREADS); 0 keeps torch's default of one per core",
    )
    args = parser.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    import torch  # after OMP_NUM_THREADS: torch reads it once, at import

    QApplication.instance() or QApplication([])
    g = load(TEMPLATES / f"{args.template}.graph.json")
    setup = replace(TrainingSetup(), epochs=args.epochs, batch_size=32, seed=1)
    setup = resolve(g, replace(setup, data=sample_data_for(g)))
    runs = {
        "plain model.fit, main thread": plain_fit,
        "plain model.fit, Python thread": plain_fit_in_thread,
    }
    medians: dict[str, list[float]] = {what: [] for what in [*runs, STUDIO]}
    lateness: list[float] = []
    gui: list[float] = []
    plain_fit(g, replace(setup, epochs=2))  # untimed: the process's first fit pays more
    panel = shown_panel(g, setup)
    for _ in range(args.rounds):  # interleaved, so a busy spell of the machine hits all
        for what, fit in runs.items():
            with collecting_as_a_script_does():
                medians[what].append(statistics.median(fit(g, setup)[1:]))
        seconds, late, gui_share = studio_fit(panel)
        gui.append(gui_share)
        medians[STUDIO].append(statistics.median(seconds[1:]))
        lateness += late
    panel.shutdown()
    panel.close()
    samples = load_data(setup.data, g, setup).split(setup.validation_split)[0].samples
    print(
        f"model: {g.name}, {Path(setup.data.path).name}: {samples} training samples "
        f"(validation {setup.validation_split:.0%}), batch {setup.batch_size}, "
        f"{-(-samples // setup.batch_size)} steps/epoch"
    )
    print(
        f"torch threads: {torch.get_num_threads()}; {args.rounds} rounds of "
        f"{args.epochs - 1} timed epochs (the first epoch of each run is warm-up)"
    )
    print("median epoch time per round, ms:")
    for what, values in medians.items():
        print(f"  {what:34} " + " ".join(f"{v * 1000:7.1f}" for v in values))
    for what in runs:
        ratios = [s / p for s, p in zip(medians[STUDIO], medians[what], strict=True)]
        print(
            f"ratio studio / {what}: {statistics.median(ratios):.3f} median of rounds "
            f"({' '.join(f'{r:.2f}' for r in ratios)})   (goal <= 1.05)"
        )
    shares = " ".join(f"{share:.1%}" for share in gui)
    print(f"GUI thread CPU while the studio trains, share of wall time per round: {shares}")
    print(
        f"GUI timer lateness while training ({len(lateness)} ticks of {PROBE_MS} ms): "
        f"p50 {percentile(lateness, 50):.1f} ms, p99 {percentile(lateness, 99):.1f} ms, "
        f"max {max(lateness):.1f} ms   (goal p99 < 50 ms)"
    )


if __name__ == "__main__":
    main()
