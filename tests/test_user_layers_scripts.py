"""Training scripts of a graph with custom layers: written only with the module trusted,
they copy it beside them (their docstring says so) and import it by its hash; the ddp
script runs under torchrun (one CPU process, gloo) as the other ddp tests run it."""

import dataclasses

import numpy as np

from graph import load, save
from graph.training import DataSource
from kgs.cli import main
from tests.test_training_script_run import rank_weights, run_ddp
from tests.user_modules import custom_layer_graph, plant_layers


def _trainable_graph(folder):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    np.savez(folder / "data.npz", x=x, y=rng.integers(0, 3, size=(32, 1)))
    path = custom_layer_graph(folder)
    g = load(path)
    setup = dataclasses.replace(
        g.training, data=DataSource("data.npz"), epochs=2, batch_size=8, seed=1
    )
    g.training = setup.with_output("classifier", loss="sparse_categorical_crossentropy")
    save(g, path)
    return path


def test_ddp_script_with_custom_layers_trusts_copies_and_trains(tmp_path, capsys):
    module = plant_layers(tmp_path)
    path = _trainable_graph(tmp_path)
    out = tmp_path / "script"
    out.mkdir()
    argv = ["export-training", str(path), "--style", "ddp", "-o", str(out / "train.py")]
    assert main(argv) == 2
    assert "layer 'scale': my_layers:Scale" in capsys.readouterr().err
    assert not (out / "train.py").exists() and not (tmp_path / "my_layers.imported").exists()

    assert main([*argv, "--trust-code", str(module)]) == 0, capsys.readouterr().err
    text = (out / "train.py").read_text()
    assert "custom layers" in text.split('"""')[1]
    assert 'my_layers = user_module("my_layers")' in text
    assert (out / "my_layers.py").read_bytes() == module.read_bytes()
    run_ddp(out, 1)
    assert (out / "my_layers.imported").exists()  # the copy, imported by the script
    weights = rank_weights(out, 0)
    assert int(weights["epochs"]) == 2
    assert any(key.startswith("scale/") for key in weights)


def test_fit_script_refuses_a_changed_copy_of_the_module(tmp_path, capsys):
    import subprocess
    import sys

    module = plant_layers(tmp_path)
    path = _trainable_graph(tmp_path)
    out = tmp_path / "script"
    out.mkdir()
    argv = ["export-training", str(path), "--style", "fit", "-o", str(out / "train.py")]
    assert main([*argv, "--trust-code", str(module)]) == 0, capsys.readouterr().err
    copy = out / "my_layers.py"
    copy.write_text(copy.read_text() + "\n# changed\n")
    result = subprocess.run(
        [sys.executable, str(out / "train.py")], capture_output=True, text=True, timeout=300
    )
    assert result.returncode != 0 and "content changed" in result.stderr
    assert not (out / "my_layers.imported").exists()
