"""Names Keras accepts, read from its own registries. GENERATED: do not edit.

Written by scripts/make_keras_names.py from the installed Keras (imports of keras
are not allowed in graph/); regenerate after a Keras upgrade with

    PYTHONPATH=. .venv/bin/python scripts/make_keras_names.py

tests/test_keras_names.py fails while this file differs from what Keras gives.
"""

KERAS_VERSION = "3.15.1"

#: activation name -> the name of the function it is (aliases share one)
ACTIVATIONS = {
    "celu": "celu",
    "elu": "elu",
    "exponential": "exponential",
    "gelu": "gelu",
    "glu": "glu",
    "hard_shrink": "hard_shrink",
    "hard_sigmoid": "hard_sigmoid",
    "hard_silu": "hard_silu",
    "hard_swish": "hard_silu",
    "hard_tanh": "hard_tanh",
    "leaky_relu": "leaky_relu",
    "linear": "linear",
    "log_sigmoid": "log_sigmoid",
    "log_softmax": "log_softmax",
    "mish": "mish",
    "relu": "relu",
    "relu6": "relu6",
    "selu": "selu",
    "sigmoid": "sigmoid",
    "silu": "silu",
    "soft_shrink": "soft_shrink",
    "softmax": "softmax",
    "softplus": "softplus",
    "softsign": "softsign",
    "sparse_plus": "sparse_plus",
    "sparse_sigmoid": "sparse_sigmoid",
    "sparsemax": "sparsemax",
    "squareplus": "squareplus",
    "swish": "silu",
    "tanh": "tanh",
    "tanh_shrink": "tanh_shrink",
    "threshold": "threshold",
}

#: initializer name -> the class Keras makes of it (its config's class_name)
INITIALIZERS = {
    "GlorotNormal": "GlorotNormal",
    "GlorotUniform": "GlorotUniform",
    "HeNormal": "HeNormal",
    "HeUniform": "HeUniform",
    "Identity": "Identity",
    "IdentityInitializer": "Identity",
    "LecunNormal": "LecunNormal",
    "LecunUniform": "LecunUniform",
    "Ones": "Ones",
    "Orthogonal": "Orthogonal",
    "OrthogonalInitializer": "Orthogonal",
    "RandomNormal": "RandomNormal",
    "RandomUniform": "RandomUniform",
    "STFT": "STFT",
    "STFTInitializer": "STFT",
    "TruncatedNormal": "TruncatedNormal",
    "VarianceScaling": "VarianceScaling",
    "Zeros": "Zeros",
    "glorot_normal": "GlorotNormal",
    "glorot_uniform": "GlorotUniform",
    "he_normal": "HeNormal",
    "he_uniform": "HeUniform",
    "identity": "Identity",
    "lecun_normal": "LecunNormal",
    "lecun_uniform": "LecunUniform",
    "normal": "RandomNormal",
    "one": "Ones",
    "ones": "Ones",
    "orthogonal": "Orthogonal",
    "random_normal": "RandomNormal",
    "random_uniform": "RandomUniform",
    "stft": "STFT",
    "truncated_normal": "TruncatedNormal",
    "uniform": "RandomUniform",
    "variance_scaling": "VarianceScaling",
    "zero": "Zeros",
    "zeros": "Zeros",
}

#: initializer class -> its constructor's arguments (its config's keys)
INITIALIZER_ARGS = {
    "Constant": ("value",),
    "GlorotNormal": ("seed", "input_axes", "output_axes"),
    "GlorotUniform": ("seed", "input_axes", "output_axes"),
    "HeNormal": ("seed", "input_axes", "output_axes"),
    "HeUniform": ("seed", "input_axes", "output_axes"),
    "Identity": ("gain",),
    "LecunNormal": ("seed", "input_axes", "output_axes"),
    "LecunUniform": ("seed", "input_axes", "output_axes"),
    "Ones": (),
    "Orthogonal": ("gain", "seed"),
    "RandomNormal": ("mean", "stddev", "seed"),
    "RandomUniform": ("minval", "maxval", "seed"),
    "STFT": ("side", "window", "scaling", "periodic"),
    "TruncatedNormal": ("mean", "stddev", "seed"),
    "VarianceScaling": ("scale", "mode", "distribution", "seed", "input_axes", "output_axes"),
    "Zeros": (),
}

#: initializer class -> the arguments its config must give
INITIALIZER_NEEDS = {
    "Constant": ("value",),
}

#: regularizer name -> the class Keras makes of it
REGULARIZERS = {
    "L1": "L1",
    "L1L2": "L1L2",
    "L2": "L2",
    "OrthogonalRegularizer": "OrthogonalRegularizer",
    "l1": "L1",
    "l1l2": "L1L2",
    "l2": "L2",
    "orthogonal_regularizer": "OrthogonalRegularizer",
}

#: regularizer class -> its constructor's arguments
REGULARIZER_ARGS = {
    "L1": ("l1",),
    "L1L2": ("l1", "l2"),
    "L2": ("l2",),
    "OrthogonalRegularizer": ("factor", "mode"),
}

#: regularizer class -> the arguments its config must give
REGULARIZER_NEEDS = {}

#: constraint name -> the class Keras makes of it
CONSTRAINTS = {
    "MaxNorm": "MaxNorm",
    "MinMaxNorm": "MinMaxNorm",
    "NonNeg": "NonNeg",
    "UnitNorm": "UnitNorm",
    "max_norm": "MaxNorm",
    "min_max_norm": "MinMaxNorm",
    "non_neg": "NonNeg",
    "unit_norm": "UnitNorm",
}

#: constraint class -> its constructor's arguments
CONSTRAINT_ARGS = {
    "MaxNorm": ("max_value", "axis"),
    "MinMaxNorm": ("min_value", "max_value", "rate", "axis"),
    "NonNeg": (),
    "UnitNorm": ("axis",),
}

#: constraint class -> the arguments its config must give
CONSTRAINT_NEEDS = {}

#: padding modes of most layers
PADDINGS = ("same", "valid")

#: padding modes of 1-D convolutions
CAUSAL_PADDINGS = ("causal", "same", "valid")

#: loss name -> the name shared by its aliases (mae, MAE, MeanAbsoluteError, ...)
LOSSES = {
    "BCE": "binary_crossentropy",
    "BinaryCrossentropy": "binary_crossentropy",
    "BinaryFocalCrossentropy": "binary_focal_crossentropy",
    "CTC": "ctc",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "CategoricalFocalCrossentropy": "categorical_focal_crossentropy",
    "CategoricalHinge": "categorical_hinge",
    "Circle": "circle",
    "CosineSimilarity": "cosine_similarity",
    "Dice": "dice",
    "Hinge": "hinge",
    "Huber": "huber",
    "KLD": "kl_divergence",
    "KLDivergence": "kl_divergence",
    "LogCosh": "log_cosh",
    "MAE": "mean_absolute_error",
    "MAPE": "mean_absolute_percentage_error",
    "MSE": "mean_squared_error",
    "MSLE": "mean_squared_logarithmic_error",
    "MeanAbsoluteError": "mean_absolute_error",
    "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MeanSquaredError": "mean_squared_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
    "Poisson": "poisson",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
    "SquaredHinge": "squared_hinge",
    "Tversky": "tversky",
    "bce": "binary_crossentropy",
    "binary_crossentropy": "binary_crossentropy",
    "binary_focal_crossentropy": "binary_focal_crossentropy",
    "categorical_crossentropy": "categorical_crossentropy",
    "categorical_focal_crossentropy": "categorical_focal_crossentropy",
    "categorical_hinge": "categorical_hinge",
    "ce": "crossentropy",
    "circle": "circle",
    "cosine_similarity": "cosine_similarity",
    "crossentropy": "crossentropy",
    "ctc": "ctc",
    "dice": "dice",
    "hinge": "hinge",
    "huber": "huber",
    "kl_divergence": "kl_divergence",
    "kld": "kl_divergence",
    "log_cosh": "log_cosh",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "mean_absolute_error": "mean_absolute_error",
    "mean_absolute_percentage_error": "mean_absolute_percentage_error",
    "mean_squared_error": "mean_squared_error",
    "mean_squared_logarithmic_error": "mean_squared_logarithmic_error",
    "mse": "mean_squared_error",
    "msle": "mean_squared_logarithmic_error",
    "poisson": "poisson",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
    "squared_hinge": "squared_hinge",
    "tversky": "tversky",
}

#: metric name -> the name shared by its aliases
METRICS = {
    "AUC": "auc",
    "Accuracy": "accuracy",
    "BCE": "binary_crossentropy",
    "BinaryAccuracy": "binary_accuracy",
    "BinaryCrossentropy": "binary_crossentropy",
    "BinaryIoU": "binary_io_u",
    "CategoricalAccuracy": "categorical_accuracy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "CategoricalHinge": "categorical_hinge",
    "ConcordanceCorrelation": "concordance_correlation",
    "CosineSimilarity": "cosine_similarity",
    "F1Score": "f1_score",
    "FBetaScore": "f_beta_score",
    "FalseNegatives": "false_negatives",
    "FalsePositives": "false_positives",
    "Hinge": "hinge",
    "KLDivergence": "kl_divergence",
    "LogCoshError": "log_cosh_error",
    "MAE": "mean_absolute_error",
    "MAPE": "mean_absolute_percentage_error",
    "MSE": "mean_squared_error",
    "MSLE": "mean_squared_logarithmic_error",
    "MeanAbsoluteError": "mean_absolute_error",
    "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
    "MeanSquaredError": "mean_squared_error",
    "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
    "PearsonCorrelation": "pearson_correlation",
    "Poisson": "poisson",
    "Precision": "precision",
    "R2Score": "r2_score",
    "Recall": "recall",
    "RootMeanSquaredError": "root_mean_squared_error",
    "SparseCategoricalAccuracy": "sparse_categorical_accuracy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
    "SparseTopKCategoricalAccuracy": "sparse_top_k_categorical_accuracy",
    "SquaredHinge": "squared_hinge",
    "TopKCategoricalAccuracy": "top_k_categorical_accuracy",
    "TrueNegatives": "true_negatives",
    "TruePositives": "true_positives",
    "acc": "accuracy",
    "accuracy": "accuracy",
    "auc": "auc",
    "bce": "binary_crossentropy",
    "binary_accuracy": "binary_accuracy",
    "binary_crossentropy": "binary_crossentropy",
    "binary_io_u": "binary_io_u",
    "categorical_accuracy": "categorical_accuracy",
    "categorical_crossentropy": "categorical_crossentropy",
    "categorical_hinge": "categorical_hinge",
    "concordance_correlation": "concordance_correlation",
    "cosine_similarity": "cosine_similarity",
    "f1_score": "f1_score",
    "f_beta_score": "f_beta_score",
    "false_negatives": "false_negatives",
    "false_positives": "false_positives",
    "hinge": "hinge",
    "kl_divergence": "kl_divergence",
    "log_cosh_error": "log_cosh_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "mean_absolute_error": "mean_absolute_error",
    "mean_absolute_percentage_error": "mean_absolute_percentage_error",
    "mean_squared_error": "mean_squared_error",
    "mean_squared_logarithmic_error": "mean_squared_logarithmic_error",
    "mse": "mean_squared_error",
    "msle": "mean_squared_logarithmic_error",
    "pearson_correlation": "pearson_correlation",
    "poisson": "poisson",
    "precision": "precision",
    "r2_score": "r2_score",
    "recall": "recall",
    "root_mean_squared_error": "root_mean_squared_error",
    "sparse_categorical_accuracy": "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy": "sparse_top_k_categorical_accuracy",
    "squared_hinge": "squared_hinge",
    "top_k_categorical_accuracy": "top_k_categorical_accuracy",
    "true_negatives": "true_negatives",
    "true_positives": "true_positives",
}
