"""`kgs summary` of block uses: a row per use with its totals, and with --expand the
rows inside, level by level, held to the nested models Keras builds."""

from __future__ import annotations

import pytest

from codegen.build import build_model
from graph import save, validate
from graph.shapes import fmt
from graph.summary import summary_rows
from kgs.cli import main
from tests.blocks_graphs import siamese
from tests.test_pysource_blocks import nested

GRAPHS = {"siamese": lambda: siamese()[0], "nested": nested}


def _keras_rows(model, depth: int = 0) -> list[tuple[int, str, int]]:
    """(depth, name, params) of each layer, a nested model's own layers after it."""
    rows = []
    for layer in model.layers:
        rows.append((depth, layer.name, layer.count_params()))
        if hasattr(layer, "layers"):
            rows += _keras_rows(layer, depth + 1)
    return rows


def _parsed(rows) -> list[tuple[int, str, int]]:
    """(depth, name, params) of summary rows; repeated calls left out (Keras lists a
    layer once, however often it is called)."""
    parsed = []
    for name, _, count, _ in rows:
        if count == "shared":
            continue
        stripped = name.lstrip(" ")
        depth = (len(name) - len(stripped)) // 2
        parsed.append((depth, stripped.rsplit(" (", 1)[0], int(count.replace(",", ""))))
    return parsed


@pytest.mark.parametrize("graph", GRAPHS)
def test_expanded_rows_are_the_nested_models_keras_builds(graph):
    g = GRAPHS[graph]()
    model = build_model(g)
    rows = summary_rows(g, validate(g), expand=True)
    assert _parsed(rows) == _keras_rows(model)
    top = summary_rows(g, validate(g))
    assert _parsed(top) == [row for row in _keras_rows(model) if row[0] == 0]
    for name, shape, _, _ in top:
        layer = model.get_layer(name.split(" (")[0])
        if hasattr(layer, "layers"):  # a use: every output's shape, as Keras has them
            shapes = [fmt(tuple(t.shape)) for t in layer.outputs]
            assert shape == (shapes[0] if len(shapes) == 1 else "[" + ", ".join(shapes) + "]")


def test_kgs_summary_expands_uses_on_request(tmp_path, capsys):
    path = tmp_path / "siamese.graph.json"
    save(siamese()[0], path)
    assert main(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert "enc (encoder)           [(None, 4), (None, 32)]      676  a" in out
    assert "dense" not in out
    assert "enc[0], enc (call 2)[1], enc_c[0]" in out
    assert main(["summary", "--expand", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\n  dense (Dense)" in out and out.count("dense_1 (Dense)") == 2
    assert "Total params: 848" in out


def test_an_invalid_use_is_not_expanded():
    g, _ = siamese()
    g.blocks.body("encoder").add_node("Dense", name="loose", params={"units": 2})
    rows = summary_rows(g, validate(g), expand=True)
    assert [r[2] for r in rows if r[0].startswith("enc ")] == ["?", "?"]  # both calls
    assert not any(r[0].startswith(" ") for r in rows)
