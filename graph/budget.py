"""Whether a model's training step fits a memory budget (TrainingSetup.memory_budget):
what it needs at the setup's batch size and optimizer, the nodes that weigh most, and
the largest batch size that fits. From graph.cost alone (no keras or torch); what the
studio shows and `kgs cost --budget` prints."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from operator import itemgetter

from graph.cost import cost
from graph.model import ModelGraph
from graph.report import Report
from graph.wording import byte_size

#: How many of the heaviest nodes a check names.
HEAVIEST = 5


@dataclass(frozen=True)
class BudgetCheck:
    """A training step's memory at `batch` with `optimizer` against `budget` (bytes)."""

    budget: int
    batch: int
    optimizer: str
    #: What one training step needs (graph.cost's train_memory_bytes).
    needed: int
    #: The nodes with the largest shares of `needed`, largest first: (node id, bytes).
    heaviest: tuple[tuple[str, int], ...]
    #: The largest batch size whose step fits: 0 when not even 1 fits; None when any
    #: does (the step's memory does not grow with the batch).
    largest_batch: int | None

    @property
    def fits(self) -> bool:
        return self.needed <= self.budget


def check_budget(
    g: ModelGraph, report: Report, budget: int, batch: int, optimizer: str
) -> BudgetCheck:
    """Check `g` (validated as `report`) against `budget` bytes at `batch`."""
    at_batch = cost(g, report, batch=batch, optimizer=optimizer)
    shares = at_batch.memory_by_node.items()
    heaviest = tuple(heapq.nlargest(HEAVIEST, shares, key=itemgetter(1)))
    return BudgetCheck(
        budget,
        batch,
        optimizer,
        at_batch.train_memory_bytes,
        heaviest,
        largest_batch(g, report, budget, optimizer),
    )


def largest_batch(g: ModelGraph, report: Report, budget: int, optimizer: str) -> int | None:
    """The largest batch size whose training step fits `budget` (see BudgetCheck).

    A step's memory is affine in the batch size: weights, gradients and slots are
    fixed, and every tensor kept is a batch of per-sample tensors or fixed in size. So
    two costings (batch 1 and 2, each kept and updated incrementally by graph.cost)
    give it at every batch: m(B) = m(1) + (B - 1) * (m(2) - m(1)).
    """
    one = cost(g, report, batch=1, optimizer=optimizer).train_memory_bytes
    if one > budget:
        return 0
    per_sample = cost(g, report, batch=2, optimizer=optimizer).train_memory_bytes - one
    if per_sample <= 0:
        return None
    return 1 + (budget - one) // per_sample


def budget_lines(g: ModelGraph, check: BudgetCheck) -> list[str]:
    """The check in words, as `kgs cost` prints it and the studio shows it: whether it
    fits, the heaviest nodes, the largest batch size that fits."""
    verdict = "fits" if check.fits else "does not fit"
    lines = [
        f"Memory budget {byte_size(check.budget)} at batch {check.batch} ({check.optimizer}): "
        f"{verdict}, a training step needs {byte_size(check.needed)}"
    ]
    heaviest = ", ".join(f"{g.label(n)} {byte_size(size)}" for n, size in check.heaviest)
    lines.append(f"Heaviest: {heaviest or '-'}")
    if check.largest_batch is None:
        largest = "any (the step does not grow with the batch)"
    elif check.largest_batch == 0:
        largest = "none (batch 1 does not fit)"
    else:
        largest = f"{check.largest_batch:,}"
    lines.append(f"Largest batch that fits: {largest}")
    return lines
