"""The graph file: round trips, clear errors for bad files, atomic saves, fuzzing."""

import json
import os
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph import GraphFileError, ModelGraph, dumps, load, loads, save, validate
from graph.fileformat import FORMAT
from tests.graphs import chain


def shared_graph() -> ModelGraph:
    g = ModelGraph("siamese")
    a = g.add_node("Input", name="left", params={"shape": [8]}, pos=(0, 0))
    b = g.add_node("Input", name="right", params={"shape": [8]}, pos=(0, 100))
    dense = g.add_node("Dense", params={"units": 4, "activation": "relu"}, pos=(200.5, 0))
    again = g.call_again(dense, pos=(200, 100))
    merged = g.add_node("Subtract", pos=(400, 50))
    g.connect(a, dense, "input")
    g.connect(b, again, "input")
    g.connect(dense, merged, "input_0")
    g.connect(again, merged, "input_1")
    g.set_output(merged)
    g.set_output(dense)
    return g


def test_round_trip_is_identical(tmp_path):
    g = shared_graph()
    path = tmp_path / "siamese.graph.json"
    save(g, path)
    loaded = load(path)
    assert dumps(loaded) == path.read_text() == dumps(g)
    assert loaded.outputs == g.outputs
    dense, again = loaded.node_ids()[2:4]
    assert loaded.layer(dense) is loaded.layer(again)
    assert validate(loaded).total_params == validate(g).total_params == 36


def test_file_is_readable_json_one_node_per_line():
    text = dumps(shared_graph())
    doc = json.loads(text)
    assert doc["format"] == FORMAT and doc["version"] == 1
    lines = text.splitlines()
    assert sum('"id":' in line for line in lines) == len(doc["nodes"])
    assert any('"shares": "n3"' in line for line in lines)


def test_file_with_problems_loads_so_it_can_be_fixed():
    text = dumps(chain(("Dense", {"units": 3})))
    text = text.replace('"units": 3', '"units": -3').replace('"Dense"', '"Denze"')
    g = loads(text)
    assert [p.code for p in validate(g).errors] == ["unknown-type"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(version=4), "version: format version 4 is newer"),
        (lambda d: d.update(format="other"), "format: must be 'keras-graph-studio.graph'"),
        (lambda d: d.pop("nodes"), "missing field 'nodes'"),
        (lambda d: d.update(extra=1), "unknown field 'extra'"),
        (lambda d: d["nodes"][1].update(params=[1]), "nodes[1].params: must be an object"),
        (lambda d: d["nodes"][1].update(pos=[1]), "nodes[1].pos: must be [x, y]"),
        (lambda d: d["nodes"][1].update(id="n1"), "nodes[1].id: duplicate node id 'n1'"),
        (lambda d: d["nodes"][1].update(name=7), "nodes[1].name: must be a non-empty string"),
        (lambda d: d["edges"][0].update(to="nowhere"), "edges[0].to: no node with id 'nowhere'"),
        (lambda d: d["edges"].append(d["edges"][0]), "edges[1]: duplicates an earlier edge"),
        (lambda d: d.update(outputs=["n2", "n2"]), "outputs[1]: node 'n2' is listed twice"),
        (
            lambda d: d["nodes"].append({"id": "s", "shares": "zz"}),
            "nodes[2].shares: must name an earlier node that defines a layer",
        ),
    ],
)
def test_bad_fields_are_named(mutate, expected):
    doc = json.loads(dumps(chain(("Dense", {"units": 3}))))
    mutate(doc)
    with pytest.raises(GraphFileError) as info:
        loads(json.dumps(doc), "model.graph.json")
    assert str(info.value).startswith("model.graph.json: ")
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "not valid JSON"),
        ("{", "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"format": 1e999}', "out of range"),
        ('{"format": NaN}', "NaN is not a number JSON allows"),
        ('{"version": ' + "9" * 10_000 + "}", "not valid JSON"),
        ("[]", "must be an object"),
    ],
)
def test_garbage_gives_a_graph_file_error(text, expected):
    with pytest.raises(GraphFileError, match=expected):
        loads(text)


def test_unreadable_files(tmp_path):
    with pytest.raises(GraphFileError, match="cannot read"):
        load(tmp_path / "missing.graph.json")
    binary = tmp_path / "binary.graph.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(GraphFileError, match="not UTF-8"):
        load(binary)


def test_loading_never_executes_code(tmp_path):
    marker = tmp_path / "pwned"
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    doc = json.loads(dumps(chain(("Dense", {"units": 3}))))
    doc["nodes"][1]["params"]["activation"] = payload
    doc["nodes"][1]["type"] = payload
    g = loads(json.dumps(doc))
    validate(g)
    assert not marker.exists()


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "model.graph.json"
    save(chain(("Dense", {"units": 3})), path)
    before = path.read_bytes()

    def crash(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(GraphFileError, match="No space left"):
        save(chain(("Dense", {"units": 99})), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.graph.json"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


def mutated_documents():
    base = json.loads(dumps(shared_graph()))

    @st.composite
    def mutate(draw):
        doc = json.loads(json.dumps(base))
        for _ in range(draw(st.integers(1, 4))):
            target = doc
            path = draw(st.lists(st.integers(0, 6), min_size=0, max_size=3))
            for step in path:
                if isinstance(target, dict) and target:
                    key = sorted(target)[step % len(target)]
                    if isinstance(target[key], (dict, list)):
                        target = target[key]
                elif isinstance(target, list) and target:
                    item = target[step % len(target)]
                    if isinstance(item, (dict, list)):
                        target = item
            value = draw(json_values)
            if isinstance(target, dict):
                key = draw(st.sampled_from(sorted(target) + ["zz"]))
                if draw(st.booleans()):
                    target.pop(key, None)
                else:
                    target[key] = value
            elif target:
                target[draw(st.integers(0, len(target) - 1))] = value
        return json.dumps(doc)

    return mutate()


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(text=mutated_documents())
def test_fuzzed_documents_load_or_fail_cleanly(text):
    try:
        g = loads(text)
    except GraphFileError:
        return
    report = validate(g)  # never raises on a loaded graph
    assert report.valid == (not report.errors)
    again = loads(dumps(g))  # what loads saves as it was, problems and all
    assert dumps(again) == dumps(g)
    assert validate(again).problems == report.problems


@FUZZ
@given(data=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_fuzzed_bytes_load_or_fail_cleanly(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "f.graph.json"
    path.write_bytes(data)
    try:
        g = load(path)
    except GraphFileError:
        return
    validate(g)


def test_deep_nesting_is_refused_even_with_a_raised_recursion_limit():
    # Deep Keras models need the limit raised; json's C recursion would then overflow
    # the C stack (a crash, not a RecursionError) unless nesting is checked first.
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)
    try:
        with pytest.raises(GraphFileError, match="nested too deeply"):
            loads("[" * 1_000_000 + "]" * 1_000_000)
    finally:
        sys.setrecursionlimit(old)


@pytest.mark.parametrize("depth", [50, 400, 950, 5000])
def test_deeply_nested_params_load_with_short_messages_or_fail_cleanly(depth):
    nested = "[" * depth + "1" + "]" * depth
    text = dumps(chain(("Dense", {"units": 3}))).replace('"units": 3', f'"units": {nested}')
    try:
        g = loads(text)
    except GraphFileError as e:
        assert "nested too deeply" in str(e)
        return
    [problem] = validate(g).errors
    assert problem.param == "units" and len(problem.message) < 200
    again = loads(dumps(g))
    assert dumps(again) == dumps(g) and validate(again).errors == [problem]
