"""The model diff as people read it (graph.diff says what counts): `kgs diff`'s
report, the git diff driver's, and the studio's Compare panel's.

One section per kind of change, each line marked + (added), - (removed) or
~ (changed), nodes by id with their label, then the cost of each version:

    Nodes: 1 added, 0 removed, 1 changed
      + drop: Dropout 'dropout'
      ~ n2: Dense 'dense'
          units: 4 -> 16
    Connections: 1 added, 0 removed
      + n3 -> drop.input
    Outputs: [n3] -> [drop]
    Cost at batch 1:
      params: 46 -> 178 (+132)
      MACs: 40 -> 160 (+120)
      training step memory (adam): 784 B -> 2.9 KiB (+2.1 KiB)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graph.diff import ABSENT, Change, GraphDiff, ModelDiff
from graph.infer import shown
from graph.model import Connection
from graph.wording import byte_size

#: What `format_diff` says of two versions of one model.
SAME = "The models are the same (positions aside)."


def format_diff(d: ModelDiff) -> str:
    """The report people read: one section per kind of change, then the cost."""
    if d.same:
        return SAME + "\n"
    out = []
    if d.name:
        out.append(f"Model name: {shown(d.name.old)} -> {shown(d.name.new)}")
    out += structure_lines(d.graph)
    if d.training:
        out.append("Training setup:")
        out += [f"  {key}: {pair_text(change)}" for key, change in d.training.items()]
    if d.weights:
        out.append(f"Weights: {pair_text(d.weights)}")
    if d.blocks_added or d.blocks_removed or d.blocks_changed:
        out.append("Blocks:")
        out += [f"  + block '{name}'" for name in d.blocks_added]
        out += [f"  - block '{name}'" for name in d.blocks_removed]
        for name, block in d.blocks_changed.items():
            used = f" (used by {', '.join(block.uses)})" if block.uses else ""
            out.append(f"  ~ block '{name}'{used}")
            out += [f"      parameter {p}: {pair_text(c)}" for p, c in block.params.items()]
            out += ["    " + line for line in structure_lines(block.body)]
    out += _cost_lines(d)
    return "\n".join(printable(line) for line in out) + "\n"


def printable(line: str) -> str:
    """`line` with every character that is not printable escaped (a newline, a
    terminal's escape): ids, names and ports come from the files, and a report, on a
    terminal or in `git diff`, must not show lines that no change made."""
    if line.isprintable():
        return line
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in line)


def structure_lines(d: GraphDiff) -> list[str]:
    """The nodes, connections, inputs and outputs sections of one graph's diff."""
    out = []
    if d.added or d.removed or d.changed:
        counts = [f"{len(d.added)} added", f"{len(d.removed)} removed", f"{len(d.changed)} changed"]
        out.append("Nodes: " + ", ".join(counts))
        out += [f"  + {n}: {info.label}" for n, info in d.added.items()]
        out += [f"  - {n}: {info.label}" for n, info in d.removed.items()]
        for node_id, change in d.changed.items():
            out.append(f"  ~ {node_id}: {change.label}")
            out += [f"      {field}: {pair_text(c)}" for field, c in change.fields.items()]
            out += [f"      {param}: {pair_text(c)}" for param, c in change.params.items()]
    if d.edges_added or d.edges_removed:
        out.append(f"Connections: {len(d.edges_added)} added, {len(d.edges_removed)} removed")
        out += [f"  + {_edge(e)}" for e in d.edges_added]
        out += [f"  - {_edge(e)}" for e in d.edges_removed]
    if d.inputs:
        out.append(f"Inputs' order: {_ids(d.inputs.old)} -> {_ids(d.inputs.new)}")
    if d.outputs:
        out.append(f"Outputs: {_ids(d.outputs.old)} -> {_ids(d.outputs.new)}")
    return out


def _cost_lines(d: ModelDiff) -> list[str]:
    old, new = d.old_cost, d.new_cost
    out = [f"Cost at batch {d.batch}:"]
    for side, totals in (("old", old), ("new", new)):
        if totals.problem:
            out.append(f"  {side}: unknown ({totals.problem})")
    out.append("  params: " + _totals(old.params, new.params, "{:,}".format))
    out.append("  MACs: " + _totals(old.macs, new.macs, "{:,}".format))
    optimizers = (
        old.optimizer if old.optimizer == new.optimizer else f"{old.optimizer} -> {new.optimizer}"
    )
    memory = _totals(old.train_memory_bytes, new.train_memory_bytes, byte_size)
    out.append(f"  training step memory ({optimizers}): {memory}")
    return out


def _totals(old: int | None, new: int | None, fmt: Callable[[int], str]) -> str:
    """'407,050 -> 203,530 (-203,520)'; ? for an unknown side."""
    text = f"{'?' if old is None else fmt(old)} -> {'?' if new is None else fmt(new)}"
    if old is None or new is None or old == new:
        return text
    change = new - old
    return f"{text} ({'+' if change > 0 else '-'}{fmt(abs(change))})"


def pair_text(change: Change) -> str:
    """'512 -> 256'; (none) for a side that has no value."""
    return f"{_value(change.old)} -> {_value(change.new)}"


def _value(value: Any) -> str:
    return "(none)" if value is ABSENT else shown(value)


def _ids(node_ids: list[str]) -> str:
    return "[" + ", ".join(node_ids) + "]" if node_ids else "(none)"


def _edge(edge: Connection) -> str:
    output = f"[{edge.output}]" if edge.output else ""
    return f"{edge.src}{output} -> {edge.dst}.{edge.port}"
