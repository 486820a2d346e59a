"""graph.calls: each call style turned into a call's arguments and back."""

import pytest

from graph import builtin_specs, get_spec
from graph.calls import CallStyleError, LayerCall, call_inputs, layer_call
from graph.operation import OperationSpec


@pytest.mark.parametrize(
    ("layer_type", "inputs", "expected"),
    [
        ("Dense", ["x"], LayerCall(("x",))),
        ("Add", ["a", "b", "c"], LayerCall((["a", "b", "c"],))),
        ("MultiHeadAttention", ["q", "v"], LayerCall(kwargs={"query": "q", "value": "v"})),
        (
            "MultiHeadAttention",
            ["q", "v", "k"],
            LayerCall(kwargs={"query": "q", "value": "v", "key": "k"}),
        ),
    ],
)
def test_layer_call_follows_the_call_style(layer_type, inputs, expected):
    assert layer_call(get_spec(layer_type), inputs) == expected


@pytest.mark.parametrize(
    "spec",
    [s for s in builtin_specs() if not s.is_input and not isinstance(s, OperationSpec)],
    ids=lambda s: s.type,
)
def test_call_inputs_reads_back_what_layer_call_passes(spec):
    """For every layer that is called (all but inputs; operations are called through
    their own `call_args`, read back by codegen.import_ops): the bound arguments of the
    call that layer_call makes give back each input on its port."""
    count = spec.ports.required if spec.ports.variadic else len(spec.ports.names)
    inputs = [f"t{i}" for i in range(count)]
    call = layer_call(spec, inputs)
    arguments = {"inputs": call.args[0]} if call.args else {}
    arguments.update(call.kwargs)
    ports, used = call_inputs(spec, arguments, "inputs")
    assert ports == [(spec.ports.name(i), x) for i, x in enumerate(inputs)]
    assert used == (set(call.kwargs) or {"inputs"})


def test_call_inputs_leaves_out_optional_keyword_inputs_not_given():
    spec = get_spec("MultiHeadAttention")
    arguments = {"query": "q", "value": "v", "key": None}
    assert call_inputs(spec, arguments, "query") == (
        [("query", "q"), ("value", "v")],
        {"query", "value", "key"},
    )


def test_call_inputs_refuses_a_list_style_call_on_one_tensor():
    with pytest.raises(CallStyleError, match="expects a list of inputs. Received: str"):
        call_inputs(get_spec("Concatenate"), {"inputs": "x"}, "inputs")
