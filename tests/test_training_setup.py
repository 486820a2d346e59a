"""The training setup: defaults inferred from outputs, problems by field, the graph file."""

from dataclasses import replace
from pathlib import Path

import pytest

from graph import GraphFileError, ModelGraph, dumps, get_spec, load, loads, save
from graph.training import (
    ACCEPTED_LOSSES,
    ACCEPTED_METRICS,
    CALLBACKS,
    CONTINUOUS,
    INTEGERS,
    LOSSES,
    METRICS,
    NO_LOSS,
    ONE_HOT,
    OPTIMIZERS,
    SPARSE_RMSE,
    ZERO_ONE,
    CSVLogger,
    DataSource,
    EarlyStopping,
    ModelCheckpoint,
    OutputSetup,
    ReduceLROnPlateau,
    TrainingSetup,
    TrainingSetupError,
    check_setup,
    data_outside_folder,
    log_names,
    resolve,
    setup_problems,
)
from tests.graphs import chain

TEMPLATES = Path(__file__).parents[1] / "resources" / "templates"


def tickets() -> ModelGraph:
    return load(TEMPLATES / "customer_tickets.graph.json")


def outputs_of(setup: TrainingSetup) -> dict:
    return {name: (out.loss, out.metrics) for name, out in setup.outputs.items()}


def test_defaults_are_inferred_from_each_output_activation():
    assert outputs_of(resolve(tickets())) == {
        "priority": ("binary_crossentropy", ("accuracy",)),
        "department": ("sparse_categorical_crossentropy", ("accuracy",)),
    }
    linear = chain(("Dense", {"units": 3}), name="regression")
    assert outputs_of(resolve(linear)) == {"dense": ("mse", ("mae",))}
    softmax_layer = chain(("Dense", {"units": 3}), ("Softmax", {}))
    assert outputs_of(resolve(softmax_layer)) == {
        "softmax": ("sparse_categorical_crossentropy", ("accuracy",))
    }
    sigmoid_layer = chain(("Dense", {"units": 1}), ("Activation", {"activation": "sigmoid"}))
    assert outputs_of(resolve(sigmoid_layer))["activation"][0] == "binary_crossentropy"


def test_the_output_activation_is_a_fact_of_the_spec():
    assert get_spec("Softmax").output_activation({"axis": -1}) == "softmax"
    dense = get_spec("Dense")
    assert dense.output_activation(dense.resolve({"units": 2, "activation": "sigmoid"})) == (
        "sigmoid"
    )
    assert dense.output_activation(dense.resolve({"units": 2})) == "linear"
    assert get_spec("Flatten").output_activation({}) == "linear"


def test_defaults_follow_the_targets_where_the_data_is_known():
    """The activation alone cannot tell a probability to regress from a 0/1 label, nor
    one-hot rows from class indices: the kind of each output's targets decides."""
    g = tickets()
    assert outputs_of(resolve(g, targets={"priority": CONTINUOUS, "department": ONE_HOT})) == {
        "priority": ("mse", ("mae",)),
        "department": ("categorical_crossentropy", ("accuracy",)),
    }
    assert outputs_of(resolve(g, targets={"priority": ZERO_ONE, "department": INTEGERS})) == (
        outputs_of(resolve(g))
    )
    stored = TrainingSetup().with_output("priority", loss="huber")
    assert resolve(g, stored, {"priority": ZERO_ONE}).outputs["priority"].loss == "huber"
    linear = chain(("Dense", {"units": 3}))
    assert outputs_of(resolve(linear, targets={"dense": ONE_HOT})) == {"dense": ("mse", ("mae",))}
    # Monitors and problems see the same names as training will log.
    assert "val_priority_mae" in log_names(g, targets={"priority": CONTINUOUS})
    book = TrainingSetup(callbacks=(EarlyStopping(monitor="val_priority_mae"),))
    assert setup_problems(g, book, {"priority": CONTINUOUS}) == []
    assert setup_problems(g, book) != []


def test_overrides_win_and_metrics_follow_an_overridden_loss():
    g = tickets()
    setup = TrainingSetup().with_output("priority", loss="mse")
    setup = setup.with_output("department", metrics=("accuracy", SPARSE_RMSE), loss_weight=0.5)
    resolved = resolve(g, setup)
    assert outputs_of(resolved) == {
        "priority": ("mse", ("mae",)),
        "department": ("sparse_categorical_crossentropy", ("accuracy", SPARSE_RMSE)),
    }
    assert resolved.outputs["department"].loss_weight == 0.5
    assert resolve(g, setup.with_output("priority", loss=NO_LOSS)).outputs["priority"] == (
        OutputSetup(NO_LOSS, (), 1.0)
    )
    # The stored setup keeps unset values unset: the studio shows them as inferred.
    assert setup.output("department").loss is None


def test_resolve_uses_the_graphs_own_setup_and_keeps_output_order():
    g = tickets()
    g.training = TrainingSetup(epochs=3).with_output("department", loss="categorical_crossentropy")
    resolved = resolve(g)
    assert resolved.epochs == 3
    assert list(resolved.outputs) == ["priority", "department"]
    assert resolved.outputs["department"].loss == "categorical_crossentropy"


def test_training_changed_is_emitted_only_on_change():
    g = tickets()
    seen = []
    g.events.training_changed.connect(lambda: seen.append(g.training))
    setup = TrainingSetup(epochs=4)
    g.training = setup
    g.training = TrainingSetup(epochs=4)  # equal: no event
    g.training = None
    assert seen == [setup, None]


FULL = TrainingSetup(
    optimizer="sgd",
    learning_rate=0.05,
    outputs={
        "priority": OutputSetup(loss="mse", metrics=("mae", "mse"), loss_weight=2.0),
        "department": OutputSetup(metrics=(SPARSE_RMSE,)),
    },
    batch_size=16,
    epochs=7,
    validation_split=0.0,
    validation_data=DataSource(arrays={"title": "vt.npy", "priority": "vp.npy"}),
    data=DataSource("tickets.csv", columns={"tags": ("t0", "t1")}),
    seed=11,
    callbacks=(
        EarlyStopping(patience=5, restore_best_weights=False),
        ModelCheckpoint(filepath="out/best.keras"),
        ReduceLROnPlateau(factor=0.2),
        CSVLogger(append=True),
    ),
    export_onnx=True,
)


def test_setup_round_trips_through_the_graph_file(tmp_path):
    g = tickets()
    g.training = FULL
    path = tmp_path / "t.graph.json"
    save(g, path)
    loaded = load(path)
    assert loaded.training == FULL
    assert dumps(loaded) == path.read_text()
    assert '"training": {' in path.read_text()


def test_export_onnx_is_written_only_when_asked_and_files_without_it_read_as_before():
    g = tickets()
    g.training = TrainingSetup(epochs=3)
    text = dumps(g)
    assert "export_onnx" not in text  # a file of before the field: the same bytes
    assert loads(text).training.export_onnx is False
    g.training = TrainingSetup(epochs=3, export_onnx=True)
    assert '"export_onnx": true' in dumps(g)
    assert loads(dumps(g)).training == TrainingSetup(epochs=3, export_onnx=True)


def test_files_without_a_setup_load_as_before():
    g = tickets()
    assert g.training is None
    assert "training" not in dumps(g)
    g.training = TrainingSetup()
    g.training = None
    assert dumps(g) == (TEMPLATES / "customer_tickets.graph.json").read_text()


def with_training(training: dict) -> str:
    import json

    doc = json.loads(dumps(tickets()))
    doc["training"] = training
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("training", "message"),
    [
        ([], "training: must be an object"),
        ({"epochs": "ten"}, "training.epochs: must be a number"),
        ({"epochs": 2.5}, "training.epochs: must be an integer"),
        ({"learning_rate": True}, "training.learning_rate: must be a number"),
        ({"export_onnx": 1}, "training.export_onnx: must be true or false. Received: 1"),
        ({"export_onnx": "yes"}, "training.export_onnx: must be true or false"),
        ({"optimiser": "adam"}, "training: unknown field 'optimiser'"),
        ({"outputs": []}, "training.outputs: must be an object"),
        ({"outputs": {"priority": {"loss": 3}}}, "training.outputs.priority.loss: must be a"),
        ({"outputs": {"priority": {"metrics": "mae"}}}, "training.outputs.priority.metrics:"),
        ({"data": {"path": ""}}, "training.data.path: must be a non-empty string"),
        ({"callbacks": [{"type": "ProgbarLogger"}]}, "training.callbacks[0].type: must be one"),
        (
            {"callbacks": [{"type": "EarlyStopping", "patience": "3"}]},
            "training.callbacks[0].patience: must be a number",
        ),
        (
            {"callbacks": [{"type": "CSVLogger", "filename": "log.csv", "append": 1}]},
            "training.callbacks[0].append: must be true or false",
        ),
    ],
)
def test_bad_training_fields_name_their_path(training, message):
    with pytest.raises(GraphFileError) as e:
        loads(with_training(training), "t.graph.json")
    assert f"t.graph.json: {message}" in str(e.value)


def test_semantic_problems_load_and_are_listed_by_field():
    text = with_training({"optimizer": "adamm", "outputs": {"priority": {"loss": "msee"}}})
    g = loads(text)
    problems = setup_problems(g, g.training)
    assert problems[0].startswith("training.optimizer: unknown optimizer 'adamm'")
    assert problems[1].startswith("training.outputs.priority.loss: unknown loss 'msee'")


def test_setup_problems_name_each_field():
    g = tickets()
    setup = TrainingSetup(
        learning_rate=0.0,
        batch_size=0,
        validation_split=0.0,
        outputs={
            "priorty": OutputSetup(loss="mse"),
            "department": OutputSetup(metrics=("accuracy_score",), loss_weight=-1.0),
        },
        data=DataSource("data.txt"),
        callbacks=(EarlyStopping(), EarlyStopping(monitor="loss"), ReduceLROnPlateau(factor=2.0)),
    )
    problems = setup_problems(g, setup)
    expected = [
        "training.learning_rate: must be a number > 0",
        "training.batch_size: must be >= 1",
        "training.outputs.priorty: the model has no output named 'priorty'. "
        "Outputs: priority, department",
        "training.outputs.department.metrics: unknown metric 'accuracy_score'",
        "training.outputs.department.loss_weight: must be a number >= 0",
        "training.data.path: must end with .npz or .csv",
        "training.callbacks[0] (EarlyStopping).monitor: 'val_loss' needs validation data",
        "training.callbacks[1] (EarlyStopping): appears twice",
        "training.callbacks[2] (ReduceLROnPlateau).monitor: 'val_loss' needs validation data",
        "training.callbacks[2] (ReduceLROnPlateau).factor: must be between 0 and 1",
    ]
    assert len(problems) == len(expected)
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), problem
    with pytest.raises(TrainingSetupError, match="graph 'customer_tickets'"):
        check_setup(g, setup)


def test_log_names_follow_keras_naming():
    g = tickets()
    assert log_names(g, TrainingSetup(validation_split=0.0)) == [
        "loss",
        "priority_loss",
        "department_loss",
        "priority_accuracy",
        "department_accuracy",
    ]
    one_loss = TrainingSetup().with_output("priority", loss=NO_LOSS)
    one_loss = one_loss.with_output("department", metrics=(SPARSE_RMSE,))
    assert log_names(g, one_loss) == ["loss", "department_rmse", "val_loss", "val_department_rmse"]
    single = chain(("Dense", {"units": 1}))
    assert log_names(single) == ["loss", "mae", "val_loss", "val_mae"]


def test_a_monitor_must_be_logged():
    setup = TrainingSetup(callbacks=(EarlyStopping(monitor="val_acc"),))
    assert setup_problems(tickets(), setup) == [
        "training.callbacks[0] (EarlyStopping).monitor: 'val_acc' is not logged. Expected one "
        "of: " + ", ".join(log_names(tickets(), setup))
    ]


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "../up.csv", "logs/../../up.csv", "C:\\Windows\\x.csv", "\\\\host\\x", ""],
)
def test_callback_files_must_stay_in_the_run_folder(path):
    """A graph file's callbacks write where they say, joined onto the run's folder: an
    absolute or '..' path would overwrite any file when the graph is trained."""
    setup = TrainingSetup(callbacks=(CSVLogger(filename=path), ModelCheckpoint(filepath=path)))
    assert setup_problems(tickets(), setup) == [
        f"training.callbacks[0] (CSVLogger).filename: must be a path inside the run's "
        f"folder (relative, without '..'). Received: {path!r}",
        f"training.callbacks[1] (ModelCheckpoint).filepath: must be a path inside the "
        f"run's folder (relative, without '..'). Received: {path!r}",
    ]
    inside = TrainingSetup(callbacks=(CSVLogger(filename="logs/run.csv"),))
    assert setup_problems(tickets(), inside) == []


@pytest.mark.parametrize("path", ["/etc/x.npz", "../up.npz", "data/../../up.csv", "C:\\d\\x.npz"])
def test_data_paths_outside_the_graph_folder_are_named(path):
    """Data a graph file names outside its folder is not read unasked: each such path,
    training or validation, is named with its field."""
    setup = TrainingSetup(
        data=DataSource(arrays={"x": path, "y": "y.npy"}), validation_data=DataSource(path)
    )
    assert data_outside_folder(setup) == [
        f"training.data: {path!r} is outside the graph file's folder (absolute, or with '..')",
        f"training.validation_data: {path!r} is outside the graph file's folder (absolute, "
        "or with '..')",
    ]
    inside = TrainingSetup(data=DataSource("data/x.npz"), validation_data=DataSource("v.csv"))
    assert data_outside_folder(inside) == []


def test_nothing_to_train_and_bad_data_sources_are_problems():
    g = tickets()
    none = TrainingSetup().with_output("priority", loss=NO_LOSS)
    assert setup_problems(g, none) == []
    none = none.with_output("department", loss=NO_LOSS)
    assert setup_problems(g, none) == [
        "training.outputs: every output has loss 'none'; nothing to train"
    ]
    both = DataSource("a.npz", arrays={"x": "x.npy"})
    npy = DataSource(arrays={"title": "title.csv"}, columns={"title": ("a",)})
    problems = setup_problems(g, TrainingSetup(data=both, validation_data=npy))
    assert problems == [
        "training.data: give either a path (.npz or .csv) or .npy arrays by name",
        "training.validation_data.arrays.title: must be a .npy file. Received: 'title.csv'",
        "training.validation_data.columns: only a .csv file has columns",
    ]


def test_a_full_setup_is_usable_and_equal_setups_compare_equal():
    assert check_setup(tickets(), FULL).outputs["department"].loss == (
        "sparse_categorical_crossentropy"
    )
    assert replace(FULL, seed=11) == FULL
    assert replace(FULL, seed=12) != FULL


def test_offered_names_are_keras_names():
    """Every loss and metric accepted, and every optimizer and callback offered, is one
    Keras knows by that name."""
    from codegen.keras_env import import_keras
    from codegen.training.compiling import compile_arguments, make_callbacks

    keras = import_keras()
    from keras.src.trainers.compile_utils import get_loss, get_metric

    y = keras.ops.zeros((2, 3))
    for loss in ACCEPTED_LOSSES:  # as compile() resolves them ("ce" is compile's own)
        assert get_loss(loss, y, y) is not None, loss
    g = chain(("Dense", {"units": 3, "activation": "softmax"}))
    for optimizer in OPTIMIZERS:
        setup = resolve(g, TrainingSetup(optimizer=optimizer, learning_rate=0.01))
        built = compile_arguments(setup)["optimizer"]
        assert float(built.learning_rate) == pytest.approx(0.01), optimizer
    callbacks = make_callbacks(TrainingSetup(callbacks=tuple(c() for c in CALLBACKS.values())))
    # TensorBoard is ours: Keras's needs TensorFlow (codegen.training.tensorboard).
    expected = ["TorchTensorBoard" if name == "TensorBoard" else name for name in CALLBACKS]
    assert [type(c).__name__ for c in callbacks] == expected
    for metric in ACCEPTED_METRICS:
        if metric != SPARSE_RMSE:
            assert get_metric(metric, y, y).name == metric, metric
    assert set(LOSSES) <= set(ACCEPTED_LOSSES) and set(METRICS) <= set(ACCEPTED_METRICS)


def test_callback_defaults_are_keras_own():
    """A callback argument a file leaves out means what it means to Keras: the book's
    EarlyStopping(monitor="val_accuracy", patience=1) restores nothing. An argument
    Keras requires has no default there either, so a file must give it."""
    import inspect
    from dataclasses import MISSING, fields

    from codegen.keras_env import import_keras

    keras = import_keras()
    for kind in CALLBACKS.values():
        signature = inspect.signature(getattr(keras.callbacks, kind.type))
        for f in fields(kind):
            keras_default = signature.parameters[f.name].default
            if keras_default is inspect.Parameter.empty:
                assert f.name in kind.required, (kind.type, f.name)
            else:
                assert f.name not in kind.required, (kind.type, f.name)
                assert f.default is not MISSING and f.default == keras_default, (kind.type, f.name)
    book = loads(
        with_training(
            {"callbacks": [{"type": "EarlyStopping", "monitor": "val_accuracy", "patience": 1}]}
        )
    )
    assert book.training.callbacks[0].restore_best_weights is False
    with pytest.raises(GraphFileError) as e:
        loads(with_training({"callbacks": [{"type": "ModelCheckpoint"}]}), "t.graph.json")
    assert "t.graph.json: training.callbacks[0]: missing field 'filepath'" in str(e.value)
