"""Graphs with blocks, shared by the block tests (model, validation, file, build)."""

from __future__ import annotations

from graph import ModelGraph
from graph.blocks import block_param


def define_encoder(g: ModelGraph, name: str = "encoder") -> ModelGraph:
    """Block `name`: Input x (16,) -> Dense(units param, relu) 'dense' -> Dense(4)
    'dense_1'; outputs dense_1 then dense (two outputs)."""
    enc = g.define_block(name, [block_param("units", "int", 8)])
    x = enc.add_node("Input", name="x", params={"shape": (16,)})
    d = enc.add_node(
        "Dense", name="dense", params={"units": {"$param": "units"}, "activation": "relu"}
    )
    d2 = enc.add_node("Dense", name="dense_1", params={"units": 4})
    enc.connect(x, d, "input")
    enc.connect(d, d2, "input")
    enc.set_outputs([d2, d])
    return enc


def define_outer(
    g: ModelGraph, parameters=(), inner_params: dict | None = None
) -> tuple[ModelGraph, str]:
    """Block 'outer' (with `parameters`): Input x (16,) -> a use 'inner_enc' of
    block 'encoder' (define it first) with `inner_params`. Returns the body and the
    use's id; the body's outputs are left to set."""
    outer = g.define_block("outer", parameters)
    x = outer.add_node("Input", name="x", params={"shape": (16,)})
    inner = outer.add_node("encoder", name="inner_enc", params=inner_params)
    outer.connect(x, inner, "x")
    return outer, inner


def nested(name: str = "nested", units: int = 16) -> tuple[ModelGraph, str, str]:
    """Input x (16,) -> a use 'o' of block 'outer', whose body is a use 'inner_enc'
    of block 'encoder' (units `units`). Returns the graph, the use and the inner use."""
    g = ModelGraph(name)
    define_encoder(g)
    outer, inner = define_outer(g, inner_params={"units": units})
    outer.set_outputs([inner])
    x = g.add_node("Input", name="x", params={"shape": (16,)})
    use = g.add_node("outer", name="o")
    g.connect(x, use, "x")
    g.set_outputs([use])
    return g, use, inner


def siamese() -> tuple[ModelGraph, dict[str, str]]:
    """Inputs a, b, c (16,); 'enc' (units 32) called on a and again on b (shared),
    'enc_c' (units 8, own weights) on c; Concatenate of enc(a) output 0, enc(b)
    output 1 and enc_c output 0. Returns the graph and its node ids by role."""
    g = ModelGraph("siamese")
    define_encoder(g)
    ids = {n: g.add_node("Input", name=n, params={"shape": (16,)}) for n in "abc"}
    ids["enc"] = g.add_node("encoder", name="enc", params={"units": 32})
    ids["enc_again"] = g.call_again(ids["enc"])
    ids["enc_c"] = g.add_node("encoder", name="enc_c")
    g.connect(ids["a"], ids["enc"], "x")
    g.connect(ids["b"], ids["enc_again"], "x")
    g.connect(ids["c"], ids["enc_c"], "x")
    ids["cat"] = g.add_node("Concatenate", name="cat")
    g.connect(ids["enc"], ids["cat"], "input_0")
    g.connect(ids["enc_again"], ids["cat"], "input_1", output=1)
    g.connect(ids["enc_c"], ids["cat"], "input_2")
    g.set_outputs([ids["cat"]])
    return g, ids
