"""Generated Python source against Keras: the module, run, rebuilds build_model(g)'s model.

For every graph and both styles the generated module is executed on its own; its
model must have build_model(g)'s parameter count and, given the same weights (copied
by layer name), the same outputs. The text itself must be deterministic, ruff-clean
and ruff-formatted, with legal names whatever the layers are called.
"""

from __future__ import annotations

import ast
import importlib.util
import itertools
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.build import build_model
from codegen.identifiers import Namespace, identifier_stem
from codegen.keras_env import import_keras
from codegen.pysource import to_python
from graph import GraphError, ModelGraph, load, validate
from tests.graphs import chain, residual, shared_dense, siamese_text, wire
from tests.test_graph_vs_keras import random_graphs

ROOT = Path(__file__).parents[1]
TEMPLATES = sorted(ROOT.joinpath("resources", "templates").glob("*.json"))
STYLES = ["functional", "subclass"]
_modules = itertools.count()


def run_module(source: str, directory: Path) -> ModuleType:
    """Execute `source` as a module of its own, imported from a file."""
    path = directory / f"generated_{next(_modules)}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample_inputs(g: ModelGraph, batch: int = 3) -> dict[str, np.ndarray]:
    """Random data for each graph input, by node: free axes get size 5, integer
    inputs small ids (every Embedding here has more than 5 rows)."""
    rng = np.random.default_rng(0)
    report = validate(g)
    data = {}
    for node in g.inputs:
        result = report.nodes[node]
        shape = [batch, *(5 if d is None else d for d in result.shape[1:])]
        if result.dtype.startswith("int"):
            data[node] = rng.integers(0, 5, size=shape).astype(result.dtype)
        else:
            data[node] = rng.standard_normal(shape).astype(result.dtype)
    return data


def outputs(model, x) -> list[np.ndarray]:
    keras = import_keras()
    result = model(x, training=False)
    flat = result if isinstance(result, (list, tuple)) else [result]
    return [keras.ops.convert_to_numpy(t) for t in flat]


def assert_generated_matches_keras(g: ModelGraph, style: str, directory: Path) -> None:
    reference = build_model(g)
    model = run_module(to_python(g, style), directory).build_model()
    assert model.name == (g.name if style == "functional" else g.name.replace(".", "_"))
    assert model.count_params() == reference.count_params()
    for layer in reference.layers:
        if layer.weights:
            model.get_layer(layer.name).set_weights(layer.get_weights())
    data = sample_inputs(g)
    names = [g.layer(n).name for n in g.inputs]
    # Called as a person would: the array itself for one input; for several, the
    # functional model takes a list, the subclass a dict by input name.
    if len(names) == 1:
        x = data[g.inputs[0]]
    elif style == "functional":
        x = [data[n] for n in g.inputs]
    else:
        x = {name: data[n] for name, n in zip(names, g.inputs, strict=True)}
    expected = outputs(reference, [data[n] for n in g.inputs])
    received = outputs(model, x)
    assert len(received) == len(expected)
    for got, want in zip(received, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def ruff(*args: str) -> subprocess.CompletedProcess:
    """Run the project's ruff with the project's settings."""
    command = [sys.executable, "-m", "ruff", *args, "--config", str(ROOT / "pyproject.toml")]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


# ------------------------------------------------------------------------ graphs


def multi_io() -> ModelGraph:
    """Two inputs, three outputs, one of them an intermediate layer another reads."""
    g = ModelGraph("multi_io")
    a = g.add_node("Input", name="features", params={"shape": [6]})
    b = g.add_node("Input", name="extra", params={"shape": [3]})
    joined = g.add_node("Concatenate")
    hidden = g.add_node("Dense", name="hidden", params={"units": 5, "activation": "relu"})
    head = g.add_node("Dense", name="score", params={"units": 1, "activation": "sigmoid"})
    other = g.add_node("Dense", name="classes", params={"units": 3, "activation": "softmax"})
    wire(
        g,
        (a, joined, "input_0"),
        (b, joined, "input_1"),
        (joined, hidden, "input"),
        (hidden, head, "input"),
        (hidden, other, "input"),
    )
    g.set_outputs([head, hidden, other])
    return g


def self_attention() -> ModelGraph:
    """MultiHeadAttention with its query and value ports fed by one source."""
    g = ModelGraph("self_attention")
    x = g.add_node("Input", params={"shape": [6, 8]})
    mha = g.add_node("MultiHeadAttention", params={"num_heads": 2, "key_dim": 4})
    g.connect(x, mha, "query")
    g.connect(x, mha, "value")
    g.set_output(mha)
    return g


def bidirectional_lstm() -> ModelGraph:
    """A Bidirectional LSTM over a free time axis, then a Dense on its last step."""
    layer = {"type": "LSTM", "params": {"units": 4, "return_sequences": True, "dropout": 0.1}}
    return chain(
        ("Bidirectional", {"layer": layer, "merge_mode": "sum"}),
        ("GlobalAveragePooling1D", {}),
        ("Dense", {"units": 2}),
        input_shape=(None, 3),
        name="bilstm",
    )


def conv_net() -> ModelGraph:
    return chain(
        ("Conv2D", {"filters": 4, "kernel_size": [3, 3], "padding": "same", "activation": "relu"}),
        ("MaxPooling2D", {"pool_size": [2, 2]}),
        ("BatchNormalization", {}),
        ("Conv2D", {"filters": 6, "kernel_size": 3, "strides": [1, 1]}),
        ("AveragePooling2D", {"pool_size": 2, "padding": "same"}),
        ("Flatten", {}),
        ("Dense", {"units": 3}),
        input_shape=(12, 12, 3),
        name="conv_net",
    )


#: Layer names that are keywords, builtins, names the module defines, keras.Model
#: attributes, or not identifiers at all.
ODD_NAMES = [
    "class", "keras", "my-layer-v2", "self", "build_model", "os", "sys",
    "inputs", "model", "layers", "output", "_private", "__dunder", "dense_2", "kwargs",
]  # fmt: skip


def odd_names() -> ModelGraph:
    """A chain (with a shared layer) whose every name must be changed to be a variable,
    in a graph whose name holds both kinds of quotes and a backslash."""
    g = ModelGraph('it\'s a "model" \\ of odd names')
    prev = g.add_node("Input", name="input", params={"shape": [4]})
    second = None
    for name in ODD_NAMES:
        node = g.add_node("Dense", name=name, params={"units": 4})
        g.connect(prev, node, "input")
        prev = node
        if name == "layers":
            second = g.call_again(node)
            g.connect(node, second, "input")
            prev = second
    g.set_output(prev)
    return g


def normalizing() -> ModelGraph:
    """Normalization with fixed statistics, then one holding adapt()'s, in a model whose
    name has a dot: state Keras makes in build(), and a name torch refuses in paths."""
    return chain(
        ("Normalization", {"mean": [1.0, 2.0, 3.0, 4.0], "variance": [1.0, 4.0, 9.0, 16.0]}),
        ("Normalization", {"axis": -1}),
        ("Dense", {"units": 2}),
        input_shape=(4,),
        name="normalizing_1.00",
    )


def with_dead_branch() -> ModelGraph:
    """A Dense that leads to no output: Keras leaves it out, and so does the source."""
    g = chain(("Dense", {"units": 3}), name="dead_branch")
    (x,) = g.inputs
    g.connect(x, g.add_node("Dense", name="unused", params={"units": 2}), "input")
    return g


def long_names(length: int) -> ModelGraph:
    """Names of `length` characters everywhere, to push lines past the line length."""
    g = ModelGraph("m" * length)
    a = g.add_node("Input", name="a" * length, params={"shape": [4]})
    b = g.add_node("Input", name="b" * length, params={"shape": [4]})
    join = g.add_node("Concatenate", name="c" * length)
    dense = g.add_node("Dense", name="d" * length, params={"units": 3, "activation": "relu"})
    again = g.call_again(dense)
    lstm = {"type": "LSTM", "params": {"units": 2, "return_sequences": True, "dropout": 0.5}}
    seq = g.add_node("Reshape", params={"target_shape": [4, 2]})
    rnn = g.add_node("Bidirectional", name="r" * length, params={"layer": lstm})
    mha = g.add_node("MultiHeadAttention", params={"num_heads": 1, "key_dim": 2})
    wire(
        g,
        (a, join, "input_0"),
        (b, join, "input_1"),
        (a, dense, "input"),
        (b, again, "input"),
        (join, seq, "input"),
        (seq, rnn, "input"),
        (rnn, mha, "query"),
        (rnn, mha, "value"),
    )
    g.set_outputs([dense, again, mha])
    return g


GRAPHS = {
    **{path.name: (lambda path=path: load(path)) for path in TEMPLATES},
    "chain": lambda: chain(
        ("Dense", {"units": 6, "activation": "relu"}),
        ("Dropout", {"rate": 0.25}),
        ("LayerNormalization", {}),
        ("Dense", {"units": 2}),
    ),
    "residual": lambda: residual(3, width=4),
    "shared_dense": lambda: shared_dense()[0],
    "multi_io": multi_io,
    "self_attention": self_attention,
    "bidirectional_lstm": bidirectional_lstm,
    "conv_net": conv_net,
    "siamese_text": siamese_text,
    "odd_names": odd_names,
    "normalizing": normalizing,
    "dead_branch": with_dead_branch,
    "long_names": lambda: long_names(120),
}


# ------------------------------------------------------------------------- tests


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("graph", GRAPHS)
def test_generated_module_rebuilds_the_keras_model(graph, style, tmp_path):
    assert_generated_matches_keras(GRAPHS[graph](), style, tmp_path)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(g=random_graphs(), style=st.sampled_from(STYLES))
def test_random_graphs_generate_the_same_model(g, style, tmp_path_factory):
    assert_generated_matches_keras(g, style, tmp_path_factory.mktemp("random"))


def test_sources_are_ruff_clean_and_ruff_formatted(tmp_path):
    graphs = [factory() for factory in GRAPHS.values()]
    graphs += [long_names(n) for n in (1, 12, 30, 45, 60, 90, 120)]
    for i, (g, style) in enumerate(itertools.product(graphs, STYLES)):
        (tmp_path / f"m{i}_{style}.py").write_text(to_python(g, style), encoding="utf-8")
    check = ruff("check", "--no-cache", str(tmp_path))
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = ruff("format", "--check", "--diff", "--no-cache", str(tmp_path))
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr


def test_generated_modules_run_on_their_own(tmp_path):
    """In a fresh process with no backend chosen, as on a new machine, and importing
    nothing but os, sys and keras."""
    g = load(next(p for p in TEMPLATES if p.name.startswith("customer_tickets")))
    for style in STYLES:
        source = to_python(g, style)
        imported = {
            alias.name
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        assert imported <= {"os", "sys", "keras"}
        (tmp_path / f"{style}_model.py").write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env["KERAS_HOME"] = str(tmp_path)  # no keras.json naming another backend
    code = (
        "import functional_model, subclass_model, keras; print(keras.backend.backend(), "
        "functional_model.build_model().count_params(), "
        "subclass_model.build_model().count_params())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    count = build_model(g).count_params()
    assert result.stdout.split() == ["torch", str(count), str(count)]


@pytest.mark.parametrize("style", STYLES)
def test_same_graph_gives_the_same_bytes(style):
    path = next(p for p in TEMPLATES if p.name.startswith("customer_tickets"))
    assert to_python(load(path), style) == to_python(load(path), style)
    assert to_python(odd_names(), style) == to_python(odd_names(), style)


def test_functional_source_reads_like_hand_written_keras():
    source = to_python(shared_dense()[0], "functional")
    assert '    dense_layer = keras.layers.Dense(units=4, name="dense")\n' in source
    assert "    dense = dense_layer(input_)\n" in source
    assert "    dense_2 = dense_layer(input_1)\n" in source


def test_subclass_takes_a_dict_of_named_inputs_like_the_book():
    path = next(p for p in TEMPLATES if p.name.startswith("customer_tickets"))
    source = to_python(load(path), "subclass")
    assert "class CustomerTicketsModel(keras.Model):" in source
    assert '    def call(self, inputs):\n        title = inputs["title"]\n' in source
    assert '        self.priority = keras.layers.Dense(units=1, activation="sigmoid",' in source


@pytest.mark.parametrize("style", STYLES)
def test_odd_names_become_legal_unshadowing_identifiers(style):
    g = odd_names()
    tree = ast.parse(to_python(g, style))
    assigned = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    attributes = {
        target.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Attribute)
    }
    assert assigned.isdisjoint({"class", "keras", "input", "self", "os", "sys", "kwargs"})
    assert "my_layer_v2" in assigned
    assert attributes.isdisjoint(dir(import_keras().Model()))
    name_kwargs = [
        ast.literal_eval(k.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for k in node.keywords
        if k.arg == "name"
    ]
    assert set(name_kwargs) >= {*ODD_NAMES, "input"}


@settings(max_examples=60, deadline=None)
@given(name=st.text(max_size=40) | st.sampled_from(["/", "a/b"]))
def test_any_graph_name_is_written_as_an_escaped_string(name):
    """As it is, but for a subclass's '.', which torch refuses in its variable paths;
    a name with '/', which Keras refuses, is refused as invalid (validate's model-name)."""
    g = chain(("Dense", {"units": 2}), name=name)
    if "/" in name:
        with pytest.raises(GraphError, match="cannot contain '/'"):
            to_python(g, "functional")
        return
    for style in STYLES:
        tree = ast.parse(to_python(g, style))
        strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
        assert (name.replace(".", "_") if style == "subclass" else name) in strings


def test_invalid_graph_is_refused_with_its_problems():
    g = chain(("Dense", {"units": 2}))
    g.add_node("Add", name="lonely")
    with pytest.raises(GraphError, match="lonely"):
        to_python(g, "functional")
    with pytest.raises(ValueError, match="Received: style='sequential'"):
        to_python(chain(("Dense", {"units": 2})), "sequential")


def test_deep_residual_graph_generates_code_that_builds(tmp_path):
    g = residual(1000, width=8)
    source = to_python(g, "functional")
    assert "sys.setrecursionlimit(max(sys.getrecursionlimit()," in source
    limit = sys.getrecursionlimit()
    try:
        model = run_module(source, tmp_path).build_model()
        assert model.count_params() == build_model(g).count_params()
    finally:
        sys.setrecursionlimit(limit)


# ------------------------------------------------------------------- identifiers


def test_identifier_stems_are_legal():
    assert identifier_stem("my-layer.v2") == "my_layer_v2"
    assert identifier_stem("0bad") == "_0bad"
    assert identifier_stem("__dunder") == "_dunder"
    assert identifier_stem("a" * 50, max_length=10) == "a" * 10
    assert identifier_stem("") == "_"


def test_namespace_never_shadows_and_suffixes_clashes():
    names = Namespace(["keras"])
    created = [names.create_name(c) for c in ["keras", "class", "input", "input_1", "input"]]
    assert created == ["keras_", "class_", "input_", "input_1", "input_2"]
    created = [names.create_name(c) for c in ["x", "x", "x_1", "x-", "x_"]]
    assert created == ["x", "x_1", "x_2", "x_", "x__1"]
    assert names.create_name("dense_2") == "dense_2"
    assert names.create_name("dense_2") == "dense_3"
    assert names.create_name("b" * 60 + "_7", max_length=8) == "bbbbbbbb_7"


@given(st.lists(st.text(max_size=12), max_size=30))
def test_namespace_names_are_unique_identifiers(candidates):
    names = Namespace()
    created = [names.create_name(c) for c in candidates]
    assert len(set(created)) == len(created)
    assert all(n.isidentifier() and n.isascii() for n in created)


def keras_objects() -> ModelGraph:
    """Initializers, regularizers and constraints with arguments, and by name."""
    scaled = {
        "class_name": "VarianceScaling",
        "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"},
    }
    return chain(
        (
            "Conv2D",
            {
                "filters": 4,
                "kernel_size": 3,
                "kernel_initializer": scaled,
                "kernel_regularizer": {"class_name": "L1L2", "config": {"l1": 0.01, "l2": 0.001}},
                "kernel_constraint": {"class_name": "MaxNorm", "config": {"axis": [0, 1, 2]}},
                "bias_constraint": "non_neg",
            },
        ),
        input_shape=(8, 8, 3),
        name="keras_objects",
    )


@pytest.mark.parametrize("style", STYLES)
def test_keras_objects_are_written_with_their_arguments(style, tmp_path):
    g = keras_objects()
    source = to_python(g, style)
    call = next(
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "keras.layers.Conv2D"
    )
    written = {k.arg: ast.unparse(k.value) for k in call.keywords}
    assert written["kernel_initializer"] == (
        "keras.initializers.VarianceScaling(scale=2.0, mode='fan_out', "
        "distribution='truncated_normal')"
    )
    assert written["kernel_regularizer"] == "keras.regularizers.L1L2(l1=0.01, l2=0.001)"
    assert written["kernel_constraint"] == "keras.constraints.MaxNorm(axis=[0, 1, 2])"
    assert written["bias_constraint"] == "'non_neg'"
    path = tmp_path / "objects.py"
    path.write_text(source, encoding="utf-8")
    check = ruff("check", "--no-cache", str(path))
    assert check.returncode == 0, check.stdout + check.stderr
    formatted = ruff("format", "--check", "--diff", "--no-cache", str(path))
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    built = build_model(g).get_layer("conv2d").get_config()
    generated = run_module(source, tmp_path).build_model().get_layer("conv2d").get_config()
    assert generated == built
    assert built["kernel_initializer"]["config"]["mode"] == "fan_out"
    assert built["kernel_constraint"]["config"] == {"max_value": 2, "axis": [0, 1, 2]}
