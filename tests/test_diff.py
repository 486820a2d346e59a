"""graph.diff on crafted pairs of graphs: what counts as a change and what does not,
each kind of change reported by node id with old -> new, blocks, training, cost, and
hostile files that still compare."""

import json

from hypothesis import given

from graph import GraphFileError, ModelGraph, dumps, loads
from graph.blocks import block_param
from graph.cost import cost
from graph.diff import ABSENT, Change, block_uses_changed, diff
from graph.diff_report import format_diff
from graph.training import EarlyStopping, OutputSetup, TrainingSetup
from tests.blocks_graphs import siamese
from tests.graphs import chain, shared_dense
from tests.test_fileformat import FUZZ, mutated_documents, shared_graph


def copy(g: ModelGraph) -> ModelGraph:
    return loads(dumps(g))


def mlp() -> ModelGraph:
    return chain(("Dense", {"units": 4, "activation": "relu"}), ("Dense", {"units": 2}))


def test_the_same_model_moved_about_is_the_same():
    g = mlp()
    moved = copy(g)
    for i, node_id in enumerate(moved.node_ids()):
        moved.move(node_id, (100.0 * i, -50.0))
    d = diff(g, moved)
    assert d.same
    assert d.to_json()["nodes"] == {"added": {}, "removed": {}, "changed": {}}
    assert d.cost_change("params") == 0


def test_a_param_written_at_its_default_equals_one_left_out():
    g = mlp()
    explicit = copy(g)
    dense = explicit.node_ids()[2]
    explicit.set_param(dense, "activation", None)  # Dense's default activation
    explicit.set_param(dense, "use_bias", True)
    assert "use_bias" in explicit.layer(dense).params
    assert diff(g, explicit).same


def test_each_changed_param_is_old_to_new_by_node_id():
    g = mlp()
    b = copy(g)
    first = g.node_ids()[1]
    b.set_params(first, {"units": 16, "activation": "gelu", "use_bias": False})
    d = diff(g, b)
    assert not d.same
    assert list(d.graph.changed) == [first]
    change = d.graph.changed[first]
    assert change.label == "Dense 'dense'"
    assert change.fields == {}
    assert change.params == {
        "activation": Change("relu", "gelu"),
        "units": Change(4, 16),
        "use_bias": Change(True, False),
    }
    assert d.to_json()["nodes"]["changed"] == {
        first: {
            "params": {
                "activation": {"old": "relu", "new": "gelu"},
                "units": {"old": 4, "new": 16},
                "use_bias": {"old": True, "new": False},
            }
        }
    }


def test_a_rename_and_a_type_change_are_fields_of_the_node():
    g = mlp()
    b = copy(g)
    first, second = g.node_ids()[1:]
    b.rename(first, "hidden")
    layer = b.layer(second)
    b.replace_layer(second, type(layer)("Dropout", layer.name, {"rate": 0.5}))
    d = diff(g, b)
    assert d.graph.changed[first].fields == {"name": Change("dense", "hidden")}
    assert d.graph.changed[first].params == {}
    changed = d.graph.changed[second]
    assert changed.fields == {"type": Change("Dense", "Dropout")}
    # after a type change the params are compared as written, not with two specs' defaults
    assert changed.params == {"units": Change(2, ABSENT), "rate": Change(ABSENT, 0.5)}
    assert d.to_json()["nodes"]["changed"][second]["params"]["units"] == {"old": 2, "new": None}


def test_added_and_removed_nodes_with_their_connections():
    g = mlp()
    b = copy(g)
    inp, first, second = g.node_ids()
    b.remove_node(second)
    drop = b.add_node("Dropout", params={"rate": 0.1}, node_id="drop")
    b.connect(first, drop, "input")
    b.set_output(drop)
    d = diff(g, b)
    assert {n: i.label for n, i in d.graph.added.items()} == {"drop": "Dropout 'dropout'"}
    assert {n: i.label for n, i in d.graph.removed.items()} == {second: "Dense 'dense_1'"}
    assert d.graph.changed == {}
    data = d.to_json()
    assert data["edges"] == {
        "added": [{"from": first, "output": 0, "to": "drop", "port": "input"}],
        "removed": [{"from": first, "output": 0, "to": second, "port": "input"}],
    }
    assert data["outputs"] == {"old": [second], "new": ["drop"]}
    assert data["nodes"]["added"]["drop"] == {"type": "Dropout", "name": "dropout", "shares": None}


def test_wiring_to_another_port_is_one_removed_one_added():
    g = shared_graph()  # left, right -> shared dense -> Subtract(input_0, input_1)
    b = copy(g)
    _, _, dense, again, merged = g.node_ids()
    b.disconnect(dense, merged, "input_0")
    b.disconnect(again, merged, "input_1")
    b.connect(dense, merged, "input_1")
    b.connect(again, merged, "input_0")
    d = diff(g, b)
    assert not d.same and d.graph.changed == {}
    added = {(e.src, e.port) for e in d.graph.edges_added}
    removed = {(e.src, e.port) for e in d.graph.edges_removed}
    assert added == {(dense, "input_1"), (again, "input_0")}
    assert removed == {(dense, "input_0"), (again, "input_1")}


def test_taking_another_output_of_a_block_use_is_a_wiring_change():
    g, ids = siamese()
    b = copy(g)
    b.disconnect(ids["enc_again"], ids["cat"], "input_1")
    b.connect(ids["enc_again"], ids["cat"], "input_1", output=0)
    d = diff(g, b)
    assert d.to_json()["edges"] == {
        "added": [{"from": ids["enc_again"], "output": 0, "to": ids["cat"], "port": "input_1"}],
        "removed": [{"from": ids["enc_again"], "output": 1, "to": ids["cat"], "port": "input_1"}],
    }
    assert d.blocks_changed == {} and d.graph.changed == {}


def test_a_call_site_that_stops_sharing_its_layer():
    g, (a, b_in, dense, again) = shared_dense()
    b = copy(g)
    b.remove_node(again)
    own = b.add_node("Dense", params={"units": 4}, node_id=again)
    b.connect(b_in, own, "input")
    b.set_outputs([dense, own])
    d = diff(g, b)
    assert list(d.graph.changed) == [again]
    assert d.graph.changed[again].fields == {
        "name": Change("dense", "dense_1"),
        "shares": Change(dense, None),
    }
    assert d.graph.added == {} and d.graph.removed == {}
    assert d.to_json()["nodes"]["changed"][again]["shares"] == {"old": dense, "new": None}
    assert d.cost_change("params") == 36  # a second Dense(8 -> 4) of its own


def test_a_shared_layers_param_change_shows_at_every_call_site():
    g, (_, _, dense, again) = shared_dense()
    b = copy(g)
    b.set_param(dense, "units", 6)
    d = diff(g, b)
    assert list(d.graph.changed) == [dense, again]
    assert d.graph.changed[again].label == "Dense 'dense' (call 2)"
    assert d.graph.changed[again].params == {"units": Change(4, 6)}


def test_outputs_and_inputs_order():
    g = shared_graph()
    left, right, dense, _, merged = g.node_ids()
    b = copy(g)
    b.set_outputs([dense, merged])
    assert diff(g, b).to_json()["outputs"] == {"old": [merged, dense], "new": [dense, merged]}
    # Keras takes the inputs in graph order: listing `right` first swaps the model inputs
    doc = json.loads(dumps(g))
    doc["nodes"][0], doc["nodes"][1] = doc["nodes"][1], doc["nodes"][0]
    swapped = loads(json.dumps(doc))
    d = diff(g, swapped)
    assert d.to_json()["inputs"] == {"old": [left, right], "new": [right, left]}
    assert not d.same


def test_the_model_name():
    g = mlp()
    b = copy(g)
    b.name = "classifier"
    d = diff(g, b)
    assert d.to_json()["name"] == {"old": "model", "new": "classifier"} and not d.same


def test_training_fields_by_path_and_no_setup_equals_the_default():
    g = mlp()
    b = copy(g)
    b.training = TrainingSetup()
    assert diff(g, b).same
    b.training = TrainingSetup(
        optimizer="sgd",
        outputs={"dense_1": OutputSetup(loss="mae")},
        callbacks=(EarlyStopping(patience=3),),
    )
    d = diff(g, b)
    assert d.to_json()["training"] == {
        "optimizer": {"old": "adam", "new": "sgd"},
        "outputs.dense_1.loss": {"old": None, "new": "mae"},
        "callbacks[0].type": {"old": None, "new": "EarlyStopping"},
        "callbacks[0].monitor": {"old": None, "new": "val_loss"},
        "callbacks[0].patience": {"old": None, "new": 3},
        "callbacks[0].min_delta": {"old": None, "new": 0.0},
        "callbacks[0].restore_best_weights": {"old": None, "new": False},
    }
    c = copy(b)
    c.training = TrainingSetup(
        optimizer="sgd",
        outputs={"dense_1": OutputSetup(loss="mae")},
        callbacks=(EarlyStopping(patience=5),),
    )
    assert diff(b, c).to_json()["training"] == {"callbacks[0].patience": {"old": 3, "new": 5}}


def test_the_cost_change_is_graph_costs_totals_with_each_sides_optimizer():
    g = mlp()
    b = copy(g)
    b.set_param(b.node_ids()[1], "units", 64)
    b.training = TrainingSetup(optimizer="sgd")
    d = diff(g, b, batch=8)
    old, new = cost(g, batch=8), cost(b, batch=8, optimizer="sgd")
    data = d.to_json()["cost"]
    assert data == {
        "batch": 8,
        "old": {
            "params": old.params,
            "macs": old.macs,
            "train_memory_bytes": old.train_memory_bytes,
            "optimizer": "adam",
            "problem": None,
        },
        "new": {
            "params": new.params,
            "macs": new.macs,
            "train_memory_bytes": new.train_memory_bytes,
            "optimizer": "sgd",
            "problem": None,
        },
        "change": {
            "params": new.params - old.params,
            "macs": new.macs - old.macs,
            "train_memory_bytes": new.train_memory_bytes - old.train_memory_bytes,
        },
    }
    assert new.params - old.params == (8 * 64 + 64 + 64 * 2 + 2) - 46


def test_the_params_change_is_keras_own_count():
    from codegen import build_model

    g, ids = siamese()  # shared block uses, a use with its own weights
    b = copy(g)
    b.set_param(ids["enc_c"], "units", 20)
    body = b.blocks.body("encoder")
    body.set_param(body.node_ids()[2], "units", 6)
    change = diff(g, b).cost_change("params")
    assert change == build_model(b).count_params() - build_model(g).count_params() != 0


def test_an_invalid_side_has_no_cost_and_says_why():
    g = mlp()
    bad = loads(dumps(g).replace('"units": 4', '"units": 0'))
    d = diff(g, bad)
    assert d.new_cost.problem == "the graph is invalid" and d.new_cost.params is None
    assert d.to_json()["cost"]["change"] == {
        "params": None,
        "macs": None,
        "train_memory_bytes": None,
    }
    assert d.graph.changed[g.node_ids()[1]].params == {"units": Change(4, 0)}


def test_blocks_added_removed_and_changed_with_their_bodies():
    g, ids = siamese()
    b = copy(g)
    body = b.blocks.body("encoder")
    dense = body.node_ids()[1]
    body.set_param(dense, "activation", "tanh")
    extra = b.define_block("head", [block_param("rate", "float", 0.5)])
    extra.add_node("Input", name="x", params={"shape": (4,)})
    d = diff(g, b)
    assert d.blocks_added == ["head"] and d.blocks_removed == []
    assert list(d.blocks_changed) == ["encoder"]
    encoder = d.blocks_changed["encoder"]
    assert encoder.params == {}
    assert encoder.body.changed[dense].params == {"activation": Change("relu", "tanh")}
    assert d.graph.same  # the uses themselves did not change, but their block did:
    uses = [ids["enc"], ids["enc_again"], ids["enc_c"]]
    assert encoder.uses == uses
    assert block_uses_changed(d) == dict.fromkeys(uses, "encoder")
    assert "  ~ block 'encoder' (used by " + ", ".join(uses) + ")" in format_diff(d)
    assert not d.same
    back = diff(b, g)
    assert back.blocks_removed == ["head"]


def test_a_block_parameters_default_and_kind():
    g, ids = siamese()
    doc = json.loads(dumps(g))
    doc["blocks"][0]["params"] = [{"name": "units", "kind": "int", "default": 16}]
    b = loads(json.dumps(doc))
    d = diff(g, b)
    assert d.to_json()["blocks"]["changed"]["encoder"] == {
        "params": {
            "units": {
                "old": {"kind": "int", "default": 8},
                "new": {"kind": "int", "default": 16},
            }
        },
        "body": diff(g.blocks.body("encoder"), b.blocks.body("encoder")).graph.to_json(),
        "uses": [ids["enc"], ids["enc_again"], ids["enc_c"]],
    }


def test_hostile_graphs_still_compare():
    # an unknown type, a cycle, two layers with one name, two sources on one port: all load
    text = dumps(mlp())
    doc = json.loads(text)
    doc["nodes"][1]["type"] = "NoSuchLayer"
    doc["nodes"][2]["name"] = doc["nodes"][1]["name"]
    inp, first, second = (node["id"] for node in doc["nodes"])
    doc["edges"].append({"from": second, "to": first, "port": "x"})
    doc["edges"].append({"from": inp, "to": second, "port": "input"})
    hostile = loads(json.dumps(doc))
    d = diff(loads(text), hostile)
    assert not d.same and d.new_cost.problem == "the graph is invalid"
    assert d.graph.changed[first].fields["type"] == Change("Dense", "NoSuchLayer")
    assert diff(hostile, hostile).same
    json.dumps(d.to_json())  # JSON-ready whatever the params hold


def test_deeply_nested_params_compare():
    nested = "[" * 90 + "1" + "]" * 90  # near the file format's limit (100)
    text = dumps(mlp())
    deep = loads(text.replace('"units": 4', f'"units": {nested}'))
    d = diff(loads(text), deep)
    [(name, change)] = d.graph.changed[deep.node_ids()[1]].params.items()
    assert name == "units" and change.old == 4
    json.dumps(d.to_json())


@FUZZ
@given(text=mutated_documents())
def test_fuzzed_documents_compare_or_fail_to_load(text):
    try:
        g = loads(text)
    except GraphFileError:
        return
    base = shared_graph()
    assert diff(g, g).same
    d = diff(base, g)
    json.dumps(d.to_json())
    if dumps(base) == dumps(g):
        assert d.same


def test_the_report_escapes_what_files_could_use_to_fake_lines():
    g = mlp()
    doc = json.loads(dumps(g))
    doc["nodes"][2]["id"] = "n3\n  - n1: Input 'input'\x1b[2J"
    doc["nodes"][2]["name"] = "out\rput"
    doc["edges"][1]["to"] = doc["outputs"][0] = doc["nodes"][2]["id"]
    report = format_diff(diff(g, loads(json.dumps(doc))))
    lines = report.splitlines()
    assert "  - n1: Input 'input'" not in lines
    assert "  + n3\\n  - n1: Input 'input'\\x1b[2J: Dense 'out\\rput'" in lines
    assert "\x1b" not in report and "\r" not in report


def test_weights_added_or_replaced_are_a_change():
    from graph.weights import WeightsRecord

    g = chain(("Dense", {"units": 4}))
    with_weights = loads(dumps(g))
    with_weights.weights = WeightsRecord("model.weights.h5", "ab" * 32, {"dense": ((8, 4), (4,))})
    d = diff(g, with_weights)
    assert not d.same
    assert d.to_json()["weights"] == {"old": None, "new": "ab" * 32}
    assert "\nWeights: (none) -> 'ababab" in "\n" + format_diff(d)
    retrained = loads(dumps(with_weights))
    retrained.weights = WeightsRecord("model.weights.h5", "cd" * 32, {"dense": ((8, 4), (4,))})
    assert diff(with_weights, retrained).to_json()["weights"]["new"] == "cd" * 32
    assert diff(with_weights, loads(dumps(with_weights))).same
    assert diff(g, g).to_json()["weights"] is None
