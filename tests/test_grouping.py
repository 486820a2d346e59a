"""graph.grouping on graphs built by hand (no Keras): which scopes become uses, which
numbers become block parameters, and what is left alone; the grouped graph always
validates to the flat one's shapes and parameter counts."""

from graph import ModelGraph, dumps, loads, validate
from graph.grouping import group_by_names


def chain(*blocks: tuple[str, int, str]) -> ModelGraph:
    """Input 'x' (16,) -> for each (scope, units, activation): Dense '<scope>_dense'
    -> Activation '<scope>_act' -> Dropout '<scope>_drop' -> Dense 'head' (2), the
    model output; node ids are the names."""
    g = ModelGraph("chain")
    last = g.add_node("Input", name="x", params={"shape": (16,)}, node_id="x")
    for scope, units, activation in blocks:
        layers = [
            ("Dense", "dense", {"units": units}),
            ("Activation", "act", {"activation": activation}),
            ("Dropout", "drop", {"rate": 0.5}),
        ]
        for layer_type, suffix, params in layers:
            name = f"{scope}_{suffix}"
            g.add_node(layer_type, name=name, params=params, node_id=name)
            g.connect(last, name, "input")
            last = name
    g.add_node("Dense", name="head", params={"units": 2}, node_id="head")
    g.connect(last, "head", "input")
    g.set_outputs(["head"])
    return g


def assert_same_function(flat: ModelGraph, g: ModelGraph) -> None:
    before, after = validate(flat), validate(g)
    assert after.valid, after.errors
    assert after.total_params == before.total_params
    assert [after.nodes[n].shape for n in g.outputs] == [
        before.nodes[n].shape for n in flat.outputs
    ]


def names(g: ModelGraph) -> list[tuple[str, str]]:
    return [(g.layer(n).type, g.layer(n).name) for n in g.node_ids()]


def test_scopes_that_differ_only_in_a_number_are_one_definition_with_a_parameter():
    flat = chain(("b1", 8, "relu"), ("b2", 16, "relu"), ("b3", 16, "relu"))
    g = chain(("b1", 8, "relu"), ("b2", 16, "relu"), ("b3", 16, "relu"))
    grouping = group_by_names(g)
    assert names(g) == [("Input", "x"), *[("b", f"b{i}") for i in (1, 2, 3)], ("Dense", "head")]
    body = g.blocks.body("b")
    assert [(p.name, p.default) for p in body.parameters] == [("units", 8)]
    assert [body.layer(n).name for n in body.node_ids()] == ["x", "dense", "act", "drop"]
    assert dict(body.layer("dense").params) == {"units": {"$param": "units"}}
    assert [dict(g.layer(f"b{i}").params) for i in (1, 2, 3)] == [{"units": u} for u in (8, 16, 16)]
    assert dict(grouping.uses[1].members) == {
        "dense": "b2_dense",
        "act": "b2_act",
        "drop": "b2_drop",
    }
    assert_same_function(flat, g)


def test_a_different_string_makes_another_definition():
    g = chain(("b1", 8, "relu"), ("b2", 8, "tanh"), ("b3", 8, "relu"), ("b4", 8, "relu"))
    group_by_names(g)
    assert [g.layer(n).type for n in g.node_ids()][1:-1] == ["b", "b2", "b", "b"]
    assert not g.blocks.body("b").parameters


def test_definitions_whose_scopes_give_one_name_are_told_apart_by_a_letter():
    g = chain(("b1", 8, "relu"), ("b2", 8, "tanh"), ("b3", 8, "relu"), ("b4", 8, "tanh"))
    group_by_names(g)
    assert [g.layer(n).type for n in g.node_ids()][1:-1] == ["b_a", "b_b", "b_a", "b_b"]


def test_only_the_selection_is_grouped():
    g = chain(("b1", 8, "relu"), ("b2", 8, "relu"), ("b3", 8, "relu"))
    flat = dumps(chain(("b1", 8, "relu"), ("b2", 8, "relu"), ("b3", 8, "relu")))
    group_by_names(g, ["b1_dense", "b1_act", "b1_drop", "b2_dense", "b2_act", "b2_drop"])
    assert [name for _, name in names(g)] == [
        "x",
        "b1",
        "b2",
        "b3_dense",
        "b3_act",
        "b3_drop",
        "head",
    ]
    assert_same_function(loads(flat), g)


def test_names_without_a_repeating_scope_leave_the_graph_as_it_is():
    g = chain(("one", 8, "relu"))
    before = dumps(g)
    grouping = group_by_names(g)
    assert dumps(g) == before
    assert grouping.summary() == "grouped nothing: no layer names share a scope that repeats"


def test_a_scope_a_path_leaves_and_reenters_is_not_grouped():
    g = chain(("s", 8, "relu"), ("t", 8, "relu"))
    # s_drop -> t_dense -> ... -> t_drop -> s_tail: scope s would be fed by its own output
    tail = g.add_node("Dense", name="s_tail", params={"units": 8}, node_id="s_tail")
    g.connect("t_drop", tail, "input")
    g.set_outputs([tail, "head"])
    before = dumps(g)
    group_by_names(g, ["s_dense", "s_act", "s_drop", "s_tail"])
    assert dumps(g) == before


def test_a_layer_also_called_outside_its_scope_keeps_the_scope_flat():
    g = chain(("s", 16, "relu"), ("u", 16, "relu"))
    again = g.call_again("s_dense")
    g.connect("u_drop", again, "input")
    g.set_outputs([again])
    before = dumps(g)
    group_by_names(g, ["s_dense", "s_act", "s_drop", "u_dense", "u_act", "u_drop"])
    assert dumps(g) == before


def test_a_scope_used_twice_outside_gets_two_outputs():
    def residual() -> ModelGraph:
        """chain s, k where each scope's Dense and Dropout meet in an Add outside it
        ('join_s' feeds k, 'join_k' the head)."""
        g = chain(("s", 8, "relu"), ("k", 8, "relu"))
        g.disconnect("s_drop", "k_dense", "input")
        g.disconnect("k_drop", "head", "input")
        for scope, dst in (("s", "k_dense"), ("k", "head")):
            join = g.add_node("Add", name=f"join_{scope}", node_id=f"join_{scope}")
            g.connect(f"{scope}_dense", join, "input_0")
            g.connect(f"{scope}_drop", join, "input_1")
            g.connect(join, dst, "input")
        return g

    flat, g = residual(), residual()
    group_by_names(g)
    assert g.blocks.names() == ["block"]
    use = next(n for n in g.node_ids() if g.layer(n).name == "s")
    assert [(dst, port, g.edge_output(use, dst, port)) for dst, port in g.out_edges(use)] == [
        ("join_s", "input_0", 0),
        ("join_s", "input_1", 1),
    ]
    assert_same_function(flat, g)


def test_a_graph_with_a_cycle_is_left_as_it_is():
    """Two alike scopes fed by x, each with a cycle inside, which only a file edited
    by hand holds: a use could not be called once."""
    g = ModelGraph("cycles")
    g.add_node("Input", name="x", params={"shape": (8,)}, node_id="x")
    for scope in ("a1", "a2"):
        dense, act = f"{scope}_dense", f"{scope}_act"
        g.add_node("Dense", name=dense, params={"units": 8}, node_id=dense)
        g.add_node("Activation", name=act, params={"activation": "relu"}, node_id=act)
        g.connect("x", dense, "input")
        g.connect(dense, act, "input")
        g.restore_edge(act, dense, "input")
        g.set_output(act)
    before = dumps(g)
    assert not group_by_names(g).uses
    assert dumps(g) == before
