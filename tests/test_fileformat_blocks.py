"""Graph files with blocks (format version 2): round trips, older files, hostile files."""

from __future__ import annotations

import copy
import json

import pytest

from graph import GraphFileError, ModelGraph, dumps, loads, validate
from tests.blocks_graphs import siamese


def _doc() -> dict:
    return json.loads(dumps(siamese()[0]))


def test_blocks_round_trip_byte_for_byte_and_validate_alike():
    g, ids = siamese()
    text = dumps(g)
    doc = json.loads(text)
    assert doc["version"] == 2
    (block,) = doc["blocks"]
    assert block["name"] == "encoder"
    assert block["params"] == [{"name": "units", "kind": "int", "default": 8}]
    assert block["nodes"][1]["params"]["units"] == {"$param": "units"}
    use = next(n for n in doc["nodes"] if n["id"] == ids["enc"])
    assert use["block"] == "encoder" and use["params"] == {"units": 32} and "type" not in use
    assert {"from": ids["enc_again"], "output": 1, "to": ids["cat"], "port": "input_1"} in doc[
        "edges"
    ]
    again = loads(text)
    assert dumps(again) == text
    before, after = validate(g), validate(again)
    assert after.valid and after.nodes == before.nodes
    assert after.total_params == before.total_params


def test_a_graph_without_blocks_is_still_written_as_version_1():
    g = ModelGraph("plain")
    g.add_node("Input", name="x")
    text = dumps(g)
    assert json.loads(text)["version"] == 1 and '"blocks"' not in text
    assert dumps(loads(text)) == text


def _edited(edit) -> str:
    doc = copy.deepcopy(_doc())
    edit(doc)
    return json.dumps(doc)


def _use_of(doc: dict, block: str, name: str = "self_use") -> dict:
    return {"id": "n99", "block": block, "name": name, "params": {}, "pos": [0, 0]}


def _two_blocks(doc: dict) -> None:
    """a second block 'other' that uses encoder, and encoder made to use it."""
    doc["blocks"].append({"name": "other", "nodes": [_use_of(doc, "encoder", "e")]})
    doc["blocks"][0]["nodes"].append(_use_of(doc, "other"))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["blocks"][0]["nodes"].append(_use_of(d, "encoder")),
            "blocks[0].nodes[3].block: block 'encoder' cannot contain itself: encoder -> encoder",
        ),
        (
            _two_blocks,  # found where the second block closes the loop
            "blocks[1].nodes[0].block: block 'other' cannot contain itself: "
            "other -> encoder -> other",
        ),
        (
            lambda d: d["nodes"][3].update(block="decoder"),
            "nodes[3].block: no block named 'decoder'. Defined: encoder",
        ),
        (
            lambda d: d["nodes"].append(
                {"id": "n99", "type": "encoder", "name": "e", "params": {}}
            ),
            "nodes[7].type: 'encoder' is a block; a use of it says \"block\": 'encoder'",
        ),
        (
            lambda d: d["edges"][0].update(output=-1),
            "edges[0].output: must be an integer >= 0",
        ),
        (
            lambda d: d["blocks"][0]["nodes"][2]["params"].update(units={"$param": "width"}),
            "blocks[0].nodes[2].params.units: refers to parameter 'width', which block "
            "'encoder' does not declare",
        ),
        (
            lambda d: d["blocks"][0]["params"][0].update(kind="text"),
            "blocks[0].params[0]: block parameter 'units': unknown kind 'text'",
        ),
        (
            lambda d: d["blocks"].append({"name": "Dense", "nodes": []}),
            "blocks[1]: block name 'Dense' is a layer type",
        ),
        (
            lambda d: d["blocks"].append({"name": "encoder", "nodes": []}),
            "blocks[1]: a block named 'encoder' is already defined",
        ),
        (
            lambda d: d["blocks"][0].update(colour="red"),
            "blocks[0]: unknown field 'colour'",
        ),
    ],
)
def test_hostile_block_files_fail_naming_the_field(edit, message):
    with pytest.raises(GraphFileError) as info:
        loads(_edited(edit), "bad.graph.json")
    assert str(info.value).startswith(f"bad.graph.json: {message}")


def test_a_wrong_port_on_a_use_loads_and_validation_names_it():
    g, ids = siamese()
    doc = json.loads(dumps(g))
    edge = next(e for e in doc["edges"] if e["to"] == ids["enc"])
    edge["port"] = "y"
    report = validate(loads(json.dumps(doc)))
    messages = {p.code: p.message for p in report.errors if p.node == ids["enc"]}
    assert "encoder 'enc': has no input port 'y' (expected: x)" in messages["surplus-input"]
    assert "input port 'x' is not connected" in messages["missing-input"]


@pytest.mark.parametrize("order", ["innermost first", "outermost first"])
def test_a_file_nesting_blocks_thousands_deep_is_refused_naming_the_use(order):
    """A hostile file's chain of 3,000 blocks, each using the next, once listed from
    the innermost and once from the outermost: refused with a clear error at the use
    that goes past MAX_NESTING, never a RecursionError."""
    doc = _doc()
    inp = {"id": "x", "type": "Input", "name": "x", "params": {"shape": [16]}}
    chain = [
        {"name": f"b{i}", "nodes": [inp, _use_of(doc, f"b{i + 1}", f"u{i}")]} for i in range(2999)
    ]
    chain.append({"name": "b2999", "nodes": [inp]})
    doc["blocks"] = chain if order == "outermost first" else chain[::-1]
    doc["nodes"][3] = {"id": doc["nodes"][3]["id"], "block": "b0", "name": "top"}
    with pytest.raises(GraphFileError, match=r"blocks would nest 33 levels deep, more than the 32"):
        loads(json.dumps(doc))
