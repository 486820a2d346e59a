"""Where the ONNX export of a deep graph spends its time (issue 15).

Runs the export exactly as tests/test_deep_graphs.py does (`kgs compile --to onnx
--check --seed 0` on tests.graphs.bounded_residual), with timers wrapped around the
steps inside torch's exporter and the parity check, and prints seconds per phase:
keras build, torch.export tracing, decompositions, ONNX translation, the onnxscript
optimizer (each call), save, and the onnxruntime parity check (session, Keras
predict, onnxruntime run), as wall seconds and as this process's CPU seconds (the
figure to compare on a machine shared with other work). The wrappers only time;
they change no argument or result.

Run: nice .venv/bin/python bench/onnx_export_bench.py [BLOCKS]   (default 1000 blocks:
2,001 layers, minutes on 2 cores)
"""

from __future__ import annotations

import functools
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph import save  # noqa: E402
from tests.graphs import bounded_residual  # noqa: E402

#: phase -> [(wall seconds, CPU seconds of this process) of each call]
TIMES: dict[str, list[tuple[float, float]]] = defaultdict(list)


def timed(phase: str, function):
    """`function`, recording the seconds of each call under `phase`."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            TIMES[phase].append((time.perf_counter() - wall, time.process_time() - cpu))

    return wrapper


def patch(owner, name: str, phase: str) -> None:
    setattr(owner, name, timed(phase, getattr(owner, name)))


def install_timers() -> None:
    """Wrap the exporter's and the parity check's steps with timers."""
    import onnxruntime
    from torch.onnx._internal.exporter import _capture_strategies, _core, _onnx_program

    import codegen.build
    import codegen.export

    patch(codegen.build, "build_model", "keras build")
    for strategy in _capture_strategies.CAPTURE_STRATEGIES:
        patch(strategy, "__call__", "torch.export tracing")
    patch(_core, "_prepare_exported_program_for_export", "decompositions")
    patch(_core, "_exported_program_to_onnx_program", "ONNX translation")
    patch(_onnx_program.ONNXProgram, "optimize", "onnxscript optimizer")
    patch(_onnx_program.ONNXProgram, "save", "save")
    patch(codegen.export, "_export", "export (all of it)")
    patch(codegen.export, "check_onnx_parity", "parity check (all of it)")
    patch(onnxruntime.InferenceSession, "run", "  onnxruntime run")
    patch(onnxruntime, "InferenceSession", "  onnxruntime session")
    from codegen.keras_env import import_keras

    patch(import_keras().Model, "predict", "  keras predict")


def main() -> None:
    from kgs.cli import main as kgs

    blocks = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    install_timers()
    with tempfile.TemporaryDirectory() as folder:
        g = bounded_residual(blocks)
        g.name = "deep"
        path = Path(folder) / "deep.graph.json"
        save(g, path)
        args = ["compile", str(path), "--to", "onnx", "-o", folder, "--seed", "0", "--check"]
        start = time.perf_counter()
        status = kgs(args)
        total = time.perf_counter() - start
        size = (Path(folder) / "deep.onnx").stat().st_size
    print(f"\n{len(g)} layers, exit status {status}, file {size / 1e6:.2f} MB")
    print(f"{'phase':<28} {'wall':>8} {'CPU':>8}")
    for phase, times in TIMES.items():
        calls = f"  ({len(times)} calls, CPU {', '.join(f'{c:.1f}' for _, c in times)})"
        wall, cpu = sum(w for w, _ in times), sum(c for _, c in times)
        print(f"{phase:<28} {wall:7.1f}s {cpu:7.1f}s{calls if len(times) > 1 else ''}")
    print(f"{'kgs compile, in all':<28} {total:7.1f}s")


if __name__ == "__main__":
    main()
