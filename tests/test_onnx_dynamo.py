"""codegen.onnx_dynamo: the export's bookkeeping grows linearly with the weights (torch
2.13 alone is quadratic in them, minutes at 2,000 layers; issue 15), and the workaround
that makes it so leaves the ONNX file exactly as torch alone writes it."""

from __future__ import annotations

import contextlib

import pytest

import codegen.onnx_dynamo
from codegen.build import build_model
from codegen.export import export_onnx
from codegen.keras_env import import_keras
from tests.graphs import bounded_residual

BLOCKS = 20  # 40 weights, each a graph input of the traced program


def _export(path) -> None:
    import_keras().utils.set_random_seed(0)
    g = bounded_residual(BLOCKS)
    export_onnx(build_model(g), g, path, check=False)


def test_the_signature_mappings_are_built_a_few_times_not_once_per_weight(monkeypatch, tmp_path):
    from torch.export.graph_signature import ExportGraphSignature

    built = []
    mapping = ExportGraphSignature.inputs_to_parameters.fget

    def counted(signature):
        built.append(1)
        return mapping(signature)

    monkeypatch.setattr(ExportGraphSignature, "inputs_to_parameters", property(counted))
    _export(tmp_path / "m.onnx")
    weights = 2 * BLOCKS
    # torch alone builds it once per graph input, in tracing and in decompositions.
    assert 0 < len(built) < weights, f"{len(built)} builds for {weights} weights"


def test_the_file_is_the_one_torch_writes_without_the_workaround(monkeypatch, tmp_path):
    _export(tmp_path / "fast.onnx")
    monkeypatch.setattr(
        codegen.onnx_dynamo, "_param_metadata_in_linear_time", contextlib.nullcontext
    )
    _export(tmp_path / "plain.onnx")
    fast, plain = (tmp_path / "fast.onnx").read_bytes(), (tmp_path / "plain.onnx").read_bytes()
    assert fast == plain


def test_the_workaround_is_undone_after_the_export(tmp_path):
    import torch.export._trace

    before = torch.export._trace._populate_param_buffer_metadata_to_new_gm
    with pytest.raises(RuntimeError), codegen.onnx_dynamo._param_metadata_in_linear_time():
        assert torch.export._trace._populate_param_buffer_metadata_to_new_gm is not before
        raise RuntimeError("an export failing inside the block")
    assert torch.export._trace._populate_param_buffer_metadata_to_new_gm is before


def test_outputs_named_like_the_exporters_own_values_make_a_valid_file(tmp_path):
    """torch names its values after ops (add, add_1...) and then gives the outputs the
    names asked for: an operation node called add_N as an output once clashed with a
    Dense's bias add, and onnxruntime refused the file ("Duplicate definition")."""
    from graph import ModelGraph

    g = ModelGraph()
    x = g.add_node("Input", params={"shape": (4,)}, name="x")
    outputs = []
    for i in range(6):
        dense = g.add_node("Dense", params={"units": 4}, name=f"dense_{i}")
        g.connect(x, dense, "input")
        add = g.add_node("ops.add", name="add" if i == 0 else f"add_{i}")
        g.connect(dense, add, "x")
        g.connect(x, add, "y")
        outputs.append(add)
    g.set_outputs(outputs)
    assert export_onnx(build_model(g), g, tmp_path / "m.onnx").ok
