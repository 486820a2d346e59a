"""Functional models that call Keras operations (`x + y`, `ops.tanh(y) * 2.0`,
`ops.mean(x, axis=1)`, `x[:, 0]`...) import into operation nodes, and import -> build
gives the original's outputs, from a model object and from a `.keras` file alike.
What carries code stays refused."""

import json
import zipfile

import numpy as np
import pytest

from codegen.build import build_model
from codegen.importer import ImportRefused, import_keras_model
from codegen.keras_env import import_keras
from graph import dumps, loads
from tests.operation_cases import CASES, op_model, sample

keras = import_keras()
ops = keras.ops


def _same_outputs(model, g, data):
    rebuilt = build_model(loads(dumps(g)))
    for layer in model.layers:
        if layer.weights:
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    expected = keras.ops.convert_to_numpy(model(data))
    got = keras.ops.convert_to_numpy(rebuilt(data))
    assert got.dtype == expected.dtype
    assert np.array_equal(got, expected)


def test_the_issues_model_imports_with_its_outputs(tmp_path):
    x = keras.Input((5,), name="x")
    h = keras.layers.Dense(5, name="dense")(x)
    y = ops.add(h, x)
    model = keras.Model(x, ops.tanh(y) * 2.0)
    path = tmp_path / "model.keras"
    model.save(path)
    for source in (model, path):
        g, notes = import_keras_model(source)
        types = [layer.type for _, layer in g.layers()]
        assert types == ["Input", "Dense", "ops.add", "ops.tanh", "ops.multiply"]
        multiply = next(layer for _, layer in g.layers() if layer.type == "ops.multiply")
        assert dict(multiply.params) == {"x2": 2.0}
        assert notes == []
        _same_outputs(model, g, np.random.default_rng(0).standard_normal((3, 5)).astype("float32"))


@pytest.mark.parametrize("name", CASES)
def test_every_operation_case_imports_into_its_nodes_and_outputs(name, tmp_path):
    case = CASES[name]
    model = op_model(keras, case)
    path = tmp_path / "model.keras"
    model.save(path)
    g, _ = import_keras_model(path)
    expected_types = sorted(op_type for _, op_type, _, _ in case.steps)
    types = [layer.type for _, layer in g.layers()]
    assert sorted(t for t in types if t.startswith("ops.")) == expected_types
    _same_outputs(model, g, sample())


def test_arithmetic_with_numbers_imports_exactly_ints_and_division_included():
    """What was imported as Rescaling layers (float32 plus, minus or times a number)
    is now the operation itself, so division and integer tensors import too."""
    x = keras.Input((5,), name="x")
    y = keras.layers.Dense(5, name="dense")(x)
    y = (2.0 - (y + 3.0) * 0.25) / 1.5
    ids = keras.Input((3,), name="ids", dtype="int32")
    model = keras.Model([x, ids], [3 * y, ids * 2 - 1])
    g, _ = import_keras_model(model)
    constants = sorted(
        (layer.type, sorted(layer.params.items()))
        for _, layer in g.layers()
        if layer.type.startswith("ops.")
    )
    assert constants == [
        ("ops.add", [("x2", 3.0)]), ("ops.multiply", [("x1", 3)]),
        ("ops.multiply", [("x2", 0.25)]), ("ops.multiply", [("x2", 2)]),
        ("ops.subtract", [("x1", 2.0)]), ("ops.subtract", [("x2", 1)]),
        ("ops.true_divide", [("x2", 1.5)]),
    ]  # fmt: skip
    rebuilt = build_model(g)
    rebuilt.get_layer("dense").set_weights(model.get_layer("dense").get_weights())
    rng = np.random.default_rng(0)
    data = [rng.standard_normal((4, 5)).astype("float32") * 100, np.arange(12).reshape(4, 3)]
    for got, expected in zip(rebuilt(data), model(data), strict=True):
        got, expected = keras.ops.convert_to_numpy(got), keras.ops.convert_to_numpy(expected)
        assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_a_subclass_of_a_keras_operation_is_user_code_and_refused():
    from keras.src.ops.numpy import Add

    class Sneaky(Add):
        pass

    x = keras.Input((4,), name="x")
    model = keras.Model(x, keras.layers.Dense(2, name="dense")(Sneaky()(x, x)))
    with pytest.raises(ImportRefused, match="Sneaky 'sneaky'"):
        import_keras_model(model)


def _rewritten(path, tmp_path, change):
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    config = json.loads(files["config.json"])
    change(config)
    files["config.json"] = json.dumps(config).encode()
    out = tmp_path / "changed.keras"
    with zipfile.ZipFile(out, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return out


def test_a_function_reference_in_an_operations_call_is_refused_unrun(tmp_path):
    x = keras.Input((4,), name="x")
    model = keras.Model(x, x * 2.0)
    model.save(tmp_path / "model.keras")

    def smuggle(config):
        (op,) = [c for c in config["config"]["layers"] if c["class_name"] == "Multiply"]
        op["inbound_nodes"][0]["args"][1] = {
            "module": "os", "class_name": "function", "config": "system", "registered_name": None,
        }  # fmt: skip

    with pytest.raises(ImportRefused, match="a custom Python function 'system'"):
        import_keras_model(_rewritten(tmp_path / "model.keras", tmp_path, smuggle))


def test_an_operation_from_a_foreign_module_is_refused_unrun(tmp_path):
    x = keras.Input((4,), name="x")
    keras.Model(x, ops.tanh(x)).save(tmp_path / "model.keras")

    def foreign(config):
        (op,) = [c for c in config["config"]["layers"] if c["class_name"] == "Tanh"]
        op["module"] = "evil.ops"

    with pytest.raises(ImportRefused, match="a custom class from module 'evil.ops'"):
        import_keras_model(_rewritten(tmp_path / "model.keras", tmp_path, foreign))
