"""Garbage is collected on the GUI thread only once the studio runs jobs."""

import gc
import threading

from studio.gc_guard import GuiThreadCollector, collect_on_gui_thread
from studio.jobs import Job


class Finalized:
    """Part of a reference cycle; records the thread that destroyed it."""

    def __init__(self, threads):
        self.threads = threads
        self.me = self  # a cycle: only the cyclic collector frees it

    def __del__(self):
        self.threads.append(threading.current_thread())


def test_after_a_job_is_made_a_busy_thread_never_collects_and_the_gui_thread_does(qtbot):
    job = Job("nothing", lambda: None)
    assert not gc.isenabled()
    assert collect_on_gui_thread() is collect_on_gui_thread()  # one collector per app
    threads = []
    Finalized(threads)

    def allocate():  # far past every threshold: the automatic collector would run here
        kept = [[] for _ in range(200_000)]
        assert kept

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    assert threads == []
    kept = [[] for _ in range(gc.get_threshold()[0] + 1)]  # a collection is due
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
    kept = [[] for _ in range(collector.thresholds[0] + 1)]  # past the first threshold
    collector.collect_due()
    assert threads == [threading.main_thread()] and kept
