"""Job workers: claim an upload from the database under a lease, run the pipeline, store the result.

Durability comes from the jobs table alone: a job is claimed by a conditional UPDATE, its lease is renewed by
a heartbeat while it runs, and a job whose lease runs out (its worker crashed, was killed, or timed out) is
claimed again; after `max_attempts` such attempts it ends failed with the reason. `serve` runs N worker
processes under a Supervisor that restarts any that die; `extractor worker` runs one on its own.
"""

from __future__ import annotations

import ctypes
import faulthandler
import logging
import multiprocessing
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from extractor.errors import DocumentLoadError, ExtractorError, InternalError
from extractor.ingest.loader import LoadedDocument, load_bytes
from extractor.mapping import Mapper, get_mapper
from extractor.pipeline import extract_bytes
from extractor.records.models import DocumentStatus
from extractor.service.budgets import cpu_budget_s
from extractor.service.settings import ServiceSettings
from extractor.service.store import JobInfo, ServiceStore
from extractor.service.uploads import read_kept
from extractor.storage.errors import StorageError
from extractor.storage.repository import Repository
from extractor.storage.views import PathSeen

log = logging.getLogger(__name__)
EXIT_TIMEOUT = 75  # a worker that gave up on a stuck document exits with this; the supervisor starts another
QUICK_EXIT_S = 10.0  # a worker gone sooner than this (and not for a timeout) is restarted after a growing pause


class WorkerShutdown(BaseException):  # noqa: N818 - like KeyboardInterrupt: not an error of the job
    """Raised in a worker's main thread by SIGTERM so the job in hand is handed back before exiting."""


class Outcome:
    """What became of one job."""

    def __init__(self, status: str, document_id: int | None, error: dict[str, Any] | None) -> None:
        self.status, self.document_id, self.error = status, document_id, error


class Worker:
    """Processes jobs one at a time; in its own process it also enforces the document timeout."""

    def __init__(self, settings: ServiceSettings, store: ServiceStore | None = None, name: str | None = None,
                 hard_timeout: bool = False, cpu_clock: Callable[[], float] = time.process_time,
                 parent_pid: int | None = None) -> None:
        self.settings = settings
        self.parent_pid = parent_pid  # the server that started this worker; the worker never outlives it
        self.cpu_clock = cpu_clock  # this process's CPU seconds, all threads (OCR runs several)
        self.store = store or ServiceStore(Repository.open(settings=settings))
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.hard_timeout = hard_timeout
        self.current: JobInfo | None = None
        self._mapper: Mapper | None = None
        self._mapper_error: ExtractorError | None = None

    def mapper(self) -> Mapper | None:
        """The mapper, built once (None lets the pipeline record why it could not be built)."""
        if self._mapper is None and self._mapper_error is None:
            try:
                self._mapper = get_mapper(self.settings.mapper, self.settings)
            except ExtractorError as exc:
                self._mapper_error = exc
        return self._mapper

    # --- one job ----------------------------------------------------------------------------------------------

    def run_once(self) -> JobInfo | None:
        """Claim and process one job; None when nothing was runnable."""
        job = self.store.claim(self.name, self.settings.job_lease_s, self.settings.max_running_jobs_per_user)
        if job is None:
            return None
        self.current = job
        start = time.perf_counter()
        try:
            with self._heartbeat(job):
                outcome = self.process(job)
        except WorkerShutdown:
            self.store.release(job.id, self.name)
            raise
        except StorageError as exc:  # the database refused a write: not the document's fault, try again later
            log.warning("job %d: %s; retrying later", job.id, exc.message)
            self.store.retry_later(job.id, self.name, exc.to_dict(), delay_s=min(60.0, 2.0 ** job.attempts))
            return job
        except Exception as exc:  # a bug: record it on the job rather than lose the upload
            log.exception("job %d failed", job.id)
            outcome = Outcome("failed", None, InternalError(f"{type(exc).__name__}: {exc}").to_dict())
        finally:
            self.current = None
        seconds = round(time.perf_counter() - start, 6)
        if not self.store.finish(job.id, self.name, status=outcome.status, document_id=outcome.document_id,
                                 error=outcome.error, seconds=seconds):
            log.warning("job %d: lease lost before finishing; another worker owns it now", job.id)
        return job

    def process(self, job: JobInfo) -> Outcome:
        """Read the kept upload, run the pipeline (or reuse a stored read of the same bytes), store the result."""
        repo = self.store.repo
        try:
            data = read_kept(job.stored_path, self.settings)
        except DocumentLoadError as exc:  # the kept file vanished or was replaced by something unreadable
            return Outcome("failed", None, {**exc.to_dict(), "message": f"the uploaded file cannot be read: {exc.message}"})
        known = repo.document_state(job.sha256, owner_id=job.user_id)
        if known is not None and known.status != DocumentStatus.FAILED.value:
            # This user's bytes, read before: link the upload to that document (its review stays as it is).
            # Only the uploader's own documents are looked at: another user's upload of the same bytes is read
            # into a document of its own, as slowly as any new file, so nothing tells it was seen before.
            if not self.store.has_source(known.id):
                self.store.save_source(known.id, job.stored_path, job.kind, self._grids(data))
            return Outcome("done", known.id, None)
        loaded: list[LoadedDocument] = []
        start = time.perf_counter()
        result = extract_bytes(data, job.filename, self.settings, mapper=self.mapper(), on_loaded=loaded.append)
        document_id = repo.save_result(result, sha256=job.sha256, size=job.size,
                                       paths=[PathSeen(path=f"upload:{job.id}/{job.filename}", size=job.size)],
                                       seconds=round(time.perf_counter() - start, 6),
                                       mapper=self.settings.mapper.value, owner_id=job.user_id)
        self.store.save_source(document_id, job.stored_path, result.kind or job.kind,
                               loaded[0].grids if loaded else [])
        if result.status is DocumentStatus.FAILED:
            return Outcome("failed", document_id, result.error)
        return Outcome("done", document_id, None)

    def _grids(self, data: bytes) -> list[Any]:
        try:
            return load_bytes(data, self.settings).grids
        except ExtractorError:
            return []

    @contextmanager
    def _heartbeat(self, job: JobInfo) -> Iterator[None]:
        """Renew the lease while the job runs; past the document's CPU budget or the timeout, give the job up
        (in a worker process: the pipeline may be in native code, so the process exits)."""
        done = threading.Event()
        lease = self.settings.job_lease_s
        timeout = self.settings.document_timeout_s
        started = time.monotonic()
        cpu_budget = cpu_budget_s(job.kind, job.pages, job.size, self.settings)
        cpu_start = self.cpu_clock()

        def beat() -> None:
            while not done.wait(min(lease / 3, 5.0)):
                if self.hard_timeout and self.orphaned():  # the server died and its signal did not get through
                    log.error("job %d: the server is gone; handing the job back and exiting", job.id)
                    try:
                        self.store.release(job.id, self.name)
                    finally:
                        os._exit(0)
                used = self.cpu_clock() - cpu_start
                if self.hard_timeout and used > cpu_budget:
                    # CPU time does not depend on how busy the machine is: another attempt would spend the
                    # same, so the job ends failed now instead of costing its owner's queue three times.
                    error = {"code": "CPU_BUDGET_EXCEEDED", "message": f"reading used more than {cpu_budget:g} "
                             f"CPU seconds, the budget of a {job.kind} of this size", "cpu_s": round(used, 1),
                             "limit_s": cpu_budget, "pages": job.pages}
                    try:
                        self.store.note_error(job.id, self.name, error, final=True)
                    finally:
                        log.error("job %d over its CPU budget (%g s); worker exits", job.id, cpu_budget)
                        os._exit(EXIT_TIMEOUT)
                if self.hard_timeout and time.monotonic() - started > timeout:
                    error = {"code": "JOB_TIMEOUT", "message": f"processing took longer than {timeout:g} s",
                             "attempt": job.attempts}
                    try:
                        self.store.note_error(job.id, self.name, error, expire=True)
                    finally:
                        # The pipeline may be deep in native code (OCR): only leaving the process stops it.
                        log.error("job %d timed out after %g s; worker exits", job.id, timeout)
                        os._exit(EXIT_TIMEOUT)
                try:
                    if not self.store.renew(job.id, self.name, lease):
                        log.warning("job %d: lease lost", job.id)
                        return
                except Exception:  # a missed beat is not fatal: the next one may get through
                    log.exception("job %d: heartbeat failed", job.id)

        thread = threading.Thread(target=beat, name=f"heartbeat-{job.id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(timeout=5)

    # --- loops ------------------------------------------------------------------------------------------------

    def orphaned(self) -> bool:
        """True when the server that started this worker is gone."""
        return self.parent_pid is not None and os.getppid() != self.parent_pid

    def run(self, stop: threading.Event) -> None:
        """Process jobs until `stop` is set (or the server is gone), polling the database while idle."""
        while not stop.is_set() and not self.orphaned():
            try:
                job = self.run_once()
            except StorageError as exc:  # database unreachable: wait and try again, never spin
                log.warning("worker %s: %s", self.name, exc.message)
                job = None
            if job is None:
                stop.wait(self.settings.job_poll_s)

    def drain(self, limit: int = 10_000) -> int:
        """Process runnable jobs until none is left (tests, `extractor worker --drain`); returns how many."""
        count = 0
        while count < limit and self.run_once() is not None:
            count += 1
        return count


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel send SIGTERM to this process when the server that started it dies (even by SIGKILL,
    which runs none of its handlers); exit now if it already has. Linux only; elsewhere the watch on the
    parent in the worker's loop does the same, a little later."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    if os.getppid() != parent_pid:  # the parent died before the request above took effect
        os._exit(0)


def worker_main(settings: ServiceSettings, name: str, parent_pid: int | None = None) -> None:
    """Entry point of a worker process: run until SIGTERM (or its server's death), handing back the job in hand."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s[%(process)d]: %(message)s")
    faulthandler.enable()  # a SIGBUS (a memory-mapped -shm file gone bad) or SIGSEGV leaves a traceback in the log
    if parent_pid is not None:
        die_with_parent(parent_pid)
    worker = Worker(settings, name=name, hard_timeout=True, parent_pid=parent_pid)
    stop = threading.Event()

    def on_term(_signum: int, _frame: object) -> None:
        stop.set()
        if worker.current is not None:
            raise WorkerShutdown()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group; the supervisor decides
    try:
        worker.run(stop)
    except WorkerShutdown:
        pass
    finally:
        worker.store.repo.close()


class Supervisor:
    """Keeps N worker processes alive: starts them, restarts one that dies, stops them all on shutdown."""

    def __init__(self, settings: ServiceSettings, count: int) -> None:
        self.settings = settings
        self.count = count
        self._context = multiprocessing.get_context("spawn")  # no forked copies of the server's threads or sockets
        self._procs: dict[int, multiprocessing.process.BaseProcess] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started: dict[int, float] = {}
        self._quick_exits: dict[int, int] = {}
        self._not_before: dict[int, float] = {}
        self.restarts = 0

    def _spawn(self, slot: int) -> None:
        name = f"{socket.gethostname()}:w{slot}:{secrets.token_hex(3)}"
        proc = self._context.Process(target=worker_main, args=(self.settings, name, os.getpid()),
                                     name=f"extractor-worker-{slot}", daemon=True)
        proc.start()
        self._procs[slot] = proc
        self._started[slot] = time.monotonic()

    def start(self) -> None:
        """Start the workers and the thread that watches them."""
        for slot in range(self.count):
            self._spawn(slot)
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            now = time.monotonic()
            for slot, proc in list(self._procs.items()):
                if proc.is_alive() or self._stop.is_set() or now < self._not_before.get(slot, 0.0):
                    continue
                if slot not in self._not_before:
                    # A worker that dies at start (database unreachable, broken install) is retried with a
                    # growing pause instead of being respawned every second.
                    quick = proc.exitcode != EXIT_TIMEOUT and now - self._started.get(slot, now) < QUICK_EXIT_S
                    self._quick_exits[slot] = self._quick_exits.get(slot, 0) + 1 if quick else 0
                    delay = min(30.0, 2.0 ** self._quick_exits[slot]) if quick else 0.0
                    log.warning("worker %s exited with %s; starting another in %g s", proc.name, proc.exitcode,
                                delay)
                    self._not_before[slot] = now + delay
                    if delay:
                        continue
                del self._not_before[slot]
                self.restarts += 1
                self._spawn(slot)

    def alive(self) -> int:
        """How many workers are running."""
        return sum(1 for p in self._procs.values() if p.is_alive())

    def pids(self) -> list[int]:
        """The workers' process ids."""
        return [p.pid for p in self._procs.values() if p.pid is not None]

    def stop(self, grace_s: float = 10.0) -> None:
        """Ask every worker to hand back its job and exit; kill those still running after `grace_s`."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for proc in self._procs.values():
            if proc.is_alive() and proc.pid is not None:
                os.kill(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for proc in self._procs.values():
            proc.join(timeout=max(0.0, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(timeout=5)
