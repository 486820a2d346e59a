"""Validation of block uses: outputs inferred from the body with the use's inputs and
values, problems inside reported at the use naming the inner node, one body check per
distinct signature."""

from __future__ import annotations

from dataclasses import replace

from graph import ModelGraph, block_validate, validate
from graph.params import freeze
from tests.blocks_graphs import define_encoder, siamese


def test_a_uses_outputs_and_weights_come_from_its_body():
    g, ids = siamese()
    report = validate(g)
    assert report.valid, report.problems
    enc = report.nodes[ids["enc"]]
    assert enc.shape == (None, 4) and enc.output(1).shape == (None, 32)
    assert enc.output(2) is None
    assert report.nodes[ids["enc_c"]].output(1).shape == (None, 8)
    # output 0 (4) + output 1 of the shared call (32) + enc_c's output 0 (4)
    assert report.nodes[ids["cat"]].shape == (None, 40)
    # enc counted once for both calls: 16*32+32 + 32*4+4; enc_c: 16*8+8 + 8*4+4
    assert report.total_params == (16 * 32 + 32 + 32 * 4 + 4) + (16 * 8 + 8 + 8 * 4 + 4)


def test_problems_inside_are_reported_at_the_use_naming_the_inner_node():
    g, ids = siamese()
    body = g.blocks.body("encoder")
    dense_1 = body.node_ids()[2]
    bad = replace(body.layer(dense_1), params=freeze({"units": 0}))
    body.replace_layer(dense_1, bad)  # as a hand-edited file may hold it
    report = validate(g)
    inner = [p for p in report.errors if p.inner == "encoder/dense_1"]
    assert {p.node for p in inner} == {ids["enc"], ids["enc_again"], ids["enc_c"]}
    first = next(p for p in inner if p.node == ids["enc"])
    assert first.code == "bad-param"
    assert first.message.startswith("encoder 'enc': in block 'encoder': Dense 'dense_1': units")
    # and at the inner node itself, in the use's body as validation made it
    made = block_validate.use_body(g, report, ids["enc"])
    (at_inner,) = made.report.problems_of(dense_1)
    assert at_inner.code == "bad-param" and at_inner.message.startswith("Dense 'dense_1'")
    # the use cannot be inferred, and nothing downstream is reported again
    assert ids["enc"] not in report.nodes and ids["cat"] not in report.nodes
    assert not report.problems_of(ids["cat"])


def test_a_parameter_value_that_does_not_fit_is_reported_inside():
    g, ids = siamese()
    g.set_param(ids["enc_c"], "units", -3)  # an int, but Dense's units must be >= 1
    report = validate(g)
    (problem,) = report.problems_of(ids["enc_c"])
    assert problem.inner == "encoder/dense" and problem.code == "bad-param"
    assert ids["enc"] in report.nodes  # the other use is fine


def test_nested_uses_name_the_path():
    g = ModelGraph()
    define_encoder(g)
    outer = g.define_block("outer")
    x = outer.add_node("Input", name="x", params={"shape": (16,)})
    inner = outer.add_node("encoder", name="inner_enc")
    outer.connect(x, inner, "x")
    outer.set_outputs([inner])
    a = g.add_node("Input", name="a", params={"shape": (3,)})  # encoder's Dense takes it
    use = g.add_node("outer", name="o")
    g.connect(a, use, "x")
    g.set_outputs([use])
    assert validate(g).nodes[use].shape == (None, 4)
    g.blocks.body("encoder").add_node("Dense", name="loose", params={"units": 2})
    report = validate(g)
    (problem,) = [p for p in report.errors if p.node == use]
    assert problem.inner == "outer/inner_enc/loose" and problem.code == "missing-input"
    assert problem.message.startswith(
        "outer 'o': in block 'outer': encoder 'inner_enc': in block 'encoder': Dense 'loose'"
    )


def test_an_edge_from_an_output_the_block_lost_is_reported():
    g, ids = siamese()
    body = g.blocks.body("encoder")
    body.set_outputs(body.outputs[:1])
    report = validate(g)
    (problem,) = report.problems_of(ids["cat"])
    assert problem.code == "bad-output"
    assert "takes output 1 of encoder 'enc' (call 2), which has 1" in problem.message


def test_identical_uses_validate_their_body_once(monkeypatch):
    calls = []
    real = block_validate._validate_body

    def counted(graph):
        calls.append(graph)
        return real(graph)

    monkeypatch.setattr(block_validate, "_validate_body", counted)
    g = ModelGraph("twelve")
    define_encoder(g)
    x = g.add_node("Input", name="x", params={"shape": (16,)})
    uses = [g.add_node("encoder", params={"units": 16}) for _ in range(12)]
    for use in uses:
        g.connect(x, use, "x")
    odd = g.add_node("encoder", params={"units": 7})
    g.connect(x, odd, "x")
    g.set_outputs([*uses, odd])
    report = validate(g)
    assert report.valid, report.problems
    assert len(calls) == 2  # units 16 (twelve uses) and units 7
    g.move(uses[0], (5.0, 5.0))
    g.set_param(odd, "units", 16)
    validate(g)
    assert len(calls) == 2  # a signature seen before costs nothing
    body = g.blocks.body("encoder")
    body.set_param(body.node_ids()[2], "units", 6)
    assert validate(g).nodes[uses[0]].shape == (None, 6)
    assert len(calls) == 3  # the body changed: checked again, once


def test_an_edit_validated_incrementally_reports_as_a_cold_run():
    from graph import dumps, loads

    g, ids = siamese()
    validate(g)
    g.set_param(ids["enc_c"], "units", 5)  # a param-only edit: validate's update path
    warm = validate(g)
    cold = validate(loads(dumps(g)))
    assert warm.nodes == cold.nodes and warm.problems == cold.problems
    assert warm.nodes[ids["enc_c"]].output(1).shape == (None, 5)
    body = g.blocks.body("encoder")
    body.set_param(body.node_ids()[2], "units", 3)  # the body: every use follows
    warm = validate(g)
    assert warm.nodes == validate(loads(dumps(g))).nodes
    assert warm.nodes[ids["cat"]].shape == (None, 3 + 32 + 3)
