"""The back-fill: every discovered file ends stored once (a document, a new path of one, or a failure with reason).

The parent reads each file once, hashes it and decides: skip (already stored), record another path of a known
document, or send the bytes to the engine. Each outcome is stored in one transaction as it arrives, so a run
killed at any moment leaves only whole documents behind and the next run picks up the rest.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from pydantic import BaseModel

from extractor.errors import DocumentLoadError, ExtractorError
from extractor.ingest.files import Found, path_text, read_document
from extractor.records.cost import llm_usage
from extractor.runner.engines import Engine, make_engine
from extractor.runner.errors import RETRIED_CODES
from extractor.runner.work import DocumentTask, TaskOutcome
from extractor.settings import Settings
from extractor.storage.errors import StorageError
from extractor.storage.repository import KnownDocument, KnownPath, Repository
from extractor.storage.views import PathSeen

log = logging.getLogger(__name__)


class BackfillOptions(BaseModel):
    """How to run: engine, parallelism, per-document timeout, what to retry."""

    engine: str = "local"
    workers: int = max(1, os.cpu_count() or 1)
    address: str | None = None  # a Ray cluster; None starts a local instance
    timeout_s: float = 600.0
    retry_failed: bool = False  # also re-process documents that failed for a reason tied to their content
    rehash: bool = False  # re-read files whose path, size and mtime are already recorded
    reread_awaiting: bool = False  # re-process documents whose forms waited for an induced definition's approval


@dataclass
class Counts:
    """What a run did so far; the progress bar and the summary read it."""

    files: int = 0
    done: int = 0  # files whose fate is settled
    skipped: int = 0  # already stored, nothing new
    new_paths: int = 0  # a stored document found under another name
    processed: int = 0  # documents processed in this run
    documents_ok: int = 0
    documents_partial: int = 0
    documents_failed: int = 0  # processed and failed, or unreadable
    folders_failed: int = 0  # folders that could not be listed (their files were never seen)
    forms: int = 0
    forms_ok: int = 0
    forms_review: int = 0
    pages: int = 0
    llm_requests: int = 0  # sent to the endpoint for this run's forms (form mapping and template induction)
    llm_prompt_tokens: int = 0
    llm_completion_tokens: int = 0
    seconds: float = 0.0
    failures: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Counts without the failure list (stored on the run)."""
        return {k: v for k, v in self.__dict__.items() if k != "failures"}

    @property
    def llm_requests_per_form(self) -> float:
        """LLM requests per processed form (what an archive costs at the endpoint, form by form)."""
        return self.llm_requests / self.forms if self.forms else 0.0

    @property
    def documents_per_minute(self) -> float:
        """Processed documents per minute of wall time."""
        return self.processed / self.seconds * 60 if self.seconds else 0.0

    @property
    def pages_per_minute(self) -> float:
        """Pages of processed documents per minute of wall time."""
        return self.pages / self.seconds * 60 if self.seconds else 0.0


@dataclass
class BackfillReport:
    """How a run ended."""

    run_id: int
    status: str  # finished | interrupted | aborted
    counts: Counts
    message: str | None = None
    error_code: str | None = None  # why an aborted run stopped (STORAGE_…, ENGINE_UNAVAILABLE, INTERNAL_ERROR)


@dataclass
class _InFlight:
    paths: list[PathSeen]
    size: int


class Backfill:
    """One back-fill run over discovered files, writing through the repository (the only writer)."""

    def __init__(self, repo: Repository, settings: Settings, options: BackfillOptions,
                 on_progress: Callable[[Counts], None] | None = None,
                 engine_factory: Callable[[], Engine] | None = None) -> None:
        self.repo = repo
        self.settings = settings
        self.options = options
        self.on_progress = on_progress or (lambda _counts: None)
        self._engine_factory = engine_factory or (lambda: make_engine(
            options.engine, settings, options.workers, options.timeout_s, options.address))
        self.counts = Counts()
        self._run_id = 0
        self._documents: dict[str, KnownDocument] = {}
        self._in_flight: dict[str, _InFlight] = {}
        self._this_run: set[str] = set()
        self._paths: dict[str, KnownPath] = {}
        self._awaiting: set[str] = set()

    # --- decisions -----------------------------------------------------------------------------------------

    def _is_done(self, sha256: str) -> bool:
        known = self._documents.get(sha256)
        if known is None:
            return False
        if sha256 in self._this_run:
            return True
        if sha256 in self._awaiting:  # its layout's definition may be approved by now: read it again
            return False
        if known.status != "failed":
            return True
        return not (known.error_code in RETRIED_CODES or self.options.retry_failed)

    def _settle(self, files: int = 1) -> None:
        self.counts.done += files
        self.on_progress(self.counts)

    def _fail(self, path: str, error: dict[str, Any]) -> None:
        self.counts.documents_failed += 1
        self.counts.failures.append({"path": path, "code": error.get("code"), "message": error.get("message")})

    def _unreadable(self, seen: PathSeen, error: dict[str, Any]) -> None:
        self.repo.save_unreadable(seen, error, self._run_id)
        self._fail(seen.path, error)
        self._settle()

    def _prepare(self, found: Found, engine: Engine) -> None:
        """Settle a file without the engine when possible, else hand its bytes to the engine."""
        # The file is opened by its real path; it is recorded, reported and sent under its text (path_text),
        # which a name that is not UTF-8 cannot break.
        real = found.path.absolute()
        path = path_text(real)
        if found.problem is not None and found.folder:  # reported with the run's failures; not a document
            self.counts.folders_failed += 1
            self.counts.failures.append({"path": path, "code": found.problem.get("code"),
                                         "message": found.problem.get("message")})
            return
        if found.problem is not None:
            self._unreadable(PathSeen(path=path), found.problem)
            return
        known = self._paths.get(path)
        if known is not None and known.sha256 and not self.options.rehash and self._is_done(known.sha256):
            try:
                st = os.stat(real)
            except OSError:
                st = None
            if st is not None and (st.st_size, st.st_mtime_ns) == (known.size, known.mtime_ns):
                self.counts.skipped += 1  # same path, same size and mtime: read before
                self._settle()
                return
        try:
            read = read_document(real, self.settings.max_file_bytes)
        except DocumentLoadError as exc:
            self._unreadable(PathSeen(path=path), exc.to_dict())
            return
        seen = PathSeen(path=path, size=read.size, mtime_ns=read.mtime_ns)
        if read.sha256 in self._in_flight:  # the same content under a second name, still being processed
            self._in_flight[read.sha256].paths.append(seen)
            return
        if self._is_done(read.sha256):
            if known is not None and known.sha256 == read.sha256:
                self.counts.skipped += 1
            else:
                self.counts.new_paths += 1
            self.repo.add_paths(read.sha256, [seen], self._run_id)
            self._settle()
            return
        self._in_flight[read.sha256] = _InFlight(paths=[seen], size=read.size)
        engine.submit(DocumentTask(sha256=read.sha256, source=path, data=read.data))

    def _store(self, outcome: TaskOutcome) -> None:
        """Store one outcome (one transaction) and count it."""
        flight = self._in_flight.pop(outcome.sha256)
        result = outcome.result
        document_id = self.repo.save_result(result, sha256=outcome.sha256, size=flight.size, paths=flight.paths,
                                            run_id=self._run_id, seconds=outcome.seconds,
                                            mapper=self.settings.mapper.value)
        error_code = (result.error or {}).get("code")
        self._documents[outcome.sha256] = KnownDocument(document_id, result.status.value, error_code)
        self._this_run.add(outcome.sha256)
        c = self.counts
        c.processed += 1
        c.new_paths += len(flight.paths) - 1
        c.pages += result.pages or 0
        c.forms += len(result.forms)
        c.forms_ok += sum(1 for f in result.forms if f.status.value == "ok")
        c.forms_review += sum(1 for f in result.forms if f.status.value != "ok")
        for form in result.forms:
            usage = llm_usage(form.provenance.llm)
            c.llm_requests += usage.requests
            c.llm_prompt_tokens += usage.prompt_tokens
            c.llm_completion_tokens += usage.completion_tokens
        if result.status.value == "ok":
            c.documents_ok += 1
        elif result.status.value == "partial":
            c.documents_partial += 1
        else:
            self._fail(flight.paths[0].path, result.error or {})
        self._settle(len(flight.paths))

    # --- the loop ------------------------------------------------------------------------------------------

    @staticmethod
    def _catch_stop_signals(stop: threading.Event) -> Callable[[], None]:
        """Ctrl-C / SIGTERM ask the loop to stop between documents (an exception raised inside a database
        driver could leave its connection unusable); a second Ctrl-C interrupts at once."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def request(_signum: int, _frame: FrameType | None) -> None:
            if stop.is_set():
                raise KeyboardInterrupt
            stop.set()

        previous = {sig: signal.signal(sig, request) for sig in (signal.SIGINT, signal.SIGTERM)}

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore

    def run(self, files: list[Found], inputs: list[str]) -> BackfillReport:
        """Process every file; stops cleanly on Ctrl-C/SIGTERM (interrupted) or a storage failure (aborted)."""
        start = time.perf_counter()
        self.counts = Counts(files=len(files))
        self._run_id = self.repo.start_run(
            engine=self.options.engine, workers=self.options.workers, inputs=inputs,
            settings={"mapper": self.settings.mapper.value, "ocr": self.settings.ocr.value,
                      "timeout_s": self.options.timeout_s, "retry_failed": self.options.retry_failed,
                      "pid": os.getpid()})
        self.repo.close_stale_runs()
        self._paths = self.repo.known_paths()
        self._documents = self.repo.known_documents()
        self._awaiting = self.repo.awaiting_definitions() if self.options.reread_awaiting else set()
        status, message, error_code = "finished", None, None
        engine: Engine | None = None
        stop = threading.Event()
        restore = self._catch_stop_signals(stop)
        try:
            engine = self._engine_factory()
            queue = iter(files)
            exhausted = False
            while not stop.is_set():
                while not exhausted and not stop.is_set() and engine.in_flight() < engine.capacity:
                    found = next(queue, None)
                    if found is None:
                        exhausted = True
                    else:
                        self._prepare(found, engine)
                if exhausted and engine.in_flight() == 0:
                    break
                for outcome in engine.poll(timeout=0.2):
                    self._store(outcome)
                self.counts.seconds = time.perf_counter() - start
            if stop.is_set():
                status, message = "interrupted", "stopped by the user; run again to continue"
        except KeyboardInterrupt:  # a second Ctrl-C, or one that came before the handler was in place
            status, message = "interrupted", "stopped by the user; run again to continue"
        except ExtractorError as exc:  # the database failed (full, read-only, gone) or the engine could not start
            status, message, error_code = "aborted", f"{exc.code}: {exc.message}", exc.code
            log.info("back-fill stopped: %s", message)
        except Exception as exc:  # a bug: the run is still closed with the reason, never left `running`
            log.exception("back-fill failed")
            status, message, error_code = "aborted", f"INTERNAL_ERROR: {type(exc).__name__}: {exc}", "INTERNAL_ERROR"
        finally:
            if engine is not None:
                engine.close(cancel=status != "finished")
            self.counts.seconds = time.perf_counter() - start
            restore()
        try:
            self.repo.finish_run(self._run_id, status=status, counts=self.counts.as_dict(),
                                 failures=self.counts.failures, message=message)
        except StorageError as exc:  # the database that failed may still be failing: say so, keep the report
            message = f"{message}; the run's end could not be recorded either: {exc.message}"
        return BackfillReport(run_id=self._run_id, status=status, counts=self.counts, message=message,
                              error_code=error_code)
