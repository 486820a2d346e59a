"""`kgs compile`: every target, the same weights in .keras and ONNX, batch failures."""

from pathlib import Path

import numpy as np
import pytest

from codegen.keras_env import import_keras
from graph import load, save
from kgs.cli import main
from tests.graphs import chain
from tests.processes import python_output

ROOT = Path(__file__).parents[1]
MLP = ROOT / "resources" / "templates" / "mnist_mlp.graph.json"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    argv = ["compile", str(MLP), "--to", "keras", "--to", "onnx", "--to", "functional"]
    assert main([*argv, "--to", "subclass", "-o", str(out), "--seed", "3", "--check"]) == 0
    return out


def test_every_target_is_written(compiled):
    names = sorted(p.name for p in compiled.iterdir())
    assert names == [
        "mnist_mlp.keras",
        "mnist_mlp.onnx",
        "mnist_mlp_functional.py",
        "mnist_mlp_subclass.py",
    ]


def test_keras_and_onnx_files_hold_the_same_weights(compiled):
    import onnxruntime

    keras = import_keras()
    model = keras.models.load_model(compiled / "mnist_mlp.keras", safe_mode=True)
    x = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    session = onnxruntime.InferenceSession(str(compiled / "mnist_mlp.onnx"))
    [onnx_out] = session.run(None, {"digits": x})
    np.testing.assert_allclose(onnx_out, model.predict(x, verbose=0), atol=1e-5)


def test_seed_makes_weights_reproducible(compiled, tmp_path):
    keras = import_keras()
    assert main(["compile", str(MLP), "--to", "keras", "-o", str(tmp_path), "--seed", "3"]) == 0
    first = keras.models.load_model(compiled / "mnist_mlp.keras", safe_mode=True)
    again = keras.models.load_model(tmp_path / "mnist_mlp.keras", safe_mode=True)
    for a, b in zip(first.get_weights(), again.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_generated_source_runs(compiled):
    source = str(compiled / "mnist_mlp_subclass.py")
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('m', {source!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "print(m.build_model().count_params())"
    )
    assert python_output(code) == str(784 * 512 + 512 + 5130)


def test_batch_goes_on_past_failures_and_names_them(tmp_path, capsys):
    good = tmp_path / "good.graph.json"
    save(chain(("Dense", {"units": 2}), name="good"), good)
    invalid = tmp_path / "invalid.graph.json"
    save(chain(("Dense", {"units": 2}), name="invalid"), invalid)
    invalid.write_text(invalid.read_text().replace('"units": 2', '"units": 0'))
    clash = tmp_path / "clash.graph.json"
    save(chain(("Dense", {"units": 3}), name="good"), clash)
    out = tmp_path / "out"
    status = main(
        ["compile", str(tmp_path / "*.graph.json"), str(tmp_path / "missing.graph.json"),
         "--to", "functional", "-o", str(out)]
    )  # fmt: skip
    assert status == 1
    err = capsys.readouterr().err
    assert f"{invalid}: graph 'invalid' is not valid" in err
    assert "units must be an integer >= 1" in err
    assert f"{tmp_path / 'missing.graph.json'}: cannot read" in err
    assert "graph name 'good' gives the same file names as" in err
    assert sorted(p.name for p in out.iterdir()) == ["good_functional.py"]


def test_parallel_jobs_compile_each_file(tmp_path):
    files = []
    for i in range(3):
        path = tmp_path / f"m{i}.graph.json"
        save(chain(("Dense", {"units": i + 1}), name=f"m{i}"), path)
        files.append(str(path))
    out = tmp_path / "out"
    assert main(["compile", *files, "--to", "keras", "-o", str(out), "-j", "2"]) == 0
    keras = import_keras()
    for i in range(3):
        model = keras.models.load_model(out / f"m{i}.keras", safe_mode=True)
        assert model.count_params() == 8 * (i + 1) + (i + 1)
    assert load(files[0]).name == "m0"
