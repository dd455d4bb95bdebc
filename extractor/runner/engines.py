"""Where documents are processed: a local process pool (spawn) or Ray tasks; both run process_document.

Neither engine touches the database: outcomes come back to the parent, the single writer. SQLite allows one
writer at a time, a worker killed on timeout must never hold a transaction, and Ray workers on other machines
need not reach the database (or a SQLite file) at all.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any, Protocol

from extractor.errors import ConfigurationError, ExtractorError, InternalError
from extractor.runner.errors import DocumentTimeoutError, EngineUnavailableError, WorkerCrashedError
from extractor.runner.pool import Outcome, WorkerPool
from extractor.runner.work import DocumentTask, TaskOutcome, failed_outcome, process_document, warm_up
from extractor.settings import Settings


class Engine(Protocol):
    """What the back-fill needs from an engine."""

    name: str
    capacity: int  # how many documents may be in flight at once

    def submit(self, task: DocumentTask) -> None:
        """Start processing a document."""

    def poll(self, timeout: float) -> list[TaskOutcome]:
        """Outcomes finished since the last call (waits up to `timeout` seconds for the first)."""

    def in_flight(self) -> int:
        """Documents submitted and not yet returned by poll."""

    def close(self, cancel: bool = False) -> None:
        """Stop the workers; `cancel` abandons documents still in flight."""


def timeout_error(timeout_s: float) -> DocumentTimeoutError:
    """The same TIMEOUT on either engine (the stored record must not depend on where it ran)."""
    return DocumentTimeoutError(f"not done within {timeout_s:g} s; its worker was stopped", timeout_s=timeout_s)


@dataclass
class _Pending:
    sha256: str
    source: str
    submitted: float


class LocalEngine:
    """A pool of spawned worker processes; a document over its timeout gets its worker killed and replaced."""

    name = "local"

    def __init__(self, settings: Settings, workers: int, timeout_s: float) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        # One queued beyond the workers: the next document is ready when a worker finishes one.
        self.capacity = workers + 1
        # spawn, not fork: the parent holds database connections and threads that a fork would copy.
        self._pool = WorkerPool(workers, timeout_s, initializer=warm_up, initargs=(settings,))
        self._pending: dict[str, _Pending] = {}

    def submit(self, task: DocumentTask) -> None:
        """Queue a document; the timeout counts from when a worker starts it."""
        self._pool.submit(task.sha256, process_document, task, self.settings)
        self._pending[task.sha256] = _Pending(task.sha256, task.source, time.monotonic())

    def poll(self, timeout: float) -> list[TaskOutcome]:
        """Collect finished documents, turning timeouts and dead workers into failed outcomes."""
        outcomes = []
        for done in self._pool.poll(timeout):
            pending = self._pending.pop(done.key)
            if done.outcome is Outcome.DONE:
                outcomes.append(done.value)
                continue
            if done.outcome is Outcome.TIMEOUT:
                error: ExtractorError = timeout_error(self.timeout_s)
            elif done.outcome is Outcome.CRASHED:
                error = WorkerCrashedError(f"the worker died while processing the document (exit code {done.value})",
                                           exitcode=done.value)
            else:  # process_document does not raise for bad input: this is a bug
                error = InternalError(str(done.value))
            outcomes.append(failed_outcome(pending.sha256, pending.source, error, done.seconds))
        return outcomes

    def in_flight(self) -> int:
        """Documents queued or running."""
        return len(self._pending)

    def worker_pids(self) -> list[int]:
        """The pids of the live workers (for tests and diagnostics)."""
        return self._pool.pids()

    def close(self, cancel: bool = False) -> None:
        """Finish (or, with cancel, kill) the workers and wait for them to exit."""
        self._pool.close(cancel=cancel)
        self._pending.clear()


CONNECT_TIMEOUT_S = 5.0


def _unavailable(address: str, why: str, **details: Any) -> EngineUnavailableError:
    return EngineUnavailableError(f"cannot use the Ray cluster at {address}: {why}", address=address, **details)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def _ray_target(address: str) -> tuple[str, int] | None:
    """(host, port) a connection to `address` goes to, as Ray itself resolves it; None when Ray finds it itself
    (`auto`). A `ray://` address is a Ray Client server: its own host and port."""
    from ray._private.services import canonicalize_bootstrap_address, parse_address

    if address.startswith("ray://"):
        parsed = parse_address(address.removeprefix("ray://"))
    else:
        canonical = canonicalize_bootstrap_address(address)  # localhost becomes the node IP, as in ray.init
        parsed = parse_address(canonical) if canonical else None
    if parsed is None:
        return None
    return parsed[0], int(parsed[1])


def _probe_gcs(address: str, target: tuple[str, int]) -> None:
    """Ask the cluster's GCS for its id, which is where a wrong or missing auth token is refused (in under a
    second, where ray.init would retry for minutes and then say only that it could not connect)."""
    try:
        from ray._raylet import GcsClient  # type: ignore[attr-defined]  # compiled module, no stubs
        from ray.exceptions import AuthenticationError
    except ImportError:  # another Ray version: ray.init below still reports a failure as typed
        return
    try:
        GcsClient(address=f"{target[0]}:{target[1]}", cluster_id=None)
    except AuthenticationError as exc:
        raise _unavailable(address, "the cluster refused this client's auth token (set RAY_AUTH_MODE=token and "
                                    "the cluster's token in RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH)",
                           reason="auth") from exc
    except Exception as exc:
        raise _unavailable(address, f"it does not answer as a Ray cluster ({_first_line(exc)})",
                           reason="not_ray") from exc


def connect_to_cluster(address: str, options: dict[str, Any]) -> None:
    """ray.init on a cluster, or an EngineUnavailableError naming the address (never a Ray traceback, never
    the minutes ray.init spends retrying an address where nothing listens)."""
    import ray

    try:
        target = _ray_target(address)
    except Exception as exc:  # no cluster found for `auto`, a malformed address
        raise _unavailable(address, _first_line(exc), reason="address") from exc
    if target is not None:
        try:
            with socket.create_connection(target, timeout=CONNECT_TIMEOUT_S):
                pass
        except OSError as exc:
            raise _unavailable(address, f"nothing answers at {target[0]}:{target[1]} "
                                        f"({exc.strerror or type(exc).__name__})", reason="unreachable") from exc
        if not address.startswith("ray://"):
            _probe_gcs(address, target)
    try:
        ray.init(address=address, **options)
    except Exception as exc:
        raise _unavailable(address, _first_line(exc), reason="init") from exc


class RayEngine:
    """Ray tasks on a local instance or a cluster (`address`); a task over its timeout is force-cancelled."""

    name = "ray"

    def __init__(self, settings: Settings, workers: int | None, timeout_s: float, address: str | None = None) -> None:
        try:
            import ray
        except ImportError as exc:
            raise ConfigurationError("the Ray engine needs Ray: pip install 'perf-form-extractor[ray]'") from exc
        self._ray = ray
        self.timeout_s = timeout_s
        self._started_here = not ray.is_initialized()
        if self._started_here:
            options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
            if address:
                connect_to_cluster(address, options)
            else:
                ray.init(num_cpus=workers or None, **options)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        # In flight = what the cluster runs at once, so a task's clock starts when it is submitted.
        self.capacity = max(1, min(workers, cpus) if workers else cpus)
        self._remote = ray.remote(num_cpus=1, max_retries=0)(process_document)
        self._settings_ref = ray.put(settings)
        self._refs: dict[Any, _Pending] = {}

    def submit(self, task: DocumentTask) -> None:
        """Start a Ray task for the document (its bytes travel through the object store)."""
        ref = self._remote.remote(task, self._settings_ref)
        self._refs[ref] = _Pending(task.sha256, task.source, time.monotonic())

    def poll(self, timeout: float) -> list[TaskOutcome]:
        """Collect finished tasks; cancel (kill) the ones over their timeout and report them as TIMEOUT."""
        ray = self._ray
        if not self._refs:
            return []
        ready, _ = ray.wait(list(self._refs), num_returns=1, timeout=timeout)
        if ready:  # take every other task that is ready too, without waiting again
            ready, _ = ray.wait(list(self._refs), num_returns=len(self._refs), timeout=0)
        outcomes = []
        for ref in ready:
            pending = self._refs.pop(ref)
            elapsed = time.monotonic() - pending.submitted
            error: ExtractorError
            try:
                outcomes.append(ray.get(ref))
            except ray.exceptions.WorkerCrashedError as exc:
                error = WorkerCrashedError(f"the Ray worker died while processing the document: {exc}")
                outcomes.append(failed_outcome(pending.sha256, pending.source, error, elapsed))
            except Exception as exc:
                error = InternalError(f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
                outcomes.append(failed_outcome(pending.sha256, pending.source, error, elapsed))
        now = time.monotonic()
        for ref, pending in list(self._refs.items()):
            if now - pending.submitted > self.timeout_s:
                ray.cancel(ref, force=True)
                del self._refs[ref]
                outcomes.append(failed_outcome(pending.sha256, pending.source, timeout_error(self.timeout_s),
                                               now - pending.submitted))
        return outcomes

    def in_flight(self) -> int:
        """Tasks submitted and not yet collected."""
        return len(self._refs)

    def close(self, cancel: bool = False) -> None:
        """Cancel what is left (with cancel) and shut Ray down if this engine started it."""
        if cancel:
            for ref in self._refs:
                self._ray.cancel(ref, force=True)
        self._refs.clear()
        if self._started_here:
            self._ray.shutdown()


def make_engine(name: str, settings: Settings, workers: int, timeout_s: float, address: str | None = None) -> Engine:
    """The engine called `name` (local | ray)."""
    if name == "local":
        return LocalEngine(settings, workers, timeout_s)
    if name == "ray":
        return RayEngine(settings, workers, timeout_s, address)
    raise ConfigurationError(f"unknown engine {name!r}: use local or ray", engine=name)
