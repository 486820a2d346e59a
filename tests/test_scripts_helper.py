"""tests/scripts.py loads a script of scripts/ as a module, or says which file is missing."""

import pytest

from tests.scripts import SCRIPTS, load_script


def test_a_script_is_loaded_as_a_module_without_running_its_main():
    script = load_script("make_keras_names")
    assert script.__name__ == "make_keras_names"
    assert callable(script.render)


def test_a_missing_script_is_named():
    with pytest.raises(FileNotFoundError, match=str(SCRIPTS / "no_such_script.py")):
        load_script("no_such_script")
