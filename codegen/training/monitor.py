"""The Keras callback through which a Trainer watches and steers `fit` and `evaluate`.

This module imports keras when it is imported; codegen.training.runner imports it
only inside a run.
"""

from __future__ import annotations

import math
import threading
from typing import Any

from codegen.keras_env import import_keras
from codegen.training.errors import NonFiniteLossError

keras = import_keras()


def plain(logs: dict[str, Any] | None) -> dict[str, float]:
    """Keras logs as plain Python floats."""
    return {key: float(value) for key, value in (logs or {}).items()}


class StoppedBeforeTraining(Exception):
    """A stop came after fit() started and before its first batch: fit() is abandoned."""


class RunMonitor(keras.callbacks.Callback):
    """Reports progress to a listener and honours a stop request within one batch.

    A stop can be asked at any moment from any thread (`stop_event`). `fit()` resets
    `stop_training` when it starts and `evaluate()` resets `stop_evaluating`, so the
    flags are set again at every hook: the batch running when the stop comes is the
    last one, in training and in validation alike. `fit()` looks at `stop_training`
    only after a batch, so a stop that is already there when the first batch begins
    raises StoppedBeforeTraining instead: nothing is trained. Put the monitor first
    among fit()'s callbacks, so that the others never see that batch begin.

    fit() ends the epoch a stop cuts short as if it were whole: it validates on the
    one batch the stop lets through and calls on_epoch_end with the logs of part of
    an epoch. An epoch at whose end a stop is pending is therefore not reported as
    finished (a stop that lands in the instant between a whole epoch's validation
    and its end drops that epoch too: the batch plot and the history still have it).
    """

    def __init__(self, stop_event: threading.Event, listener: Any) -> None:
        super().__init__()
        self.stop_event = stop_event
        self.listener = listener
        self.epoch = 0
        self.batches = 0

    def _halt(self) -> None:
        if self.stop_event.is_set():
            self.model.stop_training = True
            self.model.stop_evaluating = True

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.listener.training_started(self.params["epochs"], self.params["steps"])
        self._halt()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch
        self._halt()

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if self.batches == 0 and self.stop_event.is_set():
            raise StoppedBeforeTraining
        self._halt()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        logs = plain(logs)
        self.batches += 1
        loss = logs.get("loss", 0.0)
        if not math.isfinite(loss):
            self.model.stop_training = True
            raise NonFiniteLossError(
                f"the training loss became {loss} at epoch {self.epoch + 1}, batch {batch + 1}; "
                "training stopped. Try a lower learning rate, or check the data for "
                "extreme values"
            )
        self.listener.batch_finished(self.epoch, batch, logs)
        self._halt()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if not self.stop_event.is_set():
            self.listener.epoch_finished(epoch, plain(logs))
        self._halt()

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._halt()

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._halt()

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._halt()
