"""Failures the runner records on a document: a worker that hung or died while processing it."""

from __future__ import annotations

from extractor.errors import ExtractorError


class DocumentTimeoutError(ExtractorError):
    """The document was not done within the per-document timeout; its worker was killed."""

    code = "TIMEOUT"


class WorkerCrashedError(ExtractorError):
    """The worker process died while processing the document (killed, out of memory, a native crash)."""

    code = "WORKER_CRASHED"


# Codes that say nothing about the document's content: a later run tries such a document again by itself.
RETRIED_CODES = frozenset({"FILE_ACCESS", WorkerCrashedError.code})


class EngineUnavailableError(ExtractorError):
    """The engine cannot start: a Ray cluster that cannot be reached, does not answer as Ray, or refuses the
    client's auth token. The run stops before any document is processed."""

    code = "ENGINE_UNAVAILABLE"
