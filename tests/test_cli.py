"""`kgs validate` and `kgs summary`: output, exit codes, and no heavy imports."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from graph import save
from kgs.cli import main
from tests.graphs import chain
from tests.processes import python_output


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "good.graph.json"
    save(chain(("Dense", {"units": 4}), ("Dense", {"units": 2})), good)
    bad = tmp_path / "bad.graph.json"
    text = good.read_text().replace('"units": 4', '"units": 0')
    bad.write_text(text)
    broken = tmp_path / "broken.graph.json"
    broken.write_text("{not json")
    return good, bad, broken


def test_validate_exit_codes(files, capsys):
    good, bad, broken = files
    assert main(["validate", str(good)]) == 0
    assert main(["validate", str(good), str(bad)]) == 1
    assert main(["validate", str(good), str(bad), str(broken)]) == 2
    out, err = capsys.readouterr()
    assert f"{bad}: Dense 'dense': units must be an integer >= 1. Received: units=0" in out
    assert f"{broken}: not valid JSON" in err


def test_validate_json(files, capsys):
    good, bad, broken = files
    assert main(["validate", "--json", str(good), str(bad), str(broken)]) == 2
    results = json.loads(capsys.readouterr().out)
    assert [r["valid"] for r in results] == [True, False, False]
    assert results[0]["total_params"] == 8 * 4 + 4 + 4 * 2 + 2
    assert results[1]["problems"][0]["param"] == "units"
    assert results[1]["problems"][0]["layer"] == "dense"
    assert results[2]["readable"] is False


def test_summary_table(files, capsys):
    good, bad, _ = files
    assert main(["summary", str(good)]) == 0
    out = capsys.readouterr().out
    assert "dense (Dense)" in out and "(None, 4)" in out and "Total params: 46" in out
    assert main(["summary", str(bad)]) == 1


def test_cli_imports_no_keras_torch_or_qt(files):
    good, _, _ = files
    code = (
        "import sys; from kgs.cli import main; "
        f"rc = main(['validate', {str(good)!r}]); main(['summary', {str(good)!r}]); "
        "heavy = [m for m in ('keras', 'torch', 'PySide6') if m in sys.modules]; "
        "print(heavy); sys.exit(rc)"
    )
    assert python_output(code) == "[]"


def test_the_installed_kgs_command_runs(files):
    good, _, _ = files
    kgs = Path(sys.executable).with_name("kgs")
    result = subprocess.run([str(kgs), "validate", str(good)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "valid (3 nodes" in result.stdout
