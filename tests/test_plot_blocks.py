"""`kgs plot` of block uses: the top level as drawn nodes, --expand the layers inside
(graph.expand) framed per use (kgs.nested_frames), held to the nested models Keras
builds."""

from __future__ import annotations

import pytest

from codegen.build import build_model
from graph import save, validate
from graph.expand import SEPARATOR, expanded
from kgs.cli import main
from tests.blocks_graphs import siamese
from tests.test_pysource_blocks import nested, varying_shapes

GRAPHS = {"siamese": lambda: siamese()[0], "nested": nested, "varying": varying_shapes}


def _keras_paths(model, prefix: str = "") -> set[str]:
    """The inner layers of a Keras model by their path of names (Inputs of nested
    models left out: the expanded graph feeds their consumers directly)."""
    paths = set()
    for layer in model.layers:
        if hasattr(layer, "layers"):
            paths |= _keras_paths(layer, f"{prefix}{layer.name}{SEPARATOR}")
        elif not (prefix and type(layer).__name__ == "InputLayer"):
            paths.add(prefix + layer.name)
    return paths


@pytest.mark.parametrize("graph", GRAPHS)
def test_the_expanded_graph_is_the_nested_model_flattened(graph):
    g = GRAPHS[graph]()
    model = build_model(g)
    flat = expanded(g).graph
    assert {layer.name for _, layer in flat.layers()} == _keras_paths(model)
    report = validate(flat)
    assert report.valid
    assert report.total_params == model.count_params()
    for out_node, tensor in zip(flat.outputs, model.outputs, strict=True):
        assert report.nodes[out_node].shape == tuple(tensor.shape)


def test_a_shared_use_expands_to_calls_of_the_same_layers():
    g, _ = siamese()
    result = expanded(g)
    flat = result.graph
    first, again = result.groups["enc"].nodes, result.groups["enc (call 2)"].nodes
    assert [flat.node(n).layer_id for n in first] == [flat.node(n).layer_id for n in again]
    assert result.groups["enc_c"].block == "encoder" and len(result.groups["enc_c"].nodes) == 2


def test_kgs_plot_draws_uses_or_with_expand_their_layers(qapp, tmp_path, artifacts):
    source = tmp_path / "nested.graph.json"
    save(nested(), source)
    out = tmp_path / "nested.svg"
    assert main(["plot", str(source), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert ">o1<" in text and ">o2<" in text
    # Unexpanded, 'inner_enc' is only each use's second output port, no frame is drawn
    assert text.count(">inner_enc<") == 2 and "(encoder)" not in text
    assert main(["plot", str(source), "-o", str(out), "--expand"]) == 0
    text = out.read_text(encoding="utf-8")
    for path in _keras_paths(build_model(nested())):
        assert f">{path}<" in text, path
    for frame in ("o1 (outer)", "o1-inner_enc (encoder)", "o2 (outer)", "o2-inner_enc (encoder)"):
        assert f">{frame}<" in text, frame  # each use call framed, as Keras boxes them
    png = artifacts / "plot_nested_expanded.png"
    assert main(["plot", str(source), "-o", str(png), "--expand"]) == 0
