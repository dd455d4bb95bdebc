"""The API's request and response bodies (documented in the OpenAPI schema) and how they are assembled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from extractor.records.models import FindingCode, FormResult, Provenance, Record, Severity
from extractor.service.explain import explain, field_label
from extractor.service.sources import GridCell, Highlight, PageInfo, field_flags, highlights
from extractor.service.store import ApprovalInfo, JobInfo, OwnedDocument, aware
from extractor.storage.views import CorrectionInfo, StoredForm


class JobOut(BaseModel):
    """An upload job."""

    id: int
    filename: str
    status: str = Field(description="queued | running | done | failed")
    kind: str = Field(description="text_export | pdf | image | html | docx | xlsx | xls | doc | wps | et | ofd, judged "
                      "from the content")
    size: int
    sha256: str
    attempts: int
    max_attempts: int
    document_id: int | None = Field(description="the document the upload became (once processed)")
    error: dict[str, Any] | None = Field(description="why the job failed: the document's error or the worker's")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None

    @classmethod
    def of(cls, job: JobInfo) -> JobOut:
        """From the store's view."""
        return cls.model_validate(job.model_dump(exclude={"user_id", "stored_path", "lease_owner"}))


class UploadOut(BaseModel):
    """The jobs an upload created (202 Accepted: processing goes on in the workers)."""

    jobs: list[JobOut]


class FindingOut(BaseModel):
    """A checker finding with its explanation in Chinese and the fields it names, labelled."""

    code: FindingCode
    severity: Severity
    message: str
    fields: list[str]
    field_labels: list[str]
    data: dict[str, Any] | None
    explanation: str


class CorrectionOut(BaseModel):
    """A recorded correction: who changed which field, when, from what to what."""

    id: int
    field_path: str
    field_label: str
    old_value: Any
    new_value: Any
    author: str
    note: str | None
    created_at: datetime

    @classmethod
    def of(cls, c: CorrectionInfo) -> CorrectionOut:
        """From the repository's view."""
        return cls(id=c.id, field_path=c.field_path, field_label=field_label(c.field_path), old_value=c.old_value,
                   new_value=c.new_value, author=c.author, note=c.note, created_at=aware(c.created_at))  # type: ignore[arg-type]


class ApprovalOut(BaseModel):
    """Who approved the form and when."""

    approved_by: str
    approved_at: datetime
    findings: list[str] = Field(description="the warning/error codes the form still had when approved")

    @classmethod
    def of(cls, a: ApprovalInfo) -> ApprovalOut:
        """From the store's view."""
        return cls(approved_by=a.approved_by, approved_at=a.approved_at, findings=a.findings)


class FormOut(BaseModel):
    """One form: the record, its findings (explained), provenance, the cells to highlight, review state."""

    id: int
    document_id: int
    index: int
    status: str = Field(description="ok | needs_review (an error finding is present)")
    template: str | None = Field(default=None, description="the form family it was read as (templates.md)")
    has_errors: bool
    pages: list[int]
    lines: tuple[int, int] | None
    record: Record
    findings: list[FindingOut]
    provenance: Provenance
    flags: dict[str, dict[str, Any]] = Field(description="record path → worst severity and codes naming it")
    highlights: list[Highlight] = Field(description="source cells behind flagged fields (page/bbox or line/column)")
    approval: ApprovalOut | None
    corrections: list[CorrectionOut]
    updated_at: datetime


class DocumentSummaryOut(BaseModel):
    """A document in its owner's list."""

    id: int
    filename: str
    kind: str | None
    status: str = Field(description="ok | partial | failed")
    error_code: str | None
    error: dict[str, Any] | None
    pages: int | None
    form_count: int
    needs_review: int
    approved: int
    job_ids: list[int]
    uploaded_at: datetime
    processed_at: datetime

    @classmethod
    def of(cls, d: OwnedDocument) -> DocumentSummaryOut:
        """From the store's view."""
        return cls.model_validate(d.model_dump())


class SourceOut(BaseModel):
    """What the review page shows of the source: page images, or the text grid of each form of an export."""

    kind: str
    pages: list[PageInfo] = Field(description="PDF pages (sizes in points) or image frames (pixels)")
    grids: list[list[list[GridCell | None]]] = Field(default_factory=list,
                                                     description="text exports: per form, rows of cells")


class DocumentOut(DocumentSummaryOut):
    """A document with its forms."""

    sha256: str | None
    filenames: list[str]
    forms: list[FormOut]


class FieldCorrectionIn(BaseModel):
    """A new value for one field: text, or a decimal as a string ("8.50"); null or "" clears it."""

    value: Any = Field(description="the corrected value (decimals as strings, never floats)")
    note: str | None = Field(default=None, max_length=2000)


class CorrectionResult(BaseModel):
    """The correction as recorded and the form re-checked with it."""

    correction: CorrectionOut
    form: FormOut


def finding_out(form: FormResult) -> list[FindingOut]:
    """The form's findings with explanations."""
    return [FindingOut(code=f.code, severity=f.severity, message=f.message, fields=f.fields,
                       field_labels=[field_label(p) for p in f.fields], data=f.data, explanation=explain(f.code))
            for f in form.findings]


def form_out(stored: StoredForm, approval: ApprovalInfo | None, corrections: list[CorrectionInfo]) -> FormOut:
    """A stored form as the API shows it."""
    form = stored.form
    return FormOut(id=stored.id, document_id=stored.document_id, index=form.index, status=form.status.value,
                   template=form.template,
                   has_errors=form.has_errors, pages=form.pages, lines=form.lines, record=form.record,
                   findings=finding_out(form), provenance=form.provenance, flags=field_flags(form),
                   highlights=highlights(form), approval=ApprovalOut.of(approval) if approval else None,
                   corrections=[CorrectionOut.of(c) for c in corrections],
                   updated_at=aware(stored.updated_at))  # type: ignore[arg-type]
