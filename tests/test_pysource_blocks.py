"""Generated source of graphs with block uses, against build_model's nested models.

Functional source writes a function per definition (its model for one use); subclass
source a keras.layers.Layer subclass per definition. Either way the module's model
must have build_model(g)'s structure (sub-models and their layers, by name), its
parameter count and, given the same weights (copied by layer path), its outputs; the
text must be deterministic, ruff-clean and formatted, its names clashing with nothing.
"""

from __future__ import annotations

import ast
import itertools
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.build import build_model
from codegen.pysource import to_python
from graph import ModelGraph
from graph.blocks import block_param
from tests.blocks_graphs import define_encoder, define_outer, siamese
from tests.graphs import wire
from tests.test_graph_vs_keras import random_graphs
from tests.test_pysource import STYLES, outputs, ruff, run_module, sample_inputs


def nested() -> ModelGraph:
    """Block 'outer' (parameter width 12) uses 'encoder' with units = width, then a
    Dense of its own; two uses of outer with different widths."""
    g = ModelGraph("nested")
    define_encoder(g)
    width = [block_param("width", "int", 12)]
    outer, inner = define_outer(g, width, {"units": {"$param": "width"}})
    head = outer.add_node("Dense", name="head", params={"units": 3})
    outer.connect(inner, head, "input", output=1)
    outer.set_outputs([head, inner])
    a = g.add_node("Input", name="a", params={"shape": (16,)})
    first = g.add_node("outer", name="o1")
    second = g.add_node("outer", name="o2", params={"width": 5})
    g.connect(a, first, "x")
    g.connect(first, second, "x", output=1)
    g.set_outputs([first, second])
    return g


def varying_shapes() -> ModelGraph:
    """'encoder' fed (16,) by one use and (3,) by another, and 'outer' (an encoder
    inside) fed (16,) and (7,): the inner use's shape is read off its input tensor."""
    g = ModelGraph("varying")
    define_encoder(g)
    outer, inner = define_outer(g)
    outer.set_outputs([inner])
    wide = g.add_node("Input", name="wide", params={"shape": (16,)})
    narrow = g.add_node("Input", name="narrow", params={"shape": (3,)})
    odd = g.add_node("Input", name="odd", params={"shape": (7,)})
    uses = {}
    for name, source, block in [
        ("e1", wide, "encoder"),
        ("e2", narrow, "encoder"),
        ("o1", wide, "outer"),
        ("o2", odd, "outer"),
    ]:
        uses[name] = g.add_node(block, name=name)
        g.connect(source, uses[name], "x")
    join = g.add_node("Concatenate", name="join")
    for i, name in enumerate(uses):
        g.connect(uses[name], join, f"input_{i}")
    g.set_outputs([join])
    return g


def two_inputs_and_clashes() -> ModelGraph:
    """Names that clash with what the module defines: a block named 'keras' with a
    parameter 'name' and two inputs, a block named 'build_model', uses named after
    their definitions, a layer inside named like a block."""
    g = ModelGraph("clashes")
    pair = g.define_block("keras", [block_param("name", "int", 3)])
    left = pair.add_node("Input", name="left", params={"shape": (4,)})
    right = pair.add_node("Input", name="right", params={"shape": (4,)})
    add = pair.add_node("Add", name="build_model")
    dense = pair.add_node("Dense", name="keras_1", params={"units": {"$param": "name"}})
    wire(pair, (left, add, "input_0"), (right, add, "input_1"), (add, dense, "input"))
    pair.set_outputs([dense])
    single = g.define_block("build_model")
    x = single.add_node("Input", name="x", params={"shape": (3,)})
    d = single.add_node("Dense", name="keras", params={"units": 2})
    wire(single, (x, d, "input"))
    single.set_outputs([d])
    a = g.add_node("Input", name="a", params={"shape": (4,)})
    b = g.add_node("Input", name="b", params={"shape": (4,)})
    use = g.add_node("keras", name="keras", params={"name": 3})
    again = g.add_node("build_model", name="build_model")
    wire(g, (a, use, "left"), (b, use, "right"), (use, again, "x"))
    g.set_outputs([again])
    return g


def stateful() -> ModelGraph:
    """Block 'norm_block': Normalization with fixed statistics (tensors made in
    build()), BatchNormalization (non-trainable weights), Dropout, over (4,)."""
    g = ModelGraph("stateful")
    body = g.define_block("norm_block", [block_param("rate", "float", 0.5)])
    x = body.add_node("Input", name="x", params={"shape": (4,)})
    stats = {"mean": (1.0, 2.0, 3.0, 4.0), "variance": (1.0, 4.0, 9.0, 16.0)}
    norm = body.add_node("Normalization", name="norm", params=stats)
    batch = body.add_node("BatchNormalization", name="batch")
    drop = body.add_node("Dropout", name="drop", params={"rate": {"$param": "rate"}})
    wire(body, (x, norm, "input"), (norm, batch, "input"), (batch, drop, "input"))
    body.set_outputs([drop])
    a = g.add_node("Input", name="a", params={"shape": (4,)})
    use = g.add_node("norm_block", name="nb", params={"rate": 0.25})
    g.connect(a, use, "x")
    g.set_outputs([use])
    return g


def shared_inside() -> ModelGraph:
    """Block 'twice': integer ids (6,) -> Embedding (vocabulary 5) -> a Dense called
    on it and again on its own output (a shared layer inside a body) -> pooling."""
    g = ModelGraph("shared_inside")
    body = g.define_block("twice")
    ids = body.add_node("Input", name="ids", params={"shape": (6,), "dtype": "int32"})
    table = body.add_node("Embedding", name="table", params={"input_dim": 5, "output_dim": 3})
    dense = body.add_node("Dense", name="mix", params={"units": 3})
    again = body.call_again(dense)
    pool = body.add_node("GlobalAveragePooling1D", name="pool")
    wire(body, (ids, table, "input"), (table, dense, "input"), (dense, again, "input"))
    body.connect(again, pool, "input")
    body.set_outputs([pool])
    x = g.add_node("Input", name="x", params={"shape": (6,), "dtype": "int32"})
    use = g.add_node("twice", name="tw")
    g.connect(x, use, "ids")
    g.set_outputs([use])
    return g


def long_block_names(length: int) -> ModelGraph:
    """Names of `length` characters everywhere: a two-input block with two parameters
    and two outputs, used twice over one input (shared) and once over another."""
    g = ModelGraph("g" * length)
    p, q = "p" * length, "q" * length
    body = g.define_block("b" * length, [block_param(p, "int", 3), block_param(q, "float", 0.5)])
    x, y = (body.add_node("Input", name=c * length, params={"shape": (4,)}) for c in "xy")
    join = body.add_node("Concatenate", name="c" * length)
    dense = body.add_node("Dense", name="d" * length, params={"units": {"$param": p}})
    drop = body.add_node("Dropout", name="r" * length, params={"rate": {"$param": q}})
    wire(body, (x, join, "input_0"), (y, join, "input_1"), (join, dense, "input"))
    wire(body, (dense, drop, "input"))
    body.set_outputs([drop, dense])
    a = g.add_node("Input", name="a" * length, params={"shape": (4,)})
    e = g.add_node("Input", name="e" * length, params={"shape": (6,)})
    use = g.add_node("b" * length, name="u" * length, params={p: 5})
    again = g.call_again(use)
    other = g.add_node("b" * length, name="w" * length)
    for node, source in ((use, a), (again, a), (other, e)):
        wire(g, (source, node, "x" * length), (source, node, "y" * length))
    cat = g.add_node("Concatenate", name="j" * length)
    g.connect(use, cat, "input_0", output=1)
    wire(g, (again, cat, "input_1"), (other, cat, "input_2"))
    g.set_outputs([cat])
    return g


def unused_input() -> ModelGraph:
    """Inputs a (4,) and b (6,), b read by nothing; outputs a itself and Dense(a)."""
    g = ModelGraph("unused_input")
    a = g.add_node("Input", name="a", params={"shape": (4,)})
    g.add_node("Input", name="b", params={"shape": (6,)})
    dense = g.add_node("Dense", name="dense", params={"units": 2})
    g.connect(a, dense, "input")
    g.set_outputs([a, dense])
    return g


GRAPHS = {
    "siamese": lambda: siamese()[0],
    "unused_input": lambda: as_block(unused_input()),
    "long_names": lambda: long_block_names(120),
    "shared_inside": shared_inside,
    "stateful": stateful,
    "nested": nested,
    "varying_shapes": varying_shapes,
    "clashes": two_inputs_and_clashes,
}


def _sublayers(layer) -> list:
    return [x for x in layer._flatten_layers(include_self=False, recursive=False)]


def _structure(layer) -> list:
    """Each sub-layer's name (Input layers left out: a Layer subclass has none) and
    its own sub-layers, in order."""
    return [(x.name, _structure(x)) for x in _sublayers(layer) if type(x).__name__ != "InputLayer"]


def _sorted(structure: list) -> list:
    return sorted((name, _sorted(inner)) for name, inner in structure)


def _weighted(layer, path: str = "") -> dict:
    """The layers that hold weights themselves, by path of names from the model."""
    found = {}
    for x in _sublayers(layer):
        inner = _weighted(x, f"{path}{x.name}/")
        found.update(inner or ({f"{path}{x.name}": x} if x.weights else {}))
    return found


def assert_matches_build_model(g: ModelGraph, style: str, directory) -> None:
    reference = build_model(g)
    model = run_module(to_python(g, style), directory).build_model()
    if style == "functional":
        assert _structure(model) == _structure(reference)
    else:  # a Layer subclass holds its layers in the order it makes them
        assert _sorted(_structure(model)) == _sorted(_structure(reference))
    if style == "functional":  # the same nested Functional models, Inputs included
        assert [type(x).__name__ for x in model.layers] == [
            type(x).__name__ for x in reference.layers
        ]
    assert model.count_params() == reference.count_params()
    want, got = _weighted(reference), _weighted(model)
    assert sorted(got) == sorted(want)
    for path, layer in want.items():
        got[path].set_weights(layer.get_weights())
    data = sample_inputs(g)
    if len(g.inputs) == 1:
        x = data[g.inputs[0]]
    elif style == "functional":
        x = [data[n] for n in g.inputs]
    else:
        x = {g.layer(n).name: data[n] for n in g.inputs}
    expected = outputs(reference, [data[n] for n in g.inputs])
    received = outputs(model, x)
    assert len(received) == len(expected)
    for a, b in zip(received, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("graph", GRAPHS)
def test_generated_blocks_rebuild_build_models_model(graph, style, tmp_path):
    assert_matches_build_model(GRAPHS[graph](), style, tmp_path)


def test_block_sources_are_deterministic_ruff_clean_and_formatted(tmp_path):
    factories = [*GRAPHS.values(), unused_input] + [
        lambda n=n: long_block_names(n) for n in (1, 12, 30, 45, 60, 90)
    ]
    for i, (factory, style) in enumerate(itertools.product(factories, STYLES)):
        source = to_python(factory(), style)
        assert source == to_python(factory(), style)
        (tmp_path / f"m{i}_{style}.py").write_text(source, encoding="utf-8")
    check = ruff("check", "--no-cache", str(tmp_path))
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = ruff("format", "--check", "--diff", "--no-cache", str(tmp_path))
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_functional_blocks_read_like_hand_written_keras():
    source = to_python(siamese()[0], "functional")
    assert '\ndef encoder(units=8, name="encoder"):\n' in source
    assert "    return keras.Model(inputs=x, outputs=[dense_1, dense], name=name)\n" in source
    assert '    enc_layer = encoder(units=32, name="enc")\n' in source
    assert "    enc = enc_layer(a)\n    enc_2 = enc_layer(b)\n" in source
    assert '    enc_c = encoder(name="enc_c")(c)\n' in source
    assert "[enc[0], enc_2[1], enc_c[0]]" in source


def test_shapes_that_differ_between_uses_are_arguments():
    source = to_python(varying_shapes(), "functional")
    assert '\ndef encoder(x_shape, units=8, name="encoder"):\n' in source
    assert '    x = keras.Input(shape=x_shape, name="x")\n' in source
    assert 'encoder(x_shape=(3,), name="e2")(narrow)' in source
    assert 'encoder(x_shape=x.shape[1:], name="inner_enc")(x)' in source


def test_module_level_names_are_shadowed_nowhere():
    """Every name the module binds at its top level (imports, functions, classes) is
    bound nowhere else: no argument or variable of any function shadows one."""
    for style in STYLES:
        tree = ast.parse(to_python(two_inputs_and_clashes(), style))
        top = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
        top |= {"keras", "os"}
        local = {
            name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
            for name in [a.arg for a in node.args.args]
            + [
                t.id
                for stmt in ast.walk(node)
                if isinstance(stmt, ast.Assign)
                for t in stmt.targets
                if isinstance(t, ast.Name)
            ]
        }
        assert top.isdisjoint(local), top & local
        # os and keras, two blocks, build_model and (subclass) the model's class
        assert len(top) == 2 + 2 + 1 + (style == "subclass")


def test_subclass_blocks_keep_their_parameters_in_the_config(tmp_path):
    model = run_module(to_python(nested(), "subclass"), tmp_path).build_model()
    o2 = model.get_layer("o2")
    config = o2.get_config()
    assert config["width"] == 5 and config["name"] == "o2"
    again = type(o2).from_config(config)
    assert again.width == 5
    assert type(o2).__bases__[0].__name__ == "Layer"


#: Layers in a block body deeper than Keras builds under the default recursion limit.
DEEP = 2100


def test_a_deep_block_body_gets_room_to_build(tmp_path):
    """Keras builds each use's model recursively on its own: a body deeper than the
    default recursion limit allows needs the limit raised, however small the top."""
    g = ModelGraph("deep_inside")
    body = g.define_block("tower")
    prev = body.add_node("Input", name="x", params={"shape": (2,)})
    for _ in range(DEEP):
        node = body.add_node("Dense", params={"units": 2})
        body.connect(prev, node, "input")
        prev = node
    body.set_outputs([prev])
    a = g.add_node("Input", name="a", params={"shape": (2,)})
    use = g.add_node("tower", name="t")
    g.connect(a, use, "x")
    g.set_outputs([use])
    source = to_python(g, "functional")
    assert "sys.setrecursionlimit(max(sys.getrecursionlimit()," in source
    limit = sys.getrecursionlimit()
    try:
        reference = build_model(g)  # first: before the module raises the limit
        model = run_module(source, tmp_path).build_model()
        assert model.count_params() == reference.count_params() == DEEP * 6
    finally:
        sys.setrecursionlimit(limit)


def as_block(inner: ModelGraph) -> ModelGraph:
    """`inner` as the body of block 'inner', used by a model over Inputs like its own:
    one use, called again on the same inputs (shared), every output of the first call
    taken (output k > 0 through an Identity layer)."""
    g = ModelGraph("wrapped")
    body = g.define_block("inner")
    layers = {layer_id: body.restore_layer(layer) for layer_id, layer in inner.layers()}
    with body.events.blocked():
        for node_id in inner.node_ids():
            body.restore_call_site(node_id, layers[inner.node(node_id).layer_id], (0.0, 0.0))
        for edge in inner.connections():
            body.restore_edge(*edge)
    body.set_outputs(inner.outputs)
    names = [inner.layer(n).name for n in inner.inputs]
    tops = [
        g.add_node("Input", name=f"top_{name}", params=inner.layer(node).params)
        for name, node in zip(names, inner.inputs, strict=True)
    ]
    use = g.add_node("inner", name="use")
    again = g.call_again(use)
    for call in (use, again):
        wire(g, *((top, call, name) for top, name in zip(tops, names, strict=True)))
    taken = []
    for k in range(1, len(inner.outputs)):
        taken.append(g.add_node("Identity", name=f"out_{k}"))
        g.connect(use, taken[-1], "input", output=k)
    g.set_outputs([use, again, *taken])
    return g


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inner=random_graphs(), style=st.sampled_from(STYLES))
def test_random_graphs_as_blocks_generate_the_same_model(inner, style, tmp_path_factory):
    assert_matches_build_model(as_block(inner), style, tmp_path_factory.mktemp("random"))


def branching_out_of_order() -> ModelGraph:
    """A body whose node order is not a topological one: its Add 'join' added first,
    then 'left' (fed by 'right'), then 'right'; a model of two uses of it."""
    g = ModelGraph("branching")
    body = g.define_block("branch")
    x = body.add_node("Input", name="x", params={"shape": (8,)})
    join = body.add_node("Add", name="join")
    left = body.add_node("Dense", name="left", params={"units": 8, "activation": "relu"})
    right = body.add_node("Dense", name="right", params={"units": 8})
    wire(body, (x, right, "input"), (right, left, "input"))
    wire(body, (left, join, "input_0"), (right, join, "input_1"))
    body.set_outputs([join])
    a = g.add_node("Input", name="a", params={"shape": (8,)})
    first, second = g.add_node("branch", name="b1"), g.add_node("branch", name="b2")
    wire(g, (a, first, "x"), (first, second, "x"))
    g.set_outputs([second])
    return g


@pytest.mark.parametrize("style", STYLES)
def test_a_body_out_of_topological_order_is_written_in_it(style, tmp_path):
    assert_matches_build_model(branching_out_of_order(), style, tmp_path)
