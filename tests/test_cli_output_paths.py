"""Where the kgs commands write: inside the folder asked for, whatever the graph's
name; and a clear error, not a traceback, when that folder cannot be written."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from graph.filenames import file_stem
from kgs.cli import main

ROOT = Path(__file__).parents[1]
MLP = ROOT / "resources" / "templates" / "mnist_mlp.graph.json"


def graph_named(tmp_path: Path, name: str) -> Path:
    """The MLP template's graph file, with its name set to `name`."""
    doc = json.loads(MLP.read_text(encoding="utf-8"))
    doc["name"] = name
    path = tmp_path / "crafted.graph.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("mlp", "mlp"),
        ("../../x", "x"),
        ("/abs/ESCAPED", "ESCAPED"),
        ("a\\b\\c", "c"),
        ("..", "model"),
        ("", "model"),
        ("/", "model"),
        ("...hidden", "hidden"),
        ("nul\x00byte", "nul_byte"),
        ("é" * 200, "é" * 60),
    ],
)
def test_file_stem_is_one_plain_file_name(name, stem):
    assert file_stem(name) == stem


@pytest.mark.parametrize("name", ["..\\..\\escaped", "C:\\ESCAPED", "..", "nul\x00byte"])
def test_compile_writes_inside_the_output_folder_whatever_the_graph_name(tmp_path, name, capsys):
    graph = graph_named(tmp_path, name)
    out = tmp_path / "deep" / "er" / "out"
    argv = ["compile", str(graph), "--to", "functional", "--to", "subclass", "-o", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    stem = file_stem(name)
    assert files_under(tmp_path) == {
        graph,
        out / f"{stem}_functional.py",
        out / f"{stem}_subclass.py",
    }


@pytest.mark.parametrize("name", ["../../escaped", "/abs/ESCAPED"])
def test_a_graph_name_keras_refuses_is_invalid_and_nothing_is_written(tmp_path, name, capsys):
    """A name with '/' is no Keras model name: compile stops at validation (exit 1),
    naming it, before any file is written."""
    graph = graph_named(tmp_path, name)
    out = tmp_path / "deep" / "out"
    assert main(["compile", str(graph), "--to", "functional", "-o", str(out)]) == 1
    assert f"the model name {name!r} cannot contain '/'" in capsys.readouterr().err
    assert files_under(tmp_path) == {graph}


def test_compile_names_the_keras_file_after_the_stem(tmp_path, capsys):
    graph = graph_named(tmp_path, "..")
    out = tmp_path / "out"
    assert main(["compile", str(graph), "--to", "keras", "-o", str(out)]) == 0
    assert files_under(out) == {out / "model.keras"}


def test_train_default_output_is_a_plain_file_in_the_working_folder(tmp_path, monkeypatch, capsys):
    graph = graph_named(tmp_path, "..")
    monkeypatch.chdir(tmp_path)
    assert main(["train", str(graph), "--epochs", "1", "--batch-size", "256"]) == 0
    assert capsys.readouterr().out == "wrote model.keras\n"
    assert files_under(tmp_path) == {graph, tmp_path / "model.keras"}


def test_training_script_default_output_is_a_plain_file_name(tmp_path):
    from codegen.training_script import to_training_script
    from graph import load

    g = load(graph_named(tmp_path, "C:\\ESCAPED"))
    assert '\nOUT = "ESCAPED.keras"\n' in to_training_script(g, None, "fit")


def compile_to(out: Path) -> int:
    return main(["compile", str(MLP), "--to", "functional", "-o", str(out)])


def test_compile_to_a_file_instead_of_a_folder_is_exit_2_naming_it(tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("not a folder")
    assert compile_to(out) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"kgs compile: cannot use {out} as the output folder: {out} is a file, not a folder\n"
    )
    assert out.read_text() == "not a folder"


def test_compile_beneath_a_file_is_exit_2_naming_the_file_in_the_way(tmp_path, capsys):
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder")
    out = blocker / "sub" / "dir"
    assert compile_to(out) == 2
    assert capsys.readouterr().err == (
        f"kgs compile: cannot use {out} as the output folder: {blocker} is a file, not a folder\n"
    )


@pytest.fixture
def locked(tmp_path):
    """A folder no one here can write in: read-only by its mode, or, for root (who
    writes in any folder), immutable (chattr +i); skipped where neither holds."""
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    immutable = os.geteuid() == 0 and _chattr("+i", folder)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("no way to make a folder read-only here")
        yield folder
    finally:
        if immutable:
            _chattr("-i", folder)


def _chattr(flag: str, path: Path) -> bool:
    """Whether `chattr flag path` succeeded."""
    try:
        return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0
    except OSError:
        return False


def test_compile_to_a_read_only_folder_is_exit_2_naming_it(locked, capsys):
    assert compile_to(locked) == 2
    assert capsys.readouterr().err == (
        f"kgs compile: cannot write in the output folder {locked}: permission denied\n"
    )
    assert list(locked.iterdir()) == []


def test_train_into_a_read_only_folder_stops_before_training(locked, capsys):
    out = locked / "m.keras"
    assert main(["train", str(MLP), "--epochs", "1", "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"kgs train: cannot write in the output folder {locked}: permission denied\n"
    )
    assert captured.out == "" and list(locked.iterdir()) == []


def test_train_checks_its_output_before_training(tmp_path, capsys):
    blocker = tmp_path / "taken"
    blocker.write_text("not a folder")
    out = blocker / "sub" / "m.keras"
    assert main(["train", str(MLP), "--epochs", "1", "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"kgs train: cannot use {out.parent} as the output folder: "
        f"{blocker} is a file, not a folder\n"
    )
    assert captured.out == ""


def test_train_to_a_folder_is_exit_2_naming_it(tmp_path, capsys):
    assert main(["train", str(MLP), "--epochs", "1", "-o", str(tmp_path)]) == 2
    assert (
        capsys.readouterr().err
        == f"kgs train: cannot write {tmp_path}: it is a folder, not a file\n"
    )


def test_train_creates_a_missing_output_folder(tmp_path, capsys):
    out = tmp_path / "new" / "m.keras"
    argv = ["train", str(MLP), "--epochs", "1", "--batch-size", "256", "-o", str(out)]
    assert main(argv) == 0
    assert out.is_file()
