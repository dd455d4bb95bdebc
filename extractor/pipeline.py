"""The stages, in order, as data; one document in, one DocumentResult out, never an exception for bad input."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from extractor.checking import check, names
from extractor.checking.context import CheckContext
from extractor.errors import DocumentLoadError, ExtractorError, InternalError, UnsupportedTemplateError
from extractor.ingest.loader import LoadedDocument, load_bytes, read_bytes
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


def _read_all(doc: LoadedDocument, timer: Timer) -> list[RawForm | None]:
    """Each grid's rows, read once; a grid whose rows cannot be read is left for process_form to report."""
    raws: list[RawForm | None] = []
    with timer.stage("rows"):
        for grid in doc.grids:
            try:
                raws.append(read_rows(grid))
            except Exception:
                raws.append(None)
    return raws


def _prefetch(doc: LoadedDocument, raws: list[RawForm | None], mapper: Mapper, timer: Timer) -> None:
    """Let a mapper that calls out (the LLM) work on all of a document's forms at once, bounded by its settings."""
    prefetch = getattr(mapper, "prefetch", None)
    if prefetch is None or len(doc.grids) < 2:
        return
    try:
        with timer.stage("mapping"):
            prefetch([(raw, grid) for raw, grid in zip(raws, doc.grids, strict=True) if raw is not None])
    except Exception:  # each form is mapped (and its error recorded) on its own below
        log.exception("prefetch failed; mapping form by form")


def _forms(doc: LoadedDocument, mapper: Mapper, timer: Timer) -> tuple[list[FormResult], list[dict[str, object]]]:
    forms: list[FormResult] = []
    errors: list[dict[str, object]] = []
    raws = _read_all(doc, timer)
    _prefetch(doc, raws, mapper, timer)
    for i, (grid, raw) in enumerate(zip(doc.grids, raws, strict=True), start=1):
        try:
            forms.append(process_form(i, grid, mapper, timer, raw))
        except ExtractorError as exc:
            errors.append({"form": i, **exc.to_dict()})
        except Exception as exc:  # a bug in one form must not lose the document's other forms
            log.exception("form %d failed", i)
            errors.append({"form": i, **InternalError(f"{type(exc).__name__}: {exc}").to_dict()})
    # Names read by OCR are checked against each other across the document's forms.
    return names.cross_checked(forms), errors


def extract_bytes(data: bytes, source: str, settings: Settings | None = None, mapper: Mapper | None = None,
                  on_loaded: Callable[[LoadedDocument], None] | None = None) -> DocumentResult:
    """Run the whole pipeline on a document's bytes; on_loaded sees the grids before they are mapped."""
    settings = settings or get_settings()
    timer = Timer()
    try:
        mapper = mapper or get_mapper(settings.mapper, settings)
        with timer.stage("ingest"):
            doc = load_bytes(data, settings)
        if on_loaded is not None:
            on_loaded(doc)
    except DocumentLoadError as exc:
        return DocumentResult(source=source, status=DocumentStatus.FAILED, error=exc.to_dict(), timings=timer.seconds)
    except ExtractorError as exc:
        return DocumentResult(source=source, status=DocumentStatus.FAILED, error=exc.to_dict(), timings=timer.seconds)
    except Exception as exc:
        log.exception("ingest of %s failed", source)
        return DocumentResult(source=source, status=DocumentStatus.FAILED,
                              error=InternalError(f"{type(exc).__name__}: {exc}").to_dict(), timings=timer.seconds)
    forms, errors = _forms(doc, mapper, timer)
    timings = {**doc.timings, **timer.seconds}
    if not forms:
        status = DocumentStatus.FAILED
    elif errors or doc.meta.get("failed_pages"):
        status = DocumentStatus.PARTIAL
    else:
        status = DocumentStatus.OK
    error = _forms_error(errors, failed_all=not forms)
    return DocumentResult(source=source, sha256=doc.sha256, kind=doc.kind.value, status=status, error=error,
                          pages=doc.pages, forms=forms, timings=timings)


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


def extract(path: str | Path, settings: Settings | None = None, mapper: Mapper | None = None) -> DocumentResult:
    """Run the whole pipeline on a file; bad input comes back as a failed DocumentResult, not an exception."""
    settings = settings or get_settings()
    path = Path(path)
    try:
        data = read_bytes(path, settings)
    except DocumentLoadError as exc:
        return DocumentResult(source=str(path), status=DocumentStatus.FAILED, error=exc.to_dict())
    return extract_bytes(data, str(path), settings, mapper)


def extract_many(paths: list[Path], settings: Settings | None = None,
                 on_result: Callable[[DocumentResult], None] | None = None) -> list[DocumentResult]:
    """Extract several files in order; one failure never stops the rest."""
    settings = settings or get_settings()
    mapper = None
    try:
        mapper = get_mapper(settings.mapper, settings)
    except ExtractorError:
        mapper = None  # every document will report the configuration error
    results = []
    for path in paths:
        result = extract(path, settings, mapper)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
