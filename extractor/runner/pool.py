"""A small process pool made to lose workers: one pipe per worker, one task at a time, kill on timeout.

Pools that share one task channel between workers (concurrent.futures, pebble) can be left broken when a
worker is killed while it holds the channel (the OOM killer does not wait for a good moment). Here a worker
owns its pipe alone: killing it loses its one task, which is reported, and a fresh worker takes its place.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from multiprocessing.connection import Connection, wait
from typing import Any

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """How a task ended."""

    DONE = "done"
    ERROR = "error"  # the function raised (message in value)
    TIMEOUT = "timeout"  # over its time: the worker was killed
    CRASHED = "crashed"  # the worker died under it (value: exit code)


@dataclass(frozen=True)
class Finished:
    """A task's key, how it ended, and its value (result, error message or exit code)."""

    key: Any
    outcome: Outcome
    value: Any
    seconds: float


def _die_with_parent() -> None:
    # Linux: the kernel kills this worker when the parent dies, even in the middle of a long document.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _worker_main(conn: Connection, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    """A worker: initialise, say ready, then run tasks until told to stop or the parent is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    if initializer is not None:
        initializer(*initargs)
    conn.send(("ready", None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if message is None:
            return
        function, args = message
        try:
            reply: tuple[str, Any] = ("done", function(*args))
        except BaseException as exc:  # reported to the parent, which decides; the worker lives on
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (BrokenPipeError, EOFError, OSError):
            return
        except Exception as exc:  # the result could not be pickled
            conn.send(("error", f"unpicklable result: {type(exc).__name__}: {exc}"))


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    ready: bool = False
    key: Any = None
    busy: bool = False
    started: float = 0.0


class WorkerPool:
    """`workers` spawned processes running `function(*args)` tasks; each task has a key and a timeout."""

    def __init__(self, workers: int, timeout_s: float, initializer: Callable[..., None] | None = None,
                 initargs: tuple[Any, ...] = ()) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._size = workers
        self.timeout_s = timeout_s
        self._initializer = initializer
        self._initargs = initargs
        self._queue: deque[tuple[Any, Callable[..., Any], tuple[Any, ...]]] = deque()
        self._workers: list[_Worker] = [self._spawn() for _ in range(workers)]

    def _spawn(self) -> _Worker:
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(target=_worker_main, args=(child, self._initializer, self._initargs),
                                        daemon=True, name="extractor-worker")
        process.start()
        child.close()
        return _Worker(process=process, conn=parent)

    def submit(self, key: Any, function: Callable[..., Any], *args: Any) -> None:
        """Queue a task; it starts (and its clock runs) when a ready worker takes it."""
        self._queue.append((key, function, args))

    def pending(self) -> int:
        """Tasks queued or running."""
        return len(self._queue) + sum(1 for w in self._workers if w.busy)

    def pids(self) -> list[int]:
        """The live workers' process ids."""
        return [w.process.pid for w in self._workers if w.process.pid is not None and w.process.is_alive()]

    def _dispatch(self) -> None:
        for worker in self._workers:
            if not self._queue:
                return
            if worker.ready and not worker.busy:
                key, function, args = self._queue.popleft()
                try:
                    worker.conn.send((function, args))
                except (BrokenPipeError, OSError):
                    self._queue.appendleft((key, function, args))  # it died idle: replaced on the next poll
                    continue
                worker.key, worker.busy, worker.started = key, True, time.monotonic()

    def _replace(self, worker: _Worker, kill: bool) -> None:
        if kill and worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=10)
        worker.conn.close()
        self._workers[self._workers.index(worker)] = self._spawn()

    def poll(self, timeout: float) -> list[Finished]:
        """Tasks that ended since the last call; waits up to `timeout` s (less when a deadline comes first)."""
        self._dispatch()
        now = time.monotonic()
        deadlines = [w.started + self.timeout_s - now for w in self._workers if w.busy]
        waited = max(0.0, min([timeout, *deadlines]))
        handles: dict[Any, _Worker] = {}
        for worker in self._workers:
            handles[worker.conn] = worker
            handles[worker.process.sentinel] = worker
        ready = wait(list(handles), timeout=waited)
        finished: list[Finished] = []
        replaced: set[int] = set()
        for handle in ready:
            worker = handles[handle]
            if id(worker) in replaced:
                continue
            message = None
            if handle is worker.conn or worker.conn.poll():
                try:
                    message = worker.conn.recv()
                except (EOFError, OSError):
                    message = None
            if message is not None:
                kind, value = message
                if kind == "ready":
                    worker.ready = True
                    continue
                finished.append(Finished(worker.key, Outcome(kind), value, time.monotonic() - worker.started))
                worker.key, worker.busy = None, False
                continue
            if not worker.process.is_alive() or handle is worker.process.sentinel:
                worker.process.join(timeout=10)
                if worker.busy:
                    finished.append(Finished(worker.key, Outcome.CRASHED, worker.process.exitcode,
                                             time.monotonic() - worker.started))
                else:
                    log.warning("a worker died while idle (exit code %s); starting another",
                                worker.process.exitcode)
                replaced.add(id(worker))
                self._replace(worker, kill=False)
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.busy and now - worker.started > self.timeout_s:
                finished.append(Finished(worker.key, Outcome.TIMEOUT, self.timeout_s, now - worker.started))
                self._replace(worker, kill=True)
        self._dispatch()
        return finished

    def close(self, cancel: bool = False) -> None:
        """Stop the workers: let them finish their task (default) or kill them (cancel); drop queued tasks."""
        self._queue.clear()
        for worker in self._workers:
            if cancel:
                worker.process.kill()
            else:
                with contextlib.suppress(BrokenPipeError, OSError):
                    worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(timeout=30)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(timeout=10)
            worker.conn.close()
        self._workers = []
