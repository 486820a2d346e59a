"""`kgs plot` and studio.canvas.render: graph files drawn to PNG and SVG with no window."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from PySide6.QtGui import QColor, QImage

from graph import load, save
from kgs.cli import main
from kgs.plot import lay_out, needs_layout
from studio.canvas.render import MARGIN, picture_rect, render_image, render_png, render_svg
from studio.canvas.scene import GraphScene
from tests.graphs import chain
from tests.processes import python_output

TEMPLATES = Path(__file__).parents[1] / "resources" / "templates"
UNET = TEMPLATES / "small_unet.graph.json"


def distinct_colours(image: QImage, step: int = 4) -> set[int]:
    return {
        image.pixel(x, y)
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
    }


def test_png_of_a_template(qapp, tmp_path, capsys, artifacts):
    out = tmp_path / "unet.png"
    assert main(["plot", str(UNET), "-o", str(out)]) == 0
    assert f"drawn to {out}" in capsys.readouterr().out
    image = QImage(str(out))
    assert not image.isNull()
    scene = GraphScene(load(UNET))
    rect = picture_rect(scene)
    scene.detach()
    # Scale 2 by default: every node and edge label in, plus the margin.
    assert (image.width(), image.height()) == (round(rect.width() * 2), round(rect.height() * 2))
    assert 2000 < image.width() < 10_000 and 200 < image.height() < 2000
    assert len(distinct_colours(image)) > 20  # boxes, text, curves, not a blank page
    image.save(str(artifacts / "plot_small_unet.png"))


def test_svg_holds_every_layer_name_and_shape_as_text(qapp, tmp_path):
    out = tmp_path / "transformer.svg"
    path = TEMPLATES / "transformer_encoder.graph.json"
    assert main(["plot", str(path), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    root = ElementTree.fromstring(text)  # well-formed XML
    assert root.tag.endswith("svg")
    g = load(path)
    for node_id in g.node_ids():
        layer = g.layer(node_id)
        assert f">{layer.name}<" in text
        # The header: the type, then the params its face shows (Dense 64 · relu).
        assert re.search(rf">{re.escape(layer.type)}[ <]", text), layer.type
    for port in ("query", "value", "key"):
        assert f">{port}<" in text
    assert ">(None, 64, 32)<" in text  # an edge's shape label
    assert "<image" not in text  # vectors and text, no embedded bitmaps


def test_unplaced_graphs_are_laid_out_left_to_right(qapp, tmp_path):
    g = chain(("Dense", {"units": 4}), ("Dropout", {"rate": 0.1}), ("Dense", {"units": 2}))
    assert needs_layout(g)
    source = tmp_path / "handwritten.graph.json"
    save(g, source)
    out = tmp_path / "chain.png"
    assert main(["plot", str(source), "-o", str(out), "--scale", "1"]) == 0
    image = QImage(str(out))
    assert image.width() > 3 * image.height()  # four columns, one row

    tall = tmp_path / "tall.graph.json"  # placed top to bottom by hand
    for i, node_id in enumerate(g.node_ids()):
        g.move(node_id, (0.0, 200.0 * i))
    assert not needs_layout(g)
    save(g, tall)
    assert main(["plot", str(tall), "-o", str(out), "--scale", "1"]) == 0
    assert QImage(str(out)).height() > QImage(str(out)).width()
    assert main(["plot", str(tall), "-o", str(out), "--scale", "1", "--layout"]) == 0
    assert QImage(str(out)).width() > 3 * QImage(str(out)).height()


def test_a_file_with_a_cycle_is_laid_out_and_drawn(qapp, tmp_path, cyclic_graph):
    source = tmp_path / "cycle.graph.json"
    save(cyclic_graph, source)
    out = tmp_path / "cycle.png"
    assert main(["plot", str(source), "-o", str(out), "--scale", "1", "--layout"]) == 0
    image = QImage(str(out))
    assert image.width() > 2 * image.height()  # three columns: the loop's back edge ignored
    assert len(distinct_colours(image)) > 20
    g = load(source)
    lay_out(g)
    assert g.node("n1").pos[0] < g.node("n2").pos[0] < g.node("n3").pos[0]


def test_a_broken_file_exits_2_naming_it(tmp_path, capsys):
    broken = tmp_path / "broken.graph.json"
    broken.write_text('{"format": "keras-graph-studio.graph", "version": 1, "nodes": [1]}')
    out = tmp_path / "out.png"
    assert main(["plot", str(broken), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(broken) in err and "nodes[0]: must be an object" in err
    assert main(["plot", str(tmp_path / "missing.graph.json"), "-o", str(out)]) == 2
    assert "missing.graph.json" in capsys.readouterr().err
    assert not out.exists()


def test_bad_output_paths_exit_1(qapp, tmp_path, capsys):
    assert main(["plot", str(UNET), "-o", str(tmp_path / "unet.jpg")]) == 1
    assert "must end in .png or .svg" in capsys.readouterr().err
    for name in ("unet.png", "unet.svg"):
        target = tmp_path / "no_such_folder" / name
        assert main(["plot", str(UNET), "-o", str(target)]) == 1
        assert str(target) in capsys.readouterr().err


def test_runs_headless_without_display_or_keras(tmp_path):
    """No DISPLAY and no QT_QPA_PLATFORM: kgs picks offscreen; keras stays unloaded."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "cnn.png"
    code = (
        "import sys\n"
        "from kgs.cli import main\n"
        f"code = main(['plot', {str(TEMPLATES / 'small_cnn.graph.json')!r}, '-o', {str(out)!r},"
        " '--layout'])\n"
        "print(code, 'keras' in sys.modules)"
    )
    assert python_output(code, env={**env, "PYTHONPATH": str(Path(__file__).parents[1])}) == (
        "0 False"
    )
    assert not QImage(str(out)).isNull()


def test_rendering_a_scene_leaves_its_selection_and_caches_alone(qapp, tmp_path):
    g = load(TEMPLATES / "residual_block.graph.json")
    scene = GraphScene(g)
    try:
        plain = render_image(scene, scale=1.0)
        add = scene.node_item("add")
        add.setSelected(True)
        modes = [item.cacheMode() for item in scene.items()]
        selections = []
        record = lambda: selections.append(scene.selectedItems())  # noqa: E731
        scene.selectionChanged.connect(record)
        assert render_image(scene, scale=1.0) == plain  # no selection colour in it
        scene.selectionChanged.disconnect(record)
        assert add.isSelected() and selections == []
        assert [item.cacheMode() for item in scene.items()] == modes
        render_png(scene, tmp_path / "scene.png", scale=0.5)
        render_svg(scene, tmp_path / "scene.svg")
        small = QImage(str(tmp_path / "scene.png"))
        assert small.width() == round(picture_rect(scene).width() * 0.5)
        assert "<image" not in (tmp_path / "scene.svg").read_text(encoding="utf-8")
        corner = QColor(plain.pixel(int(MARGIN / 2), int(MARGIN / 2))).rgb()
        assert corner == scene.backgroundBrush().color().rgb()
    finally:
        scene.detach()


def test_offscreen_is_not_forced_when_a_platform_is_chosen(tmp_path):
    """A user's QT_QPA_PLATFORM wins over kgs's offscreen default."""
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env.update(QT_QPA_PLATFORM="minimal", PYTHONPATH=str(Path(__file__).parents[1]))
    out = tmp_path / "mlp.png"
    code = (
        "import os\n"
        "from kgs.cli import main\n"
        f"main(['plot', {str(TEMPLATES / 'mnist_mlp.graph.json')!r}, '-o', {str(out)!r}])\n"
        "from PySide6.QtGui import QGuiApplication\n"
        "print(QGuiApplication.platformName())"
    )
    assert python_output(code, env=env) == "minimal"
