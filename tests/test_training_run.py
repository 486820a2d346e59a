"""The Trainer: trains templates on the bundled data, stops within a batch when asked from
another thread, reports progress as plain floats, and fails clearly on a NaN loss."""

import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from codegen.keras_env import import_keras
from codegen.training import NonFiniteLossError, Trainer, TrainingListener, load_data
from codegen.training.targets import source_target_kinds
from graph import load
from graph.training import (
    NO_LOSS,
    SPARSE_RMSE,
    CSVLogger,
    DataSource,
    EarlyStopping,
    ModelCheckpoint,
    OutputSetup,
    TrainingSetup,
    log_names,
    resolve,
    setup_problems,
)
from tests.graphs import chain

ROOT = Path(__file__).parents[1]
TEMPLATES = ROOT / "resources" / "templates"
DATA = ROOT / "resources" / "data"
DIGITS = DataSource(str(DATA / "digits_mlp.npz"))
TICKETS = DataSource(str(DATA / "tickets.npz"))


class Recorder(TrainingListener):
    """Records what a Trainer reports; optionally calls `on_batch(count)` after each batch."""

    def __init__(self, on_batch=None) -> None:
        self.started = None
        self.batches: list[tuple[int, int, dict]] = []
        self.epochs: list[tuple[int, dict]] = []
        self.evaluation = None
        self.on_batch = on_batch

    def training_started(self, epochs, steps_per_epoch):
        self.started = (epochs, steps_per_epoch)

    def batch_finished(self, epoch, batch, logs):
        self.batches.append((epoch, batch, logs))
        if self.on_batch:
            self.on_batch(len(self.batches))

    def epoch_finished(self, epoch, logs):
        self.epochs.append((epoch, logs))

    def evaluated(self, logs):
        self.evaluation = logs


def mlp():
    return load(TEMPLATES / "mnist_mlp.graph.json")


def line(tmp_path, **changes):
    """(graph, setup): one weight, from zero and without bias, learning y = x by full-batch
    SGD and validated on y = x / 2, so val_loss falls for two epochs (the weight nears
    1/2) and rises from then on (it passes 1/2 on its way to 1). Files in `tmp_path`."""
    g = chain(
        ("Dense", {"units": 1, "use_bias": False, "kernel_initializer": "zeros"}),
        input_shape=(1,),
    )
    x = np.linspace(-1, 1, 16, dtype=np.float32)[:, None]
    np.savez(tmp_path / "train.npz", input=x, dense=x)
    np.savez(tmp_path / "val.npz", input=x, dense=x / 2)
    setup = TrainingSetup(
        optimizer="sgd",
        learning_rate=0.5,
        batch_size=16,
        epochs=6,
        validation_split=0.0,
        data=DataSource(str(tmp_path / "train.npz")),
        validation_data=DataSource(str(tmp_path / "val.npz")),
        outputs={"dense": OutputSetup(loss="mse", metrics=())},
    )
    return g, replace(setup, **changes)


def in_thread(function):
    """Run `function` in a new thread (as the studio's worker does); return its result."""
    out = {}
    thread = threading.Thread(target=lambda: out.update(result=function()))
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    return out["result"]


def test_mlp_template_learns_the_bundled_digits():
    recorder = Recorder()
    setup = TrainingSetup(epochs=2, batch_size=64, seed=0, data=DIGITS)
    result = Trainer(mlp(), setup, listener=recorder).run()
    assert result.evaluation["accuracy"] >= 0.9
    assert result.history["val_accuracy"][-1] >= 0.9
    assert not result.stopped
    steps = -(-1437 // 64)
    assert recorder.started == (2, steps)
    assert result.batches == len(recorder.batches) == 2 * steps
    assert [epoch for epoch, _ in recorder.epochs] == [0, 1]
    epoch, batch, logs = recorder.batches[-1]
    assert (epoch, batch) == (1, steps - 1)
    assert all(type(v) is float for v in logs.values()) and "loss" in logs
    assert sorted(recorder.epochs[-1][1]) == sorted(log_names(mlp(), setup))
    # The evaluation is Keras's own on the last 20% of the data.
    assert recorder.evaluation == result.evaluation
    validation = result.validation
    keras_eval = result.model.evaluate(
        validation.x(), validation.y(), batch_size=64, verbose=0, return_dict=True
    )
    assert result.evaluation == pytest.approx(keras_eval)


def test_stop_asked_from_another_thread_lands_within_one_batch():
    asked = threading.Event()
    seen_at_stop = []
    recorder = Recorder(on_batch=lambda count: count >= 3 and asked.set())
    setup = TrainingSetup(epochs=50, batch_size=8, data=DIGITS)
    trainer = Trainer(mlp(), setup, listener=recorder)

    def stopper():
        asked.wait(timeout=60)
        trainer.stop()
        seen_at_stop.append(len(recorder.batches))

    thread = threading.Thread(target=stopper)
    thread.start()
    result = in_thread(trainer.run)
    thread.join()
    assert result.stopped and trainer.stop_requested
    assert result.batches <= seen_at_stop[0] + 1
    assert result.batches < 1437 // 8  # well inside the first epoch
    assert result.evaluation is None and recorder.evaluation is None


def test_a_stop_during_a_batch_makes_it_the_last_one():
    trainer = None

    def stop_from_another_thread(count):
        if count == 3:
            helper = threading.Thread(target=trainer.stop)
            helper.start()
            helper.join()

    recorder = Recorder(on_batch=stop_from_another_thread)
    trainer = Trainer(mlp(), TrainingSetup(epochs=3, batch_size=32, data=DIGITS), listener=recorder)
    result = trainer.run()
    assert result.batches == len(recorder.batches) == 3
    assert len(result.history["loss"]) == 1  # the cut-short epoch, then no other


def test_a_stop_before_the_run_trains_nothing():
    trainer = Trainer(mlp(), TrainingSetup(epochs=3, data=DIGITS))
    trainer.stop()
    result = trainer.run()
    assert result.stopped and result.batches == 0 and result.history == {}
    assert result.model is not None


def test_a_stop_between_the_checks_and_fit_trains_nothing(tmp_path, monkeypatch):
    """fit() runs its first batch whatever stop_training says: a stop that lands after
    the Trainer's last check and before that batch must still train nothing."""
    keras = import_keras()
    g, setup = line(tmp_path, callbacks=(CSVLogger(),))
    recorder = Recorder()
    trainer = Trainer(g, setup, base=tmp_path, listener=recorder)
    fit, before = keras.Model.fit, []

    def stop_then_fit(model, *args, **kwargs):
        before.extend(w.copy() for w in model.get_weights())
        helper = threading.Thread(target=trainer.stop)
        helper.start()
        helper.join()
        return fit(model, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", stop_then_fit)
    result = trainer.run()
    assert before, "fit was not reached"
    assert result.stopped and result.batches == 0 and result.history == {}
    assert recorder.batches == [] and recorder.epochs == [] and result.evaluation is None
    for after, start in zip(result.model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(after, start)
    # The callbacks were ended as fit() ends them: the CSV log is closed, header-less.
    assert (tmp_path / "training_log.csv").read_text() == ""


def in_thread_or_here(where, function):
    return in_thread(function) if where == "worker thread" else function()


@pytest.mark.parametrize("where", ["this thread", "worker thread"])
@pytest.mark.parametrize("policy", ["mixed_float16", "float64"])
def test_a_run_builds_float32_whatever_policy_its_thread_has(tmp_path, where, policy):
    keras = import_keras()
    g, setup = line(tmp_path, epochs=1)
    main_policy = keras.config.dtype_policy().name

    def run_under_policy():
        own = keras.config.dtype_policy()
        keras.config.set_dtype_policy(policy)
        try:
            result = Trainer(g, setup).run()
            return result, keras.config.dtype_policy().name
        finally:
            keras.config.set_dtype_policy(own)

    result, after = in_thread_or_here(where, run_under_policy)
    assert after == policy  # the thread's own policy is back after the run
    assert keras.config.dtype_policy().name == main_policy
    assert {v.dtype for v in result.model.weights} == {"float32"}
    assert {layer.compute_dtype for layer in result.model.layers} == {"float32"}
    prediction = result.model.predict(np.ones((2, 1), np.float32), verbose=0)
    assert prediction.dtype == np.float32


@pytest.mark.parametrize("where", ["this thread", "worker thread"])
def test_loads_inside_a_run_are_safe_mode_whatever_its_thread_allows(tmp_path, where):
    keras = import_keras()
    from keras.src.backend.common import global_state
    from keras.src.saving.serialization_lib import in_safe_mode

    unsafe = keras.Sequential([keras.Input((1,)), keras.layers.Lambda(lambda t: t * 2)])
    unsafe.save(tmp_path / "lambda.keras")
    g, setup = line(tmp_path, epochs=1)

    class Loader(TrainingListener):
        """Loads the Lambda model from inside fit(), in the training thread."""

        def __init__(self):
            self.refusals = []

        def training_started(self, epochs, steps_per_epoch):
            for kwargs in ({}, {"safe_mode": False}):
                try:
                    keras.models.load_model(tmp_path / "lambda.keras", **kwargs)
                except ValueError as e:
                    self.refusals.append(str(e))

    def run_with_unsafe_deserialization():
        own = in_safe_mode()
        keras.config.enable_unsafe_deserialization()
        try:
            keras.models.load_model(tmp_path / "lambda.keras")  # this thread allows it
            loader = Loader()
            Trainer(g, setup, listener=loader).run()
            return loader.refusals, in_safe_mode()
        finally:
            global_state.set_global_attribute("safe_mode_saving", own)

    refusals, after = in_thread_or_here(where, run_with_unsafe_deserialization)
    assert len(refusals) == 2
    assert all("deserialization of a `Lambda` layer" in text for text in refusals)
    assert after is False  # the thread's own setting is back after the run


def test_seeded_runs_match_in_any_thread():
    """The seed is set in the thread that trains: Keras keeps it per thread."""
    g = load(TEMPLATES / "customer_tickets.graph.json")
    setup = TrainingSetup(epochs=1, batch_size=64, seed=5, data=TICKETS)
    first = in_thread(Trainer(g, setup).run)
    second = in_thread(Trainer(g, setup).run)
    here = Trainer(g, setup).run()
    assert first.history == second.history == here.history
    assert sorted(first.history) == sorted(
        log_names(g, setup, source_target_kinds(TICKETS, g, ROOT))
    )


def test_nan_loss_stops_with_a_clear_error(tmp_path):
    g = chain(("Dense", {"units": 1}), input_shape=(2,))
    path = tmp_path / "huge.npz"
    np.savez(path, x=np.full((8, 2), 1e20, np.float32), y=np.zeros((8, 1), np.float32))
    setup = TrainingSetup(epochs=1, batch_size=4, validation_split=0.0, data=DataSource(str(path)))
    with pytest.raises(NonFiniteLossError, match=r"loss became (nan|inf) at epoch 1, batch 1"):
        Trainer(g, setup).run()


def test_custom_metric_is_the_books_rmse():
    from codegen.training.custom_metrics import SparseRootMeanSquaredError

    rng = np.random.default_rng(0)
    metric = SparseRootMeanSquaredError()
    batches = [(rng.integers(0, 4, 5), rng.dirichlet(np.ones(4), 5)) for _ in range(2)]
    for labels, predictions in batches:
        metric.update_state(labels, predictions.astype(np.float32))
    labels = np.concatenate([b[0] for b in batches])
    predictions = np.concatenate([b[1] for b in batches])
    expected = np.sqrt(np.sum((np.eye(4)[labels] - predictions) ** 2) / len(labels))
    assert float(metric.result()) == pytest.approx(expected, rel=1e-5)
    assert metric.name == "rmse"
    metric.reset_state()
    assert float(metric.result()) == 0.0


@pytest.mark.filterwarnings("ignore:Gradients do not exist:UserWarning")
def test_outputs_without_loss_custom_metric_and_callbacks(tmp_path):
    keras = import_keras()
    g = load(TEMPLATES / "customer_tickets.graph.json")
    setup = (
        TrainingSetup(
            epochs=2,
            batch_size=64,
            seed=1,
            data=TICKETS,
            callbacks=(EarlyStopping(patience=5), ModelCheckpoint(), CSVLogger()),
        )
        .with_output("priority", loss=NO_LOSS)
        .with_output("department", metrics=("accuracy", SPARSE_RMSE))
    )
    result = Trainer(g, setup, base=tmp_path).run()
    assert sorted(result.history) == sorted(log_names(g, setup))
    assert "val_department_rmse" in result.history
    assert (tmp_path / "best.keras").exists()
    log = (tmp_path / "training_log.csv").read_text().splitlines()
    assert len(log) == 3 and "val_department_rmse" in log[0]
    saved = tmp_path / "trained.keras"
    result.model.save(saved)
    reloaded = keras.models.load_model(saved, safe_mode=True)
    data = load_data(TICKETS, g, resolve(g, setup)).rows(0, 4)
    expected = result.model.predict(data.x(), verbose=0)
    for a, b in zip(reloaded.predict(data.x(), verbose=0), expected, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_a_stop_cuts_validation_short_too():
    """fit() validates after a mid-epoch stop and evaluate() resets stop_evaluating: the
    monitor stops both within one batch."""
    keras = import_keras()
    from codegen.training.monitor import RunMonitor

    stop = threading.Event()
    counts = {"train": 0, "test": 0}

    class Counter(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            counts["train"] += 1
            if counts["train"] == 2:
                threading.Thread(target=stop.set).start()
                stop.wait()

        def on_test_batch_end(self, batch, logs=None):
            counts["test"] += 1

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.zeros((64, 2), np.float32), np.zeros((64, 1), np.float32)
    monitor = RunMonitor(stop, TrainingListener())
    model.fit(x, y, batch_size=4, epochs=3, validation_data=(x, y), callbacks=[Counter(), monitor])
    assert counts == {"train": 2, "test": 1}
    model.evaluate(x, y, batch_size=4, callbacks=[Counter(), monitor], verbose=0)
    assert counts == {"train": 2, "test": 2}


def test_every_spelling_keras_accepts_trains_and_logs_as_keras_names_it(tmp_path):
    """Keras's aliases and class names are accepted, and the history has the names
    log_names predicts (Keras logs a metric by the string it was given)."""
    g, setup = line(tmp_path, epochs=1)
    setup = setup.with_output(
        "dense",
        loss="mean_absolute_error",
        metrics=("mean_absolute_error", "MeanSquaredError", "mape", "r2_score"),
    )
    assert setup_problems(g, setup) == []
    result = Trainer(g, setup).run()
    assert sorted(result.history) == sorted(log_names(g, setup))
    assert "val_MeanSquaredError" in result.history


@pytest.mark.parametrize("stop_after", ["3 batches of epoch 2", "the last batch of epoch 1"])
def test_an_epoch_cut_short_by_a_stop_is_not_reported_as_finished(stop_after):
    """fit() ends a cut-short epoch as if whole: logs of part of it, validated on one
    batch. Only whole epochs reach the listener (Keras's history keeps the other)."""
    trainer = None

    def stop_at(count):
        steps = recorder.started[1]
        if count == (steps + 3 if stop_after.startswith("3") else steps):
            trainer.stop()

    recorder = Recorder(on_batch=stop_at)
    setup = TrainingSetup(epochs=5, batch_size=64, data=DIGITS)
    trainer = Trainer(mlp(), setup, listener=recorder)
    result = trainer.run()
    whole = 1 if stop_after.startswith("3") else 0
    assert result.stopped and [epoch for epoch, _ in recorder.epochs] == list(range(whole))
    assert all("val_loss" in logs for _, logs in recorder.epochs)
    assert len(result.history["val_loss"]) == whole + 1
