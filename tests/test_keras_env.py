"""Keras is imported with the torch backend unless the user chose another."""

import os
import subprocess
import sys

from codegen.keras_env import import_keras


def test_backend_defaults_to_torch_on_a_fresh_machine(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env["KERAS_HOME"] = str(tmp_path)  # no keras.json yet, as on a new machine
    code = "from codegen.keras_env import import_keras; print(import_keras().backend.backend())"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "torch"


def test_a_backend_the_user_chose_is_left_alone(monkeypatch):
    import_keras()  # keras is imported once per process; a later call must not reset it
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    import_keras()
    assert os.environ["KERAS_BACKEND"] == "jax"
