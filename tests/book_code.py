"""The Keras book's chapter 7 custom metric (7.18) and per-batch loss callback (7.20), in
Python, as a user module: written into a test's folder and trusted there."""

BOOK_MODULE = '''
import json

import keras
from keras import ops


class SparseRootMeanSquaredError(keras.metrics.Metric):
    def __init__(self, name="rmse", **kwargs):
        super().__init__(name=name, **kwargs)
        self.sum_sq_error = self.add_weight(name="sum_sq_error", initializer="zeros")
        self.total_samples = self.add_weight(name="total_samples", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        num_samples, num_classes = ops.shape(y_pred)
        y_true = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), num_classes)
        self.sum_sq_error.assign_add(ops.sum(ops.square(y_true - y_pred)))
        self.total_samples.assign_add(num_samples)

    def result(self):
        return ops.sqrt(ops.divide_no_nan(self.sum_sq_error, self.total_samples))

    def reset_state(self):
        self.sum_sq_error.assign(0.0)
        self.total_samples.assign(0.0)


class LossHistory(keras.callbacks.Callback):
    """Every batch's and epoch's logs, written as JSON to `file` when training ends."""

    def __init__(self, file="history.json"):
        super().__init__()
        self.file = file
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(["batch", batch, {k: float(v) for k, v in logs.items()}])

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(["epoch", epoch, {k: float(v) for k, v in logs.items()}])

    def on_train_end(self, logs=None):
        with open(self.file, "w") as f:
            json.dump(self.seen, f)
'''
