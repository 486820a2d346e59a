"""Write graph/keras_names.py: the names Keras accepts, read from Keras's own registries.

graph/ may not import keras, yet its param choices and training setup must accept
exactly what Keras accepts. So this script (which does import keras) writes them into
a plain module that graph/ imports; tests/test_keras_names.py regenerates it from the
installed Keras and fails when the committed file differs. After a Keras upgrade run:

    PYTHONPATH=. .venv/bin/python scripts/make_keras_names.py

What is read: `ALL_OBJECTS_DICT` of keras.src.{activations, initializers,
regularizers, constraints, losses, metrics} (every name `keras.<module>.get` resolves),
less the abstract base classes and the names `get` cannot make an object of
(LossFunctionWrapper and IoU need arguments, Constant its value), and metrics that do
not take `(y_true, y_pred)` (Mean, Sum); per initializer, regularizer and constraint
class a config may name (Constant too), its arguments and those a config must give
(found by leaving each out); the names `compile` adds itself ("acc", "crossentropy",
"ce"), each checked through Keras's compile utilities; and the padding modes from
Keras's own refusal of an unknown one.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

TARGET = Path(__file__).resolve().parents[1] / "graph" / "keras_names.py"

#: Names compile() resolves before asking the registry (keras/src/trainers/compile_utils.py).
_COMPILE_METRICS = {"acc": "accuracy"}
_COMPILE_LOSSES = {"crossentropy": "crossentropy", "ce": "crossentropy"}


def _keras() -> Any:
    sys.path.insert(0, str(TARGET.parents[1]))
    from codegen.keras_env import import_keras

    return import_keras()


def _canonical(name: str, obj: Any, registry: Mapping[str, Any]) -> str:
    """The name shared by every alias of one Keras object: a function's own name; for a
    class wrapping a function (MeanAbsoluteError), the function's; else the class's
    snake_case name where Keras registers one, else the class name."""
    from keras.src.utils.naming import to_snake_case

    fn = obj
    if inspect.isclass(obj):
        try:
            instance = obj()
        except Exception:
            instance = None
        fn = getattr(instance, "fn", None) or getattr(instance, "_fn", None) or obj
    if inspect.isfunction(fn) and fn.__name__ in registry:
        return fn.__name__
    if inspect.isclass(obj):
        snake = to_snake_case(obj.__name__)
        return snake if snake in registry else obj.__name__
    return name


def _usable_class(cls: type, base: type | None) -> bool:
    """Whether Keras can make an object of `cls` from its name alone: not the abstract
    base, and no constructor argument without a default (IoU's num_classes, a wrapper's
    fn). Read from the signature, not by constructing, so an optional package a
    constructor needs (STFT's scipy) does not change the result."""
    if cls is base:
        return False
    params = inspect.signature(cls.__init__).parameters.values()
    return all(
        p.default is not p.empty
        for p in params
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    )


def _made_from_name(module: Any, name: str) -> bool:
    """Whether `keras.<module>.get(name)` makes an object. A constructor that needs an
    optional package (STFT's scipy) counts as making one, so that the result does not
    depend on what else is installed; Constant, which needs its value, does not."""
    try:
        return module.get(name) is not None
    except ImportError:
        return True
    except Exception:
        return False


def _names(module: Any, base: type | None, usable: Callable[[Any], bool]) -> dict[str, str]:
    """name -> canonical name of every entry of `module`'s registry that Keras makes an
    object of from the name alone and that is `usable`, sorted."""
    registry = module.ALL_OBJECTS_DICT
    names = {}
    for name in sorted(registry):
        obj = registry[name]
        if inspect.isclass(obj) and not _usable_class(obj, base):
            continue
        if usable(obj) and _made_from_name(module, name):
            names[name] = _canonical(name, obj, registry)
    return names


def _class_args(module: Any, base: type) -> dict[str, tuple[str, ...]]:
    """Per class of `module`'s registry that a config can name (Constant included,
    whose name alone makes nothing), its constructor's keyword arguments in order."""
    registry = module.ALL_OBJECTS_DICT
    args = {}
    for name in sorted(registry):
        cls = registry[name]
        if not inspect.isclass(cls) or cls.__name__ != name or not _usable_class(cls, base):
            continue
        params = inspect.signature(cls.__init__).parameters.values()
        args[name] = tuple(
            p.name
            for p in params
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        )
    return args


def _needed_args(module: Any, args: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Per class, the arguments its config must give though its constructor has a
    default (Constant's from_config reads config["value"]); only classes with some."""
    needs = {}
    for name, names in args.items():
        cls = module.ALL_OBJECTS_DICT[name]
        defaults = {p.name: p.default for p in inspect.signature(cls.__init__).parameters.values()}
        needed = []
        for arg in names:
            config = {k: defaults[k] for k in names if k != arg}
            try:
                module.get({"class_name": name, "config": config})
            except ImportError:
                pass  # an optional package (STFT's scipy), not the config
            except Exception:
                needed.append(arg)
        if needed:
            needs[name] = tuple(needed)
    return needs


def _class_names(module: Any, names: Mapping[str, str]) -> dict[str, str]:
    """name -> the class Keras makes of it (the class_name of its config)."""
    return {name: module.ALL_OBJECTS_DICT[name].__name__ for name in names}


def _takes_targets(metric: Any) -> bool:
    """Whether a metric (a class or a function) is fed (y_true, y_pred), as compile()
    feeds it; Mean and Sum take values."""
    if not inspect.isclass(metric):
        return True
    params = list(inspect.signature(metric.update_state).parameters)
    return params[1:3] == ["y_true", "y_pred"]


def _compile_names(keras: Any, loss: bool, names: Mapping[str, str]) -> dict[str, str]:
    """Those of `names` that Keras's compile utilities resolve (checked, not assumed)."""
    from keras.src.trainers import compile_utils

    y = keras.ops.zeros((2, 3))
    resolve = compile_utils.get_loss if loss else compile_utils.get_metric
    for name in names:
        if resolve(name, y, y) is None:
            raise RuntimeError(f"Keras's compile no longer resolves {name!r}")
    return dict(names)


def _paddings(allow_causal: bool) -> tuple[str, ...]:
    """The padding modes Keras lists when it refuses an unknown one."""
    from keras.src.utils.argument_validation import standardize_padding

    try:
        standardize_padding("", allow_causal=allow_causal)
    except ValueError as error:
        listed = str(error).split("one of ", 1)[1].split("}", 1)[0] + "}"
        return tuple(sorted(ast.literal_eval(listed)))
    raise RuntimeError("Keras accepted an empty padding")


def tables() -> dict[str, Any]:
    """Every table of the generated module, by its name there."""
    keras = _keras()
    from keras.src import activations, constraints, initializers, losses, metrics, regularizers

    def anything(_: Any) -> bool:
        return True

    init = _names(initializers, keras.initializers.Initializer, anything)
    reg = _names(regularizers, keras.regularizers.Regularizer, anything)
    con = _names(constraints, keras.constraints.Constraint, anything)
    loss_names = _names(losses, keras.losses.Loss, anything)
    loss_names.update(_compile_names(keras, True, _COMPILE_LOSSES))
    metric_names = _names(metrics, keras.metrics.Metric, _takes_targets)
    metric_names.update(_compile_names(keras, False, _COMPILE_METRICS))
    init_args = _class_args(initializers, keras.initializers.Initializer)
    reg_args = _class_args(regularizers, keras.regularizers.Regularizer)
    con_args = _class_args(constraints, keras.constraints.Constraint)
    return {
        "KERAS_VERSION": keras.__version__,
        "ACTIVATIONS": _names(activations, None, anything),
        "INITIALIZERS": _class_names(initializers, init),
        "INITIALIZER_ARGS": init_args,
        "INITIALIZER_NEEDS": _needed_args(initializers, init_args),
        "REGULARIZERS": _class_names(regularizers, reg),
        "REGULARIZER_ARGS": reg_args,
        "REGULARIZER_NEEDS": _needed_args(regularizers, reg_args),
        "CONSTRAINTS": _class_names(constraints, con),
        "CONSTRAINT_ARGS": con_args,
        "CONSTRAINT_NEEDS": _needed_args(constraints, con_args),
        "PADDINGS": _paddings(False),
        "CAUSAL_PADDINGS": _paddings(True),
        "LOSSES": dict(sorted(loss_names.items())),
        "METRICS": dict(sorted(metric_names.items())),
    }


_COMMENTS = {
    "ACTIVATIONS": "activation name -> the name of the function it is (aliases share one)",
    "INITIALIZERS": "initializer name -> the class Keras makes of it (its config's class_name)",
    "INITIALIZER_ARGS": "initializer class -> its constructor's arguments (its config's keys)",
    "REGULARIZERS": "regularizer name -> the class Keras makes of it",
    "REGULARIZER_ARGS": "regularizer class -> its constructor's arguments",
    "CONSTRAINTS": "constraint name -> the class Keras makes of it",
    "CONSTRAINT_ARGS": "constraint class -> its constructor's arguments",
    "INITIALIZER_NEEDS": "initializer class -> the arguments its config must give",
    "REGULARIZER_NEEDS": "regularizer class -> the arguments its config must give",
    "CONSTRAINT_NEEDS": "constraint class -> the arguments its config must give",
    "PADDINGS": "padding modes of most layers",
    "CAUSAL_PADDINGS": "padding modes of 1-D convolutions",
    "LOSSES": "loss name -> the name shared by its aliases (mae, MAE, MeanAbsoluteError, ...)",
    "METRICS": "metric name -> the name shared by its aliases",
}


def _literal(value: Any, indent: str = "") -> str:
    """`value` as Python source, one entry per line for mappings (stable, diff-friendly)."""
    if isinstance(value, Mapping):
        inner = indent + "    "
        lines = [f"{inner}{_literal(k)}: {_literal(v, inner)}," for k, v in value.items()]
        return "{\n" + "\n".join(lines) + f"\n{indent}}}" if lines else "{}"
    if isinstance(value, tuple):
        return "(" + ", ".join(map(_literal, value)) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, str):
        return json.dumps(value)  # double quotes, as ruff format writes them
    return repr(value)


def render() -> str:
    """The text of graph/keras_names.py for the installed Keras."""
    parts = [
        '"""Names Keras accepts, read from its own registries. GENERATED: do not edit.\n\n'
        "Written by scripts/make_keras_names.py from the installed Keras (imports of keras\n"
        "are not allowed in graph/); regenerate after a Keras upgrade with\n\n"
        "    PYTHONPATH=. .venv/bin/python scripts/make_keras_names.py\n\n"
        "tests/test_keras_names.py fails while this file differs from what Keras gives.\n"
        '"""\n'
    ]
    for name, value in tables().items():
        comment = _COMMENTS.get(name)
        head = f"#: {comment}\n" if comment else ""
        parts.append(f"{head}{name} = {_literal(value)}\n")
    return "\n".join(parts)


def main() -> None:
    text = render()
    temporary = TARGET.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, TARGET)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
