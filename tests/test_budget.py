"""graph.budget: a training step against a memory budget; the largest batch that fits
is held to graph.cost at that batch and the next."""

from __future__ import annotations

import pytest

from graph import load, validate
from graph.budget import check_budget, largest_batch
from graph.bytesize import parse_bytes
from graph.cost import cost
from graph.wording import byte_size
from tests.graphs import chain
from tests.test_cost import MODELS, TEMPLATE_NAMES, TEMPLATES


def _graphs():
    return [make() for make in MODELS] + [
        load(TEMPLATES / f"{name}.graph.json") for name in TEMPLATE_NAMES
    ]


@pytest.mark.parametrize("g", _graphs(), ids=lambda g: g.name)
def test_the_largest_batch_fits_and_the_next_does_not(g):
    report = validate(g)
    for optimizer in ("adam", "sgd"):
        budget = cost(g, report, batch=7, optimizer=optimizer).train_memory_bytes + 5
        largest = largest_batch(g, report, budget, optimizer)
        at = cost(g, report, batch=largest, optimizer=optimizer)
        after = cost(g, report, batch=largest + 1, optimizer=optimizer)
        assert at.train_memory_bytes <= budget < after.train_memory_bytes
        assert largest == 7


@pytest.mark.parametrize("g", _graphs(), ids=lambda g: g.name)
def test_the_nodes_shares_add_up_to_the_training_step(g):
    result = cost(g, validate(g), batch=3)
    assert sum(result.memory_by_node.values()) == result.train_memory_bytes


def test_a_check_names_the_heaviest_nodes_and_whether_it_fits():
    g = chain(("Dense", {"units": 256}), ("Dense", {"units": 4}), input_shape=(64,))
    report = validate(g)
    _, big, small = g.node_ids()
    needed = cost(g, report, batch=8).train_memory_bytes
    check = check_budget(g, report, needed, batch=8, optimizer="adam")
    assert check.fits and check.needed == needed and check.largest_batch == 8
    assert [node for node, _ in check.heaviest][:2] == [big, small]
    # Dense 64 -> 256 at adam: weights, gradients and two slots, and its output, which
    # the next Dense keeps (a kept tensor counts at the node that made it).
    assert check.heaviest[0][1] == (64 * 256 + 256) * 4 * 4 + 8 * 256 * 4
    short = check_budget(g, report, needed - 1, batch=8, optimizer="adam")
    assert not short.fits and short.largest_batch == 7
    assert check_budget(g, report, 100, batch=8, optimizer="adam").largest_batch == 0


def test_a_fixed_batch_fits_at_any_batch_size_or_none():
    g = chain(("Dense", {"units": 4}), input_shape=(8,))
    g.set_params(g.inputs[0], {"shape": [8], "batch_size": 16})
    report = validate(g)
    needed = cost(g, report, batch=1).train_memory_bytes
    assert largest_batch(g, report, needed, "adam") is None
    assert largest_batch(g, report, needed - 1, "adam") == 0


@pytest.mark.parametrize(
    ("text", "count"),
    [("4096", 4096), ("8GiB", 8 * 1024**3), ("1.5 GB", 1_500_000_000), ("512 mib", 512 << 20)],
)
def test_byte_counts_are_read_with_their_units(text, count):
    assert parse_bytes(text) == count


@pytest.mark.parametrize("text", ["", "eight", "8 GiBs", "-4", "0", "1.5.2GB"])
def test_a_bad_byte_count_is_refused_naming_it(text):
    with pytest.raises(ValueError, match="byte count"):
        parse_bytes(text)


def test_byte_counts_are_shown_in_binary_units():
    assert [byte_size(n) for n in (None, 512, 1536, 3 << 20)] == [
        "?",
        "512 B",
        "1.5 KiB",
        "3.0 MiB",
    ]


def test_the_budget_is_saved_with_the_setup_and_checked(tmp_path):
    import json

    from graph import save
    from graph.training import TrainingSetup, setup_problems

    g = chain(("Dense", {"units": 4}))
    g.training = TrainingSetup(memory_budget=8 << 30)
    path = tmp_path / "m.graph.json"
    save(g, path)
    assert json.loads(path.read_text())["training"]["memory_budget"] == 8 << 30
    assert load(path).training == g.training
    g.training = TrainingSetup()
    save(g, path)
    assert "memory_budget" not in json.loads(path.read_text())["training"]
    assert load(path).training.memory_budget is None
    problems = setup_problems(g, TrainingSetup(memory_budget=0))
    assert "training.memory_budget: must be a number of bytes >= 1. Received: 0" in problems
