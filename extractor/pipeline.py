"""The stages, in order, as data; one document in, one DocumentResult out, never an exception for bad input."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.checking import check, names
from extractor.checking.context import CheckContext
from extractor.errors import DocumentLoadError, ExtractorError, InternalError, UnsupportedTemplateError
from extractor.ingest.files import path_text, read_document
from extractor.ingest.loader import LoadedDocument, PageProgress, open_document
from extractor.layout import Grid
from extractor.mapping import Mapper, get_mapper
from extractor.records.models import (
    DocumentResult,
    DocumentStatus,
    Finding,
    FindingCode,
    FormResult,
    FormStatus,
    Severity,
    needs_review,
)
from extractor.settings import Settings, get_settings
from extractor.tables.rows import RawForm, read_rows

log = logging.getLogger(__name__)

# The order of the work, stated once (docling's build_pipe): each stage is named after what it produces.
DOCUMENT_STAGES = ("ingest",)  # bytes → pages/tokens → grids (PDF and OCR stages live inside ingest.pages)
FORM_STAGES = ("rows", "mapping", "checking")


@dataclass
class Timer:
    """Seconds spent per stage, summed over a document's forms."""

    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time one stage."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 6)


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def merge_findings(mapper: list[Finding], checker: list[Finding]) -> list[Finding]:
    """The mapper's findings (values it dropped) with the checker's; a dropped value is not also 'missing'."""
    dropped = {path for f in mapper if f.code is FindingCode.UNGROUNDED_VALUE for path in f.fields}
    kept = [f for f in checker if not (f.code is FindingCode.MISSING_FIELD and set(f.fields) <= dropped)]
    return sorted([*mapper, *kept], key=lambda f: _SEVERITY_ORDER[f.severity])


def process_form(index: int, grid: Grid, mapper: Mapper, timer: Timer, raw: RawForm | None = None) -> FormResult:
    """rows → mapping → checking for one form's grid (rows already read may be passed in)."""
    if raw is None:
        with timer.stage("rows"):
            raw = read_rows(grid)
    with timer.stage("mapping"):
        mapped = mapper(raw, grid)
    with timer.stage("checking"):
        family = mapped.family or raw.family
        checked = check(mapped.record, mapped.provenance, grid, CheckContext.of(family))
    findings = merge_findings(mapped.findings, checked.report.findings) if mapped.findings else checked.report.findings
    lines = (grid.first_line, grid.last_line) if grid.first_line is not None and grid.last_line is not None else None
    return FormResult(
        index=index,
        pages=grid.pages,
        lines=lines,
        status=FormStatus.NEEDS_REVIEW if needs_review(findings) else FormStatus.OK,
        template=family.id if family is not None else None,
        record=checked.record,
        findings=findings,
        provenance=checked.provenance,
    )


def _window(grids: Iterator[Grid], size: int) -> list[Grid]:
    return [grid for _, grid in zip(range(size), grids, strict=False)]


class DocumentStream:
    """One document on its way through the pipeline: its identity once it is read, then each form as it is
    checked (`forms()`), then its outcome (`result()`). Nothing is kept of a form once it is handed out, so a
    100,000-form export goes through in the memory of a few forms."""

    def __init__(self, source: str, data: bytes | None, settings: Settings, mapper: Mapper | None = None,
                 error: ExtractorError | dict[str, Any] | None = None, on_page: PageProgress | None = None,
                 on_loaded: Callable[[LoadedDocument], None] | None = None) -> None:
        self.source = source
        self.settings = settings
        self.timer = Timer()
        self.doc: LoadedDocument | None = None
        # A document that could not even be read comes with its error (as raised, or as a dict from discovery).
        self.error: dict[str, Any] | None = error.to_dict() if isinstance(error, ExtractorError) else error
        self.form_errors: list[dict[str, object]] = []
        self.forms_done = 0  # forms handed out
        self.finished = False  # every form was handed out (not stopped half-way)
        self._grids: Iterator[Grid] = iter(())
        self._mapper = mapper
        if self.error is None and data is not None:
            self._open(data, on_page, on_loaded)

    def _open(self, data: bytes, on_page: PageProgress | None,
              on_loaded: Callable[[LoadedDocument], None] | None) -> None:
        try:
            self._mapper = self._mapper or get_mapper(self.settings.mapper, self.settings)
            with self.timer.stage("ingest"):
                self.doc, self._grids = open_document(data, self.settings, on_page=on_page)
                if on_loaded is not None:  # the caller wants every grid (the service keeps them): read them all
                    if not self.doc.grids:
                        self.doc.grids = list(self._grids)
                        self._grids = iter(self.doc.grids)
                    on_loaded(self.doc)
        except ExtractorError as exc:
            self.error, self.doc = exc.to_dict(), None
        except Exception as exc:
            log.exception("ingest of %s failed", self.source)
            self.error, self.doc = InternalError(f"{type(exc).__name__}: {exc}").to_dict(), None

    @property
    def sha256(self) -> str | None:
        """The document's hash (None when it could not be read)."""
        return self.doc.sha256 if self.doc is not None else None

    @property
    def kind(self) -> str | None:
        """text_export | pdf | image (None when it could not be read)."""
        return self.doc.kind.value if self.doc is not None else None

    @property
    def pages(self) -> int | None:
        """Pages of a PDF or image."""
        return self.doc.pages if self.doc is not None else None

    def _next_grids(self, size: int) -> list[Grid]:
        # A text export's grid is cut when drawn: that is ingest time.
        with self.timer.stage("ingest"):
            return _window(self._grids, size)

    def _read(self, grids: list[Grid]) -> list[RawForm | None]:
        """Each grid's rows; a grid whose rows cannot be read is left for process_form to report."""
        raws: list[RawForm | None] = []
        with self.timer.stage("rows"):
            for grid in grids:
                try:
                    raws.append(read_rows(grid))
                except Exception:
                    raws.append(None)
        return raws

    def _prefetch(self, grids: list[Grid], raws: list[RawForm | None]) -> None:
        """Let a mapper that calls out (the LLM) work on a window of forms at once, bounded by its settings."""
        prefetch = getattr(self._mapper, "prefetch", None)
        if prefetch is None or len(grids) < 2:
            return
        try:
            with self.timer.stage("mapping"):
                prefetch([(raw, grid) for raw, grid in zip(raws, grids, strict=True) if raw is not None])
        except Exception:  # each form is mapped (and its error recorded) on its own below
            log.exception("prefetch failed; mapping form by form")

    def forms(self) -> Iterator[FormResult]:
        """The document's forms, each checked and handed out as soon as it is done (once only)."""
        if self.doc is None or self._mapper is None:
            self.finished = True
            return
        mapper = self._mapper
        # Forms are drawn in windows: one at a time for the rules, a few for a mapper that prefetches (the LLM's
        # concurrency needs several forms in flight); a window is all that is ever held.
        size = max(2, 4 * self.settings.llm_concurrency) if hasattr(mapper, "prefetch") else 1
        index = 0
        held: list[FormResult] | None = None if self.doc.kind.value == "text_export" else []
        while grids := self._next_grids(size):
            raws = self._read(grids)
            self._prefetch(grids, raws)
            for grid, raw in zip(grids, raws, strict=True):
                index += 1
                try:
                    form = process_form(index, grid, mapper, self.timer, raw)
                except ExtractorError as exc:
                    self.form_errors.append({"form": index, **exc.to_dict()})
                    continue
                except Exception as exc:  # a bug in one form must not lose the document's other forms
                    log.exception("form %d failed", index)
                    self.form_errors.append({"form": index, **InternalError(f"{type(exc).__name__}: {exc}").to_dict()})
                    continue
                self.forms_done += 1
                if held is None:
                    yield form
                else:
                    held.append(form)
        if held:
            # Names read by OCR are checked against each other across the document's forms (a scan's few forms
            # are held for that; a text export's forms stream and print their names, they need no such check).
            yield from names.cross_checked(held)
        self.finished = True

    def result(self, forms: list[FormResult] | None = None, interrupted: bool = False) -> DocumentResult:
        """The document's outcome once its forms were drawn; `forms` are put in it when given (else it counts
        the forms handed out). `interrupted`: the run stopped before every form was drawn."""
        forms = forms or []
        if self.doc is None:
            return DocumentResult(source=self.source, status=DocumentStatus.FAILED, error=self.error,
                                  timings=self.timer.seconds)
        timings = {**self.doc.timings, **self.timer.seconds}
        if interrupted and not self.finished:
            error: dict[str, Any] | None = {
                "code": "INTERRUPTED", "message": f"stopped by the user after {self.forms_done} form(s)",
                **({"forms": self.form_errors} if self.form_errors else {})}
            status = DocumentStatus.PARTIAL if self.forms_done else DocumentStatus.FAILED
        else:
            if not self.forms_done:
                status = DocumentStatus.FAILED
            elif self.form_errors or self.doc.meta.get("failed_pages"):
                status = DocumentStatus.PARTIAL
            else:
                status = DocumentStatus.OK
            error = _forms_error(self.form_errors, failed_all=not self.forms_done)
        return DocumentResult(source=self.source, sha256=self.doc.sha256, kind=self.doc.kind.value, status=status,
                              error=error, pages=self.doc.pages, forms=forms, timings=timings)


def extract_bytes(data: bytes, source: str, settings: Settings | None = None, mapper: Mapper | None = None,
                  on_loaded: Callable[[LoadedDocument], None] | None = None) -> DocumentResult:
    """Run the whole pipeline on a document's bytes; on_loaded sees the grids before they are mapped."""
    stream = DocumentStream(source, data, settings or get_settings(), mapper, on_loaded=on_loaded)
    return stream.result(list(stream.forms()))


def _forms_error(errors: list[dict[str, object]], failed_all: bool) -> dict[str, object] | None:
    """The document's error: UNSUPPORTED_TEMPLATE when every form is of a family not mapped (the document is not
    a project form at all), else FORMS_FAILED listing each form's reason."""
    if not errors:
        return None
    codes = {e.get("code") for e in errors}
    if failed_all and codes == {UnsupportedTemplateError.code}:
        first = errors[0]
        return {"code": first["code"], "message": first.get("message"), "details": first.get("details"),
                "forms": errors}
    return {"code": "FORMS_FAILED", "message": f"{len(errors)} form(s) could not be processed", "forms": errors}


def stream_path(path: Path, settings: Settings, mapper: Mapper | None = None,
                on_page: PageProgress | None = None) -> DocumentStream:
    """A file's DocumentStream: read through the shared reader (an unreadable file is a failed document)."""
    try:
        data = read_document(path, settings.max_file_bytes).data
    except DocumentLoadError as exc:
        return DocumentStream(path_text(path), None, settings, mapper, error=exc)
    return DocumentStream(path_text(path), data, settings, mapper, on_page=on_page)


def extract(path: str | Path, settings: Settings | None = None, mapper: Mapper | None = None) -> DocumentResult:
    """Run the whole pipeline on a file; bad input comes back as a failed DocumentResult, not an exception."""
    stream = stream_path(Path(path), settings or get_settings(), mapper)
    return stream.result(list(stream.forms()))


def shared_mapper(settings: Settings) -> Mapper | None:
    """One mapper for a batch; None when it cannot be built (each document then reports why)."""
    try:
        return get_mapper(settings.mapper, settings)
    except ExtractorError:
        return None


def extract_many(paths: list[Path], settings: Settings | None = None,
                 on_result: Callable[[DocumentResult], None] | None = None) -> list[DocumentResult]:
    """Extract several files in order; one failure never stops the rest."""
    settings = settings or get_settings()
    mapper = shared_mapper(settings)
    results = []
    for path in paths:
        result = extract(path, settings, mapper)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
