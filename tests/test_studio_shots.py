"""scripts/studio_shots.py draws the studio at each stage of building the ticket model."""

from itertools import pairwise

from PySide6.QtGui import QImage

from tests.scripts import load_script


def test_every_stage_is_drawn_at_the_size_asked(qapp, tmp_path, capsys):
    script = load_script("studio_shots")
    assert script.main([str(tmp_path), "--size", "900x640", "--theme", "dark"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert [n.split("_dark_")[0] for n in names] == [
        "01_empty",
        "02_inputs",
        "03_half_model",
        "04_model_selected",
        "05_error",
        "06_quick_add",
        "07_training",
    ]
    assert all(n.endswith("_dark_900x640.png") for n in names)
    pictures = [QImage(str(tmp_path / n)) for n in names]
    assert {(p.width(), p.height()) for p in pictures} == {(900, 640)}
    # Each stage shows something different from the one before it.
    assert all(a != b for a, b in pairwise(pictures))
    assert "7 pictures" in capsys.readouterr().out


def test_the_partial_models_are_the_template_cut_after_its_first_nodes():
    import graph

    script = load_script("studio_shots")
    full = graph.load(script.TICKETS)
    inputs_only = script.first_nodes(graph.load(script.TICKETS), len(full.inputs))
    assert sorted(inputs_only.node_ids()) == sorted(full.inputs)
    half = script.first_nodes(graph.load(script.TICKETS), 4)
    assert len(half.node_ids()) == 4
    assert set(half.node_ids()) <= set(full.node_ids())
