"""graph/keras_names.py is what scripts/make_keras_names.py reads from the installed Keras."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_names_are_the_installed_keras_names():
    spec = importlib.util.spec_from_file_location(
        "make_keras_names", ROOT / "scripts" / "make_keras_names.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    committed = (ROOT / "graph" / "keras_names.py").read_text(encoding="utf-8")
    assert committed == script.render(), (
        "graph/keras_names.py is stale: run PYTHONPATH=. .venv/bin/python "
        "scripts/make_keras_names.py"
    )
