"""What validate() reports: problems, each with its node, and what it inferred.

Kept apart from the validation pass itself (graph/validate.py), so that what reads
a report (the studio's panels, the compiler, `kgs validate`) depends on its shape
only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.infer import Inferred

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One problem: its severity, a stable code, the node (if any) and a message.

    `message` is complete on its own: it names the node ("Add 'res1': inputs ...").
    `param` names the offending parameter when there is one; `port` names the input
    port of `node` whose connection is at fault, when validation can tell which one
    (a shape rule that blames one input), so that only that connection is marked.
    A problem inside a block use's body is reported at the use, `inner` naming the
    node inside as "block/layer" ("block/use/layer" through nested uses; "block" for
    the body itself).
    """

    severity: str
    code: str
    message: str
    node: str | None = None
    param: str | None = None
    port: str | None = None
    inner: str | None = None


@dataclass
class Report:
    """What validate() found: problems, and per node what could be inferred."""

    problems: list[Problem] = field(default_factory=list)
    #: Output shape, dtype and weights of every node that could be inferred.
    nodes: dict[str, Inferred] = field(default_factory=dict)
    #: The nodes in a topological order (nodes on a cycle are left out).
    order: list[str] = field(default_factory=list)
    #: Per node whose ports are well wired: its input nodes in port order.
    sources: dict[str, list[str]] = field(default_factory=dict)
    trainable_params: int = 0
    non_trainable_params: int = 0

    @property
    def total_params(self) -> int:
        return self.trainable_params + self.non_trainable_params

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def valid(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def problems_of(self, node_id: str) -> list[Problem]:
        return [p for p in self.problems if p.node == node_id]
