"""A model summary table like Keras's `model.summary()`, computed from the specs alone."""

from __future__ import annotations

from graph.model import ModelGraph
from graph.report import Report
from graph.shapes import fmt
from graph.validate import validate
from graph.wording import counted

HEADERS = ("Layer (type)", "Output Shape", "Param #", "Connected to")


def summary_rows(g: ModelGraph, report: Report) -> list[tuple[str, str, str, str]]:
    """One row per node (topological order, then nodes on cycles): name (type, and
    "frozen" for a layer whose weights do not train), output shape ("?" when
    unknown), weight count ("shared" for repeated calls), and the layers feeding it."""
    in_order = set(report.order)
    ordered = report.order + [n for n in g.node_ids() if n not in in_order]
    rows = []
    for node_id in ordered:
        layer = g.layer(node_id)
        call = g.call_index(node_id)
        name = _call_name(g, node_id)
        result = report.nodes.get(node_id)
        shape = fmt(result.shape) if result else "?"
        if result is None:
            count = "?"
        elif call > 1:
            count = "shared"
        else:
            count = f"{result.params:,}"
        sources = [_call_name(g, src) for _, src in g.in_edges(node_id)]
        kind = layer.type if layer.trainable else f"{layer.type}, frozen"
        rows.append((f"{name} ({kind})", shape, count, ", ".join(sources) or "-"))
    return rows


def _call_name(g: ModelGraph, node_id: str) -> str:
    """A call site as the summary names it: the layer name, plus "(call k)" after the first."""
    call = g.call_index(node_id)
    name = g.layer(node_id).name
    return name if call == 1 else f"{name} (call {call})"


def format_summary(g: ModelGraph, report: Report | None = None) -> str:
    """The summary as text: the table, then total, trainable and non-trainable params."""
    report = report or validate(g)
    rows = summary_rows(g, report)
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(4)]

    def line(row: tuple[str, ...]) -> str:
        name, shape, count, sources = row
        return (
            f"{name:<{widths[0]}}  {shape:<{widths[1]}}  {count:>{widths[2]}}  {sources}"
        ).rstrip()

    rule_width = sum(widths) + 6
    out = [f'Model: "{g.name}"', line(HEADERS), "=" * rule_width]
    out += [line(row) for row in rows]
    out += [
        "=" * rule_width,
        f"Total params: {report.total_params:,}",
        f"Trainable params: {report.trainable_params:,}",
        f"Non-trainable params: {report.non_trainable_params:,}",
    ]
    note = validity_note(report)
    if note:
        out.append(note)
    return "\n".join(out) + "\n"


def validity_note(report: Report) -> str:
    """What the totals leave unsaid: "Invalid: 2 errors; shapes marked ? are unknown."
    for an invalid graph, "" for a valid one."""
    if report.valid:
        return ""
    return f"Invalid: {counted(len(report.errors), 'error')}; shapes marked ? are unknown."
