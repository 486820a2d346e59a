"""A `.keras` file's config.json, read only after the file proved to be a `.keras` zip.

Keras 3 writes a `.keras` file as a zip archive of config.json (the model),
metadata.json, the weights (model.weights.h5, or model.weights.npz) and, for layers
with state files, entries under assets/ (keras/src/saving/saving_lib.py). Importing a
model's structure needs config.json alone, so nothing else in the archive is ever
read. Before it is, the file is checked as bytes, and refused naming the file when:

- its name does not end in `.keras` (Keras reads other suffixes as other formats,
  such as the legacy HDF5 `.h5`, which this check does not cover);
- it is not a zip archive (an HDF5 file renamed `.keras` is named as one);
- it has bytes before its first entry or after its end record: a polyglot, a file
  that other readers take for another format;
- it holds an entry Keras never writes, or an entry twice, or no config.json;
- config.json is encrypted, compressed in a way Keras never uses, or declares more
  than MAX_CONFIG_BYTES; it is read with a bounded read all the same, and one that
  holds more than it declares fails the zip's CRC check.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any

from graph import GraphFileError
from graph.jsontext import too_deep

#: Far more than a model config needs, and the size the nesting pre-check
#: (graph.jsontext) is measured on.
MAX_CONFIG_BYTES = 64 * 2**20

CONFIG = "config.json"
#: What Keras writes besides config.json, and the folder of its asset files.
_OTHER_ENTRIES = {"metadata.json", "model.weights.h5", "model.weights.npz"}
_ASSETS = "assets"

_LOCAL_HEADER = b"PK\x03\x04"
_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_HDF5 = b"\x89HDF"

_EXPECTED = "Expected a .keras file (a zip archive holding config.json)"


def read_config(path: Path) -> dict[str, Any]:
    """The parsed config.json of the `.keras` file at `path`, as plain data.

    Raises GraphFileError naming the file and what is wrong with it.
    """
    if path.suffix != ".keras":
        raise GraphFileError(
            path,
            "only .keras model files can be imported (Keras 3's zip format). "
            f"{_EXPECTED}. Received: {path.suffix or 'no suffix'!r}",
        )
    data = _config_bytes(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise GraphFileError(path, f"{CONFIG} is not UTF-8 text (byte {e.start})") from e
    reason = too_deep(text)
    if reason is not None:
        raise GraphFileError(path, f"{CONFIG} is not a model config: {reason}")
    try:
        config = json.loads(text)
    except ValueError as e:
        raise GraphFileError(path, f"{CONFIG} is not valid JSON: {e}") from e
    if not isinstance(config, dict):
        raise GraphFileError(path, f"{CONFIG} is not a model config. {_EXPECTED}")
    return config


def _config_bytes(path: Path) -> bytes:
    """The bytes of config.json, from a file checked to be a `.keras` zip."""
    try:
        with open(path, "rb") as f:
            _check_start(path, f.read(len(_LOCAL_HEADER)))
            f.seek(0)
            with zipfile.ZipFile(f) as archive:
                _check_end(path, f, archive)
                info = _config_entry(path, archive)
                with archive.open(info) as entry:
                    # zipfile stops at the declared size (then fails the CRC), so a
                    # zip bomb that declares little is refused too; the bound holds
                    # whatever the entry claims.
                    data = entry.read(MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise GraphFileError(path, "no such file") from None
    except IsADirectoryError:
        raise GraphFileError(path, f"a folder, not a file. {_EXPECTED}") from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise GraphFileError(path, f"not a Keras model file. {_EXPECTED}. Received: {e}") from e
    except OSError as e:
        raise GraphFileError(path, f"cannot be read: {e.strerror or e}") from e
    return data


def _check_start(path: Path, head: bytes) -> None:
    """Refuse a file that does not begin with a zip entry, naming what it is instead."""
    if head == _LOCAL_HEADER:
        return
    if head == _HDF5:
        what = "an HDF5 file (Keras's legacy .h5 format)"
    else:
        what = f"it does not begin with a zip entry (its first bytes are {head!r})"
    raise GraphFileError(path, f"not a Keras model file: {what}. {_EXPECTED}")


def _check_end(path: Path, f: IO[bytes], archive: zipfile.ZipFile) -> None:
    """Refuse a file with bytes after the archive's end record (and its comment)."""
    f.seek(-(_END_RECORD_SIZE + len(archive.comment)), 2)
    if f.read(len(_END_RECORD)) != _END_RECORD:
        raise GraphFileError(
            path,
            f"not a Keras model file: it has data after the end of its zip archive. {_EXPECTED}",
        )


def _config_entry(path: Path, archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The entry of config.json, in an archive holding only what Keras writes."""
    names = archive.namelist()
    foreign = [name for name in names if not _keras_entry(name)]
    if foreign:
        raise GraphFileError(
            path,
            "not a Keras model file: it holds entries a .keras file never does. Expected "
            f"{CONFIG}, {', '.join(sorted(_OTHER_ENTRIES))} and {_ASSETS}/. Received: "
            + ", ".join(repr(name) for name in foreign),
        )
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise GraphFileError(
            path, "not a Keras model file: it holds an entry twice: " + ", ".join(map(repr, twice))
        )
    if CONFIG not in names:
        raise GraphFileError(path, f"not a Keras model file: it holds no {CONFIG}. {_EXPECTED}")
    info = archive.getinfo(CONFIG)
    if info.flag_bits & 0x1:
        raise GraphFileError(path, f"{CONFIG} is encrypted. Expected a plain .keras file")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise GraphFileError(
            path,
            f"{CONFIG} is compressed with zip method {info.compress_type}. Expected stored "
            "or deflated, as Keras writes it",
        )
    if info.file_size > MAX_CONFIG_BYTES:
        raise GraphFileError(
            path,
            f"{CONFIG} declares {info.file_size:,} bytes, more than the "
            f"{MAX_CONFIG_BYTES // 2**20} MiB cap on a model config; refused unread",
        )
    return info


def _keras_entry(name: str) -> bool:
    """Whether Keras writes an entry of this name: config.json and the others, or the
    assets/ folder and what lies inside it (no empty, `.` or `..` part, no backslash)."""
    if name == CONFIG or name in _OTHER_ENTRIES:
        return True
    top, slash, rest = name.partition("/")
    parts = rest.removesuffix("/").split("/") if rest else []
    return (
        top == _ASSETS
        and slash == "/"
        and "\\" not in name
        and all(part not in ("", ".", "..") for part in parts)
    )
