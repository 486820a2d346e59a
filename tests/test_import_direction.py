"""graph never imports keras, torch or Qt; codegen never imports Qt."""

import pytest

from tests.processes import python_output


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("graph", ("keras", "torch", "PySide6")), ("codegen", ("PySide6",))],
)
def test_package_does_not_pull_in(package, forbidden):
    code = (
        f"import sys, pkgutil, importlib, {package}\n"
        f"for m in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
        "    importlib.import_module(m.name)\n"
        f"print([m for m in {forbidden!r} if m in sys.modules])"
    )
    assert python_output(code) == "[]"
