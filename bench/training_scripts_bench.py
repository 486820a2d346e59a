"""Training speed of the generated scripts against plain model.fit, on one model and data.

Prints, in one run, samples per second while training the customer_tickets template
on its bundled data (819 training and 205 validation samples, validation after each
epoch) for:
  - `kgs train` (the Trainer: model.fit with its monitoring callback),
  - the generated `fit` script, the `loop` script, and the `ddp` script under torchrun
    with 1 and 2 processes,
and for each the ratio of its training time to a hand-written script that builds the
same model in Keras and calls model.fit (goal: fit and loop within 1.05x).

Every figure comes from a fresh process that times training only (from the first
epoch to the end of the last, validation included), not imports, data loading or
model building; each is measured once. Every process runs with OMP_NUM_THREADS=1
(--threads), as torchrun sets it for several processes: on a machine that other work
keeps busy, torch's default of a thread per core makes its OpenMP threads wait on
each other (measured here: 8.9 s instead of 1.3 s for the same fit), which swamps
what is measured.

Run: .venv/bin/python bench/training_scripts_bench.py [--epochs N] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codegen import to_training_script  # noqa: E402
from graph import load  # noqa: E402
from graph.training import DataSource, TrainingSetup  # noqa: E402

TEMPLATE = ROOT / "resources" / "templates" / "customer_tickets.graph.json"
DATA = ROOT / "resources" / "data" / "tickets.npz"
BATCH_SIZE = 64
SEED = 0

#: Each measurement prints one JSON line: {"seconds": ..., "samples": ...}.
HAND_WRITTEN = """\
import json, os, sys, time
os.environ["KERAS_BACKEND"] = "torch"
import keras
import numpy as np

epochs, batch_size, seed = (int(a) for a in sys.argv[1:4])
data_path = sys.argv[4]
keras.utils.set_random_seed(seed)
title = keras.Input(shape=(10000,), name="title")
text_body = keras.Input(shape=(10000,), name="text_body")
tags = keras.Input(shape=(100,), name="tags")
features = keras.layers.Concatenate(name="concatenate")([title, text_body, tags])
features = keras.layers.Dense(64, activation="relu", name="dense_features")(features)
priority = keras.layers.Dense(1, activation="sigmoid", name="priority")(features)
department = keras.layers.Dense(4, activation="softmax", name="department")(features)
model = keras.Model([title, text_body, tags], [priority, department])
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
    loss=["binary_crossentropy", "sparse_categorical_crossentropy"],
    metrics=[["accuracy"], ["accuracy"]],
)
with np.load(data_path) as data:
    x = [data[k].astype("float32") for k in ("title", "text_body", "tags")]
    y = [data["priority"].astype("float32"), data["department"].astype("int32")]
cut = int(len(y[0]) * 0.8)
start = time.perf_counter()
model.fit(
    [a[:cut] for a in x], [a[:cut] for a in y], batch_size=batch_size, epochs=epochs,
    validation_data=([a[cut:] for a in x], [a[cut:] for a in y]), verbose=0,
)
print(json.dumps({"seconds": time.perf_counter() - start, "samples": cut * epochs}))
"""

TRAINER = """\
import json, sys, time
sys.path.insert(0, sys.argv[1])
from codegen.training import Trainer, TrainingListener
from graph import load
from graph.training import DataSource, TrainingSetup

epochs, batch_size, seed = (int(a) for a in sys.argv[3:6])
data = DataSource(sys.argv[6])
setup = TrainingSetup(epochs=epochs, batch_size=batch_size, seed=seed, data=data)

class Clock(TrainingListener):
    def training_started(self, epochs, steps):
        self.start = time.perf_counter()
    def epoch_finished(self, epoch, logs):
        self.end = time.perf_counter()

clock = Clock()
trainer = Trainer(load(sys.argv[2]), setup, listener=clock)
_, data, _ = trainer.prepare()
trainer.run()
print(json.dumps({"seconds": clock.end - clock.start, "samples": data.samples * epochs}))
"""

#: Times a generated script's train(): its own functions, as its main() calls them.
SCRIPT = """\
import importlib.util, json, os, sys, time
spec = importlib.util.spec_from_file_location("train", sys.argv[1])
script = importlib.util.module_from_spec(spec)
sys.modules["train"] = script
spec.loader.exec_module(script)
args = script.parse_arguments(sys.argv[2:])
data, validation = script.load_data(args)
extra = ()
if hasattr(script, "init_processes"):
    extra = (script.init_processes(),)
model = script.new_model(args.seed)
start = time.perf_counter()
script.train(model, data, validation, args, *extra)
seconds = time.perf_counter() - start
if os.environ.get("RANK", "0") == "0":
    print(json.dumps({"seconds": seconds, "samples": data.samples * args.epochs}))
if extra:
    script.dist.destroy_process_group()
"""


def measure(command: list[str], cwd: Path, threads: int) -> float:
    """Samples per second that `command` reports on its last line."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=1200, env=env)
    if result.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    return figures["samples"] / figures["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="OMP_NUM_THREADS per process")
    options = parser.parse_args()
    epochs = options.epochs
    g = load(TEMPLATE)
    setup = TrainingSetup(
        epochs=epochs, batch_size=BATCH_SIZE, seed=SEED, data=DataSource(str(DATA))
    )
    python = sys.executable
    numbers = [str(epochs), str(BATCH_SIZE), str(SEED)]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "hand_written.py").write_text(HAND_WRITTEN)
        (work / "trainer.py").write_text(TRAINER)
        (work / "timed.py").write_text(SCRIPT)
        for style in ("fit", "loop", "ddp"):
            (work / f"{style}.py").write_text(to_training_script(g, setup, style))
        script_args = ["--out", "model.keras"]
        torchrun = [python, "-m", "torch.distributed.run", "--standalone"]
        runs = {
            "model.fit, hand-written": [python, "hand_written.py", *numbers, str(DATA)],
            "kgs train (Trainer)": [
                python,
                "trainer.py",
                str(ROOT),
                str(TEMPLATE),
                *numbers,
                str(DATA),
            ],
            "fit script": [python, "timed.py", "fit.py", *script_args],
            "loop script": [python, "timed.py", "loop.py", *script_args],
            "ddp script, 1 process": [
                *torchrun,
                "--nproc_per_node=1",
                "timed.py",
                "ddp.py",
                *script_args,
            ],
            "ddp script, 2 processes": [
                *torchrun,
                "--nproc_per_node=2",
                "timed.py",
                "ddp.py",
                *script_args,
            ],
        }
        print(f"customer_tickets on tickets.npz: {epochs} epochs, batch {BATCH_SIZE}, seed {SEED}")
        print(f"cores: {os.cpu_count()}, OMP_NUM_THREADS per process: {options.threads}")
        print(f"{'run':<26} {'samples/s':>10} {'time ratio to model.fit':>24}")
        baseline = None
        for name, command in runs.items():
            rate = measure(command, work, options.threads)
            baseline = baseline or rate
            print(f"{name:<26} {rate:>10.1f} {baseline / rate:>23.2f}x", flush=True)


if __name__ == "__main__":
    main()
