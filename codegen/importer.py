"""Keras -> graph: a Functional or Sequential Keras model as an editable ModelGraph.

    graph, notes = import_keras_model("model.keras")   # or a keras.Model object
    graph = from_keras(model)                           # the same, notes dropped

Safety first: a model that carries code (a Lambda layer, a custom class or function)
is refused before any of it runs; a `.keras` file is checked before Keras loads it
(see `codegen.keras_safety`).

Structure: every layer call becomes a node named after its layer, a shared layer one
layer with several call sites; inputs keep the model's order, shape (batch axis
excluded), dtype and names, and outputs their order. Nested Sequential and Functional
models are flattened into the outer graph: their layers become nodes under their own
names (prefixed with the sub-model's name on a clash).

Operations: a Keras operation (`x + y`, `ops.mean`, `x[:, 0]`) becomes an operation
node (codegen.import_ops).

Params: from each layer's config, by its spec, with a note for whatever the graph
cannot hold exactly (see `codegen.keras_params`). A frozen layer, a dtype policy and
a call made with `training=...` are left out with a note too. Nothing is silently
wrong: the imported graph is validated, and its inferred shapes and weight counts must
equal Keras's own, or the import is refused naming the layers that differ.
"""

from __future__ import annotations

import inspect
import os
from functools import cache
from pathlib import Path
from typing import Any

from codegen.import_ops import read_operation
from codegen.keras_env import allow_depth, import_keras
from codegen.keras_params import ImportNotes, ParamConverter, plain
from codegen.keras_safety import ImportRefused, code_in_layer, load_checked
from codegen.layout import layered_layout
from graph import ModelGraph, ParamError, validate
from graph.calls import CallStyleError, call_inputs
from graph.naming import valid_name
from graph.shapes import fmt
from graph.spec import LayerSpec, get_spec, input_spec
from graph.wording import counted

__all__ = ["ImportRefused", "Notes", "from_keras", "import_keras_model"]

Notes = list[str]


def from_keras(model_or_path: Any) -> ModelGraph:
    """The graph of a keras.Model or `.keras` file; see `import_keras_model`."""
    return import_keras_model(model_or_path)[0]


def import_keras_model(model_or_path: Any) -> tuple[ModelGraph, Notes]:
    """(graph, notes) for a keras.Model object or the path of a `.keras` file.

    The notes say what the graph could not hold exactly, one line per kind of
    difference naming the layers it concerns (see the module docstring and
    `codegen.keras_params`). Raises ImportRefused when the model carries code or
    cannot be expressed, GraphFileError when the file cannot be read.
    """
    keras = import_keras()
    if isinstance(model_or_path, (str, os.PathLike)):
        model = load_checked(keras, Path(model_or_path))
    else:
        model = model_or_path
    return _Importer(keras).run(model)


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
        self.notes = ImportNotes()
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
        self.params = ParamConverter(keras, self.notes, self.refused)

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

    def walk(
        self, functional: Any, tensors: dict[int, str], prefix: str | None
    ) -> list[str | None]:
        """Add the layer calls of `functional`, whose input tensors are the nodes in
        `tensors` (by id); returns the nodes of its outputs (None where refused)."""
        for call in _calls(functional):
            if call.is_input:
                continue  # an InputLayer: its tensor is mapped by the caller
            op = call.operation
            label = f"{type(op).__name__} '{op.name}'"
            if not isinstance(op, self.keras.layers.Layer):
                self.add_operation(label, op, call, tensors, prefix)
                continue
            # A Functional or Sequential model is flattened; a subclassed one has no
            # graph to walk and is refused as the custom class it is (listing 7.15).
            is_model = type(op) in self.models
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
                f"{label}: called on {counted(len(sources), 'tensor')}. Expected its "
                f"{counted(len(inner.inputs), 'input')}"
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
        if spec is None:
            inputs = [("input", t) for t in self.keras.tree.flatten(bound.arguments[first])]
            used = {first}
        else:
            try:
                inputs, used = call_inputs(spec, bound.arguments, first)
            except CallStyleError as e:
                self.refused.append(f"{label}: {e}")
                return None
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
            elif plain(value) != plain(parameter.default):
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
        spec = input_spec()
        params = spec.keras_input_params(tuple(config["batch_shape"]), config["dtype"])
        return self.add_layer_node(label, spec.type, layer, params, prefix=None)

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

    def add_operation(
        self, label: str, op: Any, call: Any, tensors: dict[int, str], prefix: str | None
    ) -> None:
        """The operation node of a keras.ops call (see codegen.import_ops). One the graph
        cannot hold is refused only if a layer takes its output: Keras computes some
        itself, as the mask of Embedding(mask_zero=True), which a rebuild makes again."""
        found = read_operation(self.keras, label, op, call)
        if isinstance(found, str):
            self.unusable.update({id(t): found for t in call.outputs})
            return
        sources = self.nodes_of(tensors, found.inputs)
        if sources is None:
            return
        node = self.add_layer_node(label, found.spec.type, op, found.params, prefix)
        if node is None:
            return
        for port, src in sources:
            self.g.connect(src, node, port)
        self.keras_shapes[node] = tuple(call.outputs[0].shape)
        tensors[id(call.outputs[0])] = node

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
        found = code_in_layer(self.keras, label, op)
        if found:
            self.refused.extend(found)
            return None
        layer_type = type(op).__name__
        spec = get_spec(layer_type)
        if spec is None:
            self.refused.append(
                f"{label}: the graph has no layer spec for {layer_type}. Expected a layer "
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
        valid = valid_name(name)
        candidate = valid
        if prefix is not None and (candidate in taken or candidate in self.reserved):
            candidate = valid_name(f"{prefix}_{valid}")
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
    from the outputs, then in the model's operation order, then by call.

    Keras has no public API for a model's calls: this reads the Function's
    `_nodes_by_depth` and each operation's `_inbound_nodes` (keras/src/ops/function.py).
    """
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


@cache
def _call_signature(cls: type) -> inspect.Signature:
    """The signature of `cls.call` as a bound method (without self)."""
    signature = inspect.signature(cls.call)
    return signature.replace(parameters=list(signature.parameters.values())[1:])
