"""Copy and paste inside a block's body (issue 16): params that refer to the block's
parameters (`{"$param": "units"}`) keep their references where the graph pasted into
declares those parameters, and take the parameters' defaults elsewhere."""

from __future__ import annotations

from graph import validate
from graph.fileformat import dumps
from tests.blocks_graphs import siamese

IDS = siamese()[1]


def test_copy_and_paste_inside_a_body_keeps_the_parameter_references(window):
    g, _ = siamese()
    window.new_document(g)
    body = g.blocks.body("encoder")
    window.enter_use(IDS["enc"])
    assert window.scene.graph is body
    [dense] = [n for n in body.node_ids() if body.layer(n).name == "dense"]
    before = dumps(g)
    window.scene.select_nodes([dense])
    window.actions_["copy"].trigger()
    window.actions_["paste"].trigger()
    [pasted] = window.scene.selected_node_ids()
    assert pasted != dense and pasted in body
    assert dict(body.layer(pasted).params) == dict(body.layer(dense).params)
    assert body.layer(pasted).params["units"]["$param"] == "units"
    assert window.document.stack.count() == 1
    window.actions_["duplicate"].trigger()
    [duplicated] = window.scene.selected_node_ids()
    assert body.layer(duplicated).params["units"]["$param"] == "units"
    assert {p.code for p in validate(g).problems} <= {"missing-input", "unreachable"}  # loose
    window.actions_["undo"].trigger()
    window.actions_["undo"].trigger()
    assert dumps(g) == before

    window.leave_use()  # in the model, which declares no parameters: the default
    window.actions_["paste"].trigger()
    [top] = window.scene.selected_node_ids()
    assert top in g and g.layer(top).params["units"] == 8
    assert g.layer(top).params["activation"] == "relu"
