"""A graph and its training setup -> the text of a training script, in one of three styles.

The script is put together from the fixed blocks of `templates`, in a fixed order:
docstring, imports, the setup's values, the data checks (`codegen.training.arrays`,
copied), the custom metric, the TensorBoard callback and the user-module loader if
used (copied), the model (`to_python(g, "functional")`, loading the weights file
beside the script when there is one),
compile arguments, callbacks, training, the ONNX export if the setup asks for it
(`export_onnx`), entry point. Every value comes from the resolved setup in the model's
output order or the setup's callback order, so the same graph and setup always give
the same bytes.
"""

from __future__ import annotations

import re
from string import Template
from typing import Any

from codegen.export import onnx_output_names
from codegen.onnx_readiness import onnx_problems
from codegen.pysource import to_python
from codegen.training.data import model_io
from codegen.training_script import templates as t
from codegen.training_script.embedded import embedded, import_block
from codegen.training_script.literals import Call, Code, laid_out, literal
from graph import ModelGraph
from graph.filenames import file_stem
from graph.training import (
    NO_LOSS,
    SPARSE_RMSE,
    CSVLogger,
    CustomCallback,
    DataSource,
    ModelCheckpoint,
    TensorBoard,
    TrainingSetup,
    TrainingSetupError,
    check_setup,
)
from graph.user_code import CustomObject
from graph.user_layers import used_modules

STYLES = ("fit", "loop", "ddp", "train_step")

#: Keras's optimizer classes by the setup's identifiers (checked against
#: keras.optimizers.get in the tests).
OPTIMIZER_CLASSES = {
    "adam": "Adam",
    "adamw": "AdamW",
    "sgd": "SGD",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
    "adamax": "Adamax",
    "nadam": "Nadam",
    "lion": "Lion",
}

#: Callbacks that write a file, and the argument naming it.
_FILE_ARGUMENTS = {ModelCheckpoint: "filepath", CSVLogger: "filename", TensorBoard: "log_dir"}

#: Callbacks the script defines itself (copied from the project), by setup type.
_OWN_CALLBACKS = {TensorBoard: "TorchTensorBoard"}

#: Imports each style's own code needs (the copied modules add theirs).
_IMPORTS = {
    "fit": ["import argparse", "import os", "import sys", "from pathlib import Path"],
    "loop": [
        "import argparse",
        "import math",
        "import os",
        "import sys",
        "from collections.abc import Iterator",
        "from pathlib import Path",
        "import numpy as np",
    ],
}
_IMPORTS["ddp"] = _IMPORTS["loop"]
_IMPORTS["train_step"] = _IMPORTS["fit"]

_LATE_IMPORTS = {
    "fit": ["import keras  # noqa: E402"],
    "loop": ["import keras  # noqa: E402", "import torch  # noqa: E402"],
    "train_step": ["import keras  # noqa: E402", "import torch  # noqa: E402"],
    "ddp": [
        "import keras  # noqa: E402",
        "import torch  # noqa: E402",
        "import torch.distributed as dist  # noqa: E402",
        "from torch.nn.parallel import DistributedDataParallel  # noqa: E402",
        "from torch.utils.data import DistributedSampler  # noqa: E402",
    ],
}

_DOCS = {"fit": t.FIT_DOC, "loop": t.LOOP_DOC, "ddp": t.DDP_DOC, "train_step": t.TRAIN_STEP_DOC}

#: The training code of each style, in order.
_TRAINING = {
    "fit": [t.FIT_TRAIN],
    "loop": [t.APPLY_GRADIENTS, t.BATCHES, t.LOOP_RESULTS],
    "ddp": [t.APPLY_GRADIENTS, t.BATCHES, t.DDP_PROCESSES, t.DDP_RESULTS],
    "train_step": [t.APPLY_GRADIENTS, t.TRAIN_STEP_MODEL, t.FIT_TRAIN],
}


def _display(name: str) -> str:
    """The graph's name as docstrings show it: printable, no quotes or backslashes, short."""
    shown = "".join(c if c.isprintable() and c not in "\\\"'" else "?" for c in name)
    return shown if len(shown) <= 24 else shown[:21] + "..."


# ------------------------------------------------------------------ blocks


def _data_items(source: DataSource | None) -> list[str] | None:
    """A DataSource as the command line names it: [FILE] or [NAME=FILE.npy, ...]."""
    if source is None:
        return None
    if source.path is not None:
        return [source.path]
    return [f"{name}={path}" for name, path in source.arrays.items()]


def _setup_block(g: ModelGraph, setup: TrainingSetup) -> list[str]:
    data, validation = setup.data, setup.validation_data
    return [
        "#: The training setup, as exported; the command line's options override these.",
        f"EPOCHS = {setup.epochs}",
        f"BATCH_SIZE = {setup.batch_size}",
        f"SEED = {setup.seed!r}",
        *laid_out("OUT = ", f"{file_stem(g.name)}.keras"),
        *_onnx_outputs_lines(g, setup),
        "#: Training data: one .npz or .csv file, or NAME=FILE.npy per input and output",
        "#: (relative to this script's folder); None: --data must name it.",
        *laid_out("DATA = ", _data_items(data)),
        *laid_out("DATA_COLUMNS = ", dict(data.columns) if data else {}),
        *laid_out("VALIDATION_DATA = ", _data_items(validation)),
        *laid_out("VALIDATION_COLUMNS = ", dict(validation.columns) if validation else {}),
        "#: Without validation data, this last fraction of the training data validates.",
        f"VALIDATION_SPLIT = {setup.validation_split!r}",
        "",
        "HERE = Path(__file__).resolve().parent",
    ]


def _onnx_outputs_lines(g: ModelGraph, setup: TrainingSetup) -> list[str]:
    if not setup.export_onnx:
        return []
    return [
        "#: The trained model is also written as ONNX (OUT with the suffix .onnx), its",
        "#: inputs named as the model's and its outputs so:",
        *laid_out("ONNX_OUTPUTS = ", onnx_output_names(g)),
    ]


def _model_io_block(g: ModelGraph, setup: TrainingSetup) -> list[str]:
    inputs, outputs = model_io(g, setup)
    input_calls = tuple(Call("ModelInput", (i.name, i.shape, i.dtype)) for i in inputs)
    output_calls = tuple(
        Call("ModelOutput", (o.name, o.shape, o.loss, o.metrics, o.sparse)) for o in outputs
    )
    return [
        "#: The model's inputs and outputs, as its data must fit them.",
        *laid_out("INPUTS = ", input_calls),
        *laid_out("OUTPUTS = ", output_calls),
    ]


def _user_object(obj: CustomObject) -> Code:
    """The script's call that makes a user object (its `user_object` helper)."""
    args = f", {literal(dict(obj.args))}" if obj.args else ""
    return Code(f"user_object({literal(obj.ref)}{args})")


def _metric(name: str | CustomObject) -> Any:
    if isinstance(name, CustomObject):
        return _user_object(name)
    return Code("SparseRootMeanSquaredError()") if name == SPARSE_RMSE else name


def _loss(loss: str | CustomObject) -> Any:
    if isinstance(loss, CustomObject):
        return _user_object(loss)
    return None if loss == NO_LOSS else loss


def _user_modules_block(g: ModelGraph, setup: TrainingSetup) -> list[str]:
    """USER_MODULES: each module the setup or the graph's custom layers use, by name:
    its file beside the script and the sha256 of the content that was trusted."""
    used = {obj.module for _, obj in setup.custom_objects()}
    used |= {m.name for m in used_modules(g)}
    modules = {m.name: (m.file_name, m.sha256) for m in setup.modules if m.name in used}
    if not modules:
        return []
    return [
        "#: The user's modules, copied beside this script: (file, sha256 of the content",
        "#: trusted when the script was written); a file that changed is not imported.",
        *laid_out("USER_MODULES = ", modules),
    ]


def _compile_block(setup: TrainingSetup, style: str) -> str:
    outputs = setup.outputs
    optimizer = f"keras.optimizers.{OPTIMIZER_CLASSES[setup.optimizer]}"
    arguments = [
        f"        optimizer={optimizer}(learning_rate={setup.learning_rate!r}),",
        *laid_out(
            "loss=",
            {name: _loss(o.loss) for name, o in outputs.items()},
            8,
            ",",
        ),
        *laid_out("loss_weights=", {name: o.loss_weight for name, o in outputs.items()}, 8, ","),
        *laid_out(
            "metrics=",
            {name: [_metric(m) for m in o.metrics] for name, o in outputs.items()},
            8,
            ",",
        ),
    ]
    make = "with_train_step(build_model())" if style == "train_step" else "build_model()"
    return Template(t.COMPILE).substitute(arguments="\n".join(arguments), make_model=make)


def _callback_lines(callback: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(callback, CustomCallback):
        obj = _user_object(CustomObject(callback.ref, callback.args))
        return [f"{pad}{literal(obj)},"]
    callee = _OWN_CALLBACKS.get(type(callback), f"keras.callbacks.{callback.type}")
    lines = [f"{pad}{callee}("]
    file_argument = _FILE_ARGUMENTS.get(type(callback))
    for name, value in callback.kwargs().items():
        text = literal(value)
        if name == file_argument:
            text = f"str(folder / {text})"
        lines.append(f"{pad}    {name}={text},")
    return [*lines, f"{pad}),"]


def _callbacks_block(setup: TrainingSetup, style: str) -> list[str]:
    """make_callbacks(): the setup's callbacks in its order. Under ddp, only a process
    that writes files makes those that write files."""
    split = style == "ddp"
    writers = [c for c in setup.callbacks if split and type(c) in _FILE_ARGUMENTS]
    every = [c for c in setup.callbacks if c not in writers]
    lines = [t.DDP_CALLBACKS_HEAD if style == "ddp" else t.CALLBACKS_HEAD]
    if not writers:
        if not every:
            return [*lines, "    return []"]
        return [
            *lines,
            "    return [",
            *[line for c in every for line in _callback_lines(c, 8)],
            "    ]",
        ]
    if every:
        lines.append("    callbacks = [")
        lines += [line for c in every for line in _callback_lines(c, 8)]
        lines.append("    ]")
    else:
        lines.append("    callbacks = []")
    lines += ["    if writes_files:", "        callbacks += ["]
    lines += [line for c in writers for line in _callback_lines(c, 12)]
    return [*lines, "        ]", "    return callbacks"]


def _find_unused(setup: TrainingSetup) -> tuple[str, str]:
    """DDP's find_unused_parameters, and why: True when an output has no loss (its
    layers then get no gradient, which DDP would otherwise wait for)."""
    if any(o.loss == NO_LOSS for o in setup.outputs.values()):
        return "True", "# An output has no loss: DDP must not wait for its layers' gradients."
    return "False", "# Every output has a loss: every trainable layer gets gradients."


def _section(title: str) -> str:
    rule = "# " + "-" * 90
    return f"{rule}\n# {title}\n{rule}"


def _build_model_code(g: ModelGraph, weights: str | None) -> str:
    """The functional source's build_model() without that module's header; with
    `weights`, also its WEIGHTS path and load_weights(), which build_model() calls."""
    source = to_python(g, "functional", weights)
    start = "def build_model():" if weights is None else "#: The weights Keras Graph Studio"
    return source[source.index(start) :].rstrip("\n")


def check_onnx_setup(g: ModelGraph, setup: TrainingSetup) -> None:
    """When `setup` asks for an ONNX file (`export_onnx`), TrainingSetupError naming
    every node of `g` that cannot go to ONNX (codegen.onnx_readiness), with its fix."""
    problems = onnx_problems(g) if setup.export_onnx else []
    if problems:
        lines = "\n".join(f"  training.export_onnx: {p.message}" for p in problems)
        raise TrainingSetupError(
            f"training setup of graph '{g.name}' asks for an ONNX file, but the model "
            f"cannot be exported to ONNX:\n{lines}"
        )


def _write_onnx(style: str) -> str:
    """The line of main() that writes the ONNX file (rank 0's block under ddp)."""
    pad = " " * (12 if style == "ddp" else 4)
    return f'\n{pad}print(f"wrote {{export_onnx(model, data, args.out)}}")'


def to_training_script(
    g: ModelGraph, setup: TrainingSetup | None, style: str, weights: str | None = None
) -> str:
    """The source of a training script for `g` trained with `setup` in `style`.

    `setup` defaults to the graph's own, else the defaults; unset losses and metrics
    are inferred from the outputs. With `weights`, the name of a weights file beside
    the script (graph.weightsfile's format), the model starts from the weights in it,
    as `kgs train` starts from the graph's. Raises ValueError for an unknown style,
    TrainingSetupError for an unusable setup (one asking for ONNX of a graph that
    cannot go to ONNX included) and GraphError for an invalid graph. The same graph
    and setup always give the same text.
    """
    if style not in STYLES:
        raise ValueError(
            f"unknown training script style. Expected one of: {', '.join(STYLES)}. "
            f"Received: style={style!r}"
        )
    setup = check_setup(g, setup or g.training or TrainingSetup())
    check_onnx_setup(g, setup)
    onnx = setup.export_onnx
    data_code = embedded("codegen.training.arrays")
    uses_metric = any(SPARSE_RMSE in o.metrics for o in setup.outputs.values())
    metric_code = embedded("codegen.training.custom_metrics", drop=("keras",))
    uses_tensorboard = any(isinstance(c, TensorBoard) for c in setup.callbacks)
    tensorboard_code = embedded("codegen.training.tensorboard", drop=("keras",))
    user_modules = _user_modules_block(g, setup)
    layer_modules = [f'{m.name} = user_module("{m.name}")' for m in used_modules(g)]
    loading_code = embedded("codegen.module_loading")
    onnx_code = embedded("codegen.onnx_dynamo")
    model_code = _build_model_code(g, weights)
    imports = [*_IMPORTS[style], *data_code.imports, *(onnx_code.imports if onnx else ())]
    late_imports = _LATE_IMPORTS[style]
    if uses_metric:
        imports += metric_code.imports
    if uses_tensorboard:
        imports += tensorboard_code.imports
    if user_modules:
        imports += loading_code.imports
    # In docstrings, as command-line words: no quotes, spaces or backslashes.
    word = re.sub(r"[^A-Za-z0-9_-]", "_", g.name)[:32] or "model"
    values = {
        "name": _display(g.name),
        "epochs": setup.epochs,
        "out": f"{word}.keras",
        "data_hint": " --data DATA" if setup.data is None else "",
        "rdzv_id": word,
        "onnx_doc": t.ONNX_DOC if onnx else "",
        "weights_doc": t.WEIGHTS_DOC if weights else "",
        "write_onnx": _write_onnx(style) if onnx else "",
        "code_doc": t.USER_CODE_DOC if user_modules else "",
        "saved": "functional(model)" if style == "train_step" else "model",
    }
    values["find_unused"], values["unused_note"] = _find_unused(setup)
    head = [
        Template(_DOCS[style]).substitute(values),
        "",
        "from __future__ import annotations",
        "",
        *import_block(imports),
        "",
        t.BACKEND,
        "",
        *late_imports,
        "",
        *_setup_block(g, setup),
        *(["", *user_modules] if user_modules else []),
    ]
    user_code = [_section("The user's modules"), loading_code.body, t.USER_OBJECT]
    blocks = [
        "\n".join(head),
        # The model's custom layers need their modules before build_model() is defined.
        *([*user_code, "\n".join(layer_modules)] if layer_modules else []),
        _section("The model"),
        model_code,
        _compile_block(setup, style),
        "\n".join(_callbacks_block(setup, style)),
        _section("Training"),
        t.FORMAT_LOGS,
        *(Template(block).substitute(values) for block in _TRAINING[style]),
        *(
            [_section("ONNX export (the compiler's own)"), t.EXPORT_ONNX, onnx_code.body]
            if onnx
            else []
        ),
        _section("Command line"),
        t.ARGUMENTS,
        Template(t.DDP_MAIN if style == "ddp" else t.MAIN).substitute(values),
        _section("Training data, read and checked as `kgs train` checks it (the same code)"),
        data_code.body,
        "\n".join(_model_io_block(g, setup)),
        t.READ_DATA,
    ]
    if uses_metric:
        blocks += [_section("The Keras book's custom metric (chapter 7)"), metric_code.body]
    if uses_tensorboard:
        blocks += [_section("TensorBoard logs without TensorFlow"), tensorboard_code.body]
    if user_modules and not layer_modules:
        blocks += user_code
    blocks.append(t.ENTRY)
    return "\n\n\n".join(blocks) + "\n"
