"""Keras -> graph: imported models validate, compile back to the same model, and
compute the same outputs with the same weights; code in a model is refused unrun."""

import numpy as np
import pytest

from codegen import importer, layout
from codegen.build import build_model
from codegen.importer import ImportRefused, from_keras, import_keras_model
from codegen.keras_env import import_keras
from graph import GraphFileError, ModelGraph, dumps, get_spec, validate
from graph.naming import name_problem

keras = import_keras()
layers = keras.layers

RNG = np.random.default_rng(7)


def leaf_layers(model) -> dict:
    """Every layer of `model` that is not a model itself, nested ones included, by name."""
    found = {}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.update(leaf_layers(layer))
        else:
            found[layer.name] = layer
    return found


def sample(model):
    """A random batch of two for `model`'s inputs: an array, or a list of them."""
    arrays = [RNG.random((2, *t.shape[1:])).astype("float32") for t in model.inputs]
    return arrays if len(arrays) > 1 else arrays[0]


def assert_same_model(model, g: ModelGraph, originals: dict | None = None) -> None:
    """`g` validates, compiles back to `model`'s weight count, reads left to right, and,
    with the weights of `originals` (default: `model`'s layers by name) copied by name,
    computes `model`'s outputs."""
    report = validate(g)
    assert report.valid and not report.errors, report.errors
    rebuilt = build_model(g)
    assert rebuilt.count_params() == model.count_params()
    originals = leaf_layers(model) if originals is None else originals
    for layer in rebuilt.layers:
        if layer.weights:
            layer.set_weights(originals[layer.name].get_weights())
    x = sample(model)
    expected = keras.tree.flatten(model(x))
    received = keras.tree.flatten(rebuilt(x))
    assert len(received) == len(expected)
    for a, b in zip(expected, received, strict=True):
        assert np.allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), atol=1e-5)
    for src, dst, _ in g.edges():  # each points right, or down to a later fold of a long model
        (x0, y0), (x1, y1) = g.node(src).pos, g.node(dst).pos
        assert x1 > x0 or y1 > y0, (src, dst)


def layer_names(g: ModelGraph) -> list[str]:
    return [layer.name for _, layer in g.layers()]


# ------------------------------------------------------------------ the book's models


def ticket_model():
    """Listing 7.9: three inputs, two outputs; returns the model and its tensors."""
    title = keras.Input((10000,), name="title")
    text_body = keras.Input((10000,), name="text_body")
    tags = keras.Input((100,), name="tags")
    features = layers.Concatenate()([title, text_body, tags])
    features = layers.Dense(64, activation="relu", name="dense_features")(features)
    priority = layers.Dense(1, activation="sigmoid", name="priority")(features)
    department = layers.Dense(4, activation="softmax", name="department")(features)
    model = keras.Model(inputs=[title, text_body, tags], outputs=[priority, department])
    return model, (title, text_body, tags, priority, department)


def test_ticket_model():
    model, _ = ticket_model()
    g, notes = import_keras_model(model)
    assert notes == []
    assert [g.layer(n).name for n in g.inputs] == ["title", "text_body", "tags"]
    assert [g.layer(n).params["shape"] for n in g.inputs] == [(10000,), (10000,), (100,)]
    assert [g.layer(n).name for n in g.outputs] == ["priority", "department"]
    concatenate = next(n for n in g.node_ids() if g.layer(n).type == "Concatenate")
    assert [(port, g.layer(src).name) for port, src in g.in_edges(concatenate)] == [
        ("input_0", "title"),
        ("input_1", "text_body"),
        ("input_2", "tags"),
    ]
    assert dict(g.layer("dense_features").params) == {"units": 64, "activation": "relu"}
    assert_same_model(model, g)


def test_feature_extraction_model_with_three_heads():
    """Listing 7.13: a new model reusing model.layers[4].output (dense_features)."""
    model, (title, text_body, tags, priority, department) = ticket_model()
    features = model.layers[4].output
    difficulty = layers.Dense(3, activation="softmax", name="difficulty")(features)
    new_model = keras.Model(
        inputs=[title, text_body, tags], outputs=[priority, department, difficulty]
    )
    g = from_keras(new_model)
    assert [g.layer(n).name for n in g.outputs] == ["priority", "department", "difficulty"]
    assert [g.layer(dst).name for dst, _ in g.out_edges("dense_features")] == [
        "priority",
        "department",
        "difficulty",
    ]
    assert_same_model(new_model, g)


def test_mnist_mlp_sequential():
    model = keras.Sequential(
        [
            keras.Input((28 * 28,)),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ],
        name="mnist_mlp",
    )
    g = from_keras(model)
    assert g.name == "mnist_mlp"
    assert [g.layer(n).type for n in g.node_ids()] == ["Input", "Dense", "Dropout", "Dense"]
    assert_same_model(model, g)


def test_an_unbuilt_sequential_is_refused():
    model = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)])
    with pytest.raises(ImportRefused, match="never built"):
        from_keras(model)


# ------------------------------------------------------------------ applications

APPLICATIONS = [
    ("MobileNetV2", (32, 32, 3)),
    ("ResNet50", (32, 32, 3)),
    ("DenseNet121", (32, 32, 3)),
    ("EfficientNetB0", (32, 32, 3)),
    ("InceptionV3", (75, 75, 3)),
    ("Xception", (71, 71, 3)),
]


@pytest.mark.parametrize("name, input_shape", APPLICATIONS, ids=[a for a, _ in APPLICATIONS])
def test_application_round_trip(name, input_shape):
    model = getattr(keras.applications, name)(weights=None, input_shape=input_shape, classes=10)
    g, notes = import_keras_model(model)
    assert len(g) == len(model.layers)
    assert [g.layer(n).name for n in g.outputs] == ["predictions"]
    assert_same_model(model, g)
    if name == "EfficientNetB0":
        # Its kernels use VarianceScaling(2.0, "fan_out", "truncated_normal"), which has
        # no name: the graph holds the object with its arguments.
        initializer = g.layer("stem_conv").params["kernel_initializer"]
        assert initializer["class_name"] == "VarianceScaling"
        assert dict(initializer["config"]) == {
            "seed": None,
            "scale": 2.0,
            "mode": "fan_out",
            "distribution": "truncated_normal",
            "input_axes": None,
            "output_axes": None,
        }
        assert not any("initializer" in note for note in notes), notes


# ------------------------------------------------------------------ structure


def test_a_flattened_nested_sequential_prefixes_clashing_names():
    block = keras.Sequential(
        [keras.Input((8,)), layers.Dense(6, name="hidden"), layers.Dense(4, name="dense")],
        name="block",
    )
    x = keras.Input((8,), name="x")
    outer = layers.Dense(4, name="dense")
    model = keras.Model(x, outer(block(x)))
    g, notes = import_keras_model(model, flatten=True)
    assert layer_names(g) == ["x", "hidden", "block_dense", "dense"]
    assert [g.layer(n).type for n in g.node_ids()] == ["Input", "Dense", "Dense", "Dense"]
    assert any(note.startswith("Dense 'dense': renamed 'block_dense'") for note in notes), notes
    hidden, inner = block.layers
    assert_same_model(model, g, {"hidden": hidden, "block_dense": inner, "dense": outer})


def test_a_flattened_functional_called_twice_shares_its_layers():
    inner_input = keras.Input((5,))
    encoder = keras.Model(inner_input, layers.Dense(3, name="code")(inner_input), name="encoder")
    a, b = keras.Input((5,), name="a"), keras.Input((5,), name="b")
    model = keras.Model([a, b], layers.Subtract(name="difference")([encoder(a), encoder(b)]))
    g = from_keras(model, flatten=True)
    assert layer_names(g) == ["a", "b", "code", "difference"]
    code = g.layer_sites(next(i for i, layer in g.layers() if layer.name == "code"))
    assert len(code) == 2
    assert [g.layer(src).name for _, src in g.in_edges(code[1])] == ["b"]
    assert_same_model(model, g)


def test_shared_layer_becomes_call_sites_of_one_layer():
    left, right = keras.Input((6,), name="left"), keras.Input((6,), name="right")
    shared = layers.Dense(4, activation="tanh", name="shared")
    merged = layers.Concatenate(name="merged")([shared(left), shared(right)])
    model = keras.Model([left, right], merged)
    g = from_keras(model)
    assert layer_names(g) == ["left", "right", "shared", "merged"]
    first, second = g.call_sites("shared")
    assert [g.layer(src).name for _, src in g.in_edges(first)] == ["left"]
    assert [g.layer(src).name for _, src in g.in_edges(second)] == ["right"]
    assert [(port, src) for port, src in g.in_edges("merged")] == [
        ("input_0", first),
        ("input_1", second),
    ]
    assert validate(g).nodes[first].params == model.get_layer("shared").count_params()
    assert_same_model(model, g)


def test_multi_head_attention_ports_follow_the_call_arguments():
    q, v, k = (keras.Input((4, 8), name=n) for n in ("q", "v", "k"))
    cross = layers.MultiHeadAttention(2, 4, name="cross")(query=q, value=v, key=k)
    self_attention = layers.MultiHeadAttention(2, 4, name="self")(q, q)
    model = keras.Model([q, v, k], [cross, self_attention])
    g = from_keras(model)
    assert g.in_edges("cross") == [("query", "q"), ("value", "v"), ("key", "k")]
    assert sorted(g.in_edges("self")) == [("query", "q"), ("value", "q")]
    assert_same_model(model, g)


def test_masks_keras_computes_need_no_port():
    tokens = keras.Input((5,), dtype="int32", name="tokens")
    embedded = layers.Embedding(20, 4, mask_zero=True)(tokens)
    summary = layers.Bidirectional(layers.LSTM(3), name="summary")(embedded)
    model = keras.Model(tokens, summary)
    g, notes = import_keras_model(model)
    assert notes == []
    assert g.layer("tokens").params["dtype"] == "int32"
    assert dict(g.layer("summary").params) == {"layer": {"type": "LSTM", "params": {"units": 3}}}
    rebuilt = build_model(g)
    for layer in rebuilt.layers:
        layer.set_weights(model.get_layer(layer.name).get_weights())
    x = np.array([[3, 4, 0, 0, 0], [5, 0, 0, 0, 0]], dtype="int32")
    assert np.allclose(model.predict(x, verbose=0), rebuilt.predict(x, verbose=0), atol=1e-5)


def test_a_backward_layer_is_noted_unless_keras_derived_it():
    """Bidirectional's backward_layer is kept only as the copy Keras makes itself: its
    spec says when the config's entry is that copy."""
    spec = get_spec("Bidirectional")
    sequence = keras.Input((5, 2), name="sequence")
    derived = layers.Bidirectional(layers.LSTM(3), name="derived")
    given = layers.Bidirectional(
        layers.LSTM(3), backward_layer=layers.LSTM(3, go_backwards=True, unroll=True), name="given"
    )
    model = keras.Model(sequence, [derived(sequence), given(sequence)])
    assert spec.derived_config(derived.get_config()) == {"backward_layer"}
    assert spec.derived_config(given.get_config()) == frozenset()
    g, notes = import_keras_model(model)
    [note] = notes
    assert note.startswith("Bidirectional 'given': backward_layer=") and "is not kept" in note
    assert g.layer("given").params == g.layer("derived").params


def test_positions_read_left_to_right_and_are_deterministic():
    model, _ = ticket_model()
    first, second = from_keras(model), from_keras(model)
    assert dumps(first) == dumps(second)
    x = {n: first.node(n).pos[0] for n in first.node_ids()}
    assert x["title"] == x["text_body"] == x["tags"] < x["dense_features"] < x["priority"]
    assert x["priority"] == x["department"]
    y = {n: first.node(n).pos[1] for n in first.node_ids()}
    assert y["title"] < y["text_body"] < y["tags"]
    # Sugiyama's placement centres a merge on its inputs and spreads a fork around it.
    (merge,) = (n for n in first.node_ids() if first.layer(n).type == "Concatenate")
    assert y[merge] == y["dense_features"] == y["text_body"]
    assert y["priority"] - y["dense_features"] == y["dense_features"] - y["department"] != 0


def test_large_graphs_get_columns_by_generation(monkeypatch):
    monkeypatch.setattr(layout, "SUGIYAMA_LIMIT", 0)
    model, _ = ticket_model()
    g = from_keras(model)
    assert [g.node(n).pos for n in g.node_ids()] == [
        (0.0, 0.0),  # title
        (0.0, 120.0),  # text_body
        (0.0, 240.0),  # tags
        (320.0, 0.0),  # concatenate
        (640.0, 0.0),  # dense_features
        (960.0, 0.0),  # priority
        (960.0, 120.0),  # department
    ]


# ------------------------------------------------------------------ params and notes


def test_params_keep_only_what_differs_from_the_defaults():
    x = keras.Input((8, 8, 3), name="image")
    y = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", name="conv")(x)
    y = layers.BatchNormalization(momentum=0.9, name="bn")(y)
    y = layers.Dense(2, kernel_initializer="he_uniform", name="head")(y)
    g = from_keras(keras.Model(x, y))
    assert dict(g.layer("conv").params) == {
        "filters": 4,
        "kernel_size": (3, 3),
        "strides": (2, 2),
        "padding": "same",
        "activation": "relu",
    }
    assert dict(g.layer("bn").params) == {"momentum": 0.9}
    assert dict(g.layer("head").params) == {"units": 2, "kernel_initializer": "he_uniform"}


def test_a_frozen_layer_is_frozen_in_the_graph():
    x = keras.Input((8,), name="x")
    frozen = layers.Dense(2, name="frozen")
    frozen.trainable = False
    model = keras.Model(x, frozen(x))
    g, notes = import_keras_model(model)
    assert notes == []
    assert g.layer("frozen").trainable is False
    assert_same_model(model, g)


def test_a_call_in_training_mode_is_noted():
    x = keras.Input((8,), name="x")
    y = layers.Dropout(0.5, name="mc_dropout")(x, training=True)
    g, notes = import_keras_model(keras.Model(x, y))
    assert validate(g).valid
    assert notes == [
        "Dropout 'mc_dropout': called with training=True; the graph calls it in the usual "
        "mode (training only while fitting)"
    ]


def test_layers_without_a_hand_written_spec_import_through_keras_backed_specs():
    x = keras.Input((6, 4), name="x")
    y = layers.EinsumDense("abc,cd->abd", output_shape=(None, 5), bias_axes="d", name="proj")(x)
    model = keras.Model(x, layers.Identity(name="same")(y))
    g, notes = import_keras_model(model)
    assert notes == []
    assert dict(g.layer("proj").params) == {
        "equation": "abc,cd->abd",
        "output_shape": (None, 5),
        "bias_axes": "d",
    }
    assert_same_model(model, g)


def test_a_layer_type_without_a_spec_is_refused_naming_it(monkeypatch):
    known = importer.get_spec
    monkeypatch.setattr(importer, "get_spec", lambda t: None if t == "Dense" else known(t))
    x = keras.Input((4,), name="x")
    with pytest.raises(ImportRefused, match="Dense 'head': the graph has no layer spec for Dense"):
        from_keras(keras.Model(x, layers.Dense(2, name="head")(x)))


def test_names_the_graph_refuses_are_made_valid():
    x = keras.Input((4,), name="x")
    g, notes = import_keras_model(keras.Model(x, layers.Dense(2, name="my head")(x)))
    assert layer_names(g) == ["x", "my_head"]
    assert notes == ["Dense 'my head': renamed 'my_head' (its name is taken or invalid)"]


@pytest.mark.parametrize("name", ["drop.v2", "1st", "é", "-x", "x" * 300])
def test_every_name_the_graph_refuses_is_made_one_it_accepts(name):
    """The importer's renaming follows graph/naming.py's rule, whatever Keras allowed."""
    x = keras.Input((4,), name="x")
    g, _ = import_keras_model(keras.Model(x, layers.Dropout(0.1, name=name)(x)))
    renamed = layer_names(g)[1]
    assert name_problem(renamed) is None


def test_a_layer_with_several_outputs_is_refused():
    x = keras.Input((4, 3), name="x")
    _, state_h, _ = layers.LSTM(2, return_state=True, name="encoder")(x)
    with pytest.raises(ImportRefused, match="LSTM 'encoder': returns 3 tensors"):
        from_keras(keras.Model(x, state_h))


def test_a_keras_operation_without_a_spec_is_refused_naming_it():
    """keras.ops.image.resize is no keras.ops function, so neither graph nor Keras's
    naming (codegen/generic_operation.py) gives it a spec."""
    x = keras.Input((4, 4, 3), name="x")
    y = layers.Dense(2, name="dense")(keras.ops.image.resize(x, (8, 8)))
    with pytest.raises(ImportRefused, match=r"Resize 'resize(_\d+)?': a Keras operation the graph"):
        from_keras(keras.Model(x, y))


# ------------------------------------------------------------------ code is refused unrun


@keras.saving.register_keras_serializable(package="kgs_tests")
class Scale(layers.Layer):
    """A custom layer: its class is code the file names."""

    def call(self, x):
        return x * 2.0


def lambda_model(marker):
    """A model whose Lambda writes `marker` whenever its function runs."""
    x = keras.Input((3,), name="x")
    scaled = layers.Lambda(
        lambda t, path=str(marker): (open(path, "w").close(), t * 2.0)[1], name="scale"
    )(x)
    return keras.Model(x, layers.Dense(2, name="dense")(scaled))


@pytest.fixture
def keras_never_loads(monkeypatch):
    """Fail the test if Keras is asked to load a model file or build its config."""

    def no_loading(*args, **kwargs):
        raise AssertionError("Keras was asked to load a file that carries code")

    monkeypatch.setattr(keras.models, "load_model", no_loading)
    monkeypatch.setattr(keras.saving, "load_model", no_loading)
    monkeypatch.setattr(keras.saving, "deserialize_keras_object", no_loading)


def test_a_keras_file_with_a_lambda_is_refused_without_running_it(tmp_path, keras_never_loads):
    marker = tmp_path / "ran"
    path = tmp_path / "lambda.keras"
    lambda_model(marker).save(path)
    marker.unlink()  # the function ran while the model was built; it must not run again
    with pytest.raises(ImportRefused) as refused:
        from_keras(path)
    assert "Lambda 'scale': a Lambda layer holds a Python function" in str(refused.value)
    assert str(path) in str(refused.value)
    assert not marker.exists()


def test_a_lambda_model_object_is_refused_naming_it(tmp_path):
    with pytest.raises(ImportRefused, match="Lambda 'scale': a Lambda layer holds a Python"):
        from_keras(lambda_model(tmp_path / "ran"))


@keras.saving.register_keras_serializable(package="kgs_tests")
def cube(x):
    """A custom activation: a function the file names."""
    return x**3


def custom_model():
    x = keras.Input((3,), name="x")
    return keras.Model(x, layers.Dense(2, activation=cube, name="dense")(Scale(name="doubled")(x)))


def test_a_keras_file_with_a_custom_class_is_refused_naming_it(tmp_path, keras_never_loads):
    path = tmp_path / "custom.keras"
    custom_model().save(path)
    with pytest.raises(ImportRefused) as refused:
        from_keras(path)
    message = str(refused.value)
    assert "Scale 'doubled': a custom class registered as 'kgs_tests>Scale'" in message
    assert "Dense 'dense': a custom Python function 'kgs_tests>cube'" in message


def test_a_custom_class_model_object_is_refused_naming_it():
    with pytest.raises(ImportRefused, match="Scale 'doubled': a custom class"):
        from_keras(custom_model())


def test_a_clean_keras_file_imports_like_the_model(tmp_path):
    model, _ = ticket_model()
    path = tmp_path / "tickets.keras"
    model.save(path)
    assert dumps(from_keras(path)) == dumps(from_keras(model))


def test_a_file_that_is_not_a_keras_model_is_named(tmp_path):
    path = tmp_path / "model.keras"
    path.write_text("not a zip")
    with pytest.raises(GraphFileError, match="model.keras: not a Keras model file"):
        from_keras(path)


def test_a_keras_file_nested_too_deeply_is_refused_without_parsing_it(tmp_path):
    import zipfile

    path = tmp_path / "deep.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "[" * 200_000 + "]" * 200_000)
    with pytest.raises(GraphFileError, match="nested too deeply"):
        from_keras(path)


@keras.saving.register_keras_serializable(package="kgs_tests")
class Classifier(keras.Model):
    """Listing 7.15's subclassed model, used as a layer of a Functional model."""

    def __init__(self, num_classes=2, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        units, activation = (1, "sigmoid") if num_classes == 2 else (num_classes, "softmax")
        self.dense = layers.Dense(units, activation=activation)

    def call(self, inputs):
        return self.dense(inputs)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


def test_a_subclassed_model_called_as_a_layer_is_refused_as_its_file_is(tmp_path):
    inputs = keras.Input((3,))
    features = layers.Dense(64, activation="relu")(inputs)
    model = keras.Model(inputs, Classifier(num_classes=10, name="classifier")(features))
    path = tmp_path / "listing_7_15.keras"
    model.save(path)
    reason = "Classifier 'classifier': a custom class"
    for source in (model, path):
        with pytest.raises(ImportRefused) as refused:
            from_keras(source)
        assert reason in str(refused.value), source
