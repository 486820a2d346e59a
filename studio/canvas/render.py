"""Drawing a graph's canvas picture to an image file, with no window.

`kgs plot` and the studio's "Export canvas as PNG/SVG" both come here: the picture
is the GraphScene itself (layer types and names, output shapes on the edges, the
validation colours), like Keras's `plot_model(show_shapes=True,
show_layer_names=True)`. Works under `QT_QPA_PLATFORM=offscreen`; a QApplication
is created if there is none.

The image shows the model, not the session: selection highlights are left out, and
node items are painted as vectors (their pixmap cache is switched off while
drawing), so an SVG holds real text and curves rather than embedded bitmaps.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QApplication, QGraphicsItem

from graph import GraphError, ModelGraph
from graph.atomicfile import atomic_path
from studio.canvas.scene import GraphScene

#: Space around the drawing, in scene units.
MARGIN = 24.0
#: The largest image side `render_png` writes, in pixels (a 1,500-node graph at
#: scale 2 would otherwise ask for gigabytes).
MAX_SIDE = 16_000


def ensure_app() -> QApplication:
    """The running QApplication, or a new one (scenes and fonts need it)."""
    app = QApplication.instance()
    return app if isinstance(app, QApplication) else QApplication([])


def picture_rect(scene: GraphScene) -> QRectF:
    """The part of the scene an image shows: every item plus a margin."""
    return scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


def render_image(scene: GraphScene, scale: float = 2.0) -> QImage:
    """The scene as an image, `scale` pixels per scene unit (capped at MAX_SIDE)."""
    rect = picture_rect(scene)
    scale = min(scale, MAX_SIDE / max(rect.width(), rect.height(), 1.0))
    size = QSize(max(1, round(rect.width() * scale)), max(1, round(rect.height() * scale)))
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(scene.backgroundBrush().color())
    with _as_document(scene):
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        scene.render(painter, QRectF(0, 0, size.width(), size.height()), rect)
        painter.end()
    return image


def render_png(
    source: GraphScene | ModelGraph, path: str | os.PathLike, scale: float = 2.0
) -> None:
    """Write `source` (a scene, or a graph drawn in a fresh scene) as a PNG at `path`."""
    with _scene_of(source) as scene:
        image = render_image(scene, scale)
    with _image_file(path) as tmp:
        if not image.save(str(tmp), "PNG"):
            raise OSError("the PNG writer failed")


def render_svg(source: GraphScene | ModelGraph, path: str | os.PathLike) -> None:
    """Write `source` (a scene, or a graph drawn in a fresh scene) as an SVG at `path`.

    Sizes are scene units (one unit a pixel); text stays text, so names are searchable.
    """
    with _scene_of(source) as scene, _image_file(path) as tmp:
        rect = picture_rect(scene)
        target = QRectF(0, 0, rect.width(), rect.height())
        generator = QSvgGenerator()
        generator.setFileName(str(tmp))
        generator.setSize(target.size().toSize())
        generator.setViewBox(target)
        generator.setTitle(scene.graph.name)
        generator.setDescription("Drawn by Keras Graph Studio")
        with _as_document(scene):
            painter = QPainter()
            if not painter.begin(generator):
                raise OSError("the SVG writer could not open the file")
            painter.fillRect(target, scene.backgroundBrush())
            scene.render(painter, target, rect)
            painter.end()


@contextmanager
def _image_file(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path that replaces `path` when the block succeeds (atomic, like
    every save); a failure becomes a GraphError naming the file."""
    try:
        with atomic_path(path) as tmp:
            yield tmp
    except OSError as e:
        raise GraphError(f"cannot write the image {str(path)!r}: {e.strerror or e}") from None


@contextmanager
def _scene_of(source: GraphScene | ModelGraph) -> Iterator[GraphScene]:
    """`source` if it is a scene, else a scene drawing the graph for the block's length."""
    if isinstance(source, GraphScene):
        source.flush_routes()  # edges moved since the last change, routed now
        yield source
        return
    ensure_app()
    scene = GraphScene(source)
    try:
        yield scene
    finally:
        scene.detach()


@contextmanager
def _as_document(scene: GraphScene) -> Iterator[None]:
    """Draw without selection and without item caches; both restored afterwards.

    The scene's signals are blocked meanwhile, so listeners (an inspector following
    the selection) never see the temporary change.
    """
    selected = scene.selectedItems()
    cached = [(item, item.cacheMode()) for item in scene.items()]
    blocked = scene.blockSignals(True)
    try:
        for item in selected:
            item.setSelected(False)
        for item, _ in cached:
            item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        yield
    finally:
        for item, mode in cached:
            item.setCacheMode(mode)
        for item in selected:
            item.setSelected(True)
        scene.blockSignals(blocked)
