"""The book's custom metric (chapter 7, listing 7.18), offered as the `sparse_rmse` choice.

This module imports keras when it is imported; the training code imports it only
once Keras is needed. The class is registered as serializable, so a trained model
saved with it as a compiled metric reloads (also in safe mode) where this module
has been imported.
"""

from __future__ import annotations

from codegen.keras_env import import_keras

keras = import_keras()
ops = keras.ops


@keras.saving.register_keras_serializable(package="kgs")
class SparseRootMeanSquaredError(keras.metrics.Metric):
    """Root mean squared error of categorical predictions against integer labels.

    The labels are one-hot encoded to the predictions' width; the squared error is
    summed over classes and averaged over samples, as in the book (an output with
    more axes counts each position as a sample).
    """

    def __init__(self, name: str = "rmse", **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.sum_sq_error = self.add_weight(name="sum_sq_error", initializer="zeros")
        self.total_samples = self.add_weight(name="total_samples", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        num_classes = ops.shape(y_pred)[-1]
        y_pred = ops.reshape(y_pred, (-1, num_classes))
        num_samples = ops.shape(y_pred)[0]
        labels = ops.reshape(ops.cast(y_true, "int32"), (-1,))
        y_true = ops.one_hot(labels, num_classes)
        self.sum_sq_error.assign_add(ops.sum(ops.square(y_true - y_pred)))
        self.total_samples.assign_add(ops.cast(num_samples, self.total_samples.dtype))

    def result(self):
        return ops.sqrt(ops.divide_no_nan(self.sum_sq_error, self.total_samples))

    def reset_state(self) -> None:
        self.sum_sq_error.assign(0.0)
        self.total_samples.assign(0.0)
