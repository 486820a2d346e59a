"""graph.cost counts the matrix products of operation nodes as torch counts them."""

import pytest

from codegen.build import build_model
from graph.cost import cost
from tests.operation_cases import CASES, op_graph
from tests.test_cost import BATCH, _inputs, _measure


@pytest.mark.parametrize("name", ["transpose_matmul", "tanh_times_two", "slices"])
def test_operation_macs_agree_with_torch(name):
    g = op_graph(CASES[name])
    macs, _ = _measure(build_model(g), _inputs(g))
    assert cost(g, batch=BATCH).macs == macs
    assert macs > 0  # the Dense's, and the matmul's where there is one
