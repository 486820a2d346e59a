"""Trainer: compile, fit and evaluate a graph on checked data, stoppable from any thread.

A Trainer is made in one thread (the studio's GUI thread) and `run()` in another
(its worker), or both in one (`kgs train`). Everything Keras keeps per thread (the
random seed, the dtype policy, safe mode) is set inside `run()`, so it holds where
training runs: float32 and safe-mode deserialization, whatever the calling thread had
(its own settings are back when `run()` returns). Progress goes to a
`TrainingListener` as plain floats, from the training thread: a GUI must hand it
over to its own thread. `stop()` may be called at any moment from any thread; the
batch running then is the last one, and a stop before the first batch trains nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codegen.keras_env import import_keras
from codegen.training.data import TrainingData, check_arrays, load_data, read_source
from codegen.training.targets import found_target_kinds, target_kinds
from codegen.trusted_code import Trust, check_trusted, graph_uses, import_modules
from graph import ModelGraph
from graph.training import TrainingSetup, TrainingSetupError, check_setup
from graph.weightsfile import SavedWeights

if TYPE_CHECKING:
    from codegen.build_weights import WeightsReport


class TrainingListener:
    """What a Trainer reports, as plain Python values, in the training thread.

    Epochs and batches count from 0, as Keras counts them. Batch logs are Keras's
    running means over the epoch so far ("loss", per-output losses and metrics);
    epoch logs add the validation values ("val_loss", ...). Subclass and override
    what you need; every method does nothing here.
    """

    def training_started(self, epochs: int, steps_per_epoch: int) -> None:
        """fit() begins: `epochs` epochs of `steps_per_epoch` batches."""

    def batch_finished(self, epoch: int, batch: int, logs: dict[str, float]) -> None:
        """A training batch is done."""

    def epoch_finished(self, epoch: int, logs: dict[str, float]) -> None:
        """An epoch is done, validation included (not one cut short by a stop: its
        logs would describe part of an epoch and one batch of validation)."""

    def evaluated(self, logs: dict[str, float]) -> None:
        """The trained model was evaluated on the validation data."""


@dataclass(frozen=True)
class TrainingResult:
    """What a run produced. `evaluation` is None without validation data or after a stop."""

    model: Any
    history: dict[str, list[float]]
    evaluation: dict[str, float] | None
    #: True when stop() ended the run early (EarlyStopping is a normal end).
    stopped: bool
    #: Training batches run, over all epochs.
    batches: int
    setup: TrainingSetup
    validation: TrainingData | None
    #: Which layers started from the graph's saved weights, which fresh (and why).
    weights_report: WeightsReport | None = None


class Trainer:
    """One training run of a graph, with its setup and data.

    `setup` defaults to the graph's own (`g.training`), else to the defaults; unset
    losses and metrics are inferred from the outputs and their training targets.
    `data` and `validation` are checked arrays, or None to read the files the setup
    names (`setup.data`, `setup.validation_data`; relative paths are relative to
    `base`). Without validation data, the last `validation_split` of the data validates.
    `weights` (the graph's sidecar, graph.weightsfile.read_sidecar) are where training
    starts for every layer whose shapes match; frozen layers do not train.
    The user's modules the setup names (its losses, metrics, callbacks) are imported
    only where `trust` trusts them as they are (codegen.trusted_code); `prepare()`
    refuses with UntrustedCodeError before anything is read or run.
    """

    def __init__(
        self,
        g: ModelGraph,
        setup: TrainingSetup | None = None,
        *,
        data: TrainingData | None = None,
        validation: TrainingData | None = None,
        base: str | Path = ".",
        listener: TrainingListener | None = None,
        weights: SavedWeights | None = None,
        trust: Trust | None = None,
    ) -> None:
        self.graph = g
        self.weights = weights
        self.setup = setup or g.training or TrainingSetup()
        self.base = Path(base)
        self.listener = listener or TrainingListener()
        self.trust = trust or Trust()
        self._data = data
        self._validation = validation
        self._prepared: tuple[TrainingSetup, TrainingData, TrainingData | None] | None = None
        self._stop = threading.Event()

    # --------------------------------------------------------- any thread

    def stop(self) -> None:
        """Ask the run to stop after the batch in progress; safe from any thread."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    # ---------------------------------------------------- training thread

    def prepare(self) -> tuple[TrainingSetup, TrainingData, TrainingData | None]:
        """(resolved setup, training data, validation data), all checked.

        Raises TrainingSetupError or DataError (codegen.training.errors) with every
        problem found, UntrustedCodeError for code not trusted; `run()` calls it
        first, a caller may call it earlier to report bad data before starting a thread.
        """
        if self._prepared is None:
            g = self.graph
            setup = check_setup(g, self.setup)  # its own problems, before any data is read
            check_trusted(setup, self.base, self.trust, graph_uses(g, setup))
            data = self._data
            if data is not None:
                setup = check_setup(g, self.setup, target_kinds(data.targets))
            elif setup.data is None:
                raise TrainingSetupError(
                    f"graph '{g.name}': no training data given (set training.data or pass data)"
                )
            else:
                # The defaults fit the targets (0/1 labels or values to regress), so the
                # arrays are read first and checked against the setup they lead to.
                inputs = [g.layer(n).name for n in g.inputs]
                outputs = [g.layer(n).name for n in g.outputs]
                found = read_source(setup.data, self.base, inputs, outputs)
                setup = check_setup(g, self.setup, found_target_kinds(found, g))
                data = check_arrays(found, g, setup, " + ".join(setup.data.files()))
            validation = self._validation
            if validation is None and setup.validation_data is not None:
                validation = load_data(setup.validation_data, self.graph, setup, self.base)
            if validation is None and setup.validation_split > 0:
                data, validation = data.split(setup.validation_split)
            self._prepared = (setup, data, validation)
        return self._prepared

    def run(self) -> TrainingResult:
        """Build, compile, fit and evaluate; call in the thread that trains.

        Raises TrainingSetupError, DataError, GraphError (an invalid graph), or
        NonFiniteLossError when the loss becomes NaN or infinite.
        """
        setup, data, validation = self.prepare()
        keras = import_keras()
        with thread_settings(keras):
            return self._run(keras, setup, data, validation)

    def _run(
        self,
        keras: Any,
        setup: TrainingSetup,
        data: TrainingData,
        validation: TrainingData | None,
    ) -> TrainingResult:
        if setup.seed is not None:
            keras.utils.set_random_seed(setup.seed)

        from codegen.build import build_with_weights
        from codegen.training.compiling import compile_arguments, make_callbacks
        from codegen.training.monitor import RunMonitor, StoppedBeforeTraining, plain
        from codegen.user_layers import trust_layers

        modules = import_modules(setup, self.base, self.trust)
        trust_layers(self.graph, self.base, self.trust)
        model, weights_report = build_with_weights(self.graph, self.weights)
        model.compile(**compile_arguments(setup, modules))
        monitor = RunMonitor(self._stop, self.listener)
        history: dict[str, list[float]] = {}
        if not self._stop.is_set():
            callbacks = make_callbacks(setup, self.base, modules)
            try:
                fitted = model.fit(
                    data.x(),
                    data.y(),
                    batch_size=setup.batch_size,
                    epochs=setup.epochs,
                    validation_data=(
                        None if validation is None else (validation.x(), validation.y())
                    ),
                    callbacks=[monitor, *callbacks],
                    verbose=0,
                )
            except StoppedBeforeTraining:
                for callback in callbacks:  # end them as fit() would have (CSVLogger closes)
                    callback.on_train_end()
            else:
                history = {k: [float(v) for v in values] for k, values in fitted.history.items()}
        evaluation = None
        if validation is not None and not self._stop.is_set():
            logs = model.evaluate(
                validation.x(),
                validation.y(),
                batch_size=setup.batch_size,
                callbacks=[monitor],
                verbose=0,
                return_dict=True,
            )
            if not self._stop.is_set():  # else a stop cut the evaluation short
                evaluation = plain(logs)
                self.listener.evaluated(evaluation)
        return TrainingResult(
            model,
            history,
            evaluation,
            self._stop.is_set(),
            monitor.batches,
            setup,
            validation,
            weights_report,
        )


@contextmanager
def thread_settings(keras: Any) -> Iterator[None]:
    """In this thread, for the block: the float32 dtype policy and safe mode on.

    Keras keeps both per thread. Safe mode has no public switch on (only
    `keras.config.enable_unsafe_deserialization()`, off), so this uses the scope
    `keras.saving.load_model` itself enters; while it is on, every deserialization in
    the thread refuses lambdas and other code, even one asking `safe_mode=False`.
    The thread's own policy and safe mode are back afterwards.
    """
    from keras.src.saving.serialization_lib import SafeModeScope

    policy = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        with SafeModeScope(True):
            yield
    finally:
        keras.config.set_dtype_policy(policy)
