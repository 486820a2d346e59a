"""Keras is imported with the torch backend unless the user chose another."""

import os

from codegen.keras_env import import_keras
from tests.processes import python_output


def test_backend_defaults_to_torch_on_a_fresh_machine(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env["KERAS_HOME"] = str(tmp_path)  # no keras.json yet, as on a new machine
    code = "from codegen.keras_env import import_keras; print(import_keras().backend.backend())"
    assert python_output(code, env) == "torch"


def test_a_backend_the_user_chose_is_left_alone(monkeypatch):
    import_keras()  # keras is imported once per process; a later call must not reset it
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    import_keras()
    assert os.environ["KERAS_BACKEND"] == "jax"
