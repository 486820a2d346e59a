"""ONNX of graphs with block uses: exported from build_model's nested models, checked
against Keras with onnxruntime, every node named after the layer path it computes."""

from __future__ import annotations

import onnx

from codegen.build import build_model
from codegen.export import export_onnx
from codegen.onnx_readiness import onnx_problems
from graph import ModelGraph, save
from kgs.cli import main
from tests.blocks_graphs import siamese
from tests.test_pysource import run_module
from tests.test_pysource_blocks import nested, shared_inside


def _node_names(path) -> list[str]:
    return [node.name for node in onnx.load(str(path)).graph.node]


def test_blocks_export_match_keras_and_name_nodes_after_the_use(tmp_path):
    g, _ = siamese()
    model = build_model(g)
    report = export_onnx(model, g, tmp_path / "siamese.onnx")
    assert report.ok and report.max_abs_diff.keys() == {"cat"}
    names = _node_names(tmp_path / "siamese.onnx")
    # Both calls of the shared use 'enc' and the use 'enc_c', each layer by name.
    scopes = {name.rsplit("/", 1)[0] for name in names}
    assert scopes == {"enc/dense", "enc/dense_1", "enc_c/dense", "enc_c/dense_1", "cat"}
    assert sum(name.startswith("enc/dense/") for name in names) == 2 * 3  # matmul, add, relu


def test_ids_fed_to_a_block_stay_within_the_vocabulary_inside_it(tmp_path):
    g = shared_inside()  # an Embedding of 5 rows inside; ids are drawn below 10 otherwise
    report = export_onnx(build_model(g), g, tmp_path / "embedded.onnx")
    assert report.ok
    assert {n.split("/")[0] for n in _node_names(tmp_path / "embedded.onnx")} == {"tw"}


def test_a_block_inside_that_onnx_cannot_take_is_named_at_the_use():
    g = ModelGraph("recurrent")
    body = g.define_block("reader")
    seq = body.add_node("Input", name="seq", params={"shape": (None, 3)})
    lstm = body.add_node("LSTM", name="lstm", params={"units": 2})
    body.connect(seq, lstm, "input")
    body.set_outputs([lstm])
    x = g.add_node("Input", name="x", params={"shape": (None, 3)})
    use = g.add_node("reader", name="r")
    g.connect(x, use, "seq")
    g.set_outputs([use])
    (problem,) = onnx_problems(g)
    assert problem.node == use
    assert problem.label == "reader 'r' > LSTM 'lstm'"
    assert "time" in problem.reason


def test_kgs_compile_writes_every_target_of_a_graph_with_blocks(tmp_path, capsys):
    source = tmp_path / "siamese.graph.json"
    g, _ = siamese()
    save(g, source)
    out = tmp_path / "out"
    targets = ["--to", "keras", "--to", "onnx", "--to", "functional", "--to", "subclass"]
    assert main(["compile", str(source), *targets, "--check", "-o", str(out)]) == 0
    assert "worst" in capsys.readouterr().out  # the parity report of the ONNX file
    count = build_model(g).count_params()
    for style in ("functional", "subclass"):
        (path,) = out.glob(f"*{style}*.py")
        module = run_module(path.read_text(encoding="utf-8"), tmp_path)
        assert module.build_model().count_params() == count


def test_nested_uses_name_nodes_by_the_whole_path(tmp_path):
    g = nested()  # o1 and o2, each an 'outer' holding the encoder use inner_enc
    report = export_onnx(build_model(g), g, tmp_path / "nested.onnx")
    assert report.ok
    scopes = {name.rsplit("/", 1)[0] for name in _node_names(tmp_path / "nested.onnx")}
    # o2's inner dense_1 feeds nothing the model returns: the exporter drops it.
    assert scopes == {
        "o1/inner_enc/dense",
        "o1/inner_enc/dense_1",
        "o1/head",
        "o2/inner_enc/dense",
        "o2/head",
    }
