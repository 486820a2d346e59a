"""Hostile `.keras` files: each is refused by our own check, naming the file and what
is wrong, through the API and through `kgs import` (exit 1, no traceback); a model's
structure imports from config.json alone, its weights never read."""

import io
import zipfile
from pathlib import Path

import pytest

from codegen.importer import from_keras
from codegen.keras_archive import MAX_CONFIG_BYTES
from codegen.keras_env import import_keras
from graph import GraphFileError, dumps
from kgs.cli import main
from tests.zips import declaring

keras = import_keras()


def small_model():
    x = keras.Input((3,), name="x")
    return keras.Model(x, keras.layers.Dense(2, name="dense")(x), name="small")


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory) -> bytes:
    """A .keras file as Keras 3 writes it."""
    path = tmp_path_factory.mktemp("model") / "small.keras"
    small_model().save(path)
    return path.read_bytes()


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipped(files: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def bomb(model: bytes) -> bytes:
    return declaring(model, "config.json", MAX_CONFIG_BYTES + 1)


def lying_bomb(model: bytes) -> bytes:
    """A deflated config.json of 2 MiB declaring 100 bytes."""
    files = entries(model)
    files["config.json"] = files["config.json"] + b" " * 2**21
    return declaring(zipped(files, zipfile.ZIP_DEFLATED), "config.json", 100)


def hdf5(model: bytes) -> bytes:
    return b"\x89HDF\r\n\x1a\n" + bytes(200)


def prepended(model: bytes) -> bytes:
    return b"#!/bin/sh\necho polyglot\nexit 0\n" + model


def appended(model: bytes) -> bytes:
    return model + b"<html>polyglot</html>"


def no_config(model: bytes) -> bytes:
    files = entries(model)
    del files["config.json"]
    return zipped(files)


def foreign(model: bytes) -> bytes:
    return zipped({**entries(model), "payload.py": b"import os"})


def escaping_asset(model: bytes) -> bytes:
    return zipped({**entries(model), "assets/../../evil.txt": b"x"})


def config_twice(model: bytes) -> bytes:
    files = entries(model)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("config.json", b"{}")
    return out.getvalue()


HOSTILE = {
    "bomb.keras": (bomb, f"declares {MAX_CONFIG_BYTES + 1:,} bytes, more than the 64 MiB cap"),
    "lying_bomb.keras": (lying_bomb, "Bad CRC-32 for file 'config.json'"),
    "hdf5.keras": (hdf5, "not a Keras model file: an HDF5 file (Keras's legacy .h5 format)"),
    "prepended.keras": (prepended, "does not begin with a zip entry (its first bytes are b'#!/b'"),
    "appended.keras": (appended, "it has data after the end of its zip archive"),
    "no_config.keras": (no_config, "it holds no config.json"),
    "foreign.keras": (foreign, "entries a .keras file never does. Expected config.json, "),
    "escaping_asset.keras": (escaping_asset, "Received: 'assets/../../evil.txt'"),
    "config_twice.keras": (config_twice, "it holds an entry twice: 'config.json'"),
    "bzip2.keras": (
        lambda model: zipped(entries(model), zipfile.ZIP_BZIP2),
        "config.json is compressed with zip method 12. Expected stored or deflated",
    ),
    "model.h5": (lambda model: model, "only .keras model files can be imported"),
}


def write(tmp_path: Path, name: str, model: bytes) -> Path:
    make, _ = HOSTILE[name]
    path = tmp_path / name
    path.write_bytes(make(model))
    return path


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_is_refused_naming_it_and_what_is_wrong(tmp_path, model_bytes, name):
    path = write(tmp_path, name, model_bytes)
    with pytest.raises(GraphFileError) as refused:
        from_keras(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert HOSTILE[name][1] in str(refused.value)


@pytest.mark.parametrize("name", HOSTILE)
def test_kgs_import_refuses_a_hostile_file_with_one_message(tmp_path, model_bytes, name, capsys):
    path = write(tmp_path, name, model_bytes)
    out = tmp_path / "out.graph.json"
    assert main(["import", str(path), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: ") and HOSTILE[name][1] in err
    assert "Traceback" not in err
    assert not out.exists()


def test_what_keras_writes_is_accepted(model_bytes):
    assert sorted(entries(model_bytes)) == ["config.json", "metadata.json", "model.weights.h5"]


def test_a_deflated_file_with_an_assets_folder_imports(tmp_path, model_bytes):
    path = tmp_path / "rezipped.keras"
    files = {**entries(model_bytes), "assets/": b"", "assets/layer/vocabulary.txt": b"a\nb\n"}
    path.write_bytes(zipped(files, zipfile.ZIP_DEFLATED))
    assert dumps(from_keras(path)) == dumps(from_keras(small_model()))


def test_the_structure_imports_without_reading_the_weights(tmp_path, model_bytes):
    path = tmp_path / "garbage_weights.keras"
    path.write_bytes(zipped({**entries(model_bytes), "model.weights.h5": b"not hdf5 at all"}))
    with pytest.raises(Exception, match="not hdf5|signature|file"):
        keras.saving.load_model(path)  # Keras itself cannot load it
    assert dumps(from_keras(path)) == dumps(from_keras(small_model()))
