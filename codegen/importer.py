"""Keras -> graph: a Functional or Sequential Keras model as an editable ModelGraph.

    graph, notes = import_keras_model("model.keras")   # or a keras.Model object
    graph = from_keras(model)                           # the same, notes dropped

Safety first: a model that carries code (a Lambda layer, a custom class or function)
is refused before any of it runs; a `.keras` file is checked before Keras loads it
(see `codegen.keras_safety`).

Structure: every layer call becomes a node named after its layer, a shared layer one
layer with several call sites; inputs keep the model's order, shape (batch axis
excluded), dtype and names, and outputs their order. Nested Sequential and Functional
models become block definitions and uses (codegen.import_blocks); with `flatten=True`
they are flattened into the outer graph instead: their layers become nodes under their
own names (prefixed with the sub-model's name on a clash).

Operations: a Keras operation (`x + y`, `ops.mean`, `x[:, 0]`) becomes an operation
node (codegen.import_ops).

Params: from each layer's config, by its spec, with a note for whatever the graph
cannot hold exactly (see `codegen.keras_params`). A dtype policy and a call made
with `training=...` are left out with a note too. A frozen layer (or a layer of a
frozen nested model) is frozen in the graph. Nothing is silently
wrong: the imported graph is validated, and its inferred shapes and weight counts must
equal Keras's own, or the import is refused naming the layers that differ.
"""

from __future__ import annotations

import copy
import inspect
import math
import os
from functools import cache
from pathlib import Path
from typing import Any

from codegen.import_blocks import SubModelBlocks
from codegen.import_ops import read_operation
from codegen.keras_env import allow_depth, import_keras
from codegen.keras_params import ImportNotes, ParamConverter, plain
from codegen.keras_registry import type_name
from codegen.keras_safety import ImportRefused, code_in_layer, load_checked
from codegen.layout import layered_layout
from codegen.user_layers import TrustedLayers
from graph import ModelGraph, ParamError, validate
from graph.calls import CallStyleError, call_inputs
from graph.grouping import Grouping, group_by_names
from graph.naming import valid_name
from graph.shapes import fmt
from graph.spec import LayerSpec, get_spec, input_spec
from graph.training import TrainingSetup
from graph.wording import counted

__all__ = ["ImportRefused", "Notes", "from_keras", "import_keras_model"]

Notes = list[str]


def from_keras(
    model_or_path: Any,
    *,
    flatten: bool = False,
    group_by_names: bool = False,
    user_layers: TrustedLayers | None = None,
) -> ModelGraph:
    """The graph of a keras.Model or `.keras` file; see `import_keras_model`."""
    return import_keras_model(
        model_or_path, flatten=flatten, group_by_names=group_by_names, user_layers=user_layers
    )[0]


def import_keras_model(
    model_or_path: Any,
    *,
    flatten: bool = False,
    group_by_names: bool = False,
    user_layers: TrustedLayers | None = None,
) -> tuple[ModelGraph, Notes]:
    """(graph, notes) for a keras.Model object or the path of a `.keras` file; nested
    models become blocks, or with `flatten` nodes of the outer graph; with
    `group_by_names`, runs of layers named alike become blocks too (graph.grouping).

    The notes say what the graph could not hold exactly, one line per kind of
    difference naming the layers it concerns (see the module docstring and
    `codegen.keras_params`). Raises ImportRefused when the model carries code or
    cannot be expressed, GraphFileError when the file cannot be read.

    The classes of `user_layers` (the user's trusted modules, codegen.user_layers) are
    let through and become custom layer nodes (`module:Name`), the graph's training
    setup recording their modules.
    """
    keras = import_keras()
    if isinstance(model_or_path, (str, os.PathLike)):
        trusted = None if user_layers is None else user_layers.custom_objects()
        model = load_checked(keras, Path(model_or_path), trusted)
    else:
        model = model_or_path
    return _Importer(keras, flatten, group_by_names, user_layers).run(model)


def import_keras_layers(
    model: Any,
    *,
    flatten: bool = False,
    group_by_names: bool = False,
    user_layers: TrustedLayers | None = None,
) -> tuple[ModelGraph, Notes, dict[str, Any], Grouping]:
    """`import_keras_model` of a keras.Model object, with the Keras layer (or nested
    model, for a block use) each graph layer came from, by its graph layer name before
    any grouping (what its weights are copied from), and what grouping did (its uses
    name each member's layer by that name)."""
    importer = _Importer(import_keras(), flatten, group_by_names, user_layers)
    g, notes = importer.run(model)
    return g, notes, importer.imported, importer.grouping


class _Importer:
    """One import: walks the model's layer calls in Keras's order, adding nodes.

    Problems are collected rather than raised one by one, so a refusal names every
    offending layer at once; calls downstream of a refused layer are skipped.
    """

    def __init__(
        self,
        keras: Any,
        flatten: bool = False,
        group_names: bool = False,
        user_layers: TrustedLayers | None = None,
    ) -> None:
        from keras.src.models.functional import Functional

        self.keras = keras
        self.models = (Functional, keras.Sequential)
        self.flatten = flatten
        self.group_names = group_names
        self.notes = ImportNotes()
        self.refused: list[str] = []
        #: id(keras layer) -> its spec (None: refused).
        self.specs: dict[int, LayerSpec | None] = {}
        #: id(tensor) -> why it cannot be used, for outputs of keras.ops operations.
        self.unusable: dict[int, str] = {}
        self.params = ParamConverter(keras, self.notes, self.refused)
        #: How many frozen nested models the walk is inside (their layers are frozen).
        self.frozen_models = 0
        #: The blocks made of nested models (None until run, and when flattening).
        self.sub_models: SubModelBlocks | None = None
        #: The user's trusted layer classes, by class: their layer types.
        self.user_types = {} if user_layers is None else dict(user_layers.types)
        self.start_graph(ModelGraph())
        if user_layers is not None and user_layers.modules:
            self.g.training = TrainingSetup(modules=user_layers.modules)

    def start_graph(self, g: ModelGraph) -> None:
        """Make `g` the graph calls are added to: what is kept per graph starts afresh
        (the rest of the import's state is shared with the importers of its bodies)."""
        self.g = g
        #: id(keras layer or model) -> the node of its first call site.
        self.first_site: dict[int, str] = {}
        #: node -> the shape Keras gives its output; first call site -> keras layer.
        self.keras_shapes: dict[str, tuple] = {}
        self.keras_layers: dict[str, Any] = {}
        #: Names of the outer model's own layers: nested layers give way to them.
        self.reserved: set[str] = set()
        #: The graph's layer names so far (asking the graph each time costs O(n)).
        self.taken: set[str] = set()

    def body_importer(self, g: ModelGraph) -> _Importer:
        """An importer of a nested model into `g`, sharing this import's notes,
        refusals and caches."""
        child = copy.copy(self)
        child.start_graph(g)
        return child

    def run(self, model: Any) -> tuple[ModelGraph, Notes]:
        functional = self.functional(model, f"model '{getattr(model, 'name', model)}'")
        if functional is None:
            raise ImportRefused("; ".join(self.refused))
        if not self.flatten:
            self.sub_models = SubModelBlocks(model, lambda layer: type(layer) in self.models)
        self.g.name = model.name
        allow_depth(len(functional.operations))
        self.fill(functional, model.name)
        #: Graph layer name -> the Keras layer it came from (before any grouping).
        self.imported = {self.g.layer(node).name: op for node, op in self.keras_layers.items()}
        self.grouping = group_by_names(self.g) if self.group_names else Grouping()
        for graph in [self.g, *(self.g.blocks.body(name) for name in self.g.blocks.names())]:
            for node_id, pos in layered_layout(graph).items():
                graph.move(node_id, pos)
        return self.g, self.notes.lines()

    def fill(self, functional: Any, name: str) -> None:
        """Add the inputs, layer calls and outputs of `functional` (of the model
        `name`) to the graph and prove them against Keras; raises ImportRefused."""
        self.reserved = {op.name for op in functional.operations}
        tensors = {}
        for tensor in functional.inputs:
            node = self.add_input(tensor)
            if node is not None:
                tensors[id(tensor)] = (node, 0)
        found = self.walk(functional, tensors, prefix=None)
        if self.refused:
            raise ImportRefused(f"model '{name}' cannot be imported: " + "; ".join(self.refused))
        later = [self.g.label(node) for node, output in found if output]
        if later:
            raise ImportRefused(
                f"model '{name}': an output is a later output of the nested model "
                f"{later[0]}, which a graph output cannot name. Import it flattened"
            )
        outputs = [node for node, _ in found]
        if len(set(outputs)) != len(outputs):
            raise ImportRefused(
                f"model '{name}' lists an output more than once. Expected distinct "
                f"outputs. Received: {[self.g.layer(n).name for n in outputs]}"
            )
        self.g.set_outputs(outputs)
        self.check_against_keras(functional)

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
        self, functional: Any, tensors: dict[int, tuple[str, int]], prefix: str | None
    ) -> list[tuple[str, int] | None]:
        """Add the layer calls of `functional`, whose input tensors are the (node,
        output) in `tensors` (by id); returns those of its outputs (None where refused)."""
        for call in _calls(functional):
            if call.is_input:
                continue  # an InputLayer: its tensor is mapped by the caller
            op = call.operation
            label = f"{type(op).__name__} '{op.name}'"
            if not isinstance(op, self.keras.layers.Layer):
                self.add_operation(label, op, call, tensors, prefix)
                continue
            # A Functional or Sequential model is a block use (or flattened); a subclassed
            # one has no graph to walk and is refused as the custom class it is (7.15).
            is_model = type(op) in self.models
            spec = None if is_model else self.spec_of(label, op)
            if not is_model and spec is None:
                continue
            inputs = self.call_inputs(label, op, call, spec)
            sources = None if inputs is None else self.nodes_of(tensors, inputs)
            if sources is None:
                continue
            if is_model:
                outputs = self.call_model(label, op, call, sources)
                tensors.update({id(t): out for t, out in zip(call.outputs, outputs, strict=True)})
            elif len(call.outputs) != 1:
                self.refused.append(
                    f"{label}: returns {len(call.outputs)} tensors. Expected one output "
                    "per layer call (a graph node has one output)"
                )
            else:
                node = self.add_call(label, op, spec, sources, prefix)
                if node is not None:
                    self.keras_shapes[node] = tuple(call.outputs[0].shape)
                    tensors[id(call.outputs[0])] = (node, 0)
        outputs = [("output", t) for t in functional.outputs]
        found = self.nodes_of(tensors, outputs)
        return [None] * len(outputs) if found is None else [(n, k) for _, n, k in found]

    def call_model(
        self, label: str, model: Any, call: Any, sources: list[tuple[str, str, int]]
    ) -> list[tuple[str, int] | None]:
        """One call of a nested model on `sources`: a block use, or its layers
        flattened (see the module docstring); (node, output) for each of its outputs."""
        inner = self.functional(model, label)
        if inner is None:
            return [None] * len(model.outputs)
        blocks = self.sub_models
        reason = None if blocks is None else blocks.flattened.get(id(model))
        if blocks is None or reason is not None:
            if reason is not None:
                self.notes.add(label, reason)
            return self.walk_model(label, model, inner, sources)
        outputs = blocks.use(self, label, model, inner, sources)
        if outputs[0] is not None:
            self.keras_shapes[outputs[0][0]] = tuple(call.outputs[0].shape)
        return outputs

    def walk_model(
        self, label: str, model: Any, inner: Any, sources: list[tuple[str, str, int]]
    ) -> list[tuple[str, int] | None]:
        """Flatten one call of a nested model on `sources`; its outputs' (node, output)."""
        if len(inner.inputs) != len(sources):
            self.refuse_call_count(label, len(sources), len(inner.inputs))
            return [None] * len(inner.outputs)
        pairs = zip(inner.inputs, sources, strict=True)
        inner_tensors = {id(t): (node, output) for t, (_, node, output) in pairs}
        frozen = not model.trainable  # Keras counts none of a frozen model's weights trainable
        self.frozen_models += frozen
        try:
            return self.walk(inner, inner_tensors, prefix=model.name)
        finally:
            self.frozen_models -= frozen

    def refuse_call_count(self, label: str, received: int, expected: int) -> None:
        self.refused.append(
            f"{label}: called on {counted(received, 'tensor')}. Expected its "
            f"{counted(expected, 'input')}"
        )

    def nodes_of(
        self, tensors: dict[int, tuple[str, int]], inputs: list[tuple[str, Any]]
    ) -> list[tuple[str, str, int]] | None:
        """(port, node, output) for each (port, tensor), or None if a tensor has no
        node (its maker was refused; a keras.ops maker is refused now)."""
        missing = [t for _, t in inputs if tensors.get(id(t)) is None]
        for t in missing:
            reason = self.unusable.get(id(t))
            if reason is not None and reason not in self.refused:
                self.refused.append(reason)
        return None if missing else [(port, *tensors[id(t)]) for port, t in inputs]

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
        sources: list[tuple[str, str, int]],
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
            frozen = self.frozen(label, op)
            if frozen is None:
                return None
            if frozen or self.frozen_models:
                self.g.set_trainable(node, False)
            self.keras_layers[node] = op
        for port, src, output in sources:
            self.g.connect(src, node, port, output)
        return node

    def frozen(self, label: str, op: Any) -> bool | None:
        """Whether Keras counts none of `op`'s weights trainable: the layer frozen, or
        the layer a TimeDistributed wraps (Keras then trains none of its weights),
        or both of a Bidirectional's forward and backward layers (Keras copies the
        layer it is given into those two: that one's own flag changes nothing). A
        graph node is frozen whole, so a Bidirectional with one of them frozen is
        refused (None), naming it."""
        if not op.trainable:
            return True
        layers = self.keras.layers
        if isinstance(op, layers.Bidirectional):
            inner = {"forward": op.forward_layer, "backward": op.backward_layer}
        elif isinstance(op, layers.TimeDistributed):
            inner = {"wrapped": op.layer}
        else:
            return False
        frozen = [part for part, layer in inner.items() if not layer.trainable]
        if frozen and len(frozen) < len(inner):
            self.refused.append(
                f"{label}: its {frozen[0]} layer is frozen and the other is not; the graph "
                "freezes a layer whole (freeze the Bidirectional itself, or neither)"
            )
            return None
        return bool(frozen)

    def add_operation(
        self,
        label: str,
        op: Any,
        call: Any,
        tensors: dict[int, tuple[str, int]],
        prefix: str | None,
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
        for port, src, output in sources:
            self.g.connect(src, node, port, output)
        self.keras_shapes[node] = tuple(call.outputs[0].shape)
        tensors[id(call.outputs[0])] = (node, 0)

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
        user_type = self.user_types.get(type(op))
        if user_type is not None:  # the user trusts its module: a custom layer node
            return self.g.spec_of_type(user_type)
        found = code_in_layer(self.keras, label, op)
        if found:
            self.refused.extend(found)
            return None
        layer_type = type_name(type(op))
        spec = get_spec(layer_type)
        if spec is None:
            self.refused.append(
                f"{label}: the graph has no layer spec for {layer_type}. Expected a layer "
                "type the graph knows"
            )
        return spec

    def note_layer_options(self, label: str, op: Any) -> None:
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

    def check_against_keras(self, model: Any) -> None:
        """Refuse unless the graph validates and infers Keras's own output shapes and
        weight counts, call site by call site, and the model's trainable count."""
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
        trainable = sum(int(math.prod(w.shape)) for w in model.trainable_weights)
        if not wrong and report.trainable_params != trainable:
            wrong.append(
                f"the graph counts {report.trainable_params} trainable weights, Keras {trainable}"
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
