"""The per-document function both engines run: bytes in, a DocumentResult out (never raises for bad input)."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field

from extractor.errors import ExtractorError
from extractor.mapping import Mapper, get_mapper
from extractor.pipeline import extract_bytes
from extractor.records.models import DocumentResult, DocumentStatus
from extractor.settings import Settings


@dataclass(frozen=True)
class DocumentTask:
    """One document to process: its hash, the path it is reported under, and its bytes."""

    sha256: str
    source: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class TaskOutcome:
    """A processed document with the time it took and where it ran."""

    sha256: str
    result: DocumentResult
    seconds: float
    worker: str


_MAPPERS: dict[str, Mapper | None] = {}


def _mapper(settings: Settings) -> Mapper | None:
    # Build the mapper once per worker process (an LLM client is not free); None lets the pipeline report why.
    key = settings.model_dump_json()
    if key not in _MAPPERS:
        try:
            _MAPPERS[key] = get_mapper(settings.mapper, settings)
        except ExtractorError:
            _MAPPERS[key] = None
    return _MAPPERS[key]


def process_document(task: DocumentTask, settings: Settings) -> TaskOutcome:
    """Run the pipeline on one document (the same function in a local process pool and in a Ray task)."""
    start = time.perf_counter()
    result = extract_bytes(task.data, task.source, settings, mapper=_mapper(settings))
    return TaskOutcome(sha256=task.sha256, result=result, seconds=round(time.perf_counter() - start, 6),
                       worker=f"{socket.gethostname()}:{os.getpid()}")


def failed_outcome(sha256: str, source: str, error: ExtractorError, seconds: float | None = None) -> TaskOutcome:
    """An outcome for a document whose worker timed out or died: a failed result carrying the reason."""
    result = DocumentResult(source=source, sha256=sha256, status=DocumentStatus.FAILED, error=error.to_dict())
    return TaskOutcome(sha256=sha256, result=result, seconds=round(seconds or 0.0, 6), worker="")


def warm_up(settings: Settings) -> None:
    """Worker start-up: importing this module loads the pipeline; build the mapper before the first timeout runs."""
    _mapper(settings)
