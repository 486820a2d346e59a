"""Installed as users install: a wheel built from this checkout, put in a fresh venv,
run from another folder. Found by path beside the source, the icons, templates and
sample data were missing there: `kgs studio` died on app.svg, the template menu
listed files that did not exist and `kgs train TEMPLATE` found no data.

The fresh venv borrows this venv's third-party packages through a .pth line (the
wheel is installed with --no-deps, offline). Site does not run .pth files found in a
folder a .pth line adds, so this venv's editable finder for the checkout stays off;
`studio.__file__` is checked to make sure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str | Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # not the checkout
    env |= {"QT_QPA_PLATFORM": "offscreen", "HOME": str(cwd), "XDG_DATA_HOME": str(cwd)}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin folder of a fresh venv holding only the wheel built from the checkout."""
    work = tmp_path_factory.mktemp("wheel")
    wheels = work / "dist"
    pip = (sys.executable, "-m", "pip")
    built = run(
        *pip,
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "-w",
        wheels,
        ROOT,
        cwd=work,
    )
    assert built.returncode == 0, built.stderr
    env = work / "venv"
    venv.create(env, with_pip=False)
    target = Path(sysconfig.get_path("purelib", vars={"base": env, "platbase": env}))
    (target / "main_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    python = env / "bin" / "python"
    (wheel,) = wheels.glob("*.whl")
    done = run(*pip, "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=work)
    assert done.returncode == 0, done.stderr
    where = run(python, "-c", "import studio; print(studio.__file__)", cwd=work)
    assert Path(where.stdout.strip()).is_relative_to(target), where.stdout + where.stderr
    return env / "bin"


def test_the_installed_studio_starts_and_lists_the_bundled_templates(
    installed, tmp_path, artifacts
):
    shot = tmp_path / "studio.png"
    done = run(installed / "kgs", "studio", "--screenshot", shot, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    image = QImage(str(shot))
    assert image.width() >= 800 and image.height() >= 500
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, 60, 3)}
    assert len(colours) > 10, "the menu and toolbar strip is blank"
    image.save(str(artifacts / "wheel_install_studio.png"))

    listed = run(
        installed / "python",
        "-c",
        "import json; from studio.templates import TEMPLATES as T;"
        "print(json.dumps([(str(t.path), t.path.is_file()) for t in T]))",
        cwd=tmp_path,
    )
    assert listed.returncode == 0, listed.stderr
    templates = [(Path(path), exists) for path, exists in json.loads(listed.stdout)]
    assert all(exists for _, exists in templates), templates
    assert all(path.is_relative_to(installed.parent) for path, _ in templates), templates
    bundled = sorted(p.name for p in (ROOT / "resources" / "templates").glob("*.graph.json"))
    assert sorted(path.name for path, _ in templates) == bundled


def test_the_installed_kgs_trains_a_template_on_its_bundled_data(installed, tmp_path):
    found = run(
        installed / "python",
        "-c",
        "from studio.templates import TEMPLATES; print(TEMPLATES[0].path)",
        cwd=tmp_path,
    )
    template = Path(found.stdout.strip())
    assert template.name == "mnist_mlp.graph.json", found.stderr
    done = run(installed / "kgs", "train", template, "--epochs", "1", cwd=tmp_path, timeout=180)
    assert done.returncode == 0, done.stderr
    said = done.stdout + done.stderr  # the note on the data goes to stderr
    assert f"{installed.parent}" in said and "digits_mlp.npz" in said, said
    assert (tmp_path / "mnist_mlp.keras").is_file()
