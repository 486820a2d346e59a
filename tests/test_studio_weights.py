"""The studio keeps a graph's weights: Save As copies the sidecar beside the new file
(the saved graph compiles with its weights), and training and exports start from them."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from codegen.keras_env import import_keras
from graph import load, save
from kgs.cli import main
from tests.test_scene import render

keras = import_keras()


def trained_model():
    x = keras.Input((6,), name="x")
    features = keras.layers.Dense(4, activation="tanh", name="features")(x)
    head = keras.layers.Dense(2, name="head")(features)
    model = keras.Model(x, head, name="trained")
    rng = np.random.default_rng(7)
    for layer in model.layers:
        layer.set_weights([rng.standard_normal(w.shape).astype("float32") for w in layer.weights])
    return model


SAMPLE = np.random.default_rng(1).standard_normal((5, 6)).astype("float32")


def outputs(model):
    return keras.ops.convert_to_numpy(model(SAMPLE, training=False))


@pytest.fixture
def imported(tmp_path, capsys):
    """(the trained model, the graph file `kgs import` wrote with its sidecar)."""
    model = trained_model()
    model.save(tmp_path / "trained.keras")
    graph_path = tmp_path / "trained.graph.json"
    assert main(["import", str(tmp_path / "trained.keras"), "-o", str(graph_path)]) == 0
    capsys.readouterr()
    return model, graph_path


def tamper(graph_path):
    """Change the sidecar beside `graph_path` after the graph file recorded it."""
    sidecar = graph_path.with_name("trained.weights.h5")
    sidecar.write_bytes(sidecar.read_bytes() + b"x")


def compiled_outputs(graph_path, out_dir, capsys):
    """The outputs of the .keras model `kgs compile` writes of `graph_path`, and what it
    printed."""
    assert main(["compile", str(graph_path), "--to", "keras", "-o", str(out_dir)]) == 0
    printed = capsys.readouterr().out
    (written,) = out_dir.glob("*.keras")
    return outputs(keras.saving.load_model(written)), printed


def test_save_as_into_another_folder_takes_the_weights_along(window, imported, tmp_path, capsys):
    model, graph_path = imported
    assert window.open_file(graph_path)
    (tmp_path / "elsewhere").mkdir()
    window.prompts.answers["save_path"] = tmp_path / "elsewhere" / "copy"
    assert window.save_as()
    saved = tmp_path / "elsewhere" / "copy.graph.json"
    assert window.document.path == saved and window.training.graph_file == saved
    assert load(saved).weights.file == "copy.weights.h5"
    assert (tmp_path / "elsewhere" / "copy.weights.h5").read_bytes() == (
        tmp_path / "trained.weights.h5"
    ).read_bytes()
    got, printed = compiled_outputs(saved, tmp_path / "out", capsys)
    assert "weights kept for 2 layers: features, head" in printed
    np.testing.assert_array_equal(got, outputs(model))


def test_save_as_refuses_a_sidecar_that_does_not_match_naming_it(window, imported, tmp_path):
    _, graph_path = imported
    assert window.open_file(graph_path)
    tamper(graph_path)
    window.prompts.answers["save_path"] = tmp_path / "other"
    assert not window.save_as()
    kind, message = window.prompts.asked[-1]
    assert kind == "error" and message.startswith("Cannot save: ")
    assert "trained.weights.h5" in message and "does not match" in message
    assert window.document.path == graph_path
    assert not (tmp_path / "other.graph.json").exists()
    assert not (tmp_path / "other.weights.h5").exists()


def wait_for_job(window, qtbot):
    [job] = window.jobs
    with qtbot.waitSignal(job.finished, timeout=120_000):
        pass


@pytest.mark.parametrize("target", ["keras", "onnx"])
def test_an_export_has_the_saved_weights_as_kgs_compile_does(
    window, imported, tmp_path, qtbot, capsys, target
):
    model, graph_path = imported
    assert window.open_file(graph_path)
    exported = tmp_path / f"exported.{target}"
    window.export(target, exported)
    wait_for_job(window, qtbot)
    message = window.statusBar().currentMessage()
    assert f"Wrote {exported.name}" in message, window.prompts.asked
    assert "weights kept for 2 layers: features, head" in message
    want, _ = compiled_outputs(graph_path, tmp_path / "out", capsys)
    if target == "keras":
        got = outputs(keras.saving.load_model(exported))
    else:
        import onnxruntime

        session = onnxruntime.InferenceSession(str(exported))
        (got,) = session.run(None, {session.get_inputs()[0].name: SAMPLE})
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(want, outputs(model), rtol=0, atol=0)


def test_an_export_refuses_a_sidecar_that_does_not_match(window, imported, tmp_path, qtbot):
    _, graph_path = imported
    assert window.open_file(graph_path)
    tamper(graph_path)
    window.export("keras", tmp_path / "exported.keras")
    wait_for_job(window, qtbot)
    kind, message = window.prompts.asked[-1]
    assert kind == "error" and message.startswith("Export failed: ")
    assert "trained.weights.h5" in message and "does not match" in message
    assert not (tmp_path / "exported.keras").exists()


def start_training(window, graph_path, tmp_path):
    """Open `graph_path` and start one epoch on random data from the training panel."""
    rng = np.random.default_rng(0)
    data = tmp_path / "data.npz"
    np.savez(data, x=rng.standard_normal((32, 6)), head=rng.standard_normal((32, 2)))
    assert window.open_file(graph_path)
    panel = window.training
    panel.form.ask_data_path = lambda title: data
    panel.form.data.browse_button.click()
    panel.form.epochs.setValue(1)
    panel.start_button.click()
    return panel


def frozen(graph_path):
    """Freeze every layer of the graph file: a run then changes no weight."""
    g = load(graph_path)
    for node in g.node_ids():
        if not g.is_input(node):
            g.set_trainable(node, False)
    save(g, graph_path)


def test_training_starts_from_the_saved_weights_and_says_which_it_kept(
    window, imported, tmp_path, qtbot, capsys
):
    _, graph_path = imported
    frozen(graph_path)
    panel = start_training(window, graph_path, tmp_path)
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)
    text = panel.message.toPlainText()
    assert not panel.message_is_error, text
    assert "weights kept for 2 layers: features, head" in text
    want, _ = compiled_outputs(graph_path, tmp_path / "out", capsys)
    np.testing.assert_array_equal(outputs(panel.result.model), want)


def test_training_refuses_a_sidecar_that_does_not_match(window, imported, tmp_path, qtbot):
    _, graph_path = imported
    tamper(graph_path)
    panel = start_training(window, graph_path, tmp_path)
    assert not panel.running and panel.message_is_error
    text = panel.message.toPlainText()
    assert text.startswith("Not trained: ") and "trained.weights.h5" in text
    assert "does not match" in text


def test_the_canvas_marks_the_layers_compiling_will_re_initialize(
    window, imported, tmp_path, capsys, artifacts
):
    _, graph_path = imported
    assert window.open_file(graph_path)
    g, scene = window.document.graph, window.scene
    ids = {g.layer(n).name: n for n in g.node_ids()}
    assert all("re-init" not in scene.node_item(n).badges() for n in g.node_ids())
    g.set_param(ids["features"], "units", 5)  # features and head change shape
    g.rename(ids["head"], "score")  # and head has no saved weights under its name
    extra = g.add_node("Dense", name="extra", params={"units": 2})
    g.connect(ids["features"], extra, "input")
    g.set_output(extra)
    loose = g.add_node("Dense", name="loose", params={"units": 2})  # no input: no count
    marked = {g.layer(n).name for n in g.node_ids() if "re-init" in scene.node_item(n).badges()}
    assert marked == {"features", "score", "extra"}
    assert "saved with 28 weights, 35 now" in scene.node_item(ids["features"]).toolTip()
    assert "re-init" in scene.node_item(ids["features"]).drawn_texts(1.0)
    assert render(scene, 2.0).save(str(artifacts / "canvas_reinit.png"))
    assert "no saved weights under its name" in scene.node_item(ids["head"]).toolTip()
    # What compiling reports (Keras itself) re-initializes: exactly the marked layers.
    g.remove_node(loose)
    window.prompts.answers["save_path"] = tmp_path / "edited"
    assert window.save_as()
    assert (
        main(
            [
                "compile",
                str(tmp_path / "edited.graph.json"),
                "--to",
                "keras",
                "-o",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    printed = capsys.readouterr()
    fresh = {line.split("'")[1] for line in printed.out.splitlines() if "re-initialized '" in line}
    assert fresh == marked, printed


def test_an_exported_training_script_starts_from_the_saved_weights(
    window, imported, tmp_path, qtbot
):
    from graph.weightsfile import read_sidecar

    _, graph_path = imported
    assert window.open_file(graph_path)
    script = tmp_path / "scripts" / "train.py"
    script.parent.mkdir()
    window.export("training:fit", script)
    wait_for_job(window, qtbot)
    assert f"Wrote {script.name}" in window.statusBar().currentMessage(), window.prompts.asked
    assert "WEIGHTS" in script.read_text()
    [written] = script.parent.glob("*_weights.h5")
    saved = read_sidecar(load(graph_path), graph_path)
    with h5py.File(written) as f:
        for name in ("features", "head"):
            arrays = [f["layers"][name][str(i)][()] for i in range(len(f["layers"][name]))]
            for got, want in zip(arrays, saved.arrays[name], strict=True):
                np.testing.assert_array_equal(got, want)


def sidecar_tensors(graph_path):
    """Each layer's tensors in the sidecar the graph file records (hash checked)."""
    from graph.weightsfile import read_sidecar

    return read_sidecar(load(graph_path), graph_path).arrays


def test_keep_trained_weights_writes_them_into_the_sidecar_and_the_graph_file(
    window, imported, tmp_path, qtbot, capsys
):
    _, graph_path = imported
    before = load(graph_path).weights.sha256
    panel = start_training(window, graph_path, tmp_path)
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)
    assert panel.keep_weights_button.isEnabled() and panel.keep_weights_button.isVisibleTo(panel)
    window.prompts.answers["confirm"] = True
    panel.keep_weights_button.click()
    kind, question = window.prompts.asked[-1]
    assert kind == "confirm" and "trained.weights.h5" in question
    assert "trained.graph.json" in question
    assert not panel.keep_weights_button.isEnabled()  # written in the background
    qtbot.waitUntil(lambda: panel.weights_kept and not panel._exports, timeout=30_000)
    saved = load(graph_path)
    assert saved.weights.sha256 != before
    assert window.document.graph.weights == saved.weights and not window.document.unsaved
    tensors = sidecar_tensors(graph_path)
    layers = {layer.name: layer for layer in panel.result.model.layers}
    for name in ("features", "head"):
        trained = [keras.ops.convert_to_numpy(w) for w in layers[name].weights]
        for got, want in zip(tensors[name], trained, strict=True):
            np.testing.assert_array_equal(got, want)
    got, _ = compiled_outputs(graph_path, tmp_path / "out", capsys)
    np.testing.assert_array_equal(got, outputs(panel.result.model))
    assert not panel.keep_weights_button.isEnabled()  # kept: once is enough


def test_trained_weights_kept_after_the_document_was_closed_go_into_its_file(
    window, imported, tmp_path, qtbot
):
    """Writing the weights runs in the background; a document closed meanwhile has
    its graph file updated with the new record, so that file and sidecar match."""
    from graph.weightsfile import read_sidecar

    _, graph_path = imported
    before = load(graph_path).weights.sha256
    panel = start_training(window, graph_path, tmp_path)
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)
    window.prompts.answers["confirm"] = True
    job = window.keep_trained_weights()
    window.prompts.answers["save_changes"] = "discard"  # the run's setup, not saved
    assert window.new_document()
    qtbot.waitUntil(lambda: load(graph_path).weights.sha256 != before, timeout=30_000)
    qtbot.waitUntil(job.isFinished)
    assert window.document.graph.weights is None
    saved = load(graph_path)
    assert read_sidecar(saved, graph_path).arrays  # the sidecar matches its record


def test_keeping_trained_weights_that_cannot_be_written_leaves_the_graph_as_it_was(
    window, imported, tmp_path, qtbot, monkeypatch
):
    from graph.weightsfile import WeightsFileError

    _, graph_path = imported
    before = graph_path.read_bytes()
    panel = start_training(window, graph_path, tmp_path)
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)

    def disk_full(*args):
        raise WeightsFileError(
            graph_path.with_name("trained.weights.h5"), "cannot write: disk full"
        )

    monkeypatch.setattr("studio.training.panel.save_model_weights", disk_full)
    window.prompts.answers["confirm"] = True
    panel.keep_weights_button.click()
    qtbot.waitUntil(lambda: window.prompts.asked[-1][0] == "error", timeout=30_000)
    assert (
        "disk full" in window.prompts.asked[-1][1]
        and "trained.weights.h5" in panel.message.toPlainText()
    )
    assert graph_path.read_bytes() == before and not panel.weights_kept
    qtbot.waitUntil(lambda: panel.keep_weights_button.isEnabled())  # can try again


def test_keep_trained_weights_declined_writes_nothing(window, imported, tmp_path, qtbot):
    _, graph_path = imported
    sidecar = graph_path.with_name("trained.weights.h5")
    before = (graph_path.read_bytes(), sidecar.read_bytes())
    panel = start_training(window, graph_path, tmp_path)
    qtbot.waitUntil(lambda: not panel.running, timeout=60_000)
    panel.keep_weights_button.click()  # the scripted answer is no
    assert window.prompts.asked[-1][0] == "confirm"
    assert (graph_path.read_bytes(), sidecar.read_bytes()) == before
    assert panel.keep_weights_button.isEnabled()


def test_keep_trained_weights_of_a_stopped_run_says_they_are_partly_trained(
    window, imported, tmp_path
):
    _, graph_path = imported
    assert window.open_file(graph_path)
    panel = window.training
    panel.result = type("Stopped", (), {"stopped": True, "batches": 3})()
    panel._trained_graph = window.document.graph
    question = panel.keep_weights_question(graph_path)
    assert "stopped after 3 batches" in question and "partly trained" in question


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_a_python_export_carries_the_weights_its_build_model_loads(
    window, imported, tmp_path, qtbot, style
):
    from tests.test_pysource import run_module

    model, graph_path = imported
    assert window.open_file(graph_path)
    folder = tmp_path / "exported"
    folder.mkdir()
    window.export(style, folder / "module.py")
    wait_for_job(window, qtbot)
    message = window.statusBar().currentMessage()
    assert "its weights in trained_weights.h5" in message, window.prompts.asked
    assert "weights kept for 2 layers: features, head" in message
    module = run_module((folder / "module.py").read_text(), folder)
    np.testing.assert_array_equal(outputs(module.build_model()), outputs(model))
    assert not np.allclose(outputs(module.build_model(weights=None)), outputs(model))
