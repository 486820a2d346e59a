"""The user's modules are imported only where the user trusts that exact content: tests
plant a module that leaves a mark when imported and check that no refusal leaves it."""

import os
import sys
from pathlib import Path

import pytest

from codegen.trusted_code import Trust, UntrustedCodeError, import_modules
from graph import load
from graph.training import CustomCallback, OutputSetup, TrainingSetup, setup_problems
from graph.user_code import CodeModule, CustomObject
from kgs.cli import main
from tests.user_modules import plant, regression_graph

LOSS = TrainingSetup(outputs={"dense": OutputSetup(loss=CustomObject("mine:halved_mse"))})


def _train(path: Path, *trusted: Path) -> int:
    argv = ["train", str(path), "-o", str(path.parent / "out.keras")]
    for file in trusted:
        argv += ["--trust-code", str(file)]
    return main(argv)


def test_untrusted_module_is_never_imported_and_the_refusal_names_it(tmp_path, capsys):
    module = plant(tmp_path)
    path = regression_graph(tmp_path, LOSS, ("mine.py",))
    assert _train(path) == 2
    err = capsys.readouterr().err
    assert "training.modules[0] 'mine.py'" in err
    assert "needed by training.outputs.dense: mine:halved_mse" in err
    assert f"--trust-code {module.resolve()}" in err
    assert not (tmp_path / "mine.imported").exists()
    assert not (tmp_path / "out.keras").exists()


def test_trusted_module_is_imported_and_trains(tmp_path, capsys):
    module = plant(tmp_path)
    path = regression_graph(tmp_path, LOSS, ("mine.py",))
    assert _train(path, module) == 0, capsys.readouterr().err
    assert (tmp_path / "mine.imported").exists()
    assert (tmp_path / "out.keras").exists()


def test_a_changed_file_is_refused_even_when_named(tmp_path, capsys):
    module = plant(tmp_path)
    path = regression_graph(tmp_path, LOSS, ("mine.py",))
    module.write_text(module.read_text() + "\n# changed\n")
    assert _train(path, module) == 2
    err = capsys.readouterr().err
    assert "its content changed since the graph file recorded it" in err
    assert not (tmp_path / "mine.imported").exists()


def test_trusting_one_file_trusts_no_other_nor_a_copy(tmp_path, capsys):
    plant(tmp_path, "mine")
    other = plant(tmp_path, "other")
    copy_folder = tmp_path / "elsewhere"
    copy_folder.mkdir()
    copy = copy_folder / "mine.py"
    copy.write_bytes((tmp_path / "mine.py").read_bytes())
    setup = TrainingSetup(
        outputs={"dense": OutputSetup(loss=CustomObject("mine:halved_mse"))},
        callbacks=(CustomCallback("other:Logs"),),
    )
    path = regression_graph(tmp_path, setup, ("mine.py", "other.py"))
    # The same bytes at another path are not the file the graph names.
    assert _train(path, copy, other) == 2
    err = capsys.readouterr().err
    assert "'mine.py'" in err and "'other.py'" not in err
    # Trusting mine does not trust other.
    assert _train(path, tmp_path / "mine.py") == 2
    err = capsys.readouterr().err
    assert "'other.py' (needed by training.callbacks[0]: other:Logs)" in err
    assert "'mine.py'" not in err
    assert not list(tmp_path.glob("*.imported"))


def test_a_module_swapped_after_the_check_is_not_run(tmp_path):
    """The bytes run are the bytes hashed: content changed after trust is refused."""
    module = plant(tmp_path, "swapped")
    setup = TrainingSetup(
        outputs={"dense": OutputSetup(loss=CustomObject("swapped:halved_mse"))},
    )
    path = regression_graph(tmp_path, setup, ("swapped.py",))
    trust = Trust.of_files([module])
    module.write_text(module.read_text() + "\n# swapped\n")
    with pytest.raises(UntrustedCodeError, match="content changed"):
        import_modules(load(path).training, tmp_path, trust)
    assert not (tmp_path / "swapped.imported").exists()


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_paths_stay_inside_the_graph_folder(tmp_path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    target = plant(outside, "linked")
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "linked.py").symlink_to(target)
    setup = TrainingSetup(outputs={"dense": OutputSetup(loss=CustomObject("linked:halved_mse"))})
    path = regression_graph(folder, setup, ("linked.py",))
    assert _train(path, folder / "linked.py", target) == 2
    err = capsys.readouterr().err
    assert "outside the graph file's folder" in err
    assert not (outside / "linked.imported").exists()


def test_module_paths_and_refs_are_checked_without_reading_them():
    from tests.graphs import chain

    g = chain(("Dense", {"units": 1}), input_shape=(4,))
    setup = TrainingSetup(
        outputs={"dense": OutputSetup(loss=CustomObject("nowhere:f"), metrics=("mine:1x",))},
        modules=(
            CodeModule("../mine.py", "0" * 64),
            CodeModule("/abs/x.py", "short"),
            CodeModule("mine.txt", "0" * 64),
        ),
    )
    problems = "\n".join(setup_problems(g, setup))
    assert "training.modules[0].path: must be a path inside the graph file's folder" in problems
    assert "training.modules[1].path: must be a path inside" in problems
    assert "training.modules[1].sha256: must be 64 lowercase hex digits" in problems
    assert "training.modules[2].path: must be a .py file" in problems
    assert "training.outputs.dense.loss: 'nowhere:f': no module 'nowhere'" in problems


def test_modules_nothing_uses_are_never_imported(tmp_path, capsys):
    plant(tmp_path, "unused")
    path = regression_graph(tmp_path, TrainingSetup(), ("unused.py",))
    assert _train(path) == 0, capsys.readouterr().err
    assert not (tmp_path / "unused.imported").exists()
    assert not any(name.startswith("kgs_user_code.unused") for name in sys.modules)


def test_the_file_form_round_trips_and_loading_imports_nothing(tmp_path):
    plant(tmp_path)
    setup = TrainingSetup(
        outputs={
            "dense": OutputSetup(
                loss=CustomObject("mine:halved_mse"),
                metrics=("mae", CustomObject("mine:MeanError", {"name": "err"})),
            )
        },
        callbacks=(CustomCallback("mine:Logs", {"tag": "t", "sizes": [1, 2]}),),
    )
    path = regression_graph(tmp_path, setup, ("mine.py",))
    text = path.read_text()
    assert '"loss": "mine:halved_mse"' in text
    assert '{"ref": "mine:MeanError", "args": {"name": "err"}}' in text
    loaded = load(path).training
    assert loaded.outputs == setup.outputs and loaded.callbacks == setup.callbacks
    assert loaded.modules[0].path == "mine.py" and len(loaded.modules[0].sha256) == 64
    assert not (tmp_path / "mine.imported").exists()


def test_export_training_needs_trust_and_never_imports(tmp_path, capsys):
    module = plant(tmp_path)
    path = regression_graph(tmp_path, LOSS, ("mine.py",))
    out = tmp_path / "script" / "train.py"
    out.parent.mkdir()
    argv = ["export-training", str(path), "--style", "loop", "-o", str(out)]
    assert main(argv) == 2
    assert "needed by training.outputs.dense: mine:halved_mse" in capsys.readouterr().err
    assert not out.exists() and not (out.parent / "mine.py").exists()
    assert main([*argv, "--trust-code", str(module)]) == 0
    assert (out.parent / "mine.py").read_bytes() == module.read_bytes()
    assert 'user_object("mine:halved_mse")' in out.read_text()
    assert not list(tmp_path.rglob("*.imported"))


def test_the_studio_exports_a_script_only_with_what_the_user_trusted(tmp_path):
    from graph.user_code import file_sha256
    from studio.exporting import export_graph

    module = plant(tmp_path)
    path = regression_graph(tmp_path, LOSS, ("mine.py",))
    out = tmp_path / "out" / "train.py"
    out.parent.mkdir()
    with pytest.raises(UntrustedCodeError, match="'mine.py'"):
        export_graph(load(path), out, "training:train_step", path)
    assert not out.exists()
    trusted = frozenset({(module.resolve(), file_sha256(module))})
    assert "train_step training script" in export_graph(
        load(path), out, "training:train_step", path, trusted
    )
    assert (out.parent / "mine.py").exists() and not list(tmp_path.rglob("*.imported"))


def test_a_monitor_may_name_what_an_unnamed_user_metric_logs():
    """The book's metric logs "rmse", which only its code says: a monitor on it is
    accepted; with the metric's name given, the monitor is checked again."""
    from graph.training import EarlyStopping
    from tests.graphs import chain

    g = chain(("Dense", {"units": 3, "activation": "softmax"}), input_shape=(4,))
    metric = CustomObject("mine:SparseRootMeanSquaredError")
    setup = TrainingSetup(
        outputs={"dense": OutputSetup(metrics=(metric,))},
        callbacks=(EarlyStopping(monitor="val_rmse", patience=-1),),
        modules=(CodeModule("mine.py", "0" * 64),),
    )
    problems = "\n".join(setup_problems(g, setup))
    assert "monitor" not in problems and "patience: must be >= 0" in problems
    named = setup.with_output("dense", metrics=(CustomObject(metric.ref, {"name": "err"}),))
    assert "'val_rmse' is not logged. Expected one of: loss, err, val_loss, val_err" in "\n".join(
        setup_problems(g, named)
    )
