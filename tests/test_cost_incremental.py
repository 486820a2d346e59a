"""cost() after edits reuses its last run's work: the answer must be a cold run's, to the
byte, on every field and in the same node order."""

from __future__ import annotations

import gc
import weakref

from hypothesis import given, settings
from hypothesis import strategies as st

from graph import GraphEditError, ModelGraph, dumps, loads, validate
from graph.cost import ModelCost, cost
from tests.graphs import chain
from tests.test_validate import apply_edit, start_graph


def _views_and_kinds() -> ModelGraph:
    """Views (Flatten, Reshape), a frozen-looking pooling, an activation after a Dense
    (the tensor both keep counts once) and a merge: what the saved-memory sums share."""
    g = chain(
        ("Conv2D", {"filters": 2, "kernel_size": 3}),
        ("MaxPooling2D", {"pool_size": 2}),
        ("Flatten", {}),
        ("Dense", {"units": 4, "activation": "relu"}),
        ("ReLU", {}),
        ("Reshape", {"target_shape": [2, 2]}),
        ("Dense", {"units": 3}),
        input_shape=(8, 8, 1),
    )
    return g


def _products() -> ModelGraph:
    """A Multiply and a Dot, each fed by an Input (no gradient) and a Dense: rewiring
    their inputs changes which carry a gradient, and so what they keep."""
    from tests.test_cost import _merge

    g = _merge("Multiply", [(8,), (8,)], [False, True])
    dot = g.add_node("Dot", params={"axes": 1})
    multiply, dense = g.node_ids()[0], g.node_ids()[-2]
    g.connect(multiply, dot, "input_0")
    g.connect(dense, dot, "input_1")
    g.set_outputs([dot])
    return g


def start(kind: int) -> ModelGraph:
    if kind == 3:
        return _views_and_kinds()
    return _products() if kind == 4 else start_graph(kind)


def edit(g: ModelGraph, op: int, a: int, b: int) -> None:
    """validate's random edits, and edits of what cost reads beyond them: a conv's
    filters, an activation, a Dense's units on the views graph, an Input's dtype, a
    product's input rewired, a layer frozen or unfrozen."""
    ids = g.node_ids()
    node = ids[a % len(ids)]
    layer = g.layer(node)
    try:
        if op == 12 and layer.type == "Conv2D":
            g.set_param(node, "filters", b % 3 + 1)
        elif op == 13 and layer.type == "Dense":
            g.set_param(node, "activation", ["linear", "relu", "sigmoid"][b % 3])
        elif op == 14 and layer.type == "Dense":
            g.set_param(node, "units", [4, 2, 8][b % 3])
        elif op == 15 and layer.type == "Input":
            g.set_param(node, "dtype", ["float32", "float16"][b % 2])
        elif op == 17:
            g.set_trainable(node, b % 2 == 0)  # frozen: its weights keep no gradient
        elif op == 16 and layer.type in ("Multiply", "Dot"):
            port = f"input_{b % 2}"  # rewired from another node: its gradient may differ
            for fed, src in g.in_edges(node):
                if fed == port:
                    g.disconnect(src, node, port)
            g.connect(ids[b % len(ids)], node, port)
        else:
            apply_edit(g, op % 12, a, b)
    except GraphEditError:
        pass


def fields(c: ModelCost) -> tuple:
    return (
        c.batch,
        c.optimizer,
        list(c.nodes.items()),
        c.params,
        c.trainable_params,
        c.macs,
        c.activation_bytes,
        c.saved_bytes,
        c.train_memory_bytes,
    )


@st.composite
def edit_scripts(draw):
    steps = st.tuples(
        st.integers(0, 17), st.integers(0, 10**6), st.integers(0, 10**6), st.sampled_from([2, 3])
    )
    return draw(st.integers(0, 4)), draw(st.lists(steps, min_size=1, max_size=25))


@settings(max_examples=300, deadline=None)
@given(script=edit_scripts())
def test_cost_after_edits_equals_cost_from_scratch(script):
    kind, edits = script
    g = start(kind)
    cost(g, validate(g), batch=2)
    previous = None
    for op, a, b, batch in edits:
        edit(g, op, a, b)
        result = cost(g, validate(g), batch=batch)
        cold = loads(dumps(g))
        assert fields(result) == fields(cost(cold, validate(cold), batch=batch))
        if previous is not None:
            assert fields(previous[0]) == previous[1]  # later runs leave earlier costs alone
        previous = (result, fields(result))


def test_an_edit_costs_again_only_what_it_reaches():
    from graph.cost import _COSTINGS
    from tests.graphs import residual

    g = residual(20)
    cost(g, validate(g), batch=4)
    costing = _COSTINGS[g][4]
    before = dict(costing.local)
    middle = [n for n in g.node_ids() if g.layer(n).type == "Dense"][10]
    g.set_param(middle, "activation", "tanh")
    cost(g, validate(g), batch=4)
    redone = [n for n in g.node_ids() if costing.local[n] is not before[n]]
    assert redone == [middle]


def test_costings_are_kept_per_batch_for_the_few_latest_batches():
    from graph.cost import _COSTINGS

    g = chain(("Dense", {"units": 3}))
    report = validate(g)
    for batch in (1, 2, 32, 1, 5):
        cost(g, report, batch=batch)
    assert list(_COSTINGS[g]) == [32, 1, 5]


def test_costing_keeps_no_graph_alive():
    g = chain(("Dense", {"units": 3}))
    cost(g)
    ref = weakref.ref(g)
    del g
    gc.collect()
    assert ref() is None


def test_a_report_of_removed_nodes_is_not_trusted():
    g = chain(("Dense", {"units": 3}), ("Dense", {"units": 2}))
    stale = validate(g)
    cost(g, stale)
    g.remove_node(g.node_ids()[-1])
    assert fields(cost(g, stale)) == fields(cost(loads(dumps(g))))
