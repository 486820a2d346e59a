"""Keras-backed specs: built-in Keras layers without a hand-written spec, against Keras.

Each graph is validated (shapes, dtypes, weights from the generic spec) and compared
with the model `build_model` makes; Keras's refusals must come back as validation
problems naming the node; hand-written specs must still win; graph must stay
keras-free.
"""

import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.build import build_model
from codegen.generic_spec import KerasBackedSpec, install, keras_backed_spec
from codegen.importer import from_keras
from codegen.keras_env import import_keras
from codegen.pysource import to_python
from graph import ModelGraph, ParamError, builtin_specs, get_spec, loads, validate
from graph.params import NestedLayer
from tests.test_graph_vs_keras import assert_matches_keras

install()

TEMPLATE = Path(__file__).parents[1] / "resources" / "templates" / "mnist_mlp.graph.json"

#: (type, params, input shape without batch, input dtype): layers with no hand-written
#: spec, picked to cover dtypes that differ from float32, trainable and non-trainable
#: weights, a recurrent layer, and a nested (wrapped) layer.
CASES = [
    ("Identity", {}, (6,), "int32"),
    ("Masking", {"mask_value": 0.5}, (5, 3), "int32"),
    ("CategoryEncoding", {"num_tokens": 6, "output_mode": "count"}, (3,), "int32"),
    ("EinsumDense", {"equation": "ab,bc->ac", "output_shape": 7, "bias_axes": "c"}, (4,), None),
    ("ConvLSTM1D", {"filters": 2, "kernel_size": 3, "padding": "same"}, (5, 8, 3), None),
    ("TimeDistributed", {"layer": {"type": "Dense", "params": {"units": 3}}}, (5, 4), None),
    ("SpectralNormalization", {"layer": {"type": "Dense", "params": {"units": 3}}}, (4,), None),
    ("AdaptiveMaxPooling2D", {"output_size": [2, 3]}, (8, 9, 3), None),
]


def one_layer(layer_type, params, shape, dtype=None) -> tuple[ModelGraph, str]:
    """Input -> one layer (the output); returns the graph and the layer's node."""
    g = ModelGraph("generic")
    source = g.add_node("Input", params={"shape": list(shape), "dtype": dtype})
    node = g.add_node(layer_type, params=params)
    g.connect(source, node, "input")
    g.set_output(node)
    return g, node


@pytest.mark.parametrize(
    ("layer_type", "params", "shape", "dtype"), CASES, ids=[c[0] for c in CASES]
)
def test_generic_layer_matches_keras(layer_type, params, shape, dtype):
    spec = get_spec(layer_type)
    assert isinstance(spec, KerasBackedSpec)
    assert layer_type not in {s.type for s in builtin_specs()}
    g, _ = one_layer(layer_type, params, shape, dtype)
    assert_matches_keras(g)


def test_generic_layer_feeds_hand_written_ones():
    g = ModelGraph("chain")
    source = g.add_node("Input", params={"shape": [10, 4]})
    einsum = g.add_node("EinsumDense", params={"equation": "abc,cd->abd", "output_shape": [10, 6]})
    flatten = g.add_node("Flatten")
    dense = g.add_node("Dense", params={"units": 3})
    for src, dst in [(source, einsum), (einsum, flatten), (flatten, dense)]:
        g.connect(src, dst, "input")
    g.set_output(dense)
    assert_matches_keras(g)


def test_subclass_of_a_multi_input_layer_takes_its_ports():
    g = ModelGraph("attention")
    query = g.add_node("Input", params={"shape": [5, 4]})
    value = g.add_node("Input", params={"shape": [7, 4]})
    attention = g.add_node("AdditiveAttention", params={"use_scale": True})
    g.connect(query, attention, "query")
    g.connect(value, attention, "value")
    g.set_output(attention)
    assert get_spec("AdditiveAttention").call_style == get_spec("Attention").call_style
    assert_matches_keras(g)


def test_shared_generic_layer():
    g = ModelGraph("shared")
    a = g.add_node("Input", params={"shape": [4]})
    b = g.add_node("Input", params={"shape": [4]})
    einsum = g.add_node("EinsumDense", params={"equation": "ab,bc->ac", "output_shape": 5})
    again = g.call_again(einsum)
    g.connect(a, einsum, "input")
    g.connect(b, again, "input")
    g.set_outputs([einsum, again])
    assert_matches_keras(g)

    wide = g.add_node("Input", params={"shape": [6]})
    g.disconnect(b, again, "input")
    g.connect(wide, again, "input")
    [problem] = validate(g).errors
    assert (problem.code, problem.node) == ("shared-mismatch", again)


def keras_message(layer_type, kwargs, shape) -> str:
    """What Keras itself says when the layer is made and called on `shape`."""
    keras = import_keras()
    with pytest.raises(Exception) as caught:  # noqa: B017 - whatever Keras raises
        layer = getattr(keras.layers, layer_type)(name=layer_type, **kwargs)
        layer(keras.KerasTensor(shape))
    return str(caught.value)


@pytest.mark.parametrize(
    ("layer_type", "params", "shape"),
    [
        ("ConvLSTM1D", {"filters": 2, "kernel_size": 3}, (5, 8)),  # refused when called
        ("CategoryEncoding", {"output_mode": "no_such_mode"}, (3,)),  # refused when made
    ],
)
def test_keras_refusal_is_a_problem_of_the_node(layer_type, params, shape):
    g, node = one_layer(layer_type, params, shape)
    [problem] = validate(g).errors
    assert (problem.code, problem.node) == ("shape", node)
    expected = keras_message(layer_type, params, (None, *shape))
    assert problem.message == f"{g.label(node)}: {expected}"


def test_several_output_tensors_are_refused():
    g, node = one_layer(
        "ConvLSTM1D", {"filters": 2, "kernel_size": 3, "return_state": True}, (5, 8, 3)
    )
    [problem] = validate(g).errors
    assert problem.node == node
    assert "a graph node has a single output" in problem.message
    assert "tuple of 3 tensors" in problem.message


def test_hand_written_specs_win():
    for spec in builtin_specs():
        assert get_spec(spec.type) is spec
    # The generic spec of a hand-written type exists, and agrees with the rules.
    dense, generic = get_spec("Dense"), keras_backed_spec("Dense")
    assert isinstance(generic, KerasBackedSpec) and generic is not dense
    for shapes, params in [([(None, 7)], {"units": 3}), ([(None, 2, 5)], {"units": 4})]:
        p, q = dense.resolve(params), generic.resolve(params)
        assert generic.output_shape(shapes, q) == dense.output_shape(shapes, p)
        assert generic.weights(shapes, q) == dense.weights(shapes, p)


def test_resolver_returns_one_spec_per_type():
    assert get_spec("Identity") is get_spec("Identity")
    install()  # idempotent
    assert get_spec("Identity") is keras_backed_spec("Identity")


@pytest.mark.parametrize(
    "layer_type",
    [
        "Lambda",
        "InputLayer",
        "Layer",
        "Wrapper",
        "RNN",
        "GRUCell",
        "TorchModuleWrapper",
        "NotAKerasLayer",
        "serialize",
        "Input_",
        "Dense.x",
    ],
)
def test_not_expressible_or_unknown_types_have_no_spec(layer_type):
    assert get_spec(layer_type) is None


@pytest.mark.parametrize("layer_type", ["NotAKerasLayer", "Lambda"])
def test_unknown_type_is_still_reported(layer_type):
    text = TEMPLATE.read_text().replace('"type": "Dropout"', f'"type": "{layer_type}"')
    g = loads(text)
    [problem] = validate(g).errors
    assert problem.code == "unknown-type"
    assert f"unknown layer type '{layer_type}'" in problem.message


def test_params_have_keras_names_and_defaults():
    keras = import_keras()
    spec = get_spec("CategoryEncoding")
    assert [p.name for p in spec.params] == ["num_tokens", "output_mode", "sparse"]
    assert spec.defaults == {"num_tokens": None, "output_mode": "multi_hot", "sparse": False}
    assert (
        spec.defaults["output_mode"] == keras.layers.CategoryEncoding(2).get_config()["output_mode"]
    )
    assert get_spec("Masking").defaults == {
        "mask_value": keras.layers.Masking().get_config()["mask_value"]
    }
    init = inspect.signature(keras.layers.ConvLSTM2D.__init__).parameters
    conv = get_spec("ConvLSTM2D")
    assert conv.required_params == ("filters", "kernel_size")
    assert all(p.default == init[p.name].default for p in conv.params if not p.required)
    assert {"self", "name", "dtype", "trainable", "seed"}.isdisjoint(
        get_spec("RandomFlip").param_by_name
    )


def test_param_kinds_follow_keras_defaults():
    spec = get_spec("CategoryEncoding")
    kinds = spec.param_by_name
    assert kinds["sparse"].problem("yes") == "must be true or false"
    assert kinds["output_mode"].problem("count") is None
    assert kinds["output_mode"].problem(3) == "must be a string"
    assert kinds["num_tokens"].problem(None) is None  # default None: any JSON value
    assert kinds["num_tokens"].problem(12) is None
    assert get_spec("Masking").param_by_name["mask_value"].problem("x") is not None
    with pytest.raises(ParamError, match="mask_value"):
        ModelGraph().add_node("Masking", params={"mask_value": "zero"})


def test_nested_layer_param():
    g = ModelGraph()
    node = g.add_node("TimeDistributed")  # starts with a nested Dense
    assert g.layer(node).params["layer"]["type"] == "Dense"
    with pytest.raises(ParamError, match="must be a valid Dense layer"):
        g.set_param(node, "layer", {"type": "Dense", "params": {"units": 0}})
    with pytest.raises(ParamError, match="must be a layer"):
        g.set_param(node, "layer", {"type": "NotAKerasLayer"})


def test_every_wrapper_takes_its_layer_as_the_one_nested_layer_kind():
    wrappers = ("Bidirectional", "TimeDistributed", "SpectralNormalization")
    kinds = {t: get_spec(t).param_by_name["layer"].kind for t in wrappers}
    assert all(type(kind) is NestedLayer for kind in kinds.values())
    dense = {"type": "Dense", "params": {"units": 3}}
    assert kinds["TimeDistributed"].problem(dense) is None
    assert kinds["Bidirectional"].problem(dense) == (
        'must be a recurrent layer {"type": LSTM, GRU or SimpleRNN, "params": {...}}'
    )
    # Built, written out and imported by the kind: the same layer all the way round.
    g, node = one_layer("TimeDistributed", {"layer": dense}, (5, 4))
    name = g.layer(node).name
    assert "layer=keras.layers.Dense(units=3)" in "".join(to_python(g, "functional").split())
    model = build_model(g)
    assert type(model.get_layer(name).layer).__name__ == "Dense"
    assert dict(from_keras(model).layer(name).params) == {"layer": dense}


def test_docs_and_categories_come_from_keras():
    keras = import_keras()
    first_line = inspect.getdoc(keras.layers.Masking).splitlines()[0]
    assert get_spec("Masking").doc == first_line
    assert get_spec("Masking").category == "Core"
    assert get_spec("ConvLSTM1D").category == "Recurrent"
    assert get_spec("RandomFlip").category == "Preprocessing"


def test_validation_does_not_rebuild_the_same_layer(monkeypatch):
    import codegen.generic_spec as generic

    built = []
    make_layer = generic.make_layer
    monkeypatch.setattr(
        generic, "make_layer", lambda *a, **k: built.append(a) or make_layer(*a, **k)
    )
    for _ in range(3):  # fresh graphs: graph's own per-graph memo does not apply
        g, _ = one_layer("Masking", {"mask_value": 0.375}, (4, 2))
        assert validate(g).valid
    assert len(built) == 1


def test_graph_stays_keras_free():
    code = (
        "import sys\n"
        "from graph import load, validate\n"
        f"assert validate(load({str(TEMPLATE)!r})).valid\n"
        "print('keras' in sys.modules)\n"
        # Installed, the resolver is not asked about hand-written types: still no keras.
        "from codegen.generic_spec import install\n"
        "install()\n"
        f"assert validate(load({str(TEMPLATE)!r})).valid\n"
        "print('keras' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
