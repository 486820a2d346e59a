"""Training data files checked against the model before training: every message names
the file and key; the bundled sample data fits the templates it is made for."""

from pathlib import Path

import numpy as np
import pytest

from codegen.training import DataError, load_data
from codegen.training.samples import sample_data_for
from graph import ModelGraph, load
from graph.training import DataSource, TrainingSetup, resolve
from tests.graphs import chain

ROOT = Path(__file__).parents[1]
TEMPLATES = ROOT / "resources" / "templates"
DATA = ROOT / "resources" / "data"


def template(name: str) -> ModelGraph:
    return load(TEMPLATES / f"{name}.graph.json")


def check(g: ModelGraph, source: DataSource, setup: TrainingSetup | None = None):
    return load_data(source, g, resolve(g, setup), base=ROOT)


def problems(g: ModelGraph, source: DataSource, setup: TrainingSetup | None = None) -> list[str]:
    with pytest.raises(DataError) as e:
        check(g, source, setup)
    assert str(e.value).startswith("the training data does not fit the model:\n  ")
    return e.value.problems


@pytest.mark.parametrize(
    ("name", "data", "shapes"),
    [
        ("mnist_mlp", "digits_mlp", {"digits": (1797, 784), "predictions": (1797,)}),
        ("small_cnn", "digits_cnn", {"image": (1797, 28, 28, 1), "digit": (1797,)}),
        (
            "customer_tickets",
            "tickets",
            {
                "title": (1024, 10000),
                "text_body": (1024, 10000),
                "tags": (1024, 100),
                "priority": (1024, 1),
                "department": (1024,),
            },
        ),
    ],
)
def test_bundled_data_fits_its_template(name, data, shapes):
    path = DATA / f"{data}.npz"
    assert path.stat().st_size < 2 * 2**20
    arrays = check(template(name), DataSource(str(path)))
    found = {**arrays.inputs, **arrays.targets}
    assert {k: a.shape for k, a in found.items()} == shapes
    for key in arrays.inputs:
        assert arrays.inputs[key].dtype == np.float32  # cast from the file's uint8 or float32
    classes = next(a for k, a in arrays.targets.items() if a.dtype == np.int32)
    assert len(np.unique(classes)) > 1


def test_single_input_output_models_take_x_and_y(tmp_path):
    g = chain(("Dense", {"units": 1}), input_shape=(3,))
    path = tmp_path / "xy.npz"
    np.savez(path, x=np.ones((5, 3)), y=np.zeros(5))
    arrays = check(g, DataSource(str(path)))
    assert arrays.x().shape == (5, 3) and arrays.y().shape == (5, 1)
    multi = template("customer_tickets")
    np.savez(path, x=np.ones((5, 3)), y=np.zeros(5))
    assert problems(multi, DataSource(str(path)))[0] == (
        f"{path}: no array for input 'title' (looked for 'title'; found 'x', 'y')"
    )


def test_missing_keys_are_named_with_what_was_found():
    wrong = DataSource(str(DATA / "digits_cnn.npz"))
    assert problems(template("mnist_mlp"), wrong) == [
        f"{wrong.path}: no array for input 'digits' (looked for 'digits' or 'x'; "
        "found 'image', 'digit')",
        f"{wrong.path}: no array for output 'predictions', needed by its loss "
        "sparse_categorical_crossentropy (looked for 'predictions' or 'y'; "
        "found 'image', 'digit')",
    ]


def test_wrong_shapes_dtypes_and_values_are_all_reported_together(tmp_path):
    g = template("customer_tickets")
    path = tmp_path / "bad.npz"
    np.savez(
        path,
        title=np.zeros((4, 10000), np.float32),
        text_body=np.zeros((4, 64), np.float32),
        tags=np.array([["a"] * 100] * 4),
        priority=np.full((4, 1), 2.0),
        department=np.eye(4),
    )
    assert problems(g, DataSource(str(path))) == [
        f"{path}, key 'text_body': shape (4, 64) does not fit input 'text_body'; "
        "expected (N, 10000)",
        f"{path}, key 'tags': dtype <U1 is not numeric; expected numbers",
        f"{path}, key 'priority': binary_crossentropy needs targets from 0 to 1; found 2 to 2",
        f"{path}, key 'department': shape (4, 4) does not fit output 'department' "
        "(loss sparse_categorical_crossentropy); expected class indices (N,) "
        "(these look one-hot: use loss categorical_crossentropy)",
    ]


def test_one_hot_targets_fit_categorical_crossentropy(tmp_path):
    g = chain(("Dense", {"units": 3, "activation": "softmax"}), input_shape=(2,))
    path = tmp_path / "onehot.npz"
    np.savez(path, x=np.ones((3, 2)), y=np.eye(3))
    setup = TrainingSetup().with_output("dense", loss="categorical_crossentropy")
    assert check(g, DataSource(str(path)), setup).targets["dense"].shape == (3, 3)


def test_labels_must_be_integer_classes_in_range(tmp_path):
    g = chain(("Dense", {"units": 3, "activation": "softmax"}), input_shape=(2,))
    path = tmp_path / "labels.npz"
    np.savez(path, x=np.ones((3, 2)), y=np.array([0, 1, 3]))
    assert problems(g, DataSource(str(path))) == [
        f"{path}, key 'y': class labels must be from 0 to 2 for output 'dense'; found 0 to 3"
    ]
    np.savez(path, x=np.ones((3, 2)), y=np.array([0.0, 1.5, 2.0]))
    assert problems(g, DataSource(str(path))) == [
        f"{path}, key 'y': sparse_categorical_crossentropy needs integer class labels; "
        "found non-integer values"
    ]
    np.savez(path, x=np.ones((3, 2)), y=np.array([[0.0], [1.0], [2.0]]))
    assert check(g, DataSource(str(path))).targets["dense"].tolist() == [0, 1, 2]


def test_sample_counts_that_differ_are_listed(tmp_path):
    g = chain(("Dense", {"units": 1}), input_shape=(2,))
    path = tmp_path / "counts.npz"
    np.savez(path, x=np.ones((5, 2)), y=np.zeros((4, 1)))
    assert problems(g, DataSource(str(path))) == [
        f"{path}: sample counts differ: {path}, key 'x' has 5, {path}, key 'y' has 4"
    ]


def test_nan_inputs_are_refused_before_training(tmp_path):
    g = chain(("Dense", {"units": 1}), input_shape=(2,))
    path = tmp_path / "nan.npz"
    np.savez(path, x=np.array([[1.0, np.nan]]), y=np.zeros((1, 1)))
    assert problems(g, DataSource(str(path))) == [
        f"{path}, key 'x': contains NaN or infinite values"
    ]


def test_pickled_objects_are_refused_not_loaded(tmp_path):
    g = chain(("Dense", {"units": 1}), input_shape=(2,))
    np.save(tmp_path / "x.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(tmp_path / "y.npy", np.zeros((1, 1)))
    source = DataSource(arrays={"x": "x.npy", "y": "y.npy"})
    with pytest.raises(DataError) as e:
        load_data(source, g, resolve(g), base=tmp_path)
    assert e.value.problems == [f"{tmp_path / 'x.npy'}: holds Python objects, not numbers"]


def test_npy_pairs_by_name(tmp_path):
    g = template("mnist_mlp")
    np.save(tmp_path / "images.npy", np.zeros((6, 784), np.uint8))
    np.save(tmp_path / "labels.npy", np.arange(6))
    source = DataSource(arrays={"digits": "images.npy", "predictions": "labels.npy"})
    arrays = load_data(source, g, resolve(g), base=tmp_path)
    assert arrays.samples == 6 and arrays.targets["predictions"].dtype == np.int32
    missing = DataSource(arrays={"digits": "images.npy", "predictions": "nope.npy"})
    with pytest.raises(DataError, match="nope.npy: no such file"):
        load_data(missing, g, resolve(g), base=tmp_path)


def test_csv_columns_by_mapping_by_name_and_the_rest(tmp_path):
    g = ModelGraph("csv")
    a = g.add_node("Input", name="pixels", params={"shape": [2, 2]})
    b = g.add_node("Input", name="age", params={"shape": [1]})
    flat = g.add_node("Flatten")
    joined = g.add_node("Concatenate")
    out = g.add_node("Dense", name="score", params={"units": 1})
    for src, dst, port in [
        (a, flat, "input"),
        (flat, joined, "input_0"),
        (b, joined, "input_1"),
        (joined, out, "input"),
    ]:
        g.connect(src, dst, port)
    g.set_output(out)
    path = tmp_path / "table.csv"
    path.write_text("p0,p1,p2,p3,age,score\n1,2,3,4,30,0.5\n5,6,7,8,40,1.5\n")
    columns = {"pixels": ("p0", "p1", "p2", "p3")}
    arrays = check(g, DataSource(str(path), columns=columns))
    assert arrays.inputs["pixels"].tolist() == [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]
    assert arrays.inputs["age"].tolist() == [[30], [40]]
    assert arrays.targets["score"].tolist() == [[0.5], [1.5]]
    path.write_text("p0,p1,p2,p3,age,score\n1,2,3,x,30,0.5\n")
    assert problems(g, DataSource(str(path), columns=columns)) == [
        f"{path}, line 2, column 'p3': not a number: 'x'"
    ]


def test_csv_single_input_takes_the_other_columns(tmp_path):
    g = chain(("Dense", {"units": 1, "activation": "sigmoid"}), input_shape=(3,))
    path = tmp_path / "t.csv"
    path.write_text("a,b,c,dense\n1,2,3,1\n4,5,6,0\n")
    arrays = check(g, DataSource(str(path)))
    assert arrays.inputs["input"].tolist() == [[1, 2, 3], [4, 5, 6]]
    path.write_text("a,b,dense\n1,2,1\n")
    assert problems(g, DataSource(str(path))) == [
        f"{path}, columns a, b: shape (1, 2) does not fit input 'input'; expected (N, 3)"
    ]


def test_split_keeps_the_last_fraction_for_validation():
    arrays = check(template("mnist_mlp"), DataSource(str(DATA / "digits_mlp.npz")))
    train, validation = arrays.split(0.2)
    assert (train.samples, validation.samples) == (1437, 360)
    np.testing.assert_array_equal(validation.y(), arrays.targets["predictions"][1437:])
    with pytest.raises(DataError, match=r"too few samples \(1\) to keep 0.2 of them"):
        arrays.rows(0, 1).split(0.2)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("mnist_mlp", "digits_mlp"),
        ("small_cnn", "digits_cnn"),
        ("resnet_stages", "digits_cnn"),
        ("customer_tickets", "tickets"),
    ],
)
def test_templates_find_their_bundled_data(name, data):
    assert sample_data_for(template(name)) == DataSource(str(DATA / f"{data}.npz"))


def test_other_graphs_have_no_bundled_data():
    assert sample_data_for(chain(("Dense", {"units": 2}))) is None
