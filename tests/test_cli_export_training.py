"""`kgs export-training`: writes the script of a style, with the setup's data paths
rewritten for the script's folder and the bundled sample copied beside it; refuses bad
files and setups with exit 2."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import to_training_script
from codegen.training_script import setup_for_script
from graph import load, save
from graph.training import DataSource, EarlyStopping, TrainingSetup
from kgs.cli import main
from tests.graphs import chain

ROOT = Path(__file__).parents[1]
TICKETS = ROOT / "resources" / "templates" / "customer_tickets.graph.json"
MLP = ROOT / "resources" / "templates" / "mnist_mlp.graph.json"
DATA = ROOT / "resources" / "data"


def import_script(path: Path, monkeypatch):
    """The written script as a module (its main() is not run)."""
    spec = importlib.util.spec_from_file_location("exported_script", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look it up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("style", ["fit", "loop", "ddp"])
def test_writes_the_script_of_the_style(tmp_path, capsys, style):
    out = tmp_path / "train.py"
    assert main(["export-training", str(TICKETS), "--style", style, "-o", str(out)]) == 0
    captured = capsys.readouterr()
    # The template has no data in its setup: the bundled sample, as in kgs train, is
    # copied beside the script and named by its bare file name.
    assert captured.out == (f"wrote {out}\ncopied the bundled sample data tickets.npz beside it\n")
    assert captured.err == ""
    g = load(TICKETS)
    setup, sample = setup_for_script(g, TICKETS.parent, tmp_path)
    assert (setup.data, sample) == (DataSource("tickets.npz"), DATA / "tickets.npz")
    text = out.read_text()
    assert text == to_training_script(g, setup, style)
    assert str(ROOT) not in text
    assert (tmp_path / "tickets.npz").read_bytes() == (DATA / "tickets.npz").read_bytes()


def test_the_script_on_the_sample_runs_after_its_folder_is_moved(tmp_path, capsys):
    written, moved = tmp_path / "written", tmp_path / "elsewhere" / "moved"
    written.mkdir()
    assert main(["export-training", str(MLP), "--style", "fit", "-o", str(written / "t.py")]) == 0
    capsys.readouterr()
    moved.parent.mkdir()
    shutil.move(written, moved)
    assert sorted(p.name for p in moved.iterdir()) == ["digits_mlp.npz", "t.py"]
    argv = [sys.executable, str(moved / "t.py"), "--epochs", "1", "--out", "m.keras"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m.keras").is_file()


def test_a_different_file_with_the_sample_name_is_not_overwritten(tmp_path, capsys):
    (tmp_path / "tickets.npz").write_bytes(b"mine")
    out = tmp_path / "train.py"
    assert main(["export-training", str(TICKETS), "--style", "fit", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'tickets.npz'} exists and is not the bundled sample data" in err
    assert (tmp_path / "tickets.npz").read_bytes() == b"mine"
    assert not out.exists()


def test_relative_data_paths_follow_the_script(tmp_path, capsys, monkeypatch):
    """The setup's paths are relative to the graph file; the script's to its own folder."""
    graphs, scripts = tmp_path / "graphs", tmp_path / "scripts"
    graphs.mkdir()
    scripts.mkdir()
    g = load(TICKETS)
    g.training = TrainingSetup(data=DataSource("tickets.npz"), epochs=1)
    save(g, graphs / "tickets.graph.json")
    (graphs / "tickets.npz").write_bytes((DATA / "tickets.npz").read_bytes())
    out = scripts / "train.py"
    argv = ["export-training", str(graphs / "tickets.graph.json"), "--style", "fit"]
    assert main([*argv, "-o", str(out)]) == 0
    assert capsys.readouterr().err == ""
    text = out.read_text()
    assert '\nDATA = ["../graphs/tickets.npz"]\n' in text
    script = import_script(out, monkeypatch)
    data, validation = script.load_data(script.parse_arguments([]))
    assert (data.samples, validation.samples) == (819, 205)


def test_unreadable_graph_bad_setup_and_bad_style(tmp_path, capsys):
    out = tmp_path / "train.py"
    missing = tmp_path / "missing.graph.json"
    assert main(["export-training", str(missing), "--style", "fit", "-o", str(out)]) == 2
    assert str(missing) in capsys.readouterr().err
    g = chain(("Dense", {"units": 1}))
    g.training = TrainingSetup(callbacks=(EarlyStopping(monitor="accuracy"),))
    path = tmp_path / "bad.graph.json"
    save(g, path)
    assert main(["export-training", str(path), "--style", "loop", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: training setup of graph 'model' is not usable:\n")
    assert "monitor: 'accuracy' is not logged" in err
    assert not out.exists()
    with pytest.raises(SystemExit):
        main(["export-training", str(TICKETS), "--style", "jax", "-o", str(out)])
    assert "invalid choice: 'jax'" in capsys.readouterr().err


def test_onnx_asked_of_a_graph_that_cannot_go_to_onnx_gives_exit_2(tmp_path, capsys):
    g = chain(("LSTM", {"units": 4}), ("Dense", {"units": 1}), input_shape=(None, 3))
    g.training = TrainingSetup(data=DataSource("data.npz"), export_onnx=True)
    path = tmp_path / "lstm.graph.json"
    save(g, path)
    out = tmp_path / "train.py"
    assert main(["export-training", str(path), "--style", "fit", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: training setup of graph 'model' asks for an ONNX file")
    assert "training.export_onnx: LSTM 'lstm': runs over a free time axis" in err
    assert not out.exists()


def test_data_outside_the_graph_folder_is_written_but_not_read(tmp_path, capsys):
    """The script names the file's data as given (whoever runs it reads it there), but
    export-training does not read it to infer losses: the activations decide, and a
    note says so."""
    (tmp_path / "project").mkdir()
    g = load(TICKETS)
    g.training = TrainingSetup(data=DataSource("../tickets.npz"), epochs=1)
    save(g, tmp_path / "project" / "tickets.graph.json")
    (tmp_path / "tickets.npz").write_bytes((DATA / "tickets.npz").read_bytes())
    out = tmp_path / "project" / "train.py"
    argv = ["export-training", str(tmp_path / "project" / "tickets.graph.json")]
    assert main([*argv, "--style", "fit", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "note: training.data: '../tickets.npz' is outside the graph file's folder" in printed
    assert "the losses left unset follow the output activations" in printed
    text = out.read_text()
    assert '\nDATA = ["../tickets.npz"]\n' in text
    assert '"binary_crossentropy"' in text  # priority's sigmoid, not the data's mse
