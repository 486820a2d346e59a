"""Custom layer nodes from the user's trusted modules: unchecked (and never run) until
trusted, then known to validation, build and every target with Keras as the oracle."""

import numpy as np
import pytest

from codegen.build import build_model
from codegen.trusted_code import Trust, UntrustedCodeError
from codegen.user_layers import trust_layers
from graph import load, validate
from tests.user_modules import custom_layer_graph, plant_layers


def _marked(folder, name="my_layers"):
    return (folder / f"{name}.imported").exists()


def test_untrusted_custom_layers_open_unchecked_and_nothing_runs(tmp_path):
    plant_layers(tmp_path)
    g = load(custom_layer_graph(tmp_path))
    report = validate(g)
    assert report.valid
    (warning,) = [p for p in report.warnings if p.code == "unchecked"]
    assert warning.node == "scale" and "'my_layers.py'" in warning.message
    assert "classifier" not in report.nodes  # downstream of an unchecked layer: unknown
    with pytest.raises(UntrustedCodeError, match="my_layers.py"):
        build_model(g)
    with pytest.raises(UntrustedCodeError, match="not trusted"):
        trust_layers(g, tmp_path, Trust())
    assert not _marked(tmp_path)


def test_trusting_one_file_trusts_no_other_nor_a_changed_copy(tmp_path):
    module = plant_layers(tmp_path)
    other = plant_layers(tmp_path, "other")
    g = load(custom_layer_graph(tmp_path))
    with pytest.raises(UntrustedCodeError):
        trust_layers(g, tmp_path, Trust.of_files([other]))
    trust = Trust.of_files([module])
    module.write_text(module.read_text() + "\n# changed\n")
    with pytest.raises(UntrustedCodeError, match="content changed"):
        trust_layers(g, tmp_path, trust)
    assert not _marked(tmp_path) and not _marked(tmp_path, "other")


def test_trusted_layers_infer_what_keras_builds(tmp_path):
    plant_layers(tmp_path)
    path = custom_layer_graph(tmp_path)
    g = load(path)
    specs = trust_layers(g, tmp_path, Trust.of_files([tmp_path / "my_layers.py"]))
    assert _marked(tmp_path)
    assert {s.type for s in specs} == {"my_layers:Scale", "my_layers:Classifier"}
    scale = next(s for s in specs if s.type == "my_layers:Scale")
    assert [p.name for p in scale.params] == ["init"] and scale.category == "Custom"
    report = validate(g)
    assert report.valid and not report.warnings
    model = build_model(g)
    for node in ("scale", "classifier"):
        layer = model.get_layer(node)
        assert report.nodes[node].shape == tuple(layer.output.shape)
        assert report.nodes[node].params == layer.count_params()
    assert report.nodes["classifier"].shape == (None, 3)
    x = np.ones((2, 4), "float32")
    dense = model.get_layer("dense")
    expected = model.get_layer("classifier")(dense(x) * 2.0)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected.detach(), rtol=1e-6)


def test_an_edit_elsewhere_builds_no_custom_layer_again(tmp_path, monkeypatch):
    plant_layers(tmp_path)
    g = load(custom_layer_graph(tmp_path))
    specs = trust_layers(g, tmp_path, Trust.of_files([tmp_path / "my_layers.py"]))
    validate(g)
    made = []
    for spec in specs:
        original = spec.new_layer
        monkeypatch.setattr(spec, "new_layer", lambda p, n, o=original: made.append(n) or o(p, n))
    g.set_param("dense", "activation", "relu")
    assert validate(g).valid
    assert made == []
