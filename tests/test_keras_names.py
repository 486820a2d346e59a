"""graph/keras_names.py is what scripts/make_keras_names.py reads from the installed Keras."""

from pathlib import Path

from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_names_are_the_installed_keras_names():
    script = load_script("make_keras_names")
    committed = (ROOT / "graph" / "keras_names.py").read_text(encoding="utf-8")
    assert committed == script.render(), (
        "graph/keras_names.py is stale: run PYTHONPATH=. .venv/bin/python "
        "scripts/make_keras_names.py"
    )
