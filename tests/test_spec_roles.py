"""What specs say a layer is (graph.spec roles), as the code outside them asks it."""

from graph import ModelGraph, builtin_specs, get_spec
from graph.spec import FLOATX, input_spec, is_input_type
from studio.panels.layer_search import start_groups


def test_the_input_spec_is_the_one_input_role():
    assert [s.type for s in builtin_specs() if s.is_input] == [input_spec().type]
    assert input_spec().ports.names == () and not input_spec().ports.variadic


def test_keras_input_params_keep_only_what_differs_from_the_spec_defaults():
    spec = input_spec()
    assert spec.keras_input_params((None, 28, 28), FLOATX) == {"shape": (28, 28)}
    assert spec.keras_input_params((4, None), "int32") == {
        "shape": (None,),
        "batch_size": 4,
        "dtype": "int32",
    }


def test_sample_shape_reads_what_the_params_give():
    assert input_spec().sample_shape({"shape": (None, 3)}) == (None, 3)
    assert input_spec().sample_shape({}) == ()


def test_graph_inputs_are_the_nodes_of_input_specs():
    g = ModelGraph()
    x = g.add_node("Input", params={"shape": (3,)})
    d = g.add_node("Dense")
    g.connect(x, d, "input")
    assert g.inputs == [x]
    assert g.is_input(x) and not g.is_input(d)
    assert not is_input_type("NoSuchLayer")


def test_only_normalization_builds_tensors_that_are_not_variables():
    assert [s.type for s in builtin_specs() if s.build_makes_tensors] == ["Normalization"]


def test_quick_add_offers_the_input_types_first_among_the_common_ones():
    groups = dict(start_groups(builtin_specs(), recent=[]))
    assert groups["Common"][0] == input_spec().type
    assert groups["Common"][1] == "Dense"
    assert get_spec("Input") is input_spec()
