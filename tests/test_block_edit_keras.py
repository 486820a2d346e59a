"""Group into block, Ungroup and Repeat against Keras: the model built before and
after an edit that keeps the computation has the same parameter count and, on the
same weights, the same outputs; a repeated chain counts as Keras counts it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from codegen.build import build_model
from graph import ModelGraph, validate
from graph.block_edit import group_into_block, repeat, ungroup
from tests.blocks_graphs import define_encoder, siamese
from tests.graphs import residual


def _samples(model, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(3, *x.shape[1:])).astype("float32") for x in model.inputs]


def _by_name(model, inner: Callable[[str, str], str]) -> dict:
    """Each layer of `model` with weights by name, a nested model's layers by
    `inner(use, layer)`."""
    found = {}
    for layer in model.layers:
        if hasattr(layer, "layers"):
            found.update({inner(layer.name, k): v for k, v in _by_name(layer, inner).items()})
        elif layer.weights:
            found[layer.name] = layer
    return found


def _same_model(before: ModelGraph, after: ModelGraph, inner: Callable[[str, str], str]) -> None:
    """Both graphs build to models with equal counts and, on the same weights (layers
    matched by name, `inner` naming a nested model's in the other), equal outputs."""
    old, new = build_model(before), build_model(after)
    assert new.count_params() == old.count_params() == validate(after).total_params
    olds, news = _by_name(old, inner), _by_name(new, inner)
    assert sorted(olds) == sorted(news)
    for name, layer in news.items():
        layer.set_weights(olds[name].get_weights())
    x = _samples(old)
    for a, b in zip(old.predict(x, verbose=0), new.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-6, atol=1e-6)


def test_grouping_builds_the_same_model_as_a_nested_one():
    before = residual(3, width=8)
    after = residual(3, width=8)
    _, dense, add, dense_1, add_1, *_ = after.node_ids()
    use = group_into_block(after, [dense, add, dense_1, add_1], "pair")
    model = build_model(after)
    assert [layer.name for layer in model.get_layer(after.layer(use).name).layers] == [
        "x",
        "dense",
        "add",
        "dense_1",
        "add_1",
    ]
    outer = after.layer(use).name
    _same_model(before, after, lambda use, layer: layer if use == outer else f"{use}/{layer}")


def test_ungrouping_builds_the_same_model_flat():
    before, ids = siamese()
    after, _ = siamese()
    ungroup(after, ids["enc_c"])
    assert "enc_c_dense" in [layer.name for layer in build_model(after).layers]
    _same_model(before, after, lambda use, layer: f"{use}_{layer}")


def test_a_repeated_chain_counts_as_keras_counts_it():
    g = residual(1, width=8)
    _, dense, add = g.node_ids()
    use = group_into_block(g, [dense, add], "res")
    repeat(g, use, 12)
    model = build_model(g)
    assert len([layer for layer in model.layers if hasattr(layer, "layers")]) == 12
    assert model.count_params() == validate(g).total_params == 12 * (8 * 8 + 8)


def _two_outputs() -> ModelGraph:
    """Input (16,) -> a use 'enc' of block 'encoder' (two outputs, units 32), both
    outputs concatenated by 'cat', the model output."""
    g = ModelGraph("two_outputs")
    define_encoder(g)
    x = g.add_node("Input", name="x", params={"shape": (16,)})
    enc = g.add_node("encoder", name="enc", params={"units": 32}, node_id="enc")
    cat = g.add_node("Concatenate", name="cat")
    g.connect(x, enc, "x")
    g.connect(enc, cat, "input_0")
    g.connect(enc, cat, "input_1", output=1)
    g.set_outputs([cat])
    return g


def test_ungrouping_a_use_whose_later_output_is_taken_wires_each_output():
    after = _two_outputs()
    ungroup(after, "enc")
    _same_model(_two_outputs(), after, lambda use, layer: f"{use}_{layer}")


def test_grouping_a_selection_with_a_use_inside_nests_the_blocks():
    before, ids = siamese()
    after, _ = siamese()
    use = group_into_block(after, [ids["enc_c"], ids["cat"], ids["enc"], ids["enc_again"]])
    body = after.blocks.body(after.layer(use).type)
    assert [body.layer(n).type for n in body.node_ids()][3:] == ["encoder"] * 3 + ["Concatenate"]
    outer = after.layer(use).name
    _same_model(before, after, lambda use, layer: layer if use == outer else f"{use}/{layer}")
