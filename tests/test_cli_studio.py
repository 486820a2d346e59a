"""`kgs studio`: the README's first command. It starts, opens the file, paints the
window, and quits cleanly; a file it cannot read is refused before any window."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).parent.parent
TEMPLATE = ROOT / "resources" / "templates" / "customer_tickets.graph.json"


def kgs(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path),  # settings and autosaves land in the test's folder
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "PYTHONFAULTHANDLER": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "kgs", "studio", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_studio_opens_a_template_paints_and_quits(tmp_path):
    shot = tmp_path / "studio.png"
    done = kgs(tmp_path, str(TEMPLATE), "--screenshot", str(shot))
    assert done.returncode == 0, done.stderr
    image = QImage(str(shot))
    assert image.width() >= 800 and image.height() >= 500
    # Nothing was left to recover: a clean exit removes the autosave.
    assert not list((tmp_path / "data").rglob("*.graph.json"))


def test_an_unreadable_file_is_refused_before_any_window(tmp_path):
    broken = tmp_path / "broken.graph.json"
    broken.write_text("{")
    done = kgs(tmp_path, str(broken))
    assert done.returncode == 2
    assert "broken.graph.json" in done.stderr
