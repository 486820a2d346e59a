"""Messages say counts as people do: "1 input", "1 axis", never "1 inputs"."""

from __future__ import annotations

import pytest

from graph import ModelGraph, validate
from graph.summary import validity_note
from graph.wording import counted
from tests.graphs import chain


@pytest.mark.parametrize(
    ("count", "noun", "plural", "text"),
    [
        (1, "input", None, "1 input"),
        (2, "input", None, "2 inputs"),
        (0, "error", None, "0 errors"),
        (1, "axis", "axes", "1 axis"),
        (3, "axis", "axes", "3 axes"),
    ],
)
def test_counted(count, noun, plural, text):
    assert counted(count, noun, plural) == text


def shape_message(g: ModelGraph) -> str:
    [problem] = validate(g).errors
    return problem.message


def test_permute_of_one_axis_says_axis():
    message = shape_message(chain(("Permute", {"dims": (1,)}), input_shape=(4, 5)))
    assert "(batch and the 1 axis that dims permutes)" in message


def test_normalizing_a_rank_one_input_says_one_axis():
    g = chain(("LayerNormalization", {"axis": 3}), input_shape=())
    assert "the input has 1 axis." in shape_message(g)


def test_reshaping_one_value_says_value():
    g = chain(("Reshape", {"target_shape": (2,)}), input_shape=(1,))
    assert "a sample of 1 value into target_shape (2,) (2 values)" in shape_message(g)


def test_a_graph_with_one_error_says_error_in_the_singular():
    g = chain(("Reshape", {"target_shape": (2,)}), input_shape=(1,))
    assert validity_note(validate(g)) == "Invalid: 1 error; shapes marked ? are unknown."


def test_a_merge_with_no_inputs_needs_at_least_one_input():
    g = ModelGraph()
    g.set_output(g.add_node("Concatenate"))
    [missing] = [p for p in validate(g).problems if p.code == "missing-input"]
    assert "needs at least 1 input. Received: 0" in missing.message
