"""TensorBoard logs on the torch backend, written with torch's SummaryWriter.

Keras's own `keras.callbacks.TensorBoard` imports TensorFlow on first use, which this
project does not depend on; this callback writes the scalars it writes, with the names
it gives them, through `torch.utils.tensorboard.SummaryWriter` (the `tensorboard`
package): `<log_dir>/train` gets `epoch_<name>` of every training log at the epoch's
index (and `epoch_learning_rate`, the optimizer's), `<log_dir>/validation` the `val_`
logs without their prefix, and with update_freq "batch" `train` also gets
`batch_<name>` at every training batch, counted from 1 over the whole run, as Keras
counts them. `tensorboard --logdir <log_dir>` reads them. This module imports
keras and torch when it is imported: the training code imports it only once used, and
generated training scripts carry its code.
"""

from __future__ import annotations

import os

from torch.utils.tensorboard import SummaryWriter

from codegen.keras_env import import_keras

keras = import_keras()


class TorchTensorBoard(keras.callbacks.Callback):
    """Keras's TensorBoard scalars (epoch and, if asked, batch logs) without TensorFlow."""

    def __init__(self, log_dir: str = "logs", update_freq: str = "epoch") -> None:
        super().__init__()
        self.log_dir = log_dir
        self.update_freq = update_freq
        self._writers: dict[str, SummaryWriter] = {}
        self._batches = 0

    def _writer(self, kind: str) -> SummaryWriter:
        if kind not in self._writers:
            self._writers[kind] = SummaryWriter(os.path.join(self.log_dir, kind))
        return self._writers[kind]

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._batches = 0

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._batches += 1

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.update_freq == "batch":
            for name, value in (logs or {}).items():
                self._writer("train").add_scalar(f"batch_{name}", float(value), self._batches)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = dict(logs or {})
        logs["learning_rate"] = float(
            keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
        )
        for name, value in logs.items():
            kind, name = ("validation", name[4:]) if name.startswith("val_") else ("train", name)
            self._writer(kind).add_scalar(f"epoch_{name}", float(value), epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
