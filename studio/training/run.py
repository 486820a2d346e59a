"""What runs in the training thread, and the buffer that carries its progress to the GUI.

The Trainer reports every batch from its own thread. Sending a Qt signal per batch
would flood the GUI's event queue, so `TrainingFeed` only appends plain floats to
lists under a lock; the panel's timer `drain()`s them at its own pace (10-20 Hz)
and draws many points at once. Nothing here touches a widget.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from codegen.training import DataError, NonFiniteLossError, Trainer, TrainingListener
from codegen.training.data import TrainingData
from codegen.training.runner import TrainingResult

#: Validation samples shown next to their predictions after a run.
SAMPLES = 5


@dataclass
class FeedUpdate:
    """What happened since the last drain."""

    #: (epochs, steps per epoch) once fit() has started.
    plan: tuple[int, int] | None = None
    #: (batch number over the run, counting from 1; the epoch's running mean loss).
    batches: list[tuple[int, float]] = field(default_factory=list)
    #: (epoch, logs) of each finished epoch.
    epochs: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    #: Seconds each finished epoch took, validation included.
    epoch_seconds: list[float] = field(default_factory=list)
    #: (epoch, batch) of the latest batch, both from 0.
    position: tuple[int, int] | None = None
    #: Training batches done over the run, and seconds since fit() started.
    done: int = 0
    elapsed: float = 0.0


class TrainingFeed(TrainingListener):
    """A TrainingListener that buffers progress for another thread to drain."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = FeedUpdate()
        self._started = 0.0
        self._epoch_started = 0.0
        self._done = 0

    def training_started(self, epochs: int, steps_per_epoch: int) -> None:
        with self._lock:
            self._started = self._epoch_started = time.perf_counter()
            self._pending.plan = (epochs, steps_per_epoch)

    def batch_finished(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        with self._lock:
            self._done += 1
            self._pending.batches.append((self._done, logs.get("loss", float("nan"))))
            self._pending.position = (epoch, batch)

    def epoch_finished(self, epoch: int, logs: dict[str, float]) -> None:
        now = time.perf_counter()
        with self._lock:
            self._pending.epochs.append((epoch, logs))
            self._pending.epoch_seconds.append(now - self._epoch_started)
            self._epoch_started = now

    def drain(self) -> FeedUpdate:
        """Everything reported since the last drain (safe from any thread)."""
        with self._lock:
            update, self._pending = self._pending, FeedUpdate()
            update.done = self._done
            update.elapsed = time.perf_counter() - self._started if self._started else 0.0
        return update


@dataclass(frozen=True)
class RunOutcome:
    """A finished run: its result, or the message of a data or NaN-loss failure.

    `predictions` maps each output to (targets, predictions) of the first SAMPLES
    validation samples (targets None for an output trained without data).
    """

    result: TrainingResult | None
    error: str | None = None
    predictions: dict[str, tuple[np.ndarray | None, np.ndarray]] = field(default_factory=dict)


def sample_predictions(
    model: Any, data: TrainingData, count: int = SAMPLES
) -> dict[str, tuple[np.ndarray | None, np.ndarray]]:
    """Each output's targets and the model's predictions for the first `count` samples."""
    rows = data.rows(0, count)
    predicted = model.predict(rows.x(), verbose=0)
    if len(rows.targets) == 1:
        predicted = [predicted]
    return {
        name: (target, np.asarray(p))
        for (name, target), p in zip(rows.targets.items(), predicted, strict=True)
    }


def train(trainer: Trainer) -> RunOutcome:
    """Run `trainer` (in the training thread) and predict a few validation samples.

    Data and NaN-loss failures come back as the outcome's message; a setup error
    (GraphError) or any other exception propagates for the job to report.
    """
    try:
        result = trainer.run()
    except (DataError, NonFiniteLossError) as e:
        return RunOutcome(None, str(e))
    predictions = {}
    if result.validation is not None and not result.stopped:
        predictions = sample_predictions(result.model, result.validation)
    return RunOutcome(result, predictions=predictions)
