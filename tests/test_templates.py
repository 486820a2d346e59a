"""The bundled templates: listed in the menu's order, valid, laid out left to right,
equal to the Keras models they build node by node, and exportable to ONNX."""

from __future__ import annotations

import pytest

from codegen.build import build_model
from codegen.export import export_onnx
from codegen.layout import ROW
from codegen.onnx_readiness import onnx_problems
from graph import validate
from studio.templates import TEMPLATE_FOLDER, TEMPLATES

BY_STEM = {t.path.name.removesuffix(".graph.json"): t for t in TEMPLATES}
#: ONNX export unrolls recurrent layers step by step: a minute here for 40 tokens.
SLOW_ONNX = {"lstm_text_classifier"}


def test_the_menu_lists_every_template_file_in_the_issues_order():
    assert list(BY_STEM) == [
        "mnist_mlp",
        "customer_tickets",
        "small_cnn",
        "residual_block",
        "lstm_text_classifier",
        "transformer_encoder",
        "small_unet",
        "small_transformer",
        "resnet_stages",
    ]
    assert sorted(TEMPLATE_FOLDER.glob("*.graph.json")) == sorted(t.path for t in TEMPLATES)
    assert len({t.title for t in TEMPLATES}) == len(TEMPLATES)


@pytest.fixture(params=list(BY_STEM))
def template(request):
    return BY_STEM[request.param]


def test_loads_with_no_problem_and_reads_left_to_right(template):
    """Every connection points right, or (a long template folded into rows) on to a
    row further down."""
    g = template.load()
    assert g.name == template.path.name.removesuffix(".graph.json")
    assert validate(g).problems == []
    assert onnx_problems(g) == []
    positions = [g.node(n).pos for n in g.node_ids()]
    assert len(set(positions)) == len(positions)
    for src, dst, _ in g.edges():
        (x0, y0), (x1, y1) = g.node(src).pos, g.node(dst).pos
        assert x0 < x1 or y1 > y0 + ROW, (src, dst)


def test_every_node_matches_keras(template):
    """Shape, dtype and weight count of every node (Inputs included) are Keras's."""
    g = template.load()
    report = validate(g)
    model = build_model(g)
    assert model.count_params() == report.total_params
    for node_id in g.node_ids():
        assert g.call_sites(node_id) == [node_id]  # no shared layer: one output each
        layer = model.get_layer(g.layer(node_id).name)
        inferred = report.nodes[node_id]
        assert tuple(layer.output.shape) == inferred.shape, node_id
        assert layer.output.dtype == inferred.dtype, node_id
        assert layer.count_params() == inferred.params, node_id


@pytest.mark.parametrize(
    "stem",
    [
        pytest.param(stem, marks=pytest.mark.slow) if stem in SLOW_ONNX else stem
        for stem in BY_STEM
        if stem not in ("mnist_mlp", "customer_tickets")  # test_export covers them
    ],
)
def test_exports_to_onnx_matching_keras(stem, tmp_path):
    g = BY_STEM[stem].load()
    report = export_onnx(build_model(g), g, tmp_path / f"{stem}.onnx")
    assert report.ok and report.worst <= 1e-4, str(report)
