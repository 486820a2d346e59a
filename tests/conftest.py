import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: The main window's fixtures (window, make_window, settings, tickets).
pytest_plugins = ["tests.windows"]


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread():
    """Once the studio collects garbage on the GUI thread only (studio/gc_guard.py), it
    does so when the event loop runs; a test without one leaves its garbage to here."""
    yield
    guard = sys.modules.get("studio.gc_guard")
    collector = guard.running_collector() if guard is not None else None
    if collector is not None:
        collector.collect_due()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where tests leave pictures to be looked at: $KGS_ARTIFACTS, else /tmp/kgs_artifacts."""
    folder = Path(os.environ.get("KGS_ARTIFACTS") or "/tmp/kgs_artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def cyclic_graph():
    """tests.graphs.residual(1) loaded from a file whose extra edge add -> dense closes a
    cycle (the editor refuses it; a file may hold it). Node ids: input n1, dense n2,
    add n3; the closing edge is n3 -> n2 on port "input_1"."""
    import json

    from graph.fileformat import dumps, loads
    from tests.graphs import residual

    data = json.loads(dumps(residual(1)))
    data["edges"].append({"from": "n3", "to": "n2", "port": "input_1"})
    return loads(json.dumps(data))
