"""Export to .keras and ONNX, checked against Keras itself.

ONNX exports cost seconds each, so every exported case is built and exported once per
module (the `exported` fixture) and the tests read its file and parity report.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from codegen.build import BuildError, build_model
from codegen.export import check_onnx_parity, export_onnx, onnx_output_names, save_keras
from codegen.keras_env import allow_depth, import_keras
from codegen.onnx_readiness import onnx_problems
from graph import GraphError, ModelGraph, get_spec, load
from tests.graphs import chain, residual, shared_dense, wire

TEMPLATES = Path(__file__).parents[1].joinpath("resources", "templates")


def three_in_three_out() -> ModelGraph:
    g = ModelGraph("three_heads")
    a = g.add_node("Input", name="title", params={"shape": [8]})
    b = g.add_node("Input", name="body", params={"shape": [6]})
    c = g.add_node("Input", name="tags", params={"shape": [4]})
    joined = g.add_node("Concatenate")
    hidden = g.add_node("Dense", name="hidden", params={"units": 16, "activation": "relu"})
    score = g.add_node("Dense", name="score", params={"units": 1, "activation": "sigmoid"})
    classes = g.add_node("Dense", name="classes", params={"units": 3, "activation": "softmax"})
    tag_out = g.add_node("Dense", name="tag_out", params={"units": 4})
    wire(
        g,
        (a, joined, "input_0"),
        (b, joined, "input_1"),
        (c, joined, "input_2"),
        (joined, hidden, "input"),
        (hidden, score, "input"),
        (hidden, classes, "input"),
        (c, tag_out, "input"),
    )
    g.set_outputs([score, classes, tag_out])
    return g


def cnn() -> ModelGraph:
    return chain(
        ("Conv2D", {"filters": 8, "kernel_size": [3, 3], "activation": "relu"}),
        ("BatchNormalization", {}),
        ("MaxPooling2D", {"pool_size": [2, 2]}),
        ("Conv2D", {"filters": 8, "kernel_size": [3, 3], "padding": "same"}),
        ("AveragePooling2D", {"pool_size": [2, 2]}),
        ("GlobalAveragePooling2D", {}),
        ("Dense", {"units": 3, "activation": "softmax"}),
        input_shape=(16, 16, 3),
        name="cnn",
    )


def bilstm() -> ModelGraph:
    return chain(
        (
            "Bidirectional",
            {"layer": {"type": "LSTM", "params": {"units": 4, "return_sequences": True}}},
        ),
        ("Dense", {"units": 2}),
        input_shape=(6, 5),
        name="bilstm",
    )


def self_attention() -> ModelGraph:
    g = ModelGraph("self_attention")
    x = g.add_node("Input", name="sequence", params={"shape": [5, 8]})
    mha = g.add_node("MultiHeadAttention", params={"num_heads": 2, "key_dim": 4})
    wire(g, (x, mha, "query"), (x, mha, "value"))
    g.set_output(mha)
    return g


def token_classifier() -> ModelGraph:
    """Integer ids over a free sequence length: Embedding, pooling, Dense."""
    g = ModelGraph("tokens")
    ids = g.add_node("Input", name="ids", params={"shape": [None], "dtype": "int32"})
    embed = g.add_node("Embedding", params={"input_dim": 50, "output_dim": 8})
    pool = g.add_node("GlobalAveragePooling1D")
    dense = g.add_node("Dense", name="label", params={"units": 2})
    wire(g, (ids, embed, "input"), (embed, pool, "input"), (pool, dense, "input"))
    g.set_output(dense)
    return g


def lstm_over_free_time() -> ModelGraph:
    g = chain(("LSTM", {"units": 4}), input_shape=(None, 5), name="free_time")
    g.rename(g.inputs[0], "sequence")
    g.rename(g.outputs[0], "encoder")
    return g


CASES = {
    "customer_tickets": lambda: load(TEMPLATES / "customer_tickets.graph.json"),
    "mnist_mlp": lambda: load(TEMPLATES / "mnist_mlp.graph.json"),
    "three_in_three_out": three_in_three_out,
    "shared_layer": lambda: shared_dense()[0],
    "cnn": cnn,
    "bilstm": bilstm,
    "self_attention": self_attention,
    "token_classifier": token_classifier,
}


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """case name -> (graph, model, ONNX path, parity report), each exported once."""
    done = {}

    def export(case: str):
        if case not in done:
            g = CASES[case]()
            model = build_model(g)
            path = tmp_path_factory.mktemp("onnx") / f"{g.name}.onnx"
            done[case] = g, model, path, export_onnx(model, g, path)
        return done[case]

    return export


@pytest.fixture(params=list(CASES))
def exported(request, exports):
    return exports(request.param)


def test_onnx_matches_keras_at_two_batch_sizes(exported):
    g, _, _, report = exported
    assert report.ok, str(report)
    assert report.worst <= 1e-4
    assert set(report.max_abs_diff) == set(onnx_output_names(g))
    assert all(list(per_batch) == [2, 5] for per_batch in report.max_abs_diff.values())


def test_onnx_names_are_the_graphs_and_batch_is_dynamic(exported):
    import onnx

    g, _, path, _ = exported
    proto = onnx.load(path).graph
    assert [i.name for i in proto.input] == [g.layer(n).name for n in g.inputs]
    assert [o.name for o in proto.output] == onnx_output_names(g)
    for value in [*proto.input, *proto.output]:
        assert value.type.tensor_type.shape.dim[0].dim_param == "batch", value.name


def test_output_names_are_layer_names_unless_shared():
    assert onnx_output_names(three_in_three_out()) == ["score", "classes", "tag_out"]
    assert onnx_output_names(shared_dense()[0]) == ["dense", "dense_call2"]


def test_integer_input_keeps_its_dtype_and_free_length(exports):
    import onnxruntime

    _, model, path, _ = exports("token_classifier")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    [ids] = session.get_inputs()
    assert ids.type == "tensor(int32)"
    # The sequence axis is dynamic too: a length the exporter never saw.
    x = np.random.default_rng(1).integers(0, 50, (3, 11)).astype("int32")
    [got] = session.run(None, {"ids": x})
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5)


def test_check_onnx_parity_names_the_output_that_differs(exports):
    g, _, path, _ = exports("three_in_three_out")
    other = build_model(g)  # same architecture, other random weights
    with pytest.raises(GraphError) as info:
        check_onnx_parity(other, path)
    message = str(info.value)
    assert "'score'" in message and "'classes'" in message and "'tag_out'" in message
    assert "three_heads" in message


def test_lstm_over_free_time_axis_is_refused_naming_layer_and_input(tmp_path):
    g = lstm_over_free_time()
    [problem] = onnx_problems(g)
    assert problem.node == g.outputs[0]
    assert problem.label == "LSTM 'encoder'"
    assert "set a fixed number of time steps on input 'sequence'" in problem.fix
    path = tmp_path / "free_time.onnx"
    with pytest.raises(GraphError, match="LSTM 'encoder'.*time steps on input 'sequence'"):
        export_onnx(build_model(g), g, path)
    assert list(tmp_path.iterdir()) == []


def test_other_recurrent_problems_are_listed():
    bidirectional = chain(
        ("Bidirectional", {"layer": {"type": "GRU", "params": {"units": 3}}}),
        input_shape=(None, 4),
    )
    [problem] = onnx_problems(bidirectional)
    assert problem.label.startswith("Bidirectional") and "free time axis" in problem.reason
    stateful = ModelGraph()
    x = stateful.add_node("Input", params={"shape": [6, 4], "batch_size": 2})
    rnn = stateful.add_node("SimpleRNN", params={"units": 3, "stateful": True})
    stateful.connect(x, rnn, "input")
    stateful.set_output(rnn)
    [problem] = onnx_problems(stateful)
    assert problem.fix == "set stateful=False"
    assert onnx_problems(bilstm()) == []


def test_onnx_limits_are_facts_of_the_layer_specs():
    """The specs say what keeps a layer from ONNX; readiness only gathers it: a random
    augmentation layer (Keras-backed) always, a recurrent loop of Keras's rnn package
    over a free time axis, and nothing for other layers."""
    [limit] = get_spec("RandomFlip").onnx_limits(None, {})
    assert "random augmentation" in limit.reason
    assert get_spec("Dense").onnx_limits([(None, 3)], {"units": 2}) == []
    assert get_spec("LSTM").onnx_limits([(None, 6, 4)], {"units": 2}) == []
    [free] = get_spec("ConvLSTM1D").onnx_limits([(None, None, 8, 3)], {"filters": 2})
    assert free.free_time_axis and "(None, None, 8, 3)" in free.reason
    augmented = chain(("RandomFlip", {}), ("Flatten", {}), input_shape=(4, 4, 3))
    [problem] = onnx_problems(augmented)
    assert problem.label.startswith("RandomFlip") and problem.reason == limit.reason
    assert problem.fix == limit.fix


def test_an_exporter_failure_names_model_and_layer(tmp_path):
    """A failure the readiness check cannot foresee (here a layer the graph does not
    show: random augmentation, which torch.export cannot trace) becomes a GraphError."""
    keras = import_keras()
    g = chain(("Dense", {"units": 3}), input_shape=(8, 8, 3), name="augmented")
    inputs = keras.Input((8, 8, 3), name=g.layer(g.inputs[0]).name)
    rotated = keras.layers.RandomRotation(0.1, name="augment")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(3)(rotated), name="augmented")
    path = tmp_path / "augmented.onnx"
    with pytest.raises(GraphError, match="model 'augmented' failed in RandomRotation 'augment'"):
        export_onnx(model, g, path)
    assert list(tmp_path.iterdir()) == []


def test_keras_file_reloads_in_safe_mode_with_equal_predictions(tmp_path):
    keras = import_keras()
    g = load(TEMPLATES / "customer_tickets.graph.json")
    model = build_model(g)
    path = tmp_path / "customer_tickets.keras"
    save_keras(model, path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    reloaded = keras.models.load_model(path, safe_mode=True)
    rng = np.random.default_rng(0)
    x = [rng.standard_normal((4, *t.shape[1:])).astype("float32") for t in model.inputs]
    for want, got in zip(model.predict(x, verbose=0), reloaded.predict(x, verbose=0), strict=True):
        np.testing.assert_array_equal(got, want)


def test_keras_file_needs_the_keras_suffix(tmp_path):
    model = build_model(chain(("Dense", {"units": 2})))
    with pytest.raises(GraphError, match="must end in .keras"):
        save_keras(model, tmp_path / "model.h5")


def test_a_2001_layer_residual_graph_saves_and_reloads(tmp_path):
    keras = import_keras()
    g = residual(1000, width=8)
    assert len(g) == 2001
    allow_depth(len(g))
    model = build_model(g)
    # Each block adds relu(dense(x)) to x: with Glorot weights the sum overflows to NaN
    # long before block 1,000, so shrink the weights to keep the outputs meaningful.
    model.set_weights([w * 0.01 for w in model.get_weights()])
    path = tmp_path / "residual.keras"
    save_keras(model, path)
    reloaded = keras.models.load_model(path, safe_mode=True)
    assert len(reloaded.layers) == 2001
    x = np.random.default_rng(0).standard_normal((3, 8)).astype("float32")
    want = model.predict(x, verbose=0)
    assert np.isfinite(want).all() and np.abs(want - x).max() > 1
    np.testing.assert_array_equal(reloaded.predict(x, verbose=0), want)


def test_a_layer_keras_fails_to_build_is_named(monkeypatch):
    """Whatever Keras raises while creating a valid graph's layer (here the torch
    allocator's error, as a too-large Dense gives) comes out naming the node."""
    keras = import_keras()

    def fail(self, input_shape):
        raise RuntimeError("\x1b[1m[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator\x1b[0m")

    monkeypatch.setattr(keras.layers.Dense, "build", fail)
    g = chain(("Dense", {"units": 3}))
    with pytest.raises(BuildError) as raised:
        build_model(g)
    assert str(raised.value) == (
        f"{g.label(g.outputs[0])}: Keras could not build it: RuntimeError: "
        "[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator"
    )
    assert isinstance(raised.value, GraphError)
