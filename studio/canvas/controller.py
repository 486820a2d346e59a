"""CanvasController: the canvas's gestures and actions, turned into undo commands.

The main window binds its actions and shortcuts to the public methods here; the
view's signals (drops) and the scene's (drags) and the connect gesture land here
too. Every edit goes on the stack as one step, and the graph's events bring the
canvas up to date. A refused edit changes nothing and emits `refused` with the
graph's reason, for the status bar.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, QRectF, Signal
from PySide6.QtGui import QCursor, QGuiApplication, QUndoStack

from codegen.layout import Direction, layered_layout
from codegen.onnx_readiness import OnnxProblem, onnx_problems
from graph import GraphEditError, GraphError, LayerSpec, ModelGraph
from graph.fits import takes
from graph.model import Connection
from graph.quick_fixes import QuickFix, quick_fixes
from graph.report import ERROR
from studio.canvas.block_actions import BlockActions
from studio.canvas.clipboard import Copied, pasted_nodes, put_on_clipboard, subgraph
from studio.canvas.connect_gesture import ConnectGesture, first_fitting_port, first_free_port
from studio.canvas.items import HEADER, NODE_WIDTH, box_height
from studio.canvas.scene import EdgeKey, GraphScene, output_names, shown_ports
from studio.canvas.view import GraphView
from studio.document.commands import (
    AddNode,
    CallAgain,
    Connect,
    Disconnect,
    GraphCommand,
    MoveNodes,
    RemoveNodes,
    SetOutput,
    SetTrainable,
    push_checked,
)
from studio.document.compound import CompoundEdit
from studio.document.quick_fix import fix_edit

#: How far a paste lands from the copied nodes (scene units) when there is no
#: selection to put it beside and no cursor over the canvas.
PASTE_OFFSET = (40.0, 40.0)
#: Gap between a node and the call site "Call again" puts below it.
CALL_AGAIN_GAP = 30.0
#: Gap between a node and the one added after it (Tab), to its right or below another.
BESIDE_GAP = 60.0


class LayOut(MoveNodes):
    """An auto layout as one undo step: the moves, and which way the ports face
    (the direction is the scene's, not the graph's: undo turns them back too)."""

    def __init__(
        self, scene: GraphScene, new: dict[str, tuple[float, float]], before: Direction
    ) -> None:
        super().__init__(scene.graph, new)
        self.setText("Auto layout")
        self._scene = scene
        self._directions = (before, scene.direction)

    def do(self) -> None:
        self._scene.set_direction(self._directions[1])
        super().do()

    def undo(self) -> None:
        super().undo()
        self._scene.set_direction(self._directions[0])


class CanvasController(QObject):
    """Edits `scene.graph` through `stack` in answer to the canvas's gestures and actions."""

    #: Why an edit was refused (cycle, port taken, bad name, ...).
    refused = Signal(str)
    #: A wire dragged from this node's output was dropped on empty canvas, here.
    wire_dropped = Signal(str, QPointF)
    #: A Delete removed one node of a chain whose neighbours could be joined: what
    #: to say ("Deleted 'dropout'"); `reconnect_deleted` joins them.
    reconnect_offered = Signal(str)

    def __init__(self, scene: GraphScene, view: GraphView, stack: QUndoStack) -> None:
        # Owned by the scene: a view outlives its documents, and when a document's
        # scene goes, its controller and gesture go with it (and their connections).
        super().__init__(scene)
        self.scene, self.view, self.stack = scene, view, stack
        #: The last Delete that could have reconnected: the undo index after it and
        #: the node it removed (see `reconnect_deleted`).
        self._offer: tuple[int, str] | None = None
        scene.nodes_dragged.connect(self._moved)
        view.layer_dropped.connect(self._dropped)
        view.library_dropped.connect(self._library_dropped)
        self.connect_gesture = view.gesture = ConnectGesture(self)
        #: Group into block, Ungroup, Make unique, Repeat, ... (studio.canvas.block_actions)
        self.blocks = BlockActions(self)

    @property
    def graph(self) -> ModelGraph:
        return self.scene.graph

    # ------------------------------------------------------------ edit helpers

    def _push(self, command: GraphCommand) -> bool:
        """Do and push `command`; on refusal emit `refused` and return False."""
        try:
            push_checked(self.stack, command)
        except GraphEditError as e:
            self.refused.emit(str(e))
            return False
        return True

    def _compound(self, text: str) -> CompoundEdit:
        return CompoundEdit(self.graph, text, self.scene.batch)

    # ------------------------------------------------------------------ nodes

    def add_node(self, layer_type: str, scene_pos: QPointF) -> str | None:
        """Add a `layer_type` node whose header is centred on `scene_pos`, or below
        it past the nodes there; returns its id, or None if refused (an unknown type)."""
        spot = self.spot_for(self.graph.spec_of_type(layer_type), scene_pos)
        command = AddNode(self.graph, layer_type, pos=spot)
        if not self._push(command):
            return None
        self.scene.select_nodes([command.node_id])
        return command.node_id

    def spot_for(self, spec: LayerSpec | None, scene_pos: QPointF) -> tuple[float, float]:
        """Where a new node of `spec` goes: its header centred on `scene_pos`, or below
        it past the nodes there."""
        x, y = _header_at(scene_pos)
        ports = shown_ports(spec, ()) if spec is not None else ()
        height = box_height(ports, False, output_names(spec))
        spot = self.free_spot(QRectF(x, y, NODE_WIDTH, height))
        return spot.x(), spot.y()

    def add_after(self, layer_type: str, src: str, scene_pos: QPointF) -> str | None:
        """Add a `layer_type` node at `scene_pos` (as `add_node`) fed by src's output
        into its first free port whose shape rule takes it, as one step; returns its
        id, or None if refused. A node none of whose ports takes the output is added
        unconnected, and says why."""
        g = self.graph
        edit = self._compound(f"Add {layer_type} after '{g.layer(src).name}'")
        try:
            with self.scene.batch():
                node_id = edit.run(AddNode(g, layer_type, pos=_header_at(scene_pos))).node_id
                if first_free_port(g, src, node_id) is None:
                    edit.undo()
                    self.refused.emit(f"{layer_type} takes no input to connect")
                    return None
                port = first_fitting_port(self.scene, src, node_id)
                if port is not None:
                    edit.run(Connect(g, src, node_id, port))
        except GraphEditError as e:
            self.refused.emit(str(e))
            return None
        if port is None:
            shape = self.scene.node_item(src).view.shape
            self.refused.emit(
                f"{g.label(node_id)} does not take the output {shape} of "
                f"'{g.layer(src).name}': added unconnected"
            )
        edit.push_to(self.stack)
        self.scene.select_nodes([node_id])
        return node_id

    def beside(self, node_id: str) -> QPointF:
        """Where a node added after `node_id` goes (as `add_node`'s position): to its
        right, moved down past any node already there."""
        item = self.scene.node_item(node_id)
        box = item.sceneBoundingRect()
        spot = self.free_spot(box.translated(box.width() + BESIDE_GAP, 0.0))
        corner = item.pos() + spot.topLeft() - box.topLeft()
        return corner + QPointF(NODE_WIDTH / 2, HEADER / 2)

    def free_spot(self, box: QRectF) -> QRectF:
        """`box` (scene coordinates), moved down until it is on no node."""
        others = [i.sceneBoundingRect() for i in self.scene.node_items()]
        spot = QRectF(box)
        while hit := [o for o in others if o.intersects(spot)]:
            spot.moveTop(max(o.bottom() for o in hit) + BESIDE_GAP / 2)
        return spot

    def place_new(self, box: QRectF, at: QPointF | None = None) -> QPointF:
        """How far to move new nodes that sit in `box` now: to `at` (scene
        coordinates; the first node's header centred there, as `add_node`), else
        beside the selection (to its right), else to the cursor over the canvas, else
        PASTE_OFFSET; then down off any node."""
        selected = [self.scene.node_item(n) for n in self.scene.selected_node_ids()]
        if at is not None:
            target = box.translated(QPointF(*_header_at(at)) - box.topLeft())
        elif selected:
            around = QRectF()
            for item in selected:
                around |= item.sceneBoundingRect()
            target = box.translated(
                around.right() + BESIDE_GAP - box.left(), around.top() - box.top()
            )
        elif self.view.has_cursor():
            port = self.view.viewport()
            target = box.translated(
                self.view.mapToScene(port.mapFromGlobal(QCursor.pos())) - box.topLeft()
            )
        else:
            target = box.translated(*PASTE_OFFSET)
        return self.free_spot(target).topLeft() - box.topLeft()

    def _dropped(self, layer_type: str, scene_pos: QPointF) -> None:
        if self.active():
            self.add_node(layer_type, scene_pos)

    def _library_dropped(self, path: str, scene_pos: QPointF) -> None:
        if self.active():
            self.blocks.add_from_library(Path(path), scene_pos)

    def active(self) -> bool:
        """Whether the view shows this controller's scene (a replaced one stays quiet)."""
        return self.view.scene() is self.scene

    def delete_selection(self) -> None:
        """Delete the selected nodes (with their connections) and selected connections,
        as one step."""
        nodes = self.scene.selected_node_ids()
        removed = set(nodes)
        edges = [e for e in self.scene.selected_edges() if not removed & {e[0], e[1]}]
        if not nodes and not edges:
            return
        g = self.graph
        bridges = [] if edges else self.reconnectable()
        edit = self._compound("Delete selection")
        with self.scene.batch():
            for edge in edges:
                edit.run(Disconnect(g, *edge))
            if nodes:
                name = g.layer(nodes[0]).name
                edit.run(RemoveNodes(g, nodes))
        edit.push_to(self.stack)
        self._offer = (self.stack.index(), nodes[0]) if bridges else None
        if bridges:
            self.reconnect_offered.emit(f"Deleted '{name}'")

    def reconnect_deleted(self) -> bool:
        """Turn the last Delete into Delete and reconnect (one undo step), if it is
        still the latest edit; see `reconnect_offered`."""
        offer, self._offer = self._offer, None
        if offer is None or offer[0] != self.stack.index() or offer[0] != self.stack.count():
            self.refused.emit("the deleted node can no longer be reconnected: edits came after")
            return False
        self.stack.undo()
        self.scene.select_nodes([offer[1]])
        return self.delete_and_reconnect()

    def select_all(self) -> None:
        self.scene.select_nodes(self.graph.node_ids())

    def call_again(self) -> str | None:
        """Add a call site of the selected node's layer below it; returns its id."""
        selected = self.scene.selected_node_ids()
        if len(selected) != 1:
            self.refused.emit("select one node to call its layer again")
            return None
        [node_id] = selected
        box = self.scene.node_item(node_id).sceneBoundingRect()
        pos = (self.graph.node(node_id).pos[0], box.bottom() + CALL_AGAIN_GAP)
        command = CallAgain(self.graph, node_id, pos)
        if not self._push(command):
            return None
        self.scene.select_nodes([node_id, command.node_id])
        return command.node_id

    def toggle_output(self) -> None:
        """Mark the selected nodes as model outputs, or unmark them if all are outputs."""
        selected = self.scene.selected_node_ids()
        if not selected:
            return
        outputs = set(self.graph.outputs)
        mark = not all(n in outputs for n in selected)
        changing = [n for n in selected if (n in outputs) != mark]
        if len(changing) == 1:
            self._push(SetOutput(self.graph, changing[0], mark))
            return
        edit = self._compound(f"{'Mark' if mark else 'Unmark'} {len(changing)} outputs")
        for node_id in changing:
            edit.run(SetOutput(self.graph, node_id, mark))
        edit.push_to(self.stack)

    def freeze_upstream(self) -> None:
        """Freeze the selected nodes' layers and every layer upstream of them (the
        base of a fine-tuning), as one step; Inputs have no weights to freeze."""
        selected = self.scene.selected_node_ids()
        if not selected:
            self.refused.emit("select the node to freeze up to")
            return
        g = self.graph
        reach = upstream(g, selected)
        edit = self._compound(
            f"Freeze up to '{g.layer(selected[0]).name}'"
            if len(selected) == 1
            else f"Freeze up to {len(selected)} nodes"
        )
        for node_id in g.node_ids():
            # A shared layer's later call sites find it frozen already: one step each.
            if node_id in reach and not g.is_input(node_id) and g.layer(node_id).trainable:
                edit.run(SetTrainable(g, node_id, False))
        edit.push_to(self.stack)

    def unfreeze_all(self) -> None:
        """Make every layer of the graph trainable again, as one step."""
        g = self.graph
        edit = self._compound("Unfreeze all")
        for node_id in g.node_ids():
            if not g.layer(node_id).trainable:
                edit.run(SetTrainable(g, node_id, True))
        edit.push_to(self.stack)

    # ------------------------------------------------------------ connections

    def connect(self, src: str, dst: str, port: str, output: int = 0) -> bool:
        """Connect src's output (`output`: which one) to dst's `port`; False (and
        `refused`) if refused."""
        return self._push(Connect(self.graph, src, dst, port, output))

    def disconnect(self, edge: EdgeKey) -> bool:
        return self._push(Disconnect(self.graph, *edge))

    def move_connection(self, edge: EdgeKey, dst: str, port: str) -> bool:
        """Move the connection `edge` to dst's `port`, as one step."""
        g = self.graph
        src = edge[0]
        edit = self._compound(f"Reconnect {g.layer(src).name} -> {g.layer(dst).name}")
        output = g.edge_output(*edge)
        try:
            edit.run(Disconnect(g, *edge))
            edit.run(Connect(g, src, dst, port, output))
        except GraphEditError as e:
            self.refused.emit(str(e))
            return False
        edit.push_to(self.stack)
        return True

    # -------------------------------------------------------------- clipboard

    def copy(self) -> bool:
        """Put the selected nodes, with the connections among them, on the clipboard."""
        nodes = self.scene.selected_node_ids()
        if not nodes:
            return False
        try:
            copied = subgraph(self.graph, nodes)
        except GraphEditError as e:
            self.refused.emit(f"cannot copy: {e}")
            return False
        put_on_clipboard(copied)
        return True

    def paste(self, at: QPointF | None = None) -> list[str]:
        """Add the clipboard's nodes as new layers and select them: at `at` (a
        right-click's Paste here), else where `place_new` puts them."""
        try:
            copied = pasted_nodes(QGuiApplication.clipboard().mimeData())
        except GraphError as e:
            self.refused.emit(f"cannot paste: {e}")
            return []
        if copied is None:
            return []
        return self._insert(copied, at=at)

    def duplicate(self, with_inputs: bool = False) -> list[str]:
        """Paste a copy of the selection beside it, leaving the clipboard alone;
        `with_inputs`: the copy is also fed by what feeds the selection from outside."""
        nodes = self.scene.selected_node_ids()
        if not nodes:
            return []
        try:
            copied = subgraph(self.graph, nodes)
        except GraphEditError as e:
            self.refused.emit(f"cannot duplicate: {e}")
            return []
        inputs = []
        if with_inputs:
            # subgraph keeps the order
            copy_of = dict(zip(nodes, copied.part.node_ids(), strict=True))
            g = self.graph
            inputs = [
                Connection(s, copy_of[d], p, g.edge_output(s, d, p))
                for s, d, p in self.incoming(nodes)
            ]
        return self._insert(copied, inputs)

    def duplicate_with_inputs(self) -> list[str]:
        return self.duplicate(with_inputs=True)

    def incoming(self, node_ids: list[str]) -> list[EdgeKey]:
        """The connections into `node_ids` from nodes outside them."""
        chosen = set(node_ids)
        return [e for e in self.graph.edges() if e[1] in chosen and e[0] not in chosen]

    def reconnectable(self) -> list[EdgeKey]:
        """The connections that would replace the one selected node if it sits in a
        chain: (its source, each destination, its port), when the node has exactly
        one connection in, some out, and every destination takes the source's shape
        there; else none."""
        selected = self.scene.selected_node_ids()
        if len(selected) != 1:
            return []
        g, [node] = self.graph, selected
        ins, outs = g.in_edges(node), g.out_edges(node)
        if len(ins) != 1 or not outs:
            return []
        [(_, src)] = ins
        report = self.scene.report
        if report.nodes.get(src) is None:
            return []
        bridges = [(src, dst, port) for dst, port in outs]
        return bridges if all(takes(g, report, *bridge) for bridge in bridges) else []

    def delete_and_reconnect(self) -> bool:
        """Delete the one selected node of a chain and connect its source to each of
        its destinations, as one step."""
        bridges = self.reconnectable()
        if not bridges:
            self.refused.emit(
                "select one node with one connection in and some out, of shapes that fit"
            )
            return False
        g, [node] = self.graph, self.scene.selected_node_ids()
        edit = self._compound(f"Delete '{g.layer(node).name}' and reconnect")
        with self.scene.batch():
            edit.run(RemoveNodes(g, [node]))
            for bridge in bridges:
                edit.run(Connect(g, *bridge))
        edit.push_to(self.stack)
        return True

    def _insert(
        self, copied: Copied, inputs: list[Connection] = (), at: QPointF | None = None
    ) -> list[str]:
        """Add the copied part's nodes and connections to the graph where `place_new` puts them
        (at `at`, if given), and the connections `inputs` (from the graph's nodes into
        part's, each with the output of its source it takes), as one step.

        Each layer of `part` becomes a new layer (its name kept if free, else with a
        number); call sites of one layer in `part` become call sites of one new layer.
        """
        g, part = self.graph, copied.part
        offset = self.place_new(_boxes(part), at)
        dx, dy = offset.x(), offset.y()
        verb = "Duplicate with inputs:" if inputs else "Paste"
        edit = self._compound(f"{verb} {len(part)} node{'s' if len(part) > 1 else ''}")
        new: dict[str, str] = {}
        try:
            with self.scene.batch():
                for node_id in part.node_ids():
                    x, y = part.node(node_id).pos
                    first = part.call_sites(node_id)[0]
                    if first != node_id:
                        step = edit.run(CallAgain(g, new[first], (x + dx, y + dy)))
                    else:
                        layer = part.layer(node_id)
                        name = free_name(layer.name, g.names())
                        params = copied.params_in(g, node_id)
                        step = edit.run(AddNode(g, layer.type, params, (x + dx, y + dy), name))
                    new[node_id] = step.node_id
                for src, dst, port, output in part.connections():
                    edit.run(Connect(g, new[src], new[dst], port, output))
                for src, dst, port, output in inputs:
                    edit.run(Connect(g, src, new[dst], port, output))
        except GraphEditError as e:
            self.refused.emit(f"cannot paste: {e}")
            return []
        edit.push_to(self.stack)
        pasted = list(new.values())
        self.scene.select_nodes(pasted)
        return pasted

    # ------------------------------------------------------------ quick fixes

    def fixes_for(self, node_id: str) -> list[QuickFix]:
        """The quick fixes of `node_id`'s errors (graph.quick_fixes), in their order."""
        report = self.scene.report
        return [
            fix
            for problem in report.problems_of(node_id)
            if problem.severity == ERROR
            for fix in quick_fixes(self.graph, report, problem)
        ]

    def apply_fix(self, fix: QuickFix) -> bool:
        """Make `fix` as one undoable step; False (and `refused`) if an edit is refused."""
        try:
            edit = fix_edit(self.graph, fix, self.scene.batch)
        except GraphEditError as e:
            self.refused.emit(f"cannot apply the fix: {e}")
            return False
        edit.push_to(self.stack)
        return True

    # ---------------------------------------------------------------- placing

    def _moved(self, positions: dict[str, tuple[float, float]]) -> None:
        self._push(MoveNodes(self.graph, positions))

    def auto_layout(self, direction: Direction | None = None) -> None:
        """Lay the graph out (codegen.layout) in `direction` (default: the scene's),
        as one move, with the ports where that direction puts them, and fit the view."""
        scene, g = self.scene, self.graph
        before = scene.direction
        scene.set_direction(direction or before)  # the boxes' sizes depend on it
        laid = layered_layout(g, scene.direction, scene.node_sizes())
        moved = {n: p for n, p in laid.items() if p != g.node(n).pos}
        if moved or scene.direction != before:
            self._push(LayOut(scene, moved, before))
        scene.flush_routes()
        self.view.fit()

    # ---------------------------------------------------------------- export

    def check_export(self) -> list[OnnxProblem]:
        """Mark the nodes that cannot go to ONNX as they stand (until the next edit)."""
        problems = onnx_problems(self.graph)
        messages: dict[str, list[str]] = {}
        for problem in problems:
            messages.setdefault(problem.node, []).append(
                f"ONNX: {problem.reason}. Fix: {problem.fix}"
            )
        self.scene.mark_export_problems(messages)
        return problems

    def clear_marks(self) -> None:
        self.scene.clear_marks()


def upstream(g: ModelGraph, node_ids: list[str]) -> set[str]:
    """`node_ids` and every node they depend on."""
    reach, todo = set(node_ids), list(node_ids)
    while todo:
        for _, src in g.in_edges(todo.pop()):
            if src not in reach:
                reach.add(src)
                todo.append(src)
    return reach


def _boxes(part: ModelGraph) -> QRectF:
    """The rectangle `part`'s nodes take, as the canvas draws them."""
    box = QRectF()
    for node_id in part.node_ids():
        spec = part.spec(node_id)
        ports = shown_ports(spec, (p for p, _ in part.in_edges(node_id)))
        height = box_height(ports, False, output_names(spec))
        box |= QRectF(*part.node(node_id).pos, NODE_WIDTH, height)
    return box


def _header_at(scene_pos: QPointF) -> tuple[float, float]:
    """The position of a new node whose header is centred on `scene_pos`."""
    return scene_pos.x() - NODE_WIDTH / 2, scene_pos.y() - HEADER / 2


def free_name(name: str, taken: set[str]) -> str:
    """`name` if not taken, else the first free of stem_1, stem_2, ... where stem is
    `name` without a trailing _<number> (so a copy of dense_1 becomes dense_2)."""
    if name not in taken:
        return name
    stem = re.sub(r"_\d+$", "", name) or name
    i = 1
    while f"{stem}_{i}" in taken:
        i += 1
    return f"{stem}_{i}"
