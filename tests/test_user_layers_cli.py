"""kgs import and kgs compile with the user's custom layers: refused (nothing run) until
--trust-code names the module, then every target imports it and computes as Keras."""

import importlib.util
import sys
import zipfile

import numpy as np

from codegen.trusted_code import Trust
from codegen.user_layers import trust_layers
from graph import load
from kgs.cli import main
from tests.user_modules import custom_layer_graph, plant_layers

KERAS_SCRIPT = """
import sys
sys.path.insert(0, {folder!r})
import keras
import numpy as np
import my_layers

keras.utils.set_random_seed(0)
inputs = keras.Input(shape=(3,))
x = keras.layers.Dense(64, activation="relu")(inputs)
x = my_layers.Scale(init=0.5)(x)
outputs = my_layers.Classifier(num_classes=10)(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.save({path!r})
np.save({expected!r}, keras.ops.convert_to_numpy(model(np.ones((2, 3), "float32"))))
"""


def _save_715(folder):
    """The book's 7.15 (a subclassed Classifier in a Functional model, with a custom
    Layer before it), saved by a separate Python, and its outputs on ones."""
    import subprocess

    path, expected = folder / "c715.keras", folder / "expected.npy"
    script = KERAS_SCRIPT.format(folder=str(folder), path=str(path), expected=str(expected))
    subprocess.run([sys.executable, "-c", script], check=True, env={"KERAS_BACKEND": "torch"})
    (folder / "my_layers.imported").unlink()
    return path, np.load(expected)


def test_import_with_custom_objects_needs_trust_then_rebuilds_the_same_outputs(tmp_path, capsys):
    from codegen.build import build_with_weights
    from graph.weightsfile import read_sidecar

    module = plant_layers(tmp_path)
    model_path, expected = _save_715(tmp_path)
    out = tmp_path / "g.graph.json"
    assert main(["import", str(model_path), "-o", str(out)]) == 1
    assert "a custom class from module 'my_layers'" in capsys.readouterr().err
    assert not (tmp_path / "my_layers.imported").exists() and not out.exists()

    assert main(["import", str(model_path), "-o", str(out), "--trust-code", str(module)]) == 0
    g = load(out)
    assert [g.layer(n).type for n in g.node_ids()][2:] == [
        "my_layers:Scale",
        "my_layers:Classifier",
    ]
    assert g.layer("classifier").params == {"num_classes": 10}
    assert [m.path for m in g.training.modules] == ["my_layers.py"]
    trust_layers(g, tmp_path, Trust.of_files([module]))
    model, _ = build_with_weights(g, read_sidecar(g, out))
    np.testing.assert_allclose(
        model.predict(np.ones((2, 3), "float32"), verbose=0), expected, rtol=1e-6
    )


def test_import_refuses_a_trusted_module_outside_the_graph_folder(tmp_path, capsys):
    module = plant_layers(tmp_path)
    model_path, _ = _save_715(tmp_path)
    out = tmp_path / "sub" / "g.graph.json"
    out.parent.mkdir()
    assert main(["import", str(model_path), "-o", str(out), "--trust-code", str(module)]) == 1
    assert "Expected a module inside that folder" in capsys.readouterr().err
    assert not (tmp_path / "my_layers.imported").exists()


def _load_source(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compile_needs_trust_and_every_target_imports_the_module(tmp_path, capsys, monkeypatch):
    import keras

    module = plant_layers(tmp_path)
    graph = custom_layer_graph(tmp_path)
    out = tmp_path / "out"
    targets = ["--to", "keras", "--to", "functional", "--to", "subclass", "--to", "onnx"]
    assert main(["compile", str(graph), *targets, "-o", str(out), "--seed", "1"]) == 1
    assert "layer 'scale': my_layers:Scale" in capsys.readouterr().err
    assert not (tmp_path / "my_layers.imported").exists()

    argv = ["compile", str(graph), *targets, "--check", "-o", str(out), "--seed", "1"]
    assert main([*argv, "--trust-code", str(module)]) == 0, capsys.readouterr().err
    assert (out / "my_layers.py").read_bytes() == module.read_bytes()
    assert "my_layers.py, sha256" in (out / "custom_functional.py").read_text()
    x = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    loaded_module = sys.modules[
        next(n for n in sys.modules if n.startswith("kgs_user_code.my_layers"))
    ]
    classes = {"Scale": loaded_module.Scale, "Classifier": loaded_module.Classifier}
    saved = keras.saving.load_model(out / "custom.keras", custom_objects=classes)
    expected = saved.predict(x, verbose=0)
    monkeypatch.syspath_prepend(str(out))
    for style in ("functional", "subclass"):
        built = _load_source(out / f"custom_{style}.py").build_model()
        built.set_weights(saved.get_weights())
        np.testing.assert_allclose(built.predict(x, verbose=0), expected, rtol=1e-6)
    assert zipfile.is_zipfile(out / "custom.keras") and (out / "custom.onnx").exists()
