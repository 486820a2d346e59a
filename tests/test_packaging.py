"""pyproject lists its packages by hand (resources/ ships as `kgs_resources`, which
`packages.find` cannot map), so a new subpackage left off the list would be missing
from the wheel while every checkout test still passes."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_of_the_checkout_is_listed_for_the_wheel():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("graph", "codegen", "studio", "kgs")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert set(setuptools["packages"]) == found | {"kgs_resources"}
    assert setuptools["package-dir"] == {"kgs_resources": "resources"}
