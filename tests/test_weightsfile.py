"""The weights sidecar: written keyed by layer name, recorded in the graph file with
its sha256, and read only once both files prove to agree (hash, layers, shapes,
storage), without allocating what a hostile file declares."""

from __future__ import annotations

import hashlib
import tracemalloc

import h5py
import numpy as np
import pytest

from graph import GraphFileError, load, save
from graph.weights import WeightsRecord
from graph.weightsfile import WeightsFileError, read_sidecar, sidecar_name, write_sidecar
from tests.graphs import chain


def graph_with_weights(tmp_path):
    """A saved Input -> Dense(3) -> Dense(2) graph whose sidecar holds random weights;
    returns (graph path, the weights by layer name)."""
    g = chain(("Dense", {"units": 3}), ("Dense", {"units": 2}), input_shape=(4,))
    rng = np.random.default_rng(0)
    weights = {
        "dense": [rng.standard_normal((4, 3)).astype("float32"), np.ones(3, "float32")],
        "dense_1": [rng.standard_normal((3, 2)).astype("float32"), np.zeros(2, "float32")],
    }
    path = tmp_path / "model.graph.json"
    g.weights = write_sidecar(tmp_path / sidecar_name(path), weights)
    save(g, path)
    return path, weights


def test_weights_round_trip_through_the_sidecar(tmp_path):
    path, weights = graph_with_weights(tmp_path)
    assert sidecar_name(path) == "model.weights.h5"
    g = load(path)
    assert g.weights.file == "model.weights.h5"
    assert g.weights.layers == {"dense": ((4, 3), (3,)), "dense_1": ((3, 2), (2,))}
    text = path.read_text()
    assert '"version": 3' in text and '"dense": [[4, 3], [3]]' in text
    saved = read_sidecar(g, path)
    assert saved.unread == {}
    for name, arrays in weights.items():
        for got, want in zip(saved.arrays[name], arrays, strict=True):
            np.testing.assert_array_equal(got, want)


def test_a_tampered_sidecar_is_refused_naming_it(tmp_path):
    path, _ = graph_with_weights(tmp_path)
    sidecar = tmp_path / "model.weights.h5"
    with h5py.File(sidecar, "r+") as f:
        f["layers/dense/1"][0] = 42.0  # same shapes, other values
    with pytest.raises(WeightsFileError, match=r"model\.weights\.h5: does not match") as e:
        read_sidecar(load(path), path)
    assert "refused" in str(e.value)


def test_a_missing_sidecar_is_named(tmp_path):
    path, _ = graph_with_weights(tmp_path)
    (tmp_path / "model.weights.h5").unlink()
    with pytest.raises(WeightsFileError, match=r"model\.weights\.h5: cannot read"):
        read_sidecar(load(path), path)


def rehashed(g, sidecar):
    """`g`'s record made to match `sidecar` as it is now (an attacker controls both)."""
    digest = hashlib.sha256(sidecar.read_bytes()).hexdigest()
    g.weights = WeightsRecord(g.weights.file, digest, g.weights.layers)
    return g


def test_a_dataset_whose_shape_differs_from_the_record_is_refused(tmp_path):
    path, _ = graph_with_weights(tmp_path)
    sidecar = tmp_path / "model.weights.h5"
    with h5py.File(sidecar, "r+") as f:
        del f["layers/dense/0"]
        f["layers/dense/0"] = np.zeros((5, 3), "float32")
    g = rehashed(load(path), sidecar)
    with pytest.raises(WeightsFileError, match=r"layers/dense/0: declares shape \[5, 3\]"):
        read_sidecar(g, path)


@pytest.mark.parametrize(
    ("storage", "refusal"),
    [
        ({"chunks": (1024, 1024), "compression": "gzip"}, "compressed or filtered"),
        ({"chunks": (1024, 1024)}, "more than the file holds"),
        ({}, "more than the file holds"),
    ],
)
def test_a_huge_declared_dataset_is_refused_without_allocating_it(tmp_path, storage, refusal):
    """A dataset of 2**40 float32s never written takes a few kilobytes on disk; the
    graph file records that shape too (both files hostile, hashes matching). Reading
    refuses it and allocates nothing of it."""
    path, _ = graph_with_weights(tmp_path)
    sidecar = tmp_path / "model.weights.h5"
    huge = (2**20, 2**20)
    with h5py.File(sidecar, "r+") as f:
        del f["layers/dense/0"]
        f.create_dataset("layers/dense/0", shape=huge, dtype="float32", **storage)
    g = load(path)
    layers = dict(g.weights.layers)
    layers["dense"] = (huge, (3,))
    g.weights = WeightsRecord(g.weights.file, g.weights.sha256, layers)
    g = rehashed(g, sidecar)
    tracemalloc.start()
    with pytest.raises(WeightsFileError, match=rf"model\.weights\.h5: .*{refusal}"):
        read_sidecar(g, path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**24


def test_a_layer_whose_size_changed_is_left_unread(tmp_path):
    path, weights = graph_with_weights(tmp_path)
    g = load(path)
    g.set_param(g.node_ids()[1], "units", 5)
    saved = read_sidecar(g, path)
    assert saved.arrays == {}  # dense has 4 x 5 + 5 weights now, dense_1 5 x 2 + 2
    assert saved.unread == {
        "dense": "saved with 15 weights, the graph infers 25 now",
        "dense_1": "saved with 8 weights, the graph infers 12 now",
    }


def test_links_and_external_storage_are_refused(tmp_path):
    path, _ = graph_with_weights(tmp_path)
    sidecar = tmp_path / "model.weights.h5"
    with h5py.File(sidecar, "r+") as f:
        del f["layers/dense/1"]
        f["layers/dense/1"] = h5py.ExternalLink("/etc/passwd", "/x")
    g = rehashed(load(path), sidecar)
    with pytest.raises(WeightsFileError, match=r"layers/dense/1: is a link \(ExternalLink\)"):
        read_sidecar(g, path)


def test_a_bad_record_in_the_graph_file_names_the_field(tmp_path):
    path, _ = graph_with_weights(tmp_path)
    text = path.read_text()
    for old, new, field in [
        ('"file": "model.weights.h5"', '"file": "../x.h5"', "weights.file"),
        ('"dense": [[4, 3], [3]]', '"dense": [[4, -3], [3]]', r"weights.layers.dense\[0\]"),
        ('"sha256": "', '"sha256": "zz', "weights.sha256"),
    ]:
        path.write_text(text.replace(old, new))
        with pytest.raises(GraphFileError, match=rf"model\.graph\.json: {field}"):
            load(path)
