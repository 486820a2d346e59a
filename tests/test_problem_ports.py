"""Problem.port: a shape error names the one input port at fault, where one is."""

from __future__ import annotations

import pytest

from graph import ModelGraph, validate
from tests.graphs import wire


def merge(layer_type: str, shapes: list[tuple], ports=None, params=None) -> tuple:
    """Inputs of `shapes` into one `layer_type` node (its output the model's), on
    `ports` (default input_0, input_1, ...); returns the graph and the merge's id."""
    g = ModelGraph()
    node = g.add_node(layer_type, params=params or {})
    for i, shape in enumerate(shapes):
        src = g.add_node("Input", params={"shape": list(shape)})
        g.connect(src, node, ports[i] if ports else f"input_{i}")
    g.set_output(node)
    return g, node


def shape_problem(g: ModelGraph, node: str):
    [problem] = [p for p in validate(g).problems if p.code == "shape"]
    assert problem.node == node
    return problem


@pytest.mark.parametrize(
    ("layer_type", "shapes", "port"),
    [
        ("Concatenate", [(4, 8), (4, 8), (5, 8)], "input_2"),
        ("Concatenate", [(5, 8), (4, 8), (4, 8)], "input_0"),
        ("Concatenate", [(4, 8), (6,), (4, 3)], "input_1"),  # rank differs
        ("Add", [(8,), (8,), (4,)], "input_2"),
        ("Add", [(4,), (8,), (8,)], "input_0"),
        ("Multiply", [(3, 8), (3, 8), (2, 8)], "input_2"),
    ],
)
def test_a_merge_names_the_one_input_that_does_not_fit(layer_type, shapes, port):
    g, node = merge(layer_type, shapes)
    assert shape_problem(g, node).port == port


@pytest.mark.parametrize("shapes", [[(4,), (8,), (16,)], [(8,), (4,)], [(4, 8), (5, 8)]])
def test_no_port_when_no_one_input_is_the_odd_one(shapes):
    """All differ, or two disagree: either may be the one to change."""
    g, node = merge("Concatenate" if len(shapes[0]) > 1 else "Add", shapes)
    assert shape_problem(g, node).port is None


def test_the_port_is_the_connected_one_when_ports_are_skipped():
    """Variadic inputs on input_0 and input_3: the second input is port input_3."""
    g, node = merge("Concatenate", [(4, 8), (4, 8), (7, 8)], ["input_0", "input_3", "input_5"])
    assert shape_problem(g, node).port == "input_5"


def test_one_source_on_two_ports_still_names_the_odd_port():
    g = ModelGraph()
    x = g.add_node("Input", params={"shape": [8]})
    y = g.add_node("Input", params={"shape": [4]})
    add = g.add_node("Add")
    wire(g, (x, add, "input_0"), (x, add, "input_1"), (y, add, "input_2"))
    g.set_output(add)
    assert shape_problem(g, add).port == "input_2"


def test_concatenate_along_a_missing_axis_names_that_input():
    g, node = merge("Concatenate", [(4, 8), (8,)], params={"axis": -3})
    assert shape_problem(g, node).port == "input_1"


def test_dot_names_the_input_without_the_axis():
    g, node = merge("Dot", [(4, 8), (8,)], params={"axes": 2})
    assert shape_problem(g, node).port == "input_1"


def test_attention_names_the_input_of_unknown_width():
    g, node = merge(
        "MultiHeadAttention",
        [(5, 16), (7, 16), (7, None)],
        ["query", "value", "key"],
        {"num_heads": 2, "key_dim": 4},
    )
    assert shape_problem(g, node).port == "key"


@pytest.mark.parametrize(
    ("layer_type", "params", "shape"),
    [
        ("Dense", {"units": 4}, ()),  # rank 1 (batch only): Dense needs rank >= 2
        ("Conv2D", {"filters": 4, "kernel_size": 3}, (784,)),  # a flat input
        ("LSTM", {"units": 4}, (28, 28, 1)),  # a 4-D input
    ],
)
def test_a_layer_of_one_input_blames_that_input(layer_type, params, shape):
    g, node = merge(layer_type, [shape], ["input"], params)
    assert shape_problem(g, node).port == "input"


def test_problems_that_are_not_about_one_input_have_no_port():
    g, node = merge("Add", [(8,), (8,)])
    g.add_node("Dense", params={"units": 4})  # unreachable: a warning
    assert all(p.port is None for p in validate(g).problems)
