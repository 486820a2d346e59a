"""`kgs cost`: the table, the JSON for scripts, exit codes, and no heavy imports."""

import json

import pytest

from graph import load, save
from graph.cost import cost
from graph.training import TrainingSetup
from kgs.cli import main
from tests.graphs import chain
from tests.processes import python_output


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "good.graph.json"
    save(chain(("Dense", {"units": 4, "activation": "relu"}), ("Dense", {"units": 2})), good)
    bad = tmp_path / "bad.graph.json"
    bad.write_text(good.read_text().replace('"units": 4', '"units": 0'))
    broken = tmp_path / "broken.graph.json"
    broken.write_text("{not json")
    return good, bad, broken


def test_the_table_has_a_row_per_node_and_the_totals(files, capsys):
    good, _, _ = files
    assert main(["cost", str(good), "--batch", "8"]) == 0
    out = capsys.readouterr().out
    assert "Dense 'dense'" in out and "(8, 4)" in out and "Dense 'dense_1'" in out
    assert "Total params: 46" in out
    assert f"MACs: {8 * (8 * 4 + 4 * 2)} (FLOPs: {2 * 8 * (8 * 4 + 4 * 2)})" in out
    assert "Training step (adam):" in out


def test_json_has_exactly_the_documented_shape(files, capsys):
    good, _, _ = files
    assert main(["cost", str(good), "--batch", "8", "--optimizer", "sgd", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"batch", "total", "nodes"}
    assert data["batch"] == 8
    assert set(data["total"]) == {"params", "macs", "activation_bytes", "train_memory_bytes"}
    g = load(good)
    expected = cost(g, batch=8, optimizer="sgd")
    assert data["total"] == {
        "params": 46,
        "macs": 8 * (8 * 4 + 4 * 2),
        "activation_bytes": expected.activation_bytes,
        "train_memory_bytes": expected.train_memory_bytes,
    }
    assert list(data["nodes"]) == g.node_ids()
    dense = data["nodes"][g.node_ids()[1]]
    assert dense == {"params": 36, "macs": 8 * 8 * 4, "output_bytes": 8 * 4 * 4}
    assert all(isinstance(v, int) for node in data["nodes"].values() for v in node.values())


def test_the_optimizer_defaults_to_the_files_training_setup(tmp_path, capsys):
    g = chain(("Dense", {"units": 4}))
    g.training = TrainingSetup(optimizer="rmsprop")
    path = tmp_path / "m.graph.json"
    save(g, path)
    assert main(["cost", str(path)]) == 0
    assert "Training step (rmsprop):" in capsys.readouterr().out


def test_an_invalid_graph_names_the_file_and_node_and_exits_1(files, capsys):
    _, bad, broken = files
    assert main(["cost", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: Dense 'dense': units must be an integer >= 1" in err
    assert "Traceback" not in err
    assert main(["cost", str(broken)]) == 2
    assert f"{broken}: not valid JSON" in capsys.readouterr().err


def test_bad_options_exit_2_with_a_message(files, capsys):
    good, _, _ = files
    assert main(["cost", str(good), "--optimizer", "adamx"]) == 2
    assert "unknown optimizer 'adamx'" in capsys.readouterr().err
    assert main(["cost", str(good), "--batch", "0"]) == 2
    assert "--batch must be at least 1" in capsys.readouterr().err


def test_cost_imports_no_keras_torch_or_qt(files):
    good, _, _ = files
    code = (
        "import sys; from kgs.cli import main; "
        f"rc = main(['cost', {str(good)!r}, '--json']); "
        "heavy = [m for m in ('keras', 'torch', 'PySide6') if m in sys.modules]; "
        "print(heavy); sys.exit(rc)"
    )
    assert python_output(code) == "[]"


def test_a_budget_says_whether_the_step_fits_and_exits_1_when_it_does_not(files, capsys):
    good, _, _ = files
    g = load(good)
    needed = cost(g, batch=8).train_memory_bytes
    assert main(["cost", str(good), "--batch", "8", "--budget", str(needed)]) == 0
    out = capsys.readouterr().out
    assert "at batch 8 (adam): fits, a training step needs 1.1 KiB" in out
    assert "Heaviest: Dense 'dense' " in out
    assert "Largest batch that fits: 8\n" in out
    assert main(["cost", str(good), "--batch", "8", "--budget", str(needed - 1)]) == 1
    out = capsys.readouterr().out
    assert "does not fit" in out and "Largest batch that fits: 7\n" in out
    assert main(["cost", str(good), "--budget", "8 parsecs"]) == 2
    assert "--budget: not a byte count: '8 parsecs'" in capsys.readouterr().err


def test_the_files_budget_and_batch_size_apply_and_json_adds_the_check(tmp_path, capsys):
    g = chain(("Dense", {"units": 4}))
    g.training = TrainingSetup(batch_size=16, memory_budget=1 << 30)
    path = tmp_path / "m.graph.json"
    save(g, path)
    assert main(["cost", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["batch"] == 16
    expected = cost(g, batch=16)
    assert data["budget"] == {
        "bytes": 1 << 30,
        "needed": expected.train_memory_bytes,
        "fits": True,
        "heaviest": [
            {"node": node, "bytes": size}
            for node, size in sorted(expected.memory_by_node.items(), key=lambda i: -i[1])
        ],
        "largest_batch": (
            1
            + ((1 << 30) - cost(g, batch=1).train_memory_bytes)
            // (cost(g, batch=2).train_memory_bytes - cost(g, batch=1).train_memory_bytes)
        ),
    }
    assert main(["cost", str(path), "--budget", "1KiB"]) == 1
