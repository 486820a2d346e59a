"""graph.fits.takes: a connection's shapes checked before it is made."""

from graph import validate
from graph.fits import takes
from tests.graphs import chain


def test_takes_runs_the_layers_shape_rule_with_what_is_connected():
    g = chain(("Dense", {"units": 4}), input_shape=(8,))  # n1 (None, 8) -> n2 (None, 4)
    add = g.add_node("Add")
    g.connect("n1", add, "input_0")
    report = validate(g)
    assert not takes(g, report, "n2", add, "input_1")  # (None, 4) beside (None, 8)
    assert takes(g, report, "n1", add, "input_1")
    assert takes(g, report, "n2", add, "input_0")  # alone on the Add: cannot tell yet
    dense = g.add_node("Dense", params={"units": 2})
    assert takes(g, report, "n2", dense, "input")
    assert not takes(g, report, "n2", dense, "nope")


def test_a_connection_being_moved_counts_on_no_port():
    """Picking up query's wire of an attention to drop it on key: the wire is no longer
    on query, so the key check does not set it beside a value of another length."""
    from graph import ModelGraph

    g = ModelGraph("m")
    q = g.add_node("Input", params={"shape": [10, 64]})
    v = g.add_node("Input", params={"shape": [5, 32]})
    mha = g.add_node("MultiHeadAttention", params={"num_heads": 2, "key_dim": 8})
    g.connect(q, mha, "query")
    g.connect(v, mha, "value")
    report = validate(g)
    assert not takes(g, report, q, mha, "key")  # q stays on query: value 5 vs key 10
    assert takes(g, report, q, mha, "key", moving=(q, mha, "query"))  # query left empty
