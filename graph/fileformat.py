"""The graph file (`*.graph.json`): load, save, and their text forms.

The format is plain JSON, one node or edge per line so diffs stay readable, with a
format name and version. Loading only parses data (nothing in a file is ever
executed) and turns every defect into a `GraphFileError` naming the file and field.
Semantic problems (unknown types, bad params, cycles) load fine and are left to
`validate()`, so a user can open a broken file and fix it. Saving is atomic.

    {
      "format": "keras-graph-studio.graph",
      "version": 1,
      "name": "mlp",
      "nodes": [
        {"id": "n1", "type": "Input", "name": "digits", "params": {"shape": [784]}, "pos": [0, 0]},
        {"id": "n2", "type": "Dense", "name": "dense", "params": {"units": 10}, "pos": [200, 0]},
        {"id": "n3", "shares": "n2", "pos": [200, 80]}
      ],
      "edges": [
        {"from": "n1", "to": "n2", "port": "input"}
      ],
      "outputs": ["n2"],
      "training": {...}
    }

A node with "shares" is another call site of the earlier node's layer. The optional
"training" object is the graph's training setup (graph.trainingfile).

Version 2 adds blocks (graph.blocks): "blocks" lists the definitions, each a body in
the same form as the top graph, with the block's parameters; a node with "block" is a
use of one (its params are the use's parameter values), and an edge from a use names
the output it takes when it is not the first:

      "blocks": [
        {
          "name": "encoder",
          "params": [{"name": "units", "kind": "int", "default": 8}],
          "nodes": [
            {"id": "n1", "type": "Input", "name": "x", "params": {"shape": [16]}, ...},
            {"id": "n2", "type": "Dense", "name": "d", "params": {"units": {"$param": "units"}}}
          ],
          "edges": [...],
          "outputs": ["n2"]
        }
      ],
      "nodes": [{"id": "n3", "block": "encoder", "name": "enc", "params": {"units": 32}, ...}],
      "edges": [{"from": "n3", "output": 1, "to": "n5", "port": "input"}]

Version 3 adds frozen layers and weights: a node that defines a layer says
"trainable": false when its layer's weights do not train (absent: true, as in every
older file), and the optional "weights" object records the graph's weights sidecar
(graph.weights: its file name, sha256 and each layer's weight shapes).

A file is written in the oldest version that holds it (1 without blocks or frozen
layers, 2 with blocks), so such graphs stay readable by older versions of the
program; every version loads.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from graph.atomicfile import atomic_path
from graph.blocks import block_param, kind_name, refs_in
from graph.errors import GraphEditError, GraphFileError
from graph.jsontext import too_deep
from graph.model import Connection, Layer, ModelGraph
from graph.params import Param, freeze, thaw
from graph.trainingfile import read_training, training_json
from graph.weights import read_weights_record, weights_record_json

FORMAT = "keras-graph-studio.graph"
#: The newest version this program reads and writes (2: blocks, 3: frozen layers).
VERSION = 3
MAX_BYTES = 64 * 1024 * 1024
_MAX_COORD = 1e9

_TOP_KEYS = (
    "format",
    "version",
    "name",
    "blocks",
    "nodes",
    "edges",
    "outputs",
    "training",
    "weights",
)
_LAYER_NODE_KEYS = {"id", "type", "name", "params", "pos", "trainable"}
_USE_NODE_KEYS = {"id", "block", "name", "params", "pos", "trainable"}
_SHARED_NODE_KEYS = {"id", "shares", "pos"}
_EDGE_KEYS = {"from", "to", "port"}
_BLOCK_KEYS = {"name", "params", "nodes", "edges", "outputs"}
_BLOCK_PARAM_KEYS = {"name", "kind", "default"}


class _Reader:
    """Checks a parsed document field by field; errors name the field's path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> GraphFileError:
        return GraphFileError(self.source, f"{where}: {message}" if where else message)

    def object(self, value: Any, where: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"must be an object. Received: {_kind(value)}")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(where, f"unknown field '{unknown[0]}'. Expected: {_listed(allowed)}")
        missing = sorted(required - set(value))
        if missing:
            raise self.fail(where, f"missing field '{missing[0]}'")
        return value

    def string(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(where, f"must be a non-empty string. Received: {_kind(value)}")
        return value

    def array(self, value: Any, where: str) -> list:
        if not isinstance(value, list):
            raise self.fail(where, f"must be an array. Received: {_kind(value)}")
        return value

    def position(self, value: Any, where: str) -> tuple[float, float]:
        if (
            isinstance(value, list)
            and len(value) == 2
            and all(
                isinstance(v, (int, float))
                and not isinstance(v, bool)
                and math.isfinite(v)
                and abs(v) <= _MAX_COORD
                for v in value
            )
        ):
            return (float(value[0]), float(value[1]))
        raise self.fail(where, f"must be [x, y] with finite numbers up to {_MAX_COORD:g}")

    def graph(self, doc: Any) -> ModelGraph:
        doc = self.object(doc, "", set(_TOP_KEYS), {"format", "version", "nodes"})
        if doc["format"] != FORMAT:
            raise self.fail("format", f"must be '{FORMAT}'. Received: {doc['format']!r}")
        version = doc["version"]
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.fail("version", f"must be a positive integer. Received: {version!r}")
        if version > VERSION:
            raise self.fail(
                "version",
                f"format version {version} is newer than this program reads ({VERSION}); "
                "update Keras Graph Studio",
            )
        g = ModelGraph(self.string(doc.get("name", "model"), "name"))
        with g.events.blocked():
            self.blocks(g, self.array(doc.get("blocks", []), "blocks"))
            self.body(g, doc, "")
            if doc.get("training") is not None:
                g.training = read_training(self, doc["training"])
            if doc.get("weights") is not None:
                g.weights = read_weights_record(self, doc["weights"])
        return g

    def body(self, g: ModelGraph, doc: dict, prefix: str) -> None:
        """The nodes, edges and outputs of the top graph or a block's body (`prefix`
        is where its fields are: "" or "blocks[0].")."""
        self.nodes(g, self.array(doc["nodes"], f"{prefix}nodes"), prefix)
        self.edges(g, self.array(doc.get("edges", []), f"{prefix}edges"), prefix)
        self.outputs(g, self.array(doc.get("outputs", []), f"{prefix}outputs"), prefix)

    def blocks(self, g: ModelGraph, blocks: list) -> None:
        """Every definition, declared first (a body may use a block listed after it),
        then filled; a use that would make a block contain itself is refused."""
        raws = []
        for i, raw in enumerate(blocks):
            where = f"blocks[{i}]"
            raw = self.object(raw, where, _BLOCK_KEYS, {"name", "nodes"})
            name = self.string(raw["name"], f"{where}.name")
            params = [
                self.block_param(p, f"{where}.params[{j}]")
                for j, p in enumerate(self.array(raw.get("params", []), f"{where}.params"))
            ]
            try:
                raws.append((g.define_block(name, params), raw, f"{where}."))
            except GraphEditError as e:
                raise self.fail(where, str(e)) from None
        for body, raw, prefix in raws:
            with body.events.blocked():
                self.body(body, raw, prefix)

    def block_param(self, raw: Any, where: str) -> Param:
        raw = self.object(raw, where, _BLOCK_PARAM_KEYS, _BLOCK_PARAM_KEYS)
        name = self.string(raw["name"], f"{where}.name")
        try:
            return block_param(name, self.string(raw["kind"], f"{where}.kind"), raw["default"])
        except GraphEditError as e:
            raise self.fail(where, str(e)) from None

    def layer(self, g: ModelGraph, raw: Any, where: str) -> Layer:
        """The layer a node defines: a layer type's, or a use of a block."""
        if isinstance(raw, dict) and "block" in raw:
            raw = self.object(raw, where, _USE_NODE_KEYS, {"id", "block", "name"})
            layer_type = self.string(raw["block"], f"{where}.block")
            if layer_type not in g.blocks:
                defined = ", ".join(g.blocks.names()) or "none"
                raise self.fail(
                    f"{where}.block",
                    f"no block named {layer_type!r}. Defined: {defined}",
                )
            if g.is_body:
                try:
                    g.blocks.check_use(g.name, layer_type)
                except GraphEditError as e:
                    raise self.fail(f"{where}.block", str(e)) from None
        else:
            raw = self.object(raw, where, _LAYER_NODE_KEYS, {"id", "type", "name"})
            layer_type = self.string(raw["type"], f"{where}.type")
            if layer_type in g.blocks:
                raise self.fail(
                    f"{where}.type",
                    f'{layer_type!r} is a block; a use of it says "block": {layer_type!r}',
                )
        params = raw.get("params", {})
        if not isinstance(params, dict):
            raise self.fail(f"{where}.params", f"must be an object. Received: {_kind(params)}")
        declared = {p.name for p in g.parameters}
        for key, value in params.items():
            for ref in refs_in(freeze(value)):
                if ref not in declared:
                    owner = f"block '{g.name}'" if g.is_body else "the model"
                    raise self.fail(
                        f"{where}.params.{key}",
                        f"refers to parameter {ref!r}, which {owner} does not declare",
                    )
        trainable = raw.get("trainable", True)
        if not isinstance(trainable, bool):
            raise self.fail(
                f"{where}.trainable", f"must be true or false. Received: {_kind(trainable)}"
            )
        name = self.string(raw["name"], f"{where}.name")
        return Layer(layer_type, name, freeze(params), trainable)

    def nodes(self, g: ModelGraph, nodes: list, prefix: str = "") -> None:
        layer_of: dict[str, int] = {}
        for i, raw in enumerate(nodes):
            where = f"{prefix}nodes[{i}]"
            if isinstance(raw, dict) and "shares" in raw:
                raw = self.object(raw, where, _SHARED_NODE_KEYS, {"id", "shares"})
                shared = self.string(raw["shares"], f"{where}.shares")
                if shared not in layer_of:
                    raise self.fail(
                        f"{where}.shares",
                        f"must name an earlier node that defines a layer. Received: {shared!r}",
                    )
                layer_id = layer_of[shared]
            else:
                layer_id = g.restore_layer(self.layer(g, raw, where))
            node_id = self.string(raw["id"], f"{where}.id")
            if node_id in g:
                raise self.fail(f"{where}.id", f"duplicate node id {node_id!r}")
            pos = self.position(raw["pos"], f"{where}.pos") if "pos" in raw else (0.0, 0.0)
            if "shares" not in raw:
                layer_of[node_id] = layer_id
            g.restore_call_site(node_id, layer_id, pos)

    def edges(self, g: ModelGraph, edges: list, prefix: str = "") -> None:
        seen = set()
        for i, raw in enumerate(edges):
            where = f"{prefix}edges[{i}]"
            raw = self.object(raw, where, _EDGE_KEYS | {"output"}, _EDGE_KEYS)
            src = self.string(raw["from"], f"{where}.from")
            dst = self.string(raw["to"], f"{where}.to")
            port = self.string(raw["port"], f"{where}.port")
            output = raw.get("output", 0)
            if not isinstance(output, int) or isinstance(output, bool) or output < 0:
                raise self.fail(
                    f"{where}.output",
                    f"must be an integer >= 0 (which output of the source). Received: {output!r}",
                )
            for field, node_id in (("from", src), ("to", dst)):
                if node_id not in g:
                    raise self.fail(f"{where}.{field}", f"no node with id {node_id!r}")
            if (src, dst, port) in seen:
                raise self.fail(where, "duplicates an earlier edge")
            seen.add((src, dst, port))
            g.restore_edge(src, dst, port, output)

    def outputs(self, g: ModelGraph, outputs: list, prefix: str = "") -> None:
        for i, node_id in enumerate(outputs):
            where = f"{prefix}outputs[{i}]"
            node_id = self.string(node_id, where)
            if node_id not in g:
                raise self.fail(where, f"no node with id {node_id!r}")
            if node_id in g.outputs:
                raise self.fail(where, f"node {node_id!r} is listed twice")
            g.set_output(node_id)


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)


def _listed(keys: set[str]) -> str:
    return ", ".join(sorted(keys))


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} is out of range")
    return value


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows")


def loads(text: str, source: str = "<string>") -> ModelGraph:
    """Parse a graph from its JSON text; `source` names it in error messages."""
    reason = too_deep(text)
    if reason is not None:
        raise GraphFileError(source, f"not a graph file: {reason}")
    try:
        doc = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except json.JSONDecodeError as e:
        where = f"line {e.lineno} column {e.colno}"
        raise GraphFileError(source, f"not valid JSON: {e.msg} at {where}") from None
    except ValueError as e:  # e.g. an integer with more digits than Python converts
        raise GraphFileError(source, f"not valid JSON: {e}") from None
    return _Reader(source).graph(doc)


def load(path: str | os.PathLike) -> ModelGraph:
    """Read a graph file. Raises GraphFileError naming the file and the bad field."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise GraphFileError(path, f"cannot read: {e.strerror or e}") from None
    if len(data) > MAX_BYTES:
        raise GraphFileError(path, f"larger than {MAX_BYTES // 2**20} MiB; not a graph file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise GraphFileError(path, f"not UTF-8 text (byte {e.start})") from None
    return loads(text, str(path))


def _line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _node_lists(g: ModelGraph) -> tuple[list, list]:
    """The JSON of `g`'s nodes and edges, in the graph's stable order."""
    defined: dict[int, str] = {}
    nodes = []
    for node_id in g.node_ids():
        node = g.node(node_id)
        pos = list(node.pos)
        if node.layer_id in defined:
            nodes.append({"id": node_id, "shares": defined[node.layer_id], "pos": pos})
            continue
        defined[node.layer_id] = node_id
        layer = g.layer(node_id)
        params = {k: thaw(layer.params[k]) for k in sorted(layer.params)}
        kind = "block" if layer.type in g.blocks else "type"
        raw = {"id": node_id, kind: layer.type, "name": layer.name, "params": params}
        if not layer.trainable:
            raw["trainable"] = False
        nodes.append({**raw, "pos": pos})
    edges = [_edge(edge) for edge in g.connections()]
    return nodes, edges


def _edge(edge: Connection) -> dict:
    if edge.output:
        return {"from": edge.src, "output": edge.output, "to": edge.dst, "port": edge.port}
    return {"from": edge.src, "to": edge.dst, "port": edge.port}


def _lines(items: list, indent: str) -> str:
    """`items` as a JSON array, one item per line, indented by `indent`."""
    if not items:
        return "[]"
    return "[\n" + ",\n".join(f"{indent}  " + _line(item) for item in items) + f"\n{indent}]"


def _members(items: dict, indent: str) -> str:
    """`items` as a JSON object, one member per line, indented by `indent`."""
    if not items:
        return "{}"
    lines = [f"{indent}  {_line(key)}: {_line(value)}" for key, value in items.items()]
    return "{\n" + ",\n".join(lines) + f"\n{indent}}}"


def _blocks_text(g: ModelGraph) -> str:
    """The "blocks" field's text (with its leading line), "" without blocks."""
    if not len(g.blocks):
        return ""
    texts = []
    for name in g.blocks.names():
        body = g.blocks.body(name)
        params = [
            {"name": p.name, "kind": kind_name(p.kind), "default": thaw(p.default)}
            for p in body.parameters
        ]
        nodes, edges = _node_lists(body)
        texts.append(
            "    {\n"
            f'      "name": {_line(name)},\n'
            f'      "params": {_lines(params, "      ")},\n'
            f'      "nodes": {_lines(nodes, "      ")},\n'
            f'      "edges": {_lines(edges, "      ")},\n'
            f'      "outputs": {_line(body.outputs)}\n'
            "    }"
        )
    return '  "blocks": [\n' + ",\n".join(texts) + "\n  ],\n"


def _version(g: ModelGraph) -> int:
    """The oldest version that holds `g`: 3 with weights or a frozen layer, 2 with
    blocks, else 1."""
    graphs = [g, *(g.blocks.body(name) for name in g.blocks.names())]
    if g.weights is not None or any(
        not layer.trainable for body in graphs for _, layer in body.layers()
    ):
        return 3
    return 2 if len(g.blocks) else 1


def dumps(g: ModelGraph) -> str:
    """The graph as file text: stable order, one node or edge per line."""
    nodes, edges = _node_lists(g)

    training = ""
    if g.training is not None:
        training = f',\n  "training": {_members(training_json(g.training), "  ")}'
    weights = ""
    if g.weights is not None:
        record = weights_record_json(g.weights)
        weights = (
            ',\n  "weights": {\n'
            f'    "file": {_line(record["file"])},\n'
            f'    "sha256": {_line(record["sha256"])},\n'
            f'    "layers": {_members(record["layers"], "    ")}\n'
            "  }"
        )
    return (
        "{\n"
        f'  "format": {_line(FORMAT)},\n'
        f'  "version": {_version(g)},\n'
        f'  "name": {_line(g.name)},\n'
        f"{_blocks_text(g)}"
        f'  "nodes": {_lines(nodes, "  ")},\n'
        f'  "edges": {_lines(edges, "  ")},\n'
        f'  "outputs": {_line(g.outputs)}{training}{weights}\n'
        "}\n"
    )


def save(g: ModelGraph, path: str | os.PathLike) -> None:
    """Write `g` to `path` atomically: a crash mid-save leaves the old file whole."""
    text = dumps(g)
    try:
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8", newline="\n")
    except OSError as e:
        raise GraphFileError(path, f"cannot write: {e.strerror or e}") from None
