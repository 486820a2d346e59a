"""What File > Export writes: a graph to .keras, ONNX (checked against Keras) or Python.

Each export is one function of a graph copy and a path that returns a line for the
status bar; the window runs it as a background Job. Canvas pictures (PNG/SVG) are
drawn on the GUI thread by studio/canvas/render.py instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codegen.build_weights import WeightsReport
from graph import ModelGraph
from graph.atomicfile import atomic_path
from graph.weightsfile import SavedWeights
from studio.graph_weights import saved_weights, weights_text


@dataclass(frozen=True)
class ExportTarget:
    """One export format: its menu text, file-dialog filter and file suffix."""

    title: str
    file_filter: str
    suffix: str


TARGETS = {
    "keras": ExportTarget("Keras model (.keras)", "Keras model (*.keras)", ".keras"),
    "onnx": ExportTarget("ONNX (checked against Keras)", "ONNX model (*.onnx)", ".onnx"),
    "functional": ExportTarget("Python, functional", "Python source (*.py)", ".py"),
    "subclass": ExportTarget("Python, keras.Model subclass", "Python source (*.py)", ".py"),
    "training:fit": ExportTarget("Training script, fit()", "Python source (*.py)", ".py"),
    "training:loop": ExportTarget("Training script, torch loop", "Python source (*.py)", ".py"),
    "training:ddp": ExportTarget("Training script, torchrun DDP", "Python source (*.py)", ".py"),
    "training:train_step": ExportTarget(
        "Training script, fit() with a custom train_step", "Python source (*.py)", ".py"
    ),
}


def with_suffix(path: Path, target: str) -> Path:
    """`path` ending in the target's suffix (a dialog may return it without)."""
    suffix = TARGETS[target].suffix
    return path if path.name.endswith(suffix) else path.with_name(path.name + suffix)


def export_graph(
    g: ModelGraph,
    path: Path,
    target: str,
    graph_file: Path | None = None,
    trusted: frozenset[tuple[Path, str]] = frozenset(),
) -> str:
    """Write `g` to `path` as `target`; return what was done, for the status bar.

    `graph_file`: the graph's file (None for an untitled graph). Its training setup's
    relative data paths start in its folder (else in the script's), and a .keras or
    ONNX export has the graph's saved weights from the sidecar beside it where shapes
    match (studio.graph_weights; the message says which layers kept them), and so does
    Python source: the built model's weights go beside the module, which loads them
    (as `kgs compile` writes them). Raises
    GraphError (invalid graph, a node ONNX cannot express, a parity mismatch, an
    unusable training setup, a sidecar that does not match, a user module of the
    setup not in `trusted`: (resolved path, sha256) pairs the user trusted) with a
    message naming the nodes, fields or file; the file is then not written. A training
    script starts from the graph's saved weights too (written beside it).
    """
    from codegen import export_onnx, save_keras
    from codegen.build import build_with_weights

    if target in ("functional", "subclass"):
        return _write_source(g, path, target, saved_weights(g, graph_file))
    if target.startswith("training:"):
        from codegen.training_script import write_training_script

        style = target.removeprefix("training:")
        from codegen.trusted_code import Trust

        folder = graph_file.parent if graph_file else path.parent
        saved = saved_weights(g, graph_file)
        sample = write_training_script(g, style, path, folder, Trust(trusted), weights=saved)
        copied = f"; copied the bundled sample data {sample.name} beside it" if sample else ""
        return f"Wrote {path.name}: {style} training script{copied}"
    model, weights = build_with_weights(g, saved_weights(g, graph_file))
    kept = _kept_note(g, weights)
    if target == "keras":
        save_keras(model, path)
        return f"Wrote {path.name}: Keras model, {model.count_params():,} params{kept}"
    if target == "onnx":
        with atomic_path(path) as tmp:
            report = export_onnx(model, g, tmp)
        worst = f"worst difference {report.worst:.1e}"
        return f"Wrote {path.name}: ONNX, matches Keras ({worst}){kept}"
    raise ValueError(f"unknown export target {target!r}; expected one of {', '.join(TARGETS)}")


def _write_source(g: ModelGraph, path: Path, style: str, saved: SavedWeights | None) -> str:
    """Write `g` as Python source of `style` at `path`; a graph with weights has the
    built model's written beside it, which the module's build_model() loads."""
    from codegen import to_python

    if saved is None:
        _write_text(path, to_python(g, style))
        return f"Wrote {path.name}: {style} Python source"
    from codegen.build import build_with_weights
    from codegen.build_weights import write_beside_module

    model, report = build_with_weights(g, saved)
    weights_file = write_beside_module(g, model, path.parent)
    _write_text(path, to_python(g, style, weights_file))
    kept = _kept_note(g, report)
    return f"Wrote {path.name}: {style} Python source, its weights in {weights_file}{kept}"


def _kept_note(g: ModelGraph, report: WeightsReport) -> str:
    """The weights report for the status bar: its lines joined into one, each after '; '."""
    return "".join(f"; {line}" for line in weights_text(g, report).splitlines())


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
