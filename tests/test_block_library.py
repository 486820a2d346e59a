"""The user's block library (graph.block_library): a definition saved to a folder with
the definitions it needs, read back as data, and copied into another graph with name
clashes resolved."""

from __future__ import annotations

import json

import pytest

from graph import ModelGraph, validate
from graph.block_library import add_definition, read_library, save_to_library
from graph.errors import GraphFileError
from graph.fileformat import dumps, load
from tests.blocks_graphs import nested, siamese


def test_saved_block_keeps_its_nested_definitions_and_loads_as_data(tmp_path):
    path = save_to_library(nested()[0], "outer", tmp_path / "library")
    assert path == tmp_path / "library" / "outer.block.json"
    entry = load(path)
    assert entry.name == "outer" and entry.blocks.names() == ["encoder", "outer"]
    assert len(entry) == 0
    library = read_library(tmp_path / "library")
    assert library.blocks == {"outer": path} and library.problems == []


def test_a_file_that_is_no_block_file_is_named_and_left_out(tmp_path):
    save_to_library(nested()[0], "encoder", tmp_path)
    (tmp_path / "broken.block.json").write_text("{not json")
    plain = ModelGraph("plain")
    (tmp_path / "plain.block.json").write_text(dumps(plain))
    library = read_library(tmp_path)
    assert list(library.blocks) == ["encoder"]
    assert len(library.problems) == 2
    assert "broken.block.json" in library.problems[0] and "not valid JSON" in library.problems[0]
    assert "plain.block.json" in library.problems[1] and "no block 'plain'" in library.problems[1]
    assert read_library(tmp_path / "missing").blocks == {}


def test_added_definition_validates_as_in_its_graph(tmp_path):
    source = nested()[0]
    entry = load(save_to_library(source, "outer", tmp_path))
    g = ModelGraph("other")
    assert add_definition(g, entry, "outer") == "outer"
    assert g.blocks.names() == ["encoder", "outer"]
    x = g.add_node("Input", name="x", params={"shape": (16,)})
    use = g.add_node("outer", name="o")
    g.connect(x, use, "x")
    g.set_outputs([use])
    assert validate(g).total_params == validate(source).total_params
    assert dumps(g).replace('"other"', '"nested"') == dumps(source)


def test_same_definition_is_reused_and_a_different_one_renamed(tmp_path):
    entry = load(save_to_library(nested()[0], "outer", tmp_path))
    g, _ = siamese()  # its own 'encoder', the same as the entry's
    assert add_definition(g, entry, "outer") == "outer"
    assert g.blocks.names() == ["encoder", "outer"]

    other = ModelGraph("other")
    other.define_block("encoder").add_node("Input", name="x", params={"shape": (3,)})
    before = dumps(other)
    assert add_definition(other, entry, "outer") == "outer"
    assert other.blocks.names() == ["encoder", "encoder_1", "outer"]
    body = json.loads(dumps(other))["blocks"][0]
    assert body == json.loads(before)["blocks"][0]  # the graph's own left alone
    [inner] = [n for n in other.blocks.body("outer").node_ids() if n != "n1"]
    assert other.blocks.body("outer").layer(inner).type == "encoder_1"
    assert add_definition(other, entry, "outer") == "outer"  # the same again: no copy
    assert len(other.blocks) == 3


def test_unknown_definition_is_refused_naming_it():
    with pytest.raises(Exception, match="no block named 'nope'"):
        add_definition(ModelGraph(), nested()[0], "nope")


def test_an_unwritable_library_folder_names_it(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(GraphFileError, match="block library folder"):
        save_to_library(nested()[0], "outer", blocker / "sub")
