"""Keras -> graph: a Functional or Sequential Keras model as an editable ModelGraph.

    graph, notes = import_keras_model("model.keras")   # or a keras.Model object
    graph = from_keras(model)                           # the same, notes dropped

Safety first: a `.keras` file is a zip whose `config.json` is read and checked as plain
data before Keras sees the file. A Lambda layer, a custom (non-Keras) class or
function, or any other object that would run or import code is refused, naming every
one, and only a clean file is loaded, with `safe_mode=True, compile=False` (so the
training config, which may name custom losses, is never deserialized). A model object
is checked the same way, layer by layer.

Structure: every layer call becomes a node named after its layer, a shared layer one
layer with several call sites; inputs keep the model's order, shape (batch axis
excluded), dtype and names, and outputs their order. Nested Sequential and Functional
models are flattened into the outer graph: their layers become nodes under their own
names (prefixed with the sub-model's name on a clash).

Params: from each layer's `get_config()`, only those its spec declares, and only
where they differ from the spec's default. Initializers and regularizers become the
spec's names; one that has no name (EfficientNet's VarianceScaling with mode
"fan_out", an L2 with its own factor) becomes the closest name, with a note. Whatever
else the graph cannot hold (a constraint, a frozen layer, a dtype policy, a call made
with `training=...`) is left out with a note. Nothing is silently wrong: the imported
graph is validated, and its inferred shapes and weight counts must equal Keras's own,
or the import is refused naming the layers that differ.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import re
import zipfile
from collections.abc import Mapping
from functools import cache
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any

from codegen.keras_env import allow_depth, import_keras
from codegen.layout import layered_layout
from graph import GraphError, GraphFileError, ModelGraph, ParamError, validate
from graph.layers.common import INITIALIZERS, REGULARIZERS, VECTOR_INITIALIZERS
from graph.naming import name_problem
from graph.params import Choice, Param, freeze
from graph.shapes import fmt
from graph.spec import LayerSpec, get_spec

Notes = list[str]


class _Notes:
    """What an import could not hold exactly: each text once, with the layers it
    concerns (EfficientNet has one kind of initializer note for 81 layers)."""

    def __init__(self) -> None:
        self._layers: dict[str, list[str]] = {}

    def add(self, label: str, text: str) -> None:
        self._layers.setdefault(text, []).append(label)

    def lines(self) -> Notes:
        return [f"{', '.join(labels)}: {text}" for text, labels in self._layers.items()]


class ImportRefused(GraphError):
    """A model cannot become a graph: it carries code, or holds something the graph
    cannot express. The message names every offending layer."""


def from_keras(model_or_path: Any) -> ModelGraph:
    """The graph of a keras.Model or `.keras` file; see `import_keras_model`."""
    return import_keras_model(model_or_path)[0]


def import_keras_model(model_or_path: Any) -> tuple[ModelGraph, Notes]:
    """(graph, notes) for a keras.Model object or the path of a `.keras` file.

    The notes say what the graph could not hold exactly, one line per kind of
    difference naming the layers it concerns (see the module docstring). Raises
    ImportRefused when the model carries code or cannot be expressed, GraphFileError
    when the file cannot be read.
    """
    keras = import_keras()
    if isinstance(model_or_path, (str, os.PathLike)):
        model = _load_checked(keras, Path(model_or_path))
    else:
        model = model_or_path
    return _Importer(keras).run(model)


# ------------------------------------------------------------ code in configs

#: Built-in layers whose config holds code (or a pickle), with what they hold.
_CODE_LAYERS = {
    "Lambda": "a Lambda layer holds a Python function",
    "TorchModuleWrapper": "it holds a pickled torch module",
    "JaxLayer": "it holds Python functions",
    "FlaxLayer": "it holds a Flax module",
}
#: Serialized plain data: tensors, arrays, bytes, slices.
_DATA_OBJECTS = {
    "__keras_tensor__",
    "__tensor__",
    "__numpy__",
    "__bytes__",
    "__slice__",
    "__ellipsis__",
}


def code_in_config(config: Any, where: str) -> list[str]:
    """Every object in a serialized Keras config that would run or import code when
    deserialized, as "Class 'name': why" (objects without a name are placed in the
    nearest named one around them, or in `where`).

    Keras imports the module a serialized object names, and takes registered
    ("package>Name") objects from the running process first, so only Keras's own
    modules and names are let through.
    """
    found: list[str] = []
    _find_code(config, where, found)
    return found


def _find_code(value: Any, where: str, found: list[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _find_code(item, where, found)
        return
    if not isinstance(value, dict):
        return
    class_name = value.get("class_name")
    if isinstance(class_name, str):
        inner = value.get("config")
        name = inner.get("name") if isinstance(inner, dict) else None
        here = f"{class_name} '{name}'" if isinstance(name, str) else where
        reason = _code_reason(value, class_name)
        if reason is not None:
            found.append(f"{here}: {reason}")
        where = here
    for item in value.values():
        _find_code(item, where, found)


def _code_reason(obj: Mapping[str, Any], class_name: str) -> str | None:
    """Why the serialized object `obj` would run or import code, or None."""
    if class_name in _DATA_OBJECTS:
        return None
    if class_name == "__lambda__":
        return "a Python lambda"
    module = obj.get("module")
    keras_module = isinstance(module, str) and (module == "keras" or module.startswith("keras."))
    if class_name == "function":
        if keras_module or module == "builtins":  # Keras looks builtins up in its own modules
            return None
        return f"a Python function {obj.get('config')!r} from module {module!r}"
    if not keras_module:
        return f"a custom class from module {module!r}"
    registered = obj.get("registered_name")
    if registered is not None and registered != class_name:
        return f"a custom class registered as {registered!r}"
    return _CODE_LAYERS.get(class_name)


def _refusal(subject: str, found: list[str]) -> ImportRefused:
    return ImportRefused(
        f"{subject}: refused: the model carries code that loading or running it would "
        "execute. Expected built-in Keras layers only. Received: " + "; ".join(found)
    )


def _load_checked(keras: Any, path: Path) -> Any:
    """The model in the `.keras` file at `path`, loaded only after its config.json
    was checked to hold no code."""
    config = _read_config(path)
    found = code_in_config(config, f"model {config.get('class_name')!r}")
    if found:
        raise _refusal(str(path), found)
    allow_depth(json.dumps(config).count('"class_name"'))
    try:
        return keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as e:  # Keras raises many kinds; the user needs the file named
        raise GraphFileError(path, f"Keras could not load the model: {e}") from e


def _read_config(path: Path) -> dict[str, Any]:
    expected = "Expected a .keras file (a zip archive holding config.json)"
    try:
        with zipfile.ZipFile(path) as archive:
            text = archive.read("config.json")
    except FileNotFoundError:
        raise GraphFileError(path, "no such file") from None
    except (zipfile.BadZipFile, KeyError, IsADirectoryError) as e:
        raise GraphFileError(path, f"not a Keras model file. {expected}. Received: {e}") from e
    try:
        config = json.loads(text)
    except ValueError as e:
        raise GraphFileError(path, f"config.json is not valid JSON: {e}") from e
    if not isinstance(config, dict):
        raise GraphFileError(path, f"config.json is not a model config. {expected}")
    return config


# ------------------------------------------------------------- the import walk


class _Importer:
    """One import: walks the model's layer calls in Keras's order, adding nodes.

    Problems are collected rather than raised one by one, so a refusal names every
    offending layer at once; calls downstream of a refused layer are skipped.
    """

    def __init__(self, keras: Any) -> None:
        from keras.src.models.functional import Functional

        self.keras = keras
        self.models = (Functional, keras.Sequential)
        self.g = ModelGraph()
        self.notes = _Notes()
        self.refused: list[str] = []
        #: id(keras layer) -> the node of its first call site; -> its spec (None: refused).
        self.first_site: dict[int, str] = {}
        self.specs: dict[int, LayerSpec | None] = {}
        #: id(tensor) -> why it cannot be used, for outputs of keras.ops operations.
        self.unusable: dict[int, str] = {}
        #: node -> the shape Keras gives its output; first call site -> keras layer.
        self.keras_shapes: dict[str, tuple] = {}
        self.keras_layers: dict[str, Any] = {}
        #: Names of the outer model's own layers: nested layers give way to them.
        self.reserved: set[str] = set()
        #: The graph's layer names so far (asking the graph each time costs O(n)).
        self.taken: set[str] = set()
        self.params = _ParamConverter(keras, self.notes, self.refused)

    def run(self, model: Any) -> tuple[ModelGraph, Notes]:
        functional = self.functional(model, f"model '{getattr(model, 'name', model)}'")
        if functional is None:
            raise ImportRefused("; ".join(self.refused))
        self.g.name = model.name
        allow_depth(len(functional.operations))
        self.reserved = {op.name for op in functional.operations}
        tensors = {}
        for tensor in functional.inputs:
            node = self.add_input(tensor)
            if node is not None:
                tensors[id(tensor)] = node
        outputs = self.walk(functional, tensors, prefix=None)
        if self.refused:
            raise ImportRefused(
                f"model '{model.name}' cannot be imported: " + "; ".join(self.refused)
            )
        if len(set(outputs)) != len(outputs):
            raise ImportRefused(
                f"model '{model.name}' lists an output more than once. Expected distinct "
                f"outputs. Received: {[self.g.layer(n).name for n in outputs]}"
            )
        self.g.set_outputs(outputs)
        self.check_against_keras()
        for node_id, pos in layered_layout(self.g).items():
            self.g.move(node_id, pos)
        return self.g, self.notes.lines()

    # -- models

    def functional(self, model: Any, label: str) -> Any:
        """The Functional graph behind `model`, or None (refused) when it has none."""
        if type(model) not in self.models:
            if isinstance(model, self.keras.Model):
                self.refused.append(
                    f"{label}: a subclassed {type(model).__name__} has no graph of layer "
                    "calls. Expected a Functional or Sequential model"
                )
            else:
                self.refused.append(
                    f"{label}: not a Keras model. Expected a keras.Model or the path of a "
                    f".keras file. Received: {type(model).__name__}"
                )
            return None
        if isinstance(model, self.keras.Sequential):
            if model._functional is None:
                self.refused.append(
                    f"{label}: a Sequential model that was never built has no inputs. "
                    "Expected a model built on an Input"
                )
            return model._functional
        return model

    def walk(self, functional: Any, tensors: dict[int, str], prefix: str | None) -> list[str]:
        """Add the layer calls of `functional`, whose input tensors are the nodes in
        `tensors` (by id); returns the nodes of its outputs (None where refused)."""
        for call in _calls(functional):
            if call.is_input:
                continue  # an InputLayer: its tensor is mapped by the caller
            op = call.operation
            label = f"{type(op).__name__} '{op.name}'"
            if not isinstance(op, self.keras.layers.Layer):
                # A keras.ops operation: refused only if a layer takes its output (the
                # masks Keras computes itself, e.g. for Embedding(mask_zero=True), are not).
                reason = f"{label}: a Keras operation, not a layer (a graph holds layers only)"
                self.unusable.update({id(t): reason for t in call.outputs})
                continue
            is_model = isinstance(op, self.keras.Model)
            spec = None if is_model else self.spec_of(label, op)
            if not is_model and spec is None:
                continue
            inputs = self.call_inputs(label, op, call, spec)
            sources = None if inputs is None else self.nodes_of(tensors, inputs)
            if sources is None:
                continue
            if is_model:
                outputs = self.walk_model(label, op, [node for _, node in sources])
                tensors.update({id(t): node for t, node in zip(call.outputs, outputs, strict=True)})
            elif len(call.outputs) != 1:
                self.refused.append(
                    f"{label}: returns {len(call.outputs)} tensors. Expected one output "
                    "per layer call (a graph node has one output)"
                )
            else:
                node = self.add_call(label, op, spec, sources, prefix)
                if node is not None:
                    self.keras_shapes[node] = tuple(call.outputs[0].shape)
                    tensors[id(call.outputs[0])] = node
        outputs = [("output", t) for t in functional.outputs]
        found = self.nodes_of(tensors, outputs)
        return [None] * len(outputs) if found is None else [node for _, node in found]

    def walk_model(self, label: str, model: Any, sources: list[str]) -> list[str | None]:
        """Flatten one call of a nested model on `sources`; the nodes of its outputs."""
        inner = self.functional(model, label)
        if inner is None:
            return [None] * len(model.outputs)
        if len(inner.inputs) != len(sources):
            self.refused.append(
                f"{label}: called on {len(sources)} tensors. Expected its "
                f"{len(inner.inputs)} inputs"
            )
            return [None] * len(inner.outputs)
        inner_tensors = {id(t): node for t, node in zip(inner.inputs, sources, strict=True)}
        return self.walk(inner, inner_tensors, prefix=model.name)

    def nodes_of(
        self, tensors: dict[int, str], inputs: list[tuple[str, Any]]
    ) -> list[tuple[str, str]] | None:
        """(port, node) for each (port, tensor), or None if a tensor has no node (its
        maker was refused; a keras.ops maker is refused now)."""
        missing = [t for _, t in inputs if tensors.get(id(t)) is None]
        for t in missing:
            reason = self.unusable.get(id(t))
            if reason is not None and reason not in self.refused:
                self.refused.append(reason)
        return None if missing else [(port, tensors[id(t)]) for port, t in inputs]

    def call_inputs(
        self, label: str, op: Any, call: Any, spec: LayerSpec | None
    ) -> list[tuple[str, Any]] | None:
        """(port, KerasTensor) for each input of a call of the layer of `spec` (or of
        a model, with no spec), in port order; None if the call cannot be expressed."""
        signature = _call_signature(type(op))
        try:
            bound = signature.bind(*call.arguments.args, **call.arguments.kwargs)
        except TypeError as e:
            self.refused.append(f"{label}: its call does not match its signature: {e}")
            return None
        first = next(iter(signature.parameters))
        if spec is not None and spec.call_style == "kwargs":
            named = [(port, bound.arguments.get(port)) for port in spec.ports.names]
            inputs = [(port, t) for port, t in named if t is not None]
            used = set(spec.ports.names)
        else:
            value = bound.arguments[first]
            used = {first}
            if spec is None:
                inputs = [("input", t) for t in self.keras.tree.flatten(value)]
            elif spec.call_style == "list":
                if not isinstance(value, (list, tuple)):
                    self.refused.append(
                        f"{label}: expects a list of inputs. Received: {type(value).__name__}"
                    )
                    return None
                inputs = [(spec.ports.name(i), t) for i, t in enumerate(value)]
            else:
                inputs = [(spec.ports.name(0), value)]
        constants = [port for port, t in inputs if not isinstance(t, self.keras.KerasTensor)]
        if constants:
            self.refused.append(
                f"{label}: takes a constant, not a tensor, as {', '.join(constants)}. "
                "Expected layer outputs or model inputs only"
            )
            return None
        if not self.check_call_options(label, signature, bound.arguments, used):
            return None
        return inputs

    def check_call_options(
        self, label: str, signature: inspect.Signature, arguments: dict, used: set[str]
    ) -> bool:
        """Whether the call's other arguments are expressible. Keras fills in `training`
        (its default, or the caller's) and the masks its layers compute, which a
        rebuilt model gets the same way; another `training` is noted, and other
        tensors (explicit masks) or non-default options are refused."""
        ok = True
        for name, value in arguments.items():
            if name in used or self.is_automatic_mask(name, value, arguments, signature):
                continue
            parameter = signature.parameters[name]
            if any(isinstance(t, self.keras.KerasTensor) for t in self.keras.tree.flatten(value)):
                self.refused.append(
                    f"{label}: passes a tensor as `{name}`; the graph has no port for it"
                )
                ok = False
            elif name == "training":
                if value != parameter.default:
                    self.notes.add(
                        label,
                        f"called with training={value!r}; the graph calls it in the usual mode "
                        "(training only while fitting)",
                    )
            elif parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                if value:
                    self.refused.append(f"{label}: called with extra arguments {value!r}")
                    ok = False
            elif _plain(value) != _plain(parameter.default):
                self.refused.append(
                    f"{label}: called with {name}={value!r}, which the graph cannot express. "
                    f"Expected the default, {name}={parameter.default!r}"
                )
                ok = False
        return ok

    def is_automatic_mask(
        self, name: str, value: Any, arguments: dict, signature: inspect.Signature
    ) -> bool:
        """Whether `name=value` is the mask Keras passes by itself: `mask` for the
        first argument, `<argument>_mask` for another (MultiHeadAttention's)."""
        if name == "mask":
            masked = arguments.get(next(iter(signature.parameters)))
        elif name.endswith("_mask"):
            masked = arguments.get(name[: -len("_mask")])
        else:
            return False
        flatten = self.keras.tree.flatten
        automatic = [getattr(t, "_keras_mask", None) for t in flatten(masked)]
        given = flatten(value)
        return len(given) == len(automatic) and all(
            a is b for a, b in zip(given, automatic, strict=True)
        )

    # -- nodes

    def add_input(self, tensor: Any) -> str | None:
        layer = tensor._keras_history.operation
        label = f"InputLayer '{layer.name}'"
        if not isinstance(layer, self.keras.layers.InputLayer):
            self.refused.append(
                f"model input {tensor.name!r} comes from {type(layer).__name__} "
                f"'{layer.name}'. Expected model inputs made by keras.Input"
            )
            return None
        config = layer.get_config()
        flags = [flag for flag in ("sparse", "ragged", "optional") if config.get(flag)]
        if flags:
            self.refused.append(f"{label}: {', '.join(flags)} inputs have no graph form")
            return None
        batch, *shape = config["batch_shape"]
        params: dict[str, Any] = {"shape": tuple(shape)}
        if batch is not None:
            params["batch_size"] = batch
        if config["dtype"] != "float32":
            params["dtype"] = config["dtype"]
        return self.add_layer_node(label, "Input", layer, params, prefix=None)

    def add_call(
        self,
        label: str,
        op: Any,
        spec: LayerSpec,
        sources: list[tuple[str, str]],
        prefix: str | None,
    ) -> str | None:
        """The node of one call of `op`, connected to `sources`; None if refused."""
        first = self.first_site.get(id(op))
        if first is not None:
            node = self.g.call_again(first)
        else:
            params = self.params.from_config(label, spec, type(op), op.get_config())
            if params is None:
                return None
            self.note_layer_options(label, op)
            node = self.add_layer_node(label, spec.type, op, params, prefix)
            if node is None:
                return None
            self.keras_layers[node] = op
        for port, src in sources:
            self.g.connect(src, node, port)
        return node

    def add_layer_node(
        self, label: str, layer_type: str, op: Any, params: dict, prefix: str | None
    ) -> str | None:
        name = self.graph_name(label, op.name, prefix)
        try:
            node = self.g.add_node(
                layer_type, name=name, params=params, node_id=None if name in self.g else name
            )
        except ParamError as e:
            self.refused.append(str(e))
            return None
        self.first_site[id(op)] = node
        self.taken.add(name)
        return node

    def spec_of(self, label: str, op: Any) -> LayerSpec | None:
        """The spec of a built-in Keras layer that carries no code; None (refused,
        once per layer) for anything else."""
        key = id(op)
        if key not in self.specs:
            self.specs[key] = self.checked_spec(label, op)
        return self.specs[key]

    def checked_spec(self, label: str, op: Any) -> LayerSpec | None:
        cls = type(op)
        if getattr(self.keras.layers, cls.__name__, None) is not cls:
            self.refused.append(f"{label}: a custom class from module {cls.__module__!r}")
            return None
        found = code_in_config(self.keras.saving.serialize_keras_object(op), label)
        if found:
            self.refused.extend(found)
            return None
        spec = get_spec(cls.__name__)
        if spec is None:
            self.refused.append(
                f"{label}: the graph has no layer spec for {cls.__name__}. Expected a layer "
                "type the graph knows"
            )
        return spec

    def note_layer_options(self, label: str, op: Any) -> None:
        if not op.trainable:
            self.notes.add(label, "frozen (trainable=False), which the graph does not record")
        policy = op.dtype_policy.name
        if policy != "float32":
            self.notes.add(
                label, f"computes with dtype policy {policy!r}; the graph computes in float32"
            )

    def graph_name(self, label: str, name: str, prefix: str | None) -> str:
        """`name`, made a valid graph name and unique: a nested layer whose name is
        taken (or reserved by the outer model) gets its sub-model's name in front,
        then a number if still taken."""
        taken = self.taken
        valid = name if name_problem(name) is None else _valid_name(name)
        candidate = valid
        if prefix is not None and (candidate in taken or candidate in self.reserved):
            candidate = _valid_name(f"{prefix}_{valid}")
        stem, i = candidate, 0
        while candidate in taken:
            i += 1
            candidate = f"{stem}_{i}"
        if candidate != name:
            self.notes.add(label, f"renamed {candidate!r} (its name is taken or invalid)")
        return candidate

    # -- the proof

    def check_against_keras(self) -> None:
        """Refuse unless the graph validates and infers Keras's own output shapes and
        weight counts, call site by call site."""
        g = self.g
        report = validate(g)
        if not report.valid:
            problems = "; ".join(p.message for p in report.errors)
            raise ImportRefused(f"model '{g.name}': the imported graph is not valid: {problems}")
        wrong = []
        for node, shape in self.keras_shapes.items():
            inferred = report.nodes[node].shape
            if inferred != shape:
                wrong.append(
                    f"{g.label(node)}: the graph infers output shape {fmt(inferred)}, "
                    f"Keras {fmt(shape)}"
                )
        for node, layer in self.keras_layers.items():
            count = layer.count_params()
            if report.nodes[node].params != count:
                wrong.append(
                    f"{g.label(node)}: the graph counts {report.nodes[node].params} weights, "
                    f"Keras {count}"
                )
        if wrong:
            raise ImportRefused(
                f"model '{g.name}': the graph cannot express some layers exactly. "
                "Expected the shapes and weight counts Keras gives. Received: " + "; ".join(wrong)
            )


def _calls(functional: Any) -> list[Any]:
    """The Keras nodes (layer calls) of `functional` in a topological order: by depth
    from the outputs, then in the model's operation order, then by call."""
    index = {id(op): i for i, op in enumerate(functional.operations)}
    by_depth = functional._nodes_by_depth
    calls = []
    for depth in sorted(by_depth, reverse=True):
        calls.extend(
            sorted(
                by_depth[depth],
                key=lambda n: (index[id(n.operation)], n.operation._inbound_nodes.index(n)),
            )
        )
    return calls


def _valid_name(name: str) -> str:
    """`name` with every character a graph name refuses replaced by '_'."""
    name = re.sub(r"[^A-Za-z0-9_.\-]", "_", name)[:255]
    return name if re.match(r"[A-Za-z_]", name) else f"_{name}"[:255]


# ------------------------------------------------------------------ params


class _ParamConverter:
    """A Keras layer config -> graph params, by the layer's spec."""

    def __init__(self, keras: Any, notes: _Notes, refused: list[str]) -> None:
        self.keras = keras
        self.notes = notes
        self.refused = refused
        self.candidates: dict[tuple[str, Any], tuple[str, dict] | None] = {}

    def from_config(
        self, label: str, spec: LayerSpec, cls: type, config: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """The params of a layer of `spec` from its config; None when refused."""
        params: dict[str, Any] = {}
        ok = True
        for param in spec.params:
            if param.name not in config:
                continue
            value = self.value(label, param, config[param.name])
            if value is _REFUSED:
                ok = False
            elif param.required or not _is_default(param, value):
                params[param.name] = value
        self.note_unexpressed(label, spec, cls, config)
        return params if ok else None

    def value(self, label: str, param: Param, raw: Any) -> Any:
        kind = param.kind
        if isinstance(kind, Choice) and kind.values in (INITIALIZERS, VECTOR_INITIALIZERS):
            return self.named(label, param, raw, "initializers")
        if isinstance(kind, Choice) and kind.values == REGULARIZERS:
            return None if raw is None else self.named(label, param, raw, "regularizers")
        if _is_serialized_layer(raw):
            return self.nested_layer(f"{label} (its {param.name})", raw)
        value = freeze(_plain(raw))
        reason = kind.problem(value)
        if reason is not None:
            self.refused.append(f"{label}: {param.name} {reason}. Received: {param.name}={raw!r}")
            return _REFUSED
        return value

    def nested_layer(self, label: str, raw: Mapping[str, Any]) -> Any:
        """A wrapped layer (Bidirectional's) as {"type": ..., "params": {...}}."""
        layer_type = raw["class_name"]
        spec = get_spec(layer_type)
        cls = getattr(self.keras.layers, layer_type, None)
        if spec is None or cls is None:
            self.refused.append(f"{label}: the graph has no layer spec for {layer_type}")
            return _REFUSED
        params = self.from_config(label, spec, cls, raw["config"])
        return _REFUSED if params is None else freeze({"type": layer_type, "params": params})

    def named(self, label: str, param: Param, raw: Any, module: str) -> Any:
        """The spec's name for an initializer or regularizer: the one Keras makes
        exactly the same object from, else the closest (with a note)."""
        choices = [c for c in dict.fromkeys((param.default, *param.kind.values)) if c]
        if isinstance(raw, str) and raw in choices:
            return raw
        obj = getattr(self.keras, module).get(raw)
        family, attrs = _fingerprint(obj)
        best, best_distance = None, math.inf
        for name in choices:
            candidate = self.candidate(module, name)
            if candidate is None or candidate[0] != family:
                continue
            distance = sum(
                not _close(attrs.get(k), candidate[1].get(k)) for k in {*attrs, *candidate[1]}
            )
            if distance < best_distance:
                best, best_distance = name, distance
        shown = f"{family}({', '.join(f'{k}={v!r}' for k, v in attrs.items() if v is not None)})"
        if best is None:
            self.notes.add(
                label,
                f"{param.name} {shown} has no counterpart in the graph; imported as the "
                f"default, {param.default!r}",
            )
            return param.default
        if best_distance:
            self.notes.add(
                label,
                f"{param.name} {shown} has no name in the graph; imported as the closest, {best!r}",
            )
        seed = raw.get("config", {}).get("seed") if isinstance(raw, dict) else None
        if seed is not None:
            self.notes.add(label, f"{param.name} seed {seed!r} is not kept")
        return best

    def candidate(self, module: str, name: str) -> tuple[str, dict] | None:
        """The fingerprint of Keras's object for `name`, once per import."""
        key = (module, name)
        if key not in self.candidates:
            try:
                obj = getattr(self.keras, module).get(name)
            except ValueError:
                obj = None  # a spec choice this Keras lacks
            self.candidates[key] = None if obj is None else _fingerprint(obj)
        return self.candidates[key]

    def note_unexpressed(
        self, label: str, spec: LayerSpec, cls: type, config: Mapping[str, Any]
    ) -> None:
        """Note each config entry the spec lacks whose value is not Keras's default."""
        defaults = _constructor_defaults(cls)
        for key, value in config.items():
            if key in spec.param_by_name or key in _LAYER_BASICS:
                continue
            derived = _DERIVED.get((spec.type, key))
            if derived is not None and derived(config):
                continue
            default = defaults.get(key)
            value = _plain(value)
            if default is inspect.Parameter.empty or value is None or value == _plain(default):
                continue
            if value == self.keras.saving.serialize_keras_object(default):
                continue
            self.notes.add(
                label, f"{key}={_short(value)} is not kept (the graph has no such parameter)"
            )


@cache
def _call_signature(cls: type) -> inspect.Signature:
    """The signature of `cls.call` as a bound method (without self)."""
    signature = inspect.signature(cls.call)
    return signature.replace(parameters=list(signature.parameters.values())[1:])


@cache
def _constructor_defaults(cls: type) -> Mapping[str, Any]:
    """Keras's default for each constructor argument of `cls`, its base classes'
    included (arguments passed on through **kwargs, like RNN's)."""
    defaults: dict[str, Any] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for name, parameter in inspect.signature(init).parameters.items():
            if parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                defaults.setdefault(name, parameter.default)
    return MappingProxyType(defaults)


#: Config entries every layer has, handled apart (name, frozen state, dtype policy).
_LAYER_BASICS = {"name", "trainable", "dtype"}


def _mirrors_forward(config: Mapping[str, Any]) -> bool:
    """Whether Bidirectional's backward layer is the copy Keras makes of the forward
    one (going the other way), not one the user gave."""
    forward, backward = config["layer"]["config"], config["backward_layer"]["config"]
    differing = {k for k in {*forward, *backward} if forward.get(k) != backward.get(k)}
    return differing <= {"name", "go_backwards"}


#: Entries Keras derives from others; each maps to a check that it was derived.
_DERIVED = {("Bidirectional", "backward_layer"): _mirrors_forward}

#: A value that could not be converted (its refusal is recorded).
_REFUSED = object()


#: What Keras writes in configs where the graph's None means the same: no activation,
#: and the channels-last layout (the graph reads a None data_format as channels_last).
_NONE_SPELLINGS = ("linear", "channels_last")


def _is_default(param: Param, value: Any) -> bool:
    """Whether `value` means the param's default."""
    if value == param.default:
        return True
    return (
        param.default is None
        and value in _NONE_SPELLINGS
        and param.kind.problem(None) is None
        and param.kind.problem(value) is None
    )


def _is_serialized_layer(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and isinstance(value.get("config"), Mapping)
        and value.get("module") == "keras.layers"
    )


def _plain(value: Any) -> Any:
    """Config values as plain Python: numpy arrays and scalars to lists and numbers."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _fingerprint(obj: Any) -> tuple[str, dict]:
    """(family, settings) of a Keras initializer or regularizer, seed left out.

    The family is the class just below Keras's base classes, so HeNormal and a
    VarianceScaling with the same scale, mode and distribution compare equal.
    """
    mro = type(obj).__mro__
    bases = ("Initializer", "RandomInitializer", "Regularizer")
    family = next(cls for cls, parent in pairwise(mro) if parent.__name__ in bases)
    settings = family.get_config(obj)
    settings.pop("seed", None)
    return family.__name__, settings


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return (
            isinstance(a, (int, float))
            and isinstance(b, (int, float))
            and math.isclose(a, b, rel_tol=1e-6)
        )
    return a == b


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
