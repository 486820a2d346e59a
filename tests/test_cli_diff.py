"""`kgs diff` and `kgs git-diff`: the report, the JSON, exit codes, unreadable files,
no heavy imports, and git showing the model diff through the driver in a real
repository."""

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from graph import dumps, load, loads, save
from graph.diff import diff
from kgs.cli import main
from tests.graphs import chain
from tests.processes import python_output

ROOT = Path(__file__).resolve().parents[1]


def mlp():
    return chain(("Dense", {"units": 4, "activation": "relu"}), ("Dense", {"units": 2}))


@pytest.fixture
def files(tmp_path):
    old = tmp_path / "old.graph.json"
    save(mlp(), old)
    moved = tmp_path / "moved.graph.json"
    g = load(old)
    g.move(g.node_ids()[1], (300.0, 120.0))
    save(g, moved)
    new = tmp_path / "new.graph.json"
    g = load(old)
    g.set_param(g.node_ids()[1], "units", 16)
    dropout = g.add_node("Dropout", params={"rate": 0.2}, node_id="drop")
    g.connect(g.node_ids()[2], dropout, "input")
    g.set_outputs([dropout])
    save(g, new)
    return old, moved, new


def test_the_report_names_each_change_and_the_cost(files, capsys):
    old, _, new = files
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"--- {old}\n+++ {new}\n")
    assert "Nodes: 1 added, 0 removed, 1 changed" in out
    assert "  + drop: Dropout 'dropout'" in out
    assert "  ~ n2: Dense 'dense'\n      units: 4 -> 16\n" in out
    assert "  + n3 -> drop.input" in out
    assert "Outputs: [n3] -> [drop]" in out
    old_params, new_params = 8 * 4 + 4 + 4 * 2 + 2, 8 * 16 + 16 + 16 * 2 + 2
    change = new_params - old_params
    assert f"  params: {old_params:,} -> {new_params:,} (+{change:,})" in out
    assert "  MACs: 40 -> 160 (+120)" in out
    assert "training step memory (adam):" in out


def test_positions_alone_exit_0(files, capsys):
    old, moved, _ = files
    assert old.read_text() != moved.read_text()
    assert main(["diff", str(old), str(moved)]) == 0
    assert "The models are the same (positions aside)." in capsys.readouterr().out


def test_json_is_graph_diffs_documented_shape(files, capsys):
    old, _, new = files
    assert main(["diff", str(old), str(new), "--json", "--batch", "4"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data == diff(load(old), load(new), batch=4).to_json()
    assert set(data) == {
        "same",
        "name",
        "nodes",
        "edges",
        "inputs",
        "outputs",
        "training",
        "weights",
        "blocks",
        "cost",
    }
    assert data["same"] is False
    assert data["nodes"]["changed"] == {"n2": {"params": {"units": {"old": 4, "new": 16}}}}
    assert data["cost"]["batch"] == 4 and data["cost"]["change"]["macs"] == 4 * 120


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"format": "something else", "version": 1, "nodes": []}', "format: must be"),
    ],
)
@pytest.mark.parametrize("side", [0, 1])
def test_an_unreadable_file_exits_2_naming_it(files, tmp_path, capsys, content, message, side):
    old, _, _ = files
    bad = tmp_path / "bad.graph.json"
    if content is not None:
        bad.write_bytes(content)
    args = [str(old), str(bad)] if side else [str(bad), str(old)]
    assert main(["diff", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"{bad}: ") and message in captured.err
    assert "Traceback" not in captured.err


def test_a_folder_and_a_bad_batch_exit_2(files, tmp_path, capsys):
    old, _, _ = files
    assert main(["diff", str(old), str(tmp_path)]) == 2
    assert f"{tmp_path}: cannot read" in capsys.readouterr().err
    assert main(["diff", str(old), str(old), "--batch", "0"]) == 2
    assert "--batch must be at least 1" in capsys.readouterr().err


def test_an_invalid_graph_still_compares_with_its_cost_unknown(files, tmp_path, capsys):
    old, _, _ = files
    bad = tmp_path / "invalid.graph.json"
    bad.write_text(old.read_text().replace('"units": 4', '"units": 0'))
    assert main(["diff", str(old), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "units: 4 -> 0" in out
    assert "  new: unknown (the graph is invalid)" in out
    assert "  params: 46 -> ?" in out


def test_diff_imports_no_keras_torch_or_qt(files):
    old, _, new = files
    code = (
        "import sys; from kgs.cli import main; "
        f"rc = main(['diff', {str(old)!r}, {str(new)!r}, '--json']); "
        "heavy = [m for m in ('keras', 'torch', 'PySide6') if m in sys.modules]; "
        "print(heavy); sys.exit(rc - 1)"
    )
    assert python_output(code) == "[]"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GIT_CONFIG_NOSYSTEM": "1"}
    env["HOME"] = str(repo)  # no user config: only what the test sets
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def repo(tmp_path):
    """A git repository whose *.graph.json files diff through `kgs git-diff`, set up as
    the README says (the driver run by this Python, as `kgs` is in a checkout)."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q")
    git(path, "config", "user.email", "t@example.com")
    git(path, "config", "user.name", "Test")
    git(path, "config", "diff.kgs.command", f"{shlex.quote(sys.executable)} -m kgs git-diff")
    (path / ".gitattributes").write_text("*.graph.json diff=kgs\n")
    save(mlp(), path / "model.graph.json")
    git(path, "add", ".")
    git(path, "commit", "-qm", "a model")
    return path


def test_git_diff_shows_the_model_diff_through_the_driver(repo):
    model = repo / "model.graph.json"
    g = load(model)
    g.set_param(g.node_ids()[1], "units", 32)
    g.move(g.node_ids()[0], (-40.0, 10.0))
    save(g, model)
    out = git(repo, "diff")
    assert out.startswith("diff --kgs a/model.graph.json b/model.graph.json\n")
    assert "  ~ n2: Dense 'dense'\n      units: 4 -> 32\n" in out
    assert "pos" not in out and '"units"' not in out  # the model diff, not the JSON lines
    assert "  params: 46 -> " in out
    git(repo, "commit", "-qam", "wider")
    assert "units: 4 -> 32" in git(repo, "log", "-p", "--ext-diff", "-1")


def test_git_diff_of_an_added_deleted_or_broken_file(repo):
    save(chain(("Dense", {"units": 3})), repo / "other.graph.json")
    git(repo, "add", "other.graph.json")
    out = git(repo, "diff", "--cached")
    assert "diff --kgs a/other.graph.json b/other.graph.json" in out
    assert "Nodes: 2 added, 0 removed, 0 changed" in out
    assert "  params: 0 -> 27 (+27)" in out  # no model before: nothing to pay for
    git(repo, "commit", "-qm", "other")
    (repo / "other.graph.json").unlink()
    (repo / "model.graph.json").write_text("{broken")
    out = git(repo, "diff")  # a broken side is reported, and git goes on to the next file
    assert "cannot compare: " in out and "not valid JSON" in out
    assert "Nodes: 0 added, 2 removed, 0 changed" in out


def test_git_diff_of_unchanged_models_says_so(repo):
    model = repo / "model.graph.json"
    text = model.read_text()
    moved = loads(text)
    moved.move(moved.node_ids()[1], (5.0, 5.0))
    model.write_text(dumps(moved))
    assert "The models are the same (positions aside)." in git(repo, "diff")


def test_git_diff_of_an_unmerged_path_says_so(capsys):
    # git passes the path alone while a merge conflict is unresolved
    assert main(["git-diff", "model.graph.json"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "diff --kgs a/model.graph.json b/model.graph.json",
        "unmerged: resolve the conflict, then compare",
    ]


def test_git_diff_of_a_renamed_and_changed_file(repo):
    git(repo, "mv", "model.graph.json", "renamed.graph.json")
    g = load(repo / "renamed.graph.json")
    g.set_param(g.node_ids()[2], "units", 3)
    save(g, repo / "renamed.graph.json")
    git(repo, "add", ".")
    out = git(repo, "diff", "--cached", "-M")  # git passes the new path and its rename lines
    assert out.startswith("diff --kgs a/model.graph.json b/renamed.graph.json\n")
    assert "rename from model.graph.json\nrename to renamed.graph.json\n" in out
    assert "  ~ n3: Dense 'dense_1'\n      units: 2 -> 3\n" in out
