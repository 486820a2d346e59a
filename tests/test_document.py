"""Document: unsaved state follows the undo stack; saves are atomic; autosave copies
unsaved work aside, and a crashed process's copy is found and recovered."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import graph
from graph.fileformat import dumps
from studio.document.autosave import orphans
from studio.document.commands import AddNode, SetParams, push_checked
from studio.document.document import Document
from tests.crashes import leave_orphan, live_writer

TEMPLATE = Path(__file__).parent.parent / "resources" / "templates" / "mnist_mlp.graph.json"


@pytest.fixture
def doc(qapp, tmp_path):
    path = tmp_path / "mlp.graph.json"
    path.write_bytes(TEMPLATE.read_bytes())
    document = Document.open(path, autosave_folder=tmp_path / "autosave")
    yield document
    document.close()


def dense_id(g):
    return next(n for n in g.node_ids() if g.layer(n).type == "Dense")


def test_unsaved_follows_the_stack_and_undo_back_to_saved_clears_it(doc):
    assert not doc.unsaved and doc.title() == "mlp.graph.json"
    seen = []
    doc.state_changed.connect(lambda: seen.append(doc.title()))
    push_checked(doc.stack, SetParams.one(doc.graph, dense_id(doc.graph), "units", 7))
    assert doc.unsaved and doc.title() == "mlp.graph.json*"
    doc.stack.undo()
    assert not doc.unsaved
    assert seen == ["mlp.graph.json*", "mlp.graph.json"]


def test_save_as_writes_the_graph_and_marks_it_saved(doc, tmp_path):
    push_checked(doc.stack, AddNode(doc.graph, "Dropout", pos=(10.0, 20.0)))
    target = tmp_path / "copy.graph.json"
    doc.save(target)
    assert doc.path == target and not doc.unsaved
    assert dumps(graph.load(target)) == dumps(doc.graph)
    assert list(tmp_path.glob(".copy.graph.json.*")) == []  # the temp folder is gone


def test_a_failed_save_keeps_the_old_file_and_the_unsaved_flag(doc, monkeypatch):
    before = doc.path.read_bytes()
    push_checked(doc.stack, SetParams.one(doc.graph, dense_id(doc.graph), "units", 9))

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("graph.atomicfile.os.fsync", disk_full)
    with pytest.raises(graph.GraphFileError, match="mlp.graph.json.*No space"):
        doc.save()
    assert doc.path.read_bytes() == before and doc.unsaved
    assert [p.name for p in doc.path.parent.iterdir() if p.name.startswith(".")] == []


def test_untitled_document_needs_a_path(qapp):
    doc = Document(graph.ModelGraph())
    assert doc.title() == "Untitled"
    with pytest.raises(ValueError, match="needs a path"):
        doc.save()


def test_autosave_writes_only_unsaved_changes_and_save_removes_it(doc, tmp_path):
    folder = tmp_path / "autosave"
    assert not doc.autosave()  # nothing unsaved
    push_checked(doc.stack, SetParams.one(doc.graph, dense_id(doc.graph), "units", 5))
    assert doc.autosave()
    assert not doc.autosave()  # no change since the copy
    copies = list(folder.glob("*.graph.json"))
    assert len(copies) == 1 and dumps(graph.load(copies[0])) == dumps(doc.graph)
    # An undo then a different edit reaches the same stack index with new content.
    doc.stack.undo()
    push_checked(doc.stack, SetParams.one(doc.graph, dense_id(doc.graph), "units", 6))
    assert doc.autosave()
    assert dumps(graph.load(copies[0])) == dumps(doc.graph)
    assert orphans(folder) == []  # this process is alive: not a crash
    doc.save()
    assert list(folder.iterdir()) == []


def test_a_crashed_processs_autosave_is_recovered_as_unsaved_work(qapp, tmp_path):
    original = tmp_path / "mlp.graph.json"
    original.write_bytes(TEMPLATE.read_bytes())
    folder = tmp_path / "autosave"
    g = graph.load(original)
    g.set_param(next(n for n in g.node_ids() if g.layer(n).type == "Dense"), "units", 3)
    leave_orphan(folder, g, original)
    [left] = orphans(folder)
    assert left.original == original
    recovered = Document(left.load(), left.original, folder)
    recovered.mark_recovered()
    assert recovered.unsaved and recovered.title() == "mlp.graph.json*"
    units = {recovered.graph.layer(n).params.get("units") for n in recovered.graph.node_ids()}
    assert 3 in units
    left.discard()
    assert orphans(folder) == [] and list(folder.iterdir()) == []
    recovered.close()


def test_a_running_writer_is_told_from_a_dead_one_whose_pid_was_reused(tmp_path):
    """Alive means the writer itself still runs: a live process that happens to have
    the crashed one's pid (here: this test's own parent) does not hide the work."""
    folder = tmp_path / "autosave"
    g = graph.load(TEMPLATE)
    writer = live_writer(folder, g, None)
    try:
        assert orphans(folder) == []  # it is still running: not a crash
    finally:
        writer.communicate("crash\n")
    [left] = orphans(folder)
    assert dumps(left.load()) == dumps(g)
    record = json.loads(left.record_path.read_text())
    record["pid"] = os.getppid()  # what a studio before locks wrote, now a live pid
    left.record_path.write_text(json.dumps(record))
    assert [a.graph_path for a in orphans(folder)] == [left.graph_path]


def test_damaged_autosave_records_are_ignored(tmp_path):
    folder = tmp_path / "autosave"
    folder.mkdir()
    (folder / "1-abc.json").write_text("[" * 10_000)
    (folder / "2-abc.json").write_text('{"original": 5, "pid": 1, "saved_at": 0}')
    (folder / "3-abc.json").write_text('{"original": null, "pid": 99999999, "saved_at": 0}')
    assert orphans(folder) == []  # none has its graph file, or the record is malformed
