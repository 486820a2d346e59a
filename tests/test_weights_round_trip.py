"""Weights travel with the graph: `kgs import` writes a trained model's weights beside
the graph, `kgs compile` and build_model put them back, and the outputs are the
original's exactly; an edited layer starts fresh and the report says why."""

from __future__ import annotations

import zipfile

import h5py
import numpy as np
import pytest

from codegen.build import build_with_weights
from codegen.keras_env import import_keras
from graph import GraphFileError, ModelGraph, load, save
from graph.weightsfile import read_sidecar
from kgs.cli import main
from tests.test_pysource import ruff, run_module
from tests.test_training_script_run import onnx_matches_keras

keras = import_keras()


def trained_model():
    """Two inputs, a shared Dense, BatchNormalization (moving statistics set), a frozen
    Dense and two heads; every weight random, as after training."""
    a = keras.Input((6,), name="a")
    b = keras.Input((6,), name="b")
    shared = keras.layers.Dense(5, activation="tanh", name="shared")
    merged = keras.layers.Concatenate(name="merged")([shared(a), shared(b)])
    normed = keras.layers.BatchNormalization(name="bn")(merged)
    frozen = keras.layers.Dense(4, name="frozen")
    frozen.trainable = False
    features = frozen(normed)
    out1 = keras.layers.Dense(3, activation="softmax", name="head")(features)
    out2 = keras.layers.Dense(1, name="score")(features)
    model = keras.Model([a, b], [out1, out2], name="trained")
    rng = np.random.default_rng(7)
    for layer in model.layers:
        weights = [rng.standard_normal(w.shape).astype("float32") for w in layer.get_weights()]
        if layer.name == "bn":
            weights[3] = np.abs(weights[3]) + 0.5  # a variance
        layer.set_weights(weights)
    return model


def sample():
    rng = np.random.default_rng(1)
    return [rng.standard_normal((4, 6)).astype("float32") for _ in range(2)]


def outputs(model, x):
    return [keras.ops.convert_to_numpy(t) for t in model(x, training=False)]


@pytest.fixture
def imported(tmp_path, capsys):
    """(original model, what `kgs import` printed, graph path) after `kgs import`."""
    model = trained_model()
    model_path = tmp_path / "trained.keras"
    model.save(model_path)
    graph_path = tmp_path / "trained.graph.json"
    assert main(["import", str(model_path), "-o", str(graph_path)]) == 0
    return model, capsys.readouterr().out, graph_path


def test_import_then_build_gives_the_original_outputs_exactly(imported):
    model, printed, graph_path = imported
    assert "and its weights to trained.weights.h5" in printed
    assert (graph_path.parent / "trained.weights.h5").exists()
    g = load(graph_path)
    assert g.layer("frozen").trainable is False
    rebuilt, report = build_with_weights(g, read_sidecar(g, graph_path))
    assert sorted(report.kept) == ["bn", "frozen", "head", "score", "shared"]
    assert report.fresh == [] and report.unused == []
    for got, want in zip(outputs(rebuilt, sample()), outputs(model, sample()), strict=True):
        np.testing.assert_array_equal(got, want)
    assert len(rebuilt.non_trainable_weights) == len(model.non_trainable_weights)


def test_kgs_compile_writes_a_keras_file_with_the_trained_weights(imported, tmp_path, capsys):
    model, _, graph_path = imported
    out = tmp_path / "out"
    assert main(["compile", str(graph_path), "--to", "keras", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "weights kept for 5 layers: shared, bn, frozen, head, score" in printed
    compiled = keras.saving.load_model(out / "trained.keras")
    for got, want in zip(outputs(compiled, sample()), outputs(model, sample()), strict=True):
        np.testing.assert_array_equal(got, want)


def test_kgs_compile_writes_onnx_with_the_trained_weights(imported, tmp_path):
    _, _, graph_path = imported
    out = tmp_path / "out"
    assert main(["compile", str(graph_path), "--to", "onnx", "-o", str(out)]) == 0
    rng = np.random.default_rng(2)
    inputs = [rng.standard_normal((5, 6)).astype("float32") for _ in range(2)]
    onnx_matches_keras(tmp_path / "trained.keras", out / "trained.onnx", inputs, (2, 5))


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_generated_source_loads_the_weights_compile_writes_beside_it(imported, tmp_path, style):
    model, _, graph_path = imported
    out = tmp_path / "out"
    assert main(["compile", str(graph_path), "--to", style, "-o", str(out)]) == 0
    assert (out / "trained_weights.h5").exists()
    source = (out / f"trained_{style}.py").read_text()
    assert ruff("check", "--no-cache", str(out)).returncode == 0
    assert ruff("format", "--check", "--no-cache", str(out)).returncode == 0
    module = run_module(source, out)
    x = sample()
    named = x if style == "functional" else {"a": x[0], "b": x[1]}
    for got, want in zip(outputs(module.build_model(), named), outputs(model, x), strict=True):
        np.testing.assert_array_equal(got, want)
    fresh = outputs(module.build_model(weights=None), named)
    assert not np.allclose(fresh[1], outputs(model, x)[1])


def test_generated_source_refuses_weights_of_another_shape(imported, tmp_path):
    _, _, graph_path = imported
    out = tmp_path / "out"
    assert main(["compile", str(graph_path), "--to", "functional", "-o", str(out)]) == 0
    with h5py.File(out / "trained_weights.h5", "r+") as f:
        del f["layers/head/0"]
        f["layers/head/0"] = np.zeros((40, 3), "float32")
    module = run_module((out / "trained_functional.py").read_text(), out)
    with pytest.raises(ValueError, match=r"head has shapes \[\(40, 3\), \(3,\)\], not"):
        module.build_model()


def test_a_changed_or_new_layer_starts_fresh_and_the_report_says_why(imported):
    _, _, graph_path = imported
    g = load(graph_path)
    head = next(n for n in g.node_ids() if g.layer(n).name == "head")
    g.set_param(head, "units", 2)
    score = next(n for n in g.node_ids() if g.layer(n).name == "score")
    g.rename(score, "score2")
    model, report = build_with_weights(g, read_sidecar(g, graph_path))
    assert report.kept == ["shared", "bn", "frozen"]
    assert report.fresh == [
        ("head", "its weights changed shape: saved (4, 3), (3,), now (4, 2), (2,)"),
        ("score2", "new layer: no saved weights under its name"),
    ]
    assert report.unused == ["score"]
    assert "re-initialized 'head': its weights changed shape" in "\n".join(report.lines())


def test_no_weights_imports_the_structure_only(tmp_path):
    trained_model().save(tmp_path / "m.keras")
    out = tmp_path / "m.graph.json"
    assert main(["import", str(tmp_path / "m.keras"), "-o", str(out), "--no-weights"]) == 0
    g = load(out)
    assert g.weights is None and g.layer("frozen").trainable is False
    assert not (tmp_path / "m.weights.h5").exists()


def test_kgs_compile_refuses_a_tampered_sidecar_naming_it(imported, tmp_path, capsys):
    _, _, graph_path = imported
    sidecar = graph_path.parent / "trained.weights.h5"
    data = bytearray(sidecar.read_bytes())
    data[-8] ^= 0xFF
    sidecar.write_bytes(bytes(data))
    assert main(["compile", str(graph_path), "--to", "keras", "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert f"{sidecar}: does not match its graph file trained.graph.json" in err
    assert not (tmp_path / "o" / "trained.keras").exists()


def test_weights_in_a_keras_file_that_do_not_fit_its_config_are_refused(tmp_path):
    """A .keras file whose weights declare another shape than its config's layers is
    refused before Keras reads a byte of them."""
    good = tmp_path / "good.keras"
    trained_model().save(good)
    other = keras.Sequential([keras.Input((6,)), keras.layers.Dense(500, name="x")])
    other_weights = tmp_path / "other.weights.h5"
    other.save_weights(other_weights)
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "model.weights.h5":
                data = other_weights.read_bytes()
            dst.writestr(info, data)
    from codegen.weights_import import import_with_weights

    with pytest.raises(GraphFileError, match=r"bad\.keras: model\.weights\.h5 does not hold"):
        import_with_weights(bad, tmp_path / "bad.graph.json")
    assert not (tmp_path / "bad.weights.h5").exists()


def test_an_oversized_weights_entry_is_refused_before_it_is_extracted(tmp_path):
    """64 MiB of zeros deflate to a small entry: its declared size is what counts."""
    good = tmp_path / "good.keras"
    trained_model().save(good)
    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "model.weights.h5":
                data = bytes(64 << 20)
            dst.writestr(info.filename, data)
    assert bad.stat().st_size < 1 << 20
    from codegen.weights_import import import_with_weights

    with pytest.raises(GraphFileError, match=r"model\.weights\.h5 declares 67,108,864 bytes"):
        import_with_weights(bad, tmp_path / "bad.graph.json")


def test_the_graph_file_records_the_sidecar_it_was_saved_with(imported):
    _, _, graph_path = imported
    g = load(graph_path)
    assert g.weights.layers["shared"] == ((6, 5), (5,))
    save(g, graph_path)
    assert read_sidecar(load(graph_path), graph_path).unread == {}


def test_block_uses_keep_their_weights_through_the_sidecar(tmp_path):
    """A block use is one nested model: its weights are saved and put back as one
    layer's, a use called again shares them, a frozen layer in its body stays frozen."""
    from codegen.build import build_model
    from codegen.build_weights import save_model_weights
    from tests.blocks_graphs import siamese

    g, ids = siamese()
    body = g.blocks.body("encoder")
    body.set_trainable(next(n for n in body.node_ids() if body.layer(n).name == "dense"), False)
    model = build_model(g)
    graph_path = tmp_path / "siamese.graph.json"
    g.weights = save_model_weights(g, model, graph_path)
    save(g, graph_path)
    again = load(graph_path)
    assert not again.blocks.body("encoder").layer(body.node_ids()[1]).trainable
    rebuilt, report = build_with_weights(again, read_sidecar(again, graph_path))
    assert report.kept == ["enc/dense", "enc/dense_1", "enc_c/dense", "enc_c/dense_1"]
    assert report.fresh == []
    rng = np.random.default_rng(0)
    x = [rng.standard_normal((2, 16)).astype("float32") for _ in range(3)]
    want = keras.ops.convert_to_numpy(model(x))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(rebuilt(x)), want)
    assert len(rebuilt.non_trainable_weights) == len(model.non_trainable_weights) == 4


def nested_trained_model():
    """A Functional encoder (with BatchNormalization) used inside the model, and a head;
    every weight random, as after training."""
    x = keras.Input((6,), name="x")
    h = keras.layers.Dense(5, activation="tanh", name="enc_dense")(x)
    h = keras.layers.BatchNormalization(name="enc_bn")(h)
    encoder = keras.Model(x, h, name="encoder")
    inp = keras.Input((6,), name="inp")
    out = keras.layers.Dense(2, name="head")(encoder(inp))
    model = keras.Model(inp, out, name="nested")
    rng = np.random.default_rng(3)
    for layer in [*encoder.layers, *model.layers]:
        weights = [
            np.abs(rng.standard_normal(w.shape)).astype("float32") + 0.1
            for w in layer.get_weights()
        ]
        layer.set_weights(weights)
    return model


@pytest.mark.parametrize("target", ["build", "functional", "subclass"])
def test_a_nested_model_becomes_a_block_use_that_keeps_its_weights(tmp_path, capsys, target):
    model = nested_trained_model()
    model.save(tmp_path / "nested.keras")
    graph_path = tmp_path / "nested.graph.json"
    assert main(["import", str(tmp_path / "nested.keras"), "-o", str(graph_path)]) == 0
    g = load(graph_path)
    assert g.blocks.names() and g.weights is not None
    x = sample()[0]
    want = outputs(model, x)
    if target == "build":
        rebuilt, report = build_with_weights(g, read_sidecar(g, graph_path))
        assert report.fresh == [] and report.unused == []
        got = outputs(rebuilt, x)
    else:
        out = tmp_path / "out"
        assert main(["compile", str(graph_path), "--to", target, "-o", str(out)]) == 0
        source = (out / f"nested_{target}.py").read_text()
        got = outputs(run_module(source, out).build_model(), x)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_model_saved_after_training_imports_with_its_weights(tmp_path, capsys):
    """A model saved compiled and trained holds its optimizer's state in its weights
    file too (Adam: two slots per weight); the graph keeps the layers' weights."""
    model = trained_model()
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"])
    x = sample()
    model.fit(x, [np.zeros(4), np.zeros((4, 1))], epochs=1, verbose=0)
    model.save(tmp_path / "fitted.keras")
    graph_path = tmp_path / "fitted.graph.json"
    assert main(["import", str(tmp_path / "fitted.keras"), "-o", str(graph_path)]) == 0, (
        capsys.readouterr().err
    )
    g = load(graph_path)
    rebuilt, report = build_with_weights(g, read_sidecar(g, graph_path))
    assert report.fresh == [] and report.unused == []
    for got, want in zip(outputs(rebuilt, x), outputs(model, x), strict=True):
        np.testing.assert_array_equal(got, want)


def one_use_of_a_chain(
    block: str, use: str, width: int, chain: list[tuple[str, str, dict]]
) -> tuple[ModelGraph, ModelGraph]:
    """A graph `block` whose one output is the use `use` of the block `block`: an
    Input `x` of `width` features, then `chain` (layer type, name, params) in a row."""
    g = ModelGraph(block)
    body = g.define_block(block, [])
    last = body.add_node("Input", name="x", params={"shape": (width,)})
    for layer_type, name, params in chain:
        node = body.add_node(layer_type, name=name, params=params)
        body.connect(last, node, "input")
        last = node
    body.set_outputs([last])
    inp = g.add_node("Input", name="inp", params={"shape": (width,)})
    node = g.add_node(block, name=use)
    g.connect(inp, node, "x")
    g.set_outputs([node])
    return g, body


def test_a_use_s_layers_get_their_weights_by_name_after_its_body_changes(tmp_path):
    """Saved, then the body's first Dense removed and a new one added after the
    other: the weight shapes line up as before, so matching by position would hand
    the first layer's weights to the other; by name it keeps its own, the new starts
    fresh and the removed one's are reported unused."""
    from codegen.build import build_model
    from codegen.build_weights import save_model_weights

    g, body = one_use_of_a_chain(
        "pair", "p", 4, [("Dense", "first", {"units": 4}), ("Dense", "second", {"units": 4})]
    )
    x, first, second = body.node_ids()
    model = build_model(g)
    rng = np.random.default_rng(4)
    for layer in model.get_layer("p").layers:
        layer.set_weights([rng.standard_normal(w.shape).astype("float32") for w in layer.weights])
    graph_path = tmp_path / "pair.graph.json"
    g.weights = save_model_weights(g, model, graph_path)
    body.remove_node(first)
    body.connect(x, second, "input")
    added = body.add_node("Dense", name="added", params={"units": 4})
    body.connect(second, added, "input")
    body.set_outputs([added])
    save(g, graph_path)
    again = load(graph_path)
    rebuilt, report = build_with_weights(again, read_sidecar(again, graph_path))
    assert report.kept == ["p/second"]
    assert report.fresh == [("p/added", "new layer: no saved weights under its name")]
    assert report.unused == ["p/first"]
    for got, want in zip(
        rebuilt.get_layer("p").get_layer("second").get_weights(),
        model.get_layer("p").get_layer("second").get_weights(),
        strict=True,
    ):
        np.testing.assert_array_equal(got, want)


def test_a_sidecar_that_keys_a_use_by_its_own_name_still_loads(tmp_path):
    """Sidecars written before a use's layers were keyed by path hold all of a use's
    weights under the use's name, by position (Keras's order: a BatchNormalization's
    moving statistics after its scale and offset): they load as they did, every layer
    keeping its weights, and the model computes what the saved one did."""
    from codegen.build import build_model
    from codegen.build_weights import flat_arrays, graph_layers
    from graph.weightsfile import write_sidecar

    keras = import_keras()
    chain = [("Dense", "dense", {"units": 5}), ("BatchNormalization", "norm", {})]
    g, _ = one_use_of_a_chain("head", "h", 6, [*chain, ("Dense", "out", {"units": 3})])
    model = build_model(g)
    rng = np.random.default_rng(7)
    for layer in model.get_layer("h").layers:
        layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in layer.weights])
    graph_path = tmp_path / "legacy.graph.json"
    legacy = flat_arrays(graph_layers(g, model))
    assert list(legacy) == ["h"]  # the old layout: one entry for the whole use
    g.weights = write_sidecar(tmp_path / "legacy.weights.h5", legacy)
    save(g, graph_path)
    again = load(graph_path)
    rebuilt, report = build_with_weights(again, read_sidecar(again, graph_path))
    assert report.kept == ["h/dense", "h/norm", "h/out"]
    assert report.fresh == [] and report.unused == []
    sample_x = rng.standard_normal((4, 6)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(rebuilt(sample_x)),
        keras.ops.convert_to_numpy(model(sample_x)),
        rtol=1e-6,
    )
