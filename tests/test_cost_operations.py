"""graph.cost of operation nodes against torch's own counters: the matrix products'
MACs (FlopCounterMode), and what backward keeps (saved_tensors_hooks)."""

import pytest

from codegen.build import build_model
from graph import ModelGraph
from graph.cost import cost
from tests.operation_cases import CASES, op_graph
from tests.test_cost import BATCH, _inputs, _measure


@pytest.mark.parametrize("name", ["transpose_matmul", "tanh_times_two", "slices"])
def test_operation_macs_agree_with_torch(name):
    g = op_graph(CASES[name])
    macs, _ = _measure(build_model(g), _inputs(g))
    assert cost(g, batch=BATCH).macs == macs
    assert macs > 0  # the Dense's, and the matmul's where there is one


#: (op type, params, tensor operands): every operation, with a number where it may
#: take one (a number's saving differs from a tensor's).
SAVED_CASES = [
    ("ops.add", {}, 2), ("ops.add", {"x2": 2.0}, 1), ("ops.subtract", {"x1": 2.0}, 1),
    ("ops.multiply", {}, 2), ("ops.multiply", {"x2": 2.0}, 1),
    ("ops.true_divide", {}, 2), ("ops.true_divide", {"x2": 3.0}, 1),
    ("ops.divide", {}, 2), ("ops.divide", {"x1": 3.0}, 1),
    ("ops.power", {"x2": 2}, 1), ("ops.power", {"x1": 2.0}, 1), ("ops.power", {}, 2),
    ("ops.maximum", {}, 2), ("ops.maximum", {"x2": 0.5}, 1), ("ops.minimum", {"x1": 0.5}, 1),
    ("ops.tanh", {}, 1), ("ops.exp", {}, 1), ("ops.log", {}, 1), ("ops.sqrt", {}, 1),
    ("ops.square", {}, 1), ("ops.abs", {}, 1), ("ops.negative", {}, 1), ("ops.relu", {}, 1),
    ("ops.sigmoid", {}, 1), ("ops.softplus", {}, 1), ("ops.silu", {}, 1),
    ("ops.mean", {"axis": 1}, 1), ("ops.sum", {"axis": 1}, 1), ("ops.max", {"axis": 1}, 1),
    ("ops.min", {}, 1), ("ops.get_item", {"key": ":, 0"}, 1),
    ("ops.reshape", {"newshape": (-1, 200)}, 1), ("ops.transpose", {"axes": (0, 2, 1)}, 1),
    ("ops.matmul", {}, 2), ("ops.concatenate", {"axis": -1}, 2),
]  # fmt: skip


def _one_operation(op_type: str, params: dict, tensors: int) -> ModelGraph:
    """Two Dense layers on one input, then the operation on one or both."""
    g = ModelGraph("one_op")
    x = g.add_node("Input", name="x", params={"shape": (10, 20)})
    dense = [g.add_node("Dense", params={"units": 20}) for _ in range(2)]
    for d in dense:
        g.connect(x, d, "input")
    op = g.add_node(op_type, params=params)
    ports = g.spec(op).ports
    if op_type == "ops.matmul":  # (10, 20) @ (20, 10)
        flipped = g.add_node("ops.transpose", params={"axes": (0, 2, 1)})
        g.connect(dense[1], flipped, "x")
        dense[1] = flipped
    for i in range(tensors):
        g.connect(dense[i], op, ports.name(i))
    g.set_outputs([op])
    return g


@pytest.mark.parametrize("case", SAVED_CASES, ids=lambda c: f"{c[0]}{sorted(c[1])}")
def test_what_backward_keeps_agrees_with_torch(case):
    g = _one_operation(*case)
    _, saved = _measure(build_model(g), _inputs(g))
    assert cost(g, batch=BATCH).saved_bytes == saved
