"""graph.quick_fixes: the fixes offered for a shape problem work, and say what they do."""

from __future__ import annotations

import pytest

from graph import ModelGraph, dumps, validate
from graph.quick_fixes import quick_fixes
from tests.graphs import chain, wire


def the_problem(g: ModelGraph):
    report = validate(g)
    [problem] = report.errors
    return report, problem


def fixes_of(g: ModelGraph) -> list[str]:
    return [f.description for f in quick_fixes(g, *the_problem(g))]


def apply_first(g: ModelGraph) -> None:
    quick_fixes(g, *the_problem(g))[0].apply(g)


def feature_map_and_vector() -> ModelGraph:
    g = ModelGraph()
    image = g.add_node("Input", params={"shape": [7, 7, 4]}, pos=(0.0, 0.0))
    vector = g.add_node("Input", params={"shape": [10]}, pos=(0.0, 200.0))
    concat = g.add_node("Concatenate", pos=(400.0, 100.0))
    wire(g, (image, concat, "input_0"), (vector, concat, "input_1"))
    g.set_output(concat)
    return g


def residual_of_wrong_width(extra_use: bool = False) -> ModelGraph:
    """Input (16) -> Dense(8) -> Add(input, dense); `extra_use`: the Dense also feeds
    an Add with another input of 8, which a change of its units would break."""
    g = ModelGraph()
    x = g.add_node("Input", params={"shape": [16]})
    dense = g.add_node("Dense", params={"units": 8}, name="project")
    add = g.add_node("Add")
    wire(g, (x, dense, "input"), (x, add, "input_0"), (dense, add, "input_1"))
    outputs = [add]
    if extra_use:
        y = g.add_node("Input", params={"shape": [8]})
        other = g.add_node("Add")
        wire(g, (dense, other, "input_0"), (y, other, "input_1"))
        outputs.append(other)
    g.set_outputs(outputs)
    return g


def test_a_feature_map_concatenated_with_a_vector_gets_a_flatten():
    g = feature_map_and_vector()
    assert fixes_of(g) == [
        "Insert a Flatten before 'concatenate' (input_0: (None, 7, 7, 4) to (None, 196))"
    ]
    apply_first(g)
    report = validate(g)
    assert report.valid and report.nodes["n3"].shape == (None, 206)
    [flatten] = [n for n in g.node_ids() if g.layer(n).type == "Flatten"]
    assert g.in_edges("n3") == [("input_1", "n2"), ("input_0", flatten)]
    assert g.node(flatten).pos == (200.0, 50.0)  # between the two it joins


def test_an_add_of_a_narrower_dense_first_offers_to_set_its_units():
    g = residual_of_wrong_width()
    assert fixes_of(g) == [
        "Set units of 'project' to 16 (its output (None, 8) becomes (None, 16))",
        "Insert a Dense of 8 units before 'add' (input_0: (None, 16) to (None, 8))",
        "Insert a Dense of 16 units before 'add' (input_1: (None, 8) to (None, 16))",
    ]
    apply_first(g)
    assert validate(g).valid and g.layer("n2").params["units"] == 16


def test_units_are_not_offered_when_that_breaks_another_use_of_the_layer():
    g = residual_of_wrong_width(extra_use=True)
    fixes = fixes_of(g)
    assert fixes and not any(f.startswith("Set units") for f in fixes)


@pytest.mark.parametrize(
    ("layer", "shape", "fix"),
    [
        (("LSTM", {"units": 4}), (100,), "(input: (None, 100) to (None, 100, 1))"),
        (("LSTM", {"units": 4}), (28, 28, 1), "(input: (None, 28, 28, 1) to (None, 784, 1))"),
        (
            ("Conv2D", {"filters": 4, "kernel_size": 3}),
            (784,),
            "(input: (None, 784) to (None, 28, 28, 1))",
        ),
    ],
)
def test_a_layer_that_needs_another_rank_gets_a_reshape(layer, shape, fix):
    g = chain(layer, input_shape=shape)
    [description] = fixes_of(g)
    assert description == f"Insert a Reshape before '{g.layer('n2').name}' {fix}"
    apply_first(g)
    assert validate(g).valid


def test_problems_of_other_kinds_have_no_fixes():
    g = ModelGraph()
    add = g.add_node("Add")
    g.set_output(add)
    report = validate(g)
    missing = next(p for p in report.problems if p.code == "missing-input")
    assert quick_fixes(g, report, missing) == []


def test_looking_for_fixes_leaves_the_graph_alone():
    g = residual_of_wrong_width()
    before = dumps(g)
    assert fixes_of(g)
    assert dumps(g) == before
