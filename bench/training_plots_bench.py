"""The GUI thread's work per drain of a training run, replayed without training.

The ratio in training_bench.py is what the goal names, but one round of it swings by
5-15% with the machine, so a change worth 1% cannot be seen there. This replays a
run's progress (a TrainingFeed filled as the trainer fills it, 17 batches per drain
as at 10 Hz with the MLP's 6 ms batches) into a shown TrainingPanel in one thread,
and prints the GUI thread's CPU time per drain: the drain itself and the repaint it
causes, for a drain within an epoch and for one that ends an epoch (the epoch plots
then take their points). No training runs, so nothing competes and the figures
repeat within a few percent. What matters for the ratio is the part of these
figures spent in Python (a plain Qt widget paints without the interpreter lock);
these figures also count Qt's own painting, so they bound it from above.

Run: .venv/bin/python bench/training_plots_bench.py [--template NAME] [--epochs N]
     [--steps S] [--runs R]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from bench.training_bench import TEMPLATES, shown_panel  # noqa: E402
from codegen.training.samples import sample_data_for  # noqa: E402
from graph import load  # noqa: E402
from graph.training import TrainingSetup, log_names, resolve  # noqa: E402
from studio.training.panel import TrainingPanel  # noqa: E402
from studio.training.plots import VALIDATION, quantities  # noqa: E402
from studio.training.run import TrainingFeed  # noqa: E402

#: Batches reported between two drains: 10 Hz with 6 ms batches.
BATCHES_PER_DRAIN = 17


def epoch_logs(names: list[str], epoch: int) -> dict[str, float]:
    """Plausible logs for `epoch`: losses falling, rates rising, validation apart."""
    logs = {}
    for name in names:
        value = 0.9 / (epoch + 1) if "loss" in name else min(1.0, 0.6 + 0.05 * epoch)
        logs[name] = value * (1.1 if name.startswith(VALIDATION) else 1.0)
    return logs


def replay(panel: TrainingPanel, names: list[str], epochs: int, steps: int) -> dict[str, list]:
    """GUI thread CPU seconds of each drain after the first epoch, by kind."""
    app = QApplication.instance()
    panel.plots.reset(names)
    panel.progress.reset()
    feed = panel._feed = TrainingFeed()  # filled here as a Trainer in a Job fills it
    feed.training_started(epochs, steps)
    panel._drain()
    app.processEvents()
    seconds: dict[str, list] = {"within an epoch": [], "ending an epoch": []}
    done = 0
    for epoch in range(epochs):
        for batch in range(steps):
            done += 1
            feed.batch_finished(epoch, batch, {"loss": 2 * math.exp(-done / 50) + 0.1})
            last = batch == steps - 1
            if last:
                feed.epoch_finished(epoch, epoch_logs(names, epoch))
            if done % BATCHES_PER_DRAIN and not last:
                continue
            began = time.thread_time()
            panel._drain()
            app.processEvents()  # the repaint the drain asked for
            if epoch:  # the first epoch's drains set up the axes
                seconds["ending an epoch" if last else "within an epoch"].append(
                    time.thread_time() - began
                )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", default="mnist_mlp")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=45, help="batches per epoch")
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    QApplication.instance() or QApplication([])
    g = load(TEMPLATES / f"{args.template}.graph.json")
    setup = resolve(g, replace(TrainingSetup(), epochs=args.epochs, data=sample_data_for(g)))
    panel = shown_panel(g, setup)
    names = log_names(g, setup)
    replay(panel, names, args.epochs, args.steps)  # untimed: first paints, caches
    runs = [replay(panel, names, args.epochs, args.steps) for _ in range(args.runs)]
    panel.close()
    print(
        f"model: {g.name}: {len(names)} logged values in {len(quantities(names))} epoch plots; "
        f"{args.runs} replayed runs of {args.epochs} epochs x {args.steps} batches, "
        f"{BATCHES_PER_DRAIN} batches a drain"
    )
    for kind in runs[0]:
        per_run = [statistics.median(run[kind]) * 1000 for run in runs]
        print(
            f"GUI thread CPU per drain {kind}: {statistics.median(per_run):.2f} ms "
            f"(runs: {' '.join(f'{ms:.2f}' for ms in per_run)})"
        )


if __name__ == "__main__":
    main()
