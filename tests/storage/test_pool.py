"""The worker pool survives what kills workers: timeouts, crashes, errors, kills during start-up, a dead parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from extractor.runner.pool import Outcome, WorkerPool
from tests.storage import pool_tasks
from tests.storage.helpers import alive, wait_for
from tests.storage.variants import ROOT


def _drain(pool: WorkerPool, limit: float = 120.0) -> dict:
    results = {}
    deadline = time.monotonic() + limit
    while pool.pending():
        assert time.monotonic() < deadline, "the pool stopped making progress"
        for done in pool.poll(0.2):
            results[done.key] = done
    return results


def test_tasks_come_back_by_key_and_errors_leave_the_worker_alive():
    pool = WorkerPool(2, timeout_s=60)
    try:
        for i in range(6):
            pool.submit(i, pool_tasks.square, i)
        pool.submit("bad", pool_tasks.fail, "boom")
        results = _drain(pool)
        assert {k: r.value for k, r in results.items() if r.outcome is Outcome.DONE} == {i: i * i for i in range(6)}
        assert results["bad"].outcome is Outcome.ERROR and results["bad"].value == "ValueError: boom"
        before = set(pool.pids())
        pool.submit("pid", pool_tasks.pid)
        assert _drain(pool)["pid"].value in before  # nobody was replaced for an exception
    finally:
        pool.close()


def test_a_task_over_its_timeout_is_killed_and_the_pool_goes_on():
    pool = WorkerPool(1, timeout_s=1.0)
    try:
        pool.submit("slow", pool_tasks.nap, 60)
        pool.submit("next", pool_tasks.square, 7)
        start = time.monotonic()
        results = _drain(pool)
        assert results["slow"].outcome is Outcome.TIMEOUT
        assert results["next"].outcome is Outcome.DONE and results["next"].value == 49
        assert time.monotonic() - start < 30  # not the 60 s the task wanted
    finally:
        pool.close()


def test_a_worker_that_dies_under_a_task_is_reported_and_replaced():
    pool = WorkerPool(2, timeout_s=60)
    try:
        pool.submit("dies", pool_tasks.die)
        for i in range(4):
            pool.submit(i, pool_tasks.square, i)
        results = _drain(pool)
        assert results["dies"].outcome is Outcome.CRASHED and results["dies"].value == -signal.SIGKILL
        assert all(results[i].value == i * i for i in range(4))
        assert len(pool.pids()) == 2
    finally:
        pool.close()


def test_workers_killed_while_starting_up_are_replaced():
    pool = WorkerPool(2, timeout_s=60)
    try:
        for worker_pid in pool.pids():  # still importing: this broke a pebble pool for good
            os.kill(worker_pid, signal.SIGKILL)
        for i in range(4):
            pool.submit(i, pool_tasks.square, i)
        results = _drain(pool)
        assert sorted(r.value for r in results.values()) == [0, 1, 4, 9]
    finally:
        pool.close()


def test_cancel_kills_busy_workers_and_workers_die_with_their_parent():
    pool = WorkerPool(1, timeout_s=60)
    pool.submit("long", pool_tasks.nap, 60)
    end = time.monotonic() + 3
    while time.monotonic() < end:  # the worker starts up and takes the task
        assert pool.poll(0.1) == []
    pids = pool.pids()
    start = time.monotonic()
    pool.close(cancel=True)
    assert time.monotonic() - start < 15 and not any(alive(p) for p in pids)

    script = (f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
              "from extractor.runner.pool import WorkerPool\nfrom tests.storage import pool_tasks\n"
              "pool = WorkerPool(2, 60)\npool.submit(1, pool_tasks.nap, 60)\n"
              "[pool.poll(0.2) for _ in range(100) if pool.pending()]\n")
    parent = subprocess.Popen([sys.executable, "-c", script])
    wait_for(lambda: len(_children(parent.pid)) == 2, timeout=60)
    orphans = _children(parent.pid)
    time.sleep(1.0)
    parent.kill()
    parent.wait()
    wait_for(lambda: not any(alive(p) for p in orphans), timeout=15)  # even the one busy with a 60 s task


def _children(pid: int) -> list[int]:
    from tests.storage.helpers import children, cmdline

    return [c for c in children(pid) if "spawn_main" in cmdline(c) and "resource_tracker" not in cmdline(c)]
