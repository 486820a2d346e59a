"""`kgs plot`: draw a graph file to a PNG or SVG, headless, like Keras's plot_model.

Qt is imported only here (and keras never): without a display, the offscreen
platform is chosen before Qt starts, so the command runs on servers and in CI.
"""

from __future__ import annotations

import argparse
import os
import sys

from graph import GraphError, ModelGraph, load
from graph.expand import expanded
from kgs.exits import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE

#: Image formats by file suffix.
FORMATS = (".png", ".svg")


def needs_layout(g: ModelGraph) -> bool:
    """True when the file gives no usable positions: two or more nodes, all at one
    point (a hand-written or generated file that never saw the canvas)."""
    return len(g) > 1 and len({g.node(n).pos for n in g.node_ids()}) == 1


def lay_out(
    g: ModelGraph, direction: str = "LR", sizes: dict[str, tuple[float, float]] | None = None
) -> None:
    """Move every node to codegen's layered layout, reading `direction` ("LR", "TB")."""
    from codegen.layout import layered_layout

    for node_id, pos in layered_layout(g, direction, sizes).items():
        g.move(node_id, pos)


def run(args: argparse.Namespace) -> int:
    """Render args.file to args.out; exit 0 done, 1 bad output path, 2 unreadable file.

    An invalid graph is still drawn (its problems in red, as on the canvas): a picture
    of a broken graph is how one finds what is broken. Block uses are drawn as nodes;
    with args.expand, as the layers inside them (graph.expand), laid out afresh.
    `--direction` lays the graph out that way first (as `--layout` does, left to right).
    """
    suffix = os.path.splitext(args.out)[1].lower()
    if suffix not in FORMATS:
        print(
            f"kgs plot: the output must end in {' or '.join(FORMATS)}. Received: {args.out!r}",
            file=sys.stderr,
        )
        return EXIT_INVALID
    try:
        g = load(args.file)
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_UNREADABLE
    nested = expanded(g) if args.expand else None
    if nested is not None:  # the nested view: laid out afresh, bodies have their own positions
        g = nested.graph
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from studio.canvas.render import ensure_app, render_png, render_svg
    from studio.canvas.scene import GraphScene

    ensure_app()
    laying_out = nested is not None or bool(args.layout or args.direction or needs_layout(g))
    direction = (args.direction or "LR") if laying_out else None
    scene = GraphScene(g, direction=direction)
    try:
        if laying_out:
            lay_out(g, scene.direction, scene.node_sizes())
        if nested is not None:
            from kgs.nested_frames import add_frames

            add_frames(scene, nested)
        if suffix == ".svg":
            render_svg(scene, args.out)
        else:
            render_png(scene, args.out, scale=args.scale)
    except GraphError as e:
        print(e, file=sys.stderr)
        return EXIT_INVALID
    finally:
        scene.detach()
    print(f"{args.file}: drawn to {args.out}")
    return EXIT_OK
