"""Operation nodes go to ONNX (torch's dynamo exporter, dynamic batch) and to .keras
with the outputs of Keras."""

import numpy as np
import pytest

from codegen.build import build_model
from codegen.export import export_onnx, save_keras
from codegen.keras_env import import_keras
from tests.operation_cases import CASES, op_graph, sample

keras = import_keras()


@pytest.mark.parametrize("name", CASES)
def test_operations_export_to_onnx_matching_keras(name, tmp_path):
    g = op_graph(CASES[name])
    report = export_onnx(build_model(g), g, tmp_path / "model.onnx")
    assert report.ok


def test_operations_round_trip_through_keras_files(tmp_path):
    for name, case in CASES.items():
        model = build_model(op_graph(case))
        save_keras(model, tmp_path / f"{name}.keras")
        loaded = keras.saving.load_model(tmp_path / f"{name}.keras")
        data = sample()
        expected = keras.ops.convert_to_numpy(model(data))
        assert np.array_equal(keras.ops.convert_to_numpy(loaded(data)), expected), name
