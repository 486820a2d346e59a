""".npy and .npz files whose header lies: refused from the header, before numpy
allocates anything, naming the file and key, through the data check, the studio's
data field and `kgs train` (exit 2, no traceback)."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from codegen.training import DataError, load_data
from codegen.training.targets import source_target_kinds
from graph import load
from graph.training import DataSource, resolve
from kgs.cli import main
from tests.zips import declaring

MLP = Path(__file__).parents[1] / "resources" / "templates" / "mnist_mlp.graph.json"

#: A header of 4 TB of float32 over a body of 16 bytes.
HUGE = (10**12,)
LIE = (
    "its header declares an array of shape (1000000000000,) and dtype float32 "
    "(4,000,000,000,000 bytes), but the file holds 16 bytes of data"
)


def npy_bytes(shape: tuple, descr: str = "<f4", body: bytes = bytes(16)) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        out, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    return out.getvalue() + body


def npz(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def problems(source: DataSource, base: Path) -> list[str]:
    g = load(MLP)
    with pytest.raises(DataError) as e:
        load_data(source, g, resolve(g), base=base)
    return e.value.problems


def test_an_npy_header_declaring_more_than_the_file_holds_is_refused(tmp_path):
    (tmp_path / "x.npy").write_bytes(npy_bytes(HUGE))
    np.save(tmp_path / "y.npy", np.zeros(1, np.int64))
    source = DataSource(arrays={"digits": "x.npy", "predictions": "y.npy"})
    assert problems(source, tmp_path) == [f"{tmp_path / 'x.npy'}: {LIE}"]


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_an_npz_member_declaring_more_than_it_holds_is_refused(tmp_path, method):
    path = npz(tmp_path / "d.npz", {"digits.npy": npy_bytes(HUGE), "predictions.npy": b""}, method)
    assert problems(DataSource(str(path)), tmp_path) == [f"{path}, key 'digits': {LIE}"]


def test_an_npz_member_declaring_more_than_deflate_can_expand_is_refused(tmp_path):
    header = npy_bytes((10**8,), body=b"")  # 400 MB of float32, from a few stored bytes
    path = npz(tmp_path / "d.npz", {"digits.npy": header}, zipfile.ZIP_DEFLATED)
    path.write_bytes(declaring(path.read_bytes(), "digits.npy", len(header) + 4 * 10**8))
    [problem] = problems(DataSource(str(path)), tmp_path)
    assert problem.startswith(f"{path}, key 'digits': its header declares an array of shape ")
    assert "(400,000,000 bytes), but the file holds " in problem


def test_an_npz_member_that_is_not_an_array_is_refused_unread(tmp_path):
    path = npz(tmp_path / "d.npz", {"digits": b"x" * 100})
    [problem] = problems(DataSource(str(path)), tmp_path)
    assert problem.startswith(f"{path}, key 'digits': not a numpy array file (")


def test_a_negative_dimension_is_refused(tmp_path):
    (tmp_path / "x.npy").write_bytes(npy_bytes((-4,)))
    source = DataSource(arrays={"digits": "x.npy", "predictions": "x.npy"})
    assert problems(source, tmp_path)[0].endswith("declares a negative dimension: shape (-4,)")


def test_object_arrays_are_refused_from_the_header(tmp_path, monkeypatch):
    np.save(tmp_path / "x.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "d.npz", digits=np.array([None], dtype=object), allow_pickle=True)

    def no_loading(*args, **kwargs):
        raise AssertionError("numpy was asked to load an object array")

    monkeypatch.setattr(np.lib.format, "read_array", no_loading)
    monkeypatch.setattr(np, "fromfile", no_loading)
    source = DataSource(arrays={"digits": "x.npy", "predictions": "x.npy"})
    objects = "holds Python objects, not numbers"
    assert problems(source, tmp_path)[0] == f"{tmp_path / 'x.npy'}: {objects}"
    assert problems(DataSource("d.npz"), tmp_path) == [
        f"{tmp_path / 'd.npz'}, key 'digits': {objects}"
    ]


def test_the_studio_data_field_shrugs_off_a_lying_header(tmp_path):
    (tmp_path / "x.npy").write_bytes(npy_bytes(HUGE))
    source = DataSource(arrays={"digits": "x.npy", "predictions": "x.npy"})
    assert source_target_kinds(source, load(MLP), tmp_path) == {}


@pytest.mark.parametrize("kind", ["npy", "npz"])
def test_kgs_train_refuses_a_lying_header_before_training(tmp_path, capsys, kind):
    if kind == "npy":
        (tmp_path / "x.npy").write_bytes(npy_bytes(HUGE))
        np.save(tmp_path / "y.npy", np.zeros(1, np.int64))
        data = ["--data", f"x={tmp_path / 'x.npy'}", "--data", f"y={tmp_path / 'y.npy'}"]
        named = f"{tmp_path / 'x.npy'}: {LIE}"
    else:
        path = npz(tmp_path / "d.npz", {"digits.npy": npy_bytes(HUGE)}, zipfile.ZIP_DEFLATED)
        data = ["--data", str(path)]
        named = f"{path}, key 'digits': {LIE}"
    out = tmp_path / "m.keras"
    assert main(["train", str(MLP), *data, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert named in err
    assert "Traceback" not in err and "epoch" not in err
    assert not out.exists()
