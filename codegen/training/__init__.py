"""Training a graph: data files checked against the model, compile arguments from a
TrainingSetup, and a Trainer that fits in any thread and can be stopped from another.

Importing this package does not import keras; a run does.
"""

from codegen.training.data import TrainingData, check_arrays, load_data
from codegen.training.errors import DataError, NonFiniteLossError
from codegen.training.runner import Trainer, TrainingListener, TrainingResult

__all__ = [
    "DataError",
    "NonFiniteLossError",
    "Trainer",
    "TrainingData",
    "TrainingListener",
    "TrainingResult",
    "check_arrays",
    "load_data",
]
