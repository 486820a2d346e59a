"""`kgs import`: a .keras model becomes a graph file; code in a file is refused, not run."""

from pathlib import Path

from codegen.build import build_model
from codegen.keras_env import import_keras
from graph import load, validate
from kgs.cli import main

TEMPLATE = Path(__file__).parents[1] / "resources" / "templates" / "customer_tickets.graph.json"


def test_import_writes_a_graph_that_compiles_back_equal(tmp_path, capsys):
    model = build_model(load(TEMPLATE))
    model_path = tmp_path / "tickets.keras"
    model.save(model_path)
    out = tmp_path / "tickets.graph.json"
    assert main(["import", str(model_path), "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    g = load(out)
    report = validate(g)
    assert report.valid
    assert [g.layer(n).name for n in g.inputs] == ["title", "text_body", "tags"]
    assert [g.layer(n).name for n in g.outputs] == ["priority", "department"]
    assert build_model(g).count_params() == model.count_params()


def test_a_lambda_is_refused_with_its_name_and_never_runs(tmp_path, capsys):
    keras = import_keras()
    marker = tmp_path / "ran"
    inputs = keras.Input((3,), name="x")
    outputs = keras.layers.Lambda(
        lambda t, path=str(marker): (open(path, "w").close(), t)[1], name="sneaky"
    )(inputs)
    model_path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(model_path)
    marker.unlink()  # it ran while the model was built here
    out = tmp_path / "lambda.graph.json"
    assert main(["import", str(model_path), "-o", str(out)]) == 1
    assert "Lambda 'sneaky'" in capsys.readouterr().err
    assert not marker.exists()
    assert not out.exists()


def test_nested_models_import_as_blocks_unless_flattened(tmp_path):
    keras = import_keras()
    x = keras.Input((4,), name="x")
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d")], name="inner")
    model_path = tmp_path / "nested.keras"
    keras.Model(x, inner(x)).save(model_path)
    nested, flat = tmp_path / "nested.graph.json", tmp_path / "flat.graph.json"
    assert main(["import", str(model_path), "-o", str(nested)]) == 0
    assert main(["import", str(model_path), "-o", str(flat), "--flatten"]) == 0
    assert load(nested).blocks.names() == ["inner"]
    assert [load(flat).layer(n).name for n in load(flat).node_ids()] == ["x", "d"]


def test_group_by_names_groups_and_says_what_it_grouped(tmp_path, capsys):
    keras = import_keras()
    x = last = keras.Input((8,), name="x")
    for scope in ("b1", "b2", "b3"):
        last = keras.layers.Dense(8, name=f"{scope}_dense")(last)
        last = keras.layers.ReLU(name=f"{scope}_relu")(last)
    model_path = tmp_path / "scopes.keras"
    keras.Model(x, last).save(model_path)
    out = tmp_path / "scopes.graph.json"
    assert main(["import", str(model_path), "-o", str(out), "--group-by-names"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1] == f"{model_path}: 3 block uses of 1 definition holding 6 layers: b (3 uses)"
    g = load(out)
    assert [g.layer(n).name for n in g.node_ids()] == ["x", "b1", "b2", "b3"]
    assert validate(g).total_params == 3 * (8 * 8 + 8)
