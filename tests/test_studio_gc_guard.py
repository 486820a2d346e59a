"""Garbage is collected on the GUI thread only once the studio runs jobs, choosing
each generation as CPython's own automatic collector does."""

import gc
import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent

from studio.gc_guard import (
    OLDEST,
    GuiThreadCollector,
    collect_on_gui_thread,
    generation_due,
    running_collector,
)
from studio.jobs import Job

ROOT = Path(__file__).resolve().parents[1]


class Finalized:
    """Part of a reference cycle; records the thread that destroyed it."""

    def __init__(self, threads):
        self.threads = threads
        self.me = self  # a cycle: only the cyclic collector frees it

    def __del__(self):
        self.threads.append(threading.current_thread())


def due_with_room(collector):
    """Objects enough that a collection is due however many the event loop frees first
    (it deletes earlier tests' widgets, and each freed object lowers the count)."""
    return [[] for _ in range(10 * collector.thresholds[0])]


def test_after_a_job_is_made_a_busy_thread_never_collects_and_the_gui_thread_does(qtbot):
    job = Job("nothing", lambda: None)
    assert not gc.isenabled()
    assert collect_on_gui_thread() is collect_on_gui_thread() is running_collector()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    threads = []
    Finalized(threads)

    def allocate():  # far past every threshold: the automatic collector would run here
        kept = [[] for _ in range(200_000)]
        assert kept

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    assert threads == []
    kept = due_with_room(running_collector())
    qtbot.waitUntil(lambda: threads == [threading.main_thread()], timeout=5_000)
    assert kept
    job.wait()


def test_the_collector_collects_by_pythons_thresholds(qapp):
    collector = collect_on_gui_thread()
    assert isinstance(collector, GuiThreadCollector)
    gc.collect()
    threads = []
    Finalized(threads)
    collector.collect_due()  # a few objects since the last collection: none is due
    assert threads == []
    kept = due_with_room(collector)
    collector.collect_due()
    assert threads == [threading.main_thread()] and kept


def test_survivors_of_the_middle_generation_count_as_pending_long_lived_objects(qapp):
    collector = collect_on_gui_thread()
    gc.collect()
    collector.long_lived_pending = 0
    collector.long_lived_total = 10**9  # no full collection while this test runs
    kept = []
    while gc.get_count()[1] <= collector.thresholds[1]:  # young collections until the
        kept.append(due_with_room(collector))  # middle generation is due
        collector.collect_due()
    kept.append(due_with_room(collector))
    collector.collect_due()
    survivors = sum(len(batch) + 1 for batch in kept)
    assert survivors <= collector.long_lived_pending <= survivors + 1_000
    assert len(gc.get_objects(0)) + len(gc.get_objects(1)) < 1_000  # all promoted


def test_nothing_is_due_until_the_youngest_generation_passes_its_threshold():
    assert generation_due((700, 50, 50), (700, 10, 10), 10**6, 1) is None
    assert generation_due((701, 0, 0), (700, 10, 10), 0, 0) == 0
    assert generation_due((701, 11, 0), (700, 10, 10), 0, 0) == 1


def test_the_oldest_generation_waits_for_a_quarter_of_new_long_lived_objects():
    assert generation_due((701, 11, 11), (700, 10, 10), 249, 1000) == 1
    assert generation_due((701, 5, 11), (700, 10, 10), 249, 1000) == 0
    assert generation_due((701, 5, 11), (700, 10, 10), 250, 1000) == OLDEST


AGAINST_CPYTHON = textwrap.dedent(
    """
    import gc, json
    from studio.gc_guard import OLDEST, generation_due

    thresholds = gc.get_threshold()
    state = {"pending": 0, "total": 0, "young": 0}
    chosen = []

    def record(phase, info):  # CPython's choice, and ours from the same counts
        generation = info["generation"]
        if phase == "start":
            counts = gc.get_count()
            due = generation_due(counts, thresholds, state["pending"], state["total"])
            chosen.append((generation, due, generation_due(counts, thresholds, 0, 0)))
            state["young"] = len(gc.get_objects(0)) + len(gc.get_objects(1))
        elif generation == OLDEST:
            state["total"], state["pending"] = len(gc.get_objects(OLDEST)), 0
        elif generation == OLDEST - 1:
            found = info["collected"] + info["uncollectable"]
            state["pending"] += state["young"] - found

    heap = [[i] for i in range(1_000_000)]  # long-lived, as Keras and torch leave it
    gc.collect()
    state["total"] = len(gc.get_objects(OLDEST))
    gc.callbacks.append(record)
    kept = []
    for i in range(600_000):  # past a quarter of the heap: full collections come due
        kept.append([i])
        if i % 3 == 0:
            cycle = []
            cycle.append(cycle)
    gc.callbacks.remove(record)
    print(json.dumps(chosen))
    """
)


def test_the_generation_chosen_is_the_one_cpython_collects():
    """CPython's automatic collector runs in a fresh interpreter over a large heap and
    a stream of new objects; at each of its collections generation_due, given the
    counts and the collector's bookkeeping, names the generation CPython chose; without
    the bookkeeping (no guard on full collections) it would not."""
    done = subprocess.run(
        [sys.executable, "-c", AGAINST_CPYTHON],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    chosen = [tuple(pair) for pair in json.loads(done.stdout)]
    cpython = [generation for generation, _, _ in chosen]
    assert cpython.count(0) > 100 and cpython.count(1) > 10 and cpython.count(OLDEST) >= 1
    assert [ours for _, ours, _ in chosen] == cpython
    assert [unguarded for _, _, unguarded in chosen] != cpython
