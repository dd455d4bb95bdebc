"""What the repository hands out: plain pydantic views, never live ORM objects (safe across sessions/processes)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from extractor.records.models import FormResult


class PathSeen(BaseModel):
    """A path a document was found under, with the file's size and mtime at that moment."""

    path: str
    size: int | None = None
    mtime_ns: int | None = None


class DocumentInfo(BaseModel):
    """A stored document: identity, outcome and every path it was seen under."""

    id: int
    sha256: str | None
    owner_id: int | None = None  # the service user it belongs to; None for archive documents
    size: int | None
    kind: str | None
    pages: int | None
    status: str
    error_code: str | None
    error: dict[str, Any] | None
    form_count: int
    mapper: str | None
    seconds: float | None
    run_id: int | None
    processed_at: datetime
    paths: list[str] = Field(default_factory=list)


class FormSummary(BaseModel):
    """A form's queryable columns (the list view of the review page, the rows of an export)."""

    id: int
    document_id: int
    form_index: int
    status: str
    has_errors: bool
    year: int | None
    project_name: str | None
    department: str | None
    implementing_unit: str | None
    total_weight: Decimal | None
    total_score: Decimal | None
    grade: str | None
    mapper: str | None
    prompt_hash: str | None
    updated_at: datetime


class StoredForm(BaseModel):
    """A form as stored: ids, its document's identity and paths, and the full FormResult."""

    id: int
    document_id: int
    sha256: str | None
    paths: list[str]
    mapper: str | None
    prompt_hash: str | None
    updated_at: datetime
    form: FormResult


class CorrectionInfo(BaseModel):
    """One recorded correction."""

    id: int
    form_id: int
    document_id: int
    field_path: str
    old_value: Any
    new_value: Any
    author: str
    note: str | None
    created_at: datetime


class RunInfo(BaseModel):
    """One back-fill run."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    engine: str | None
    workers: int | None
    host: str | None
    inputs: list[str]
    settings: dict[str, Any]
    counts: dict[str, Any]
    failures: list[dict[str, Any]]
    message: str | None


class Totals(BaseModel):
    """Counts over the whole database."""

    documents: int = 0
    documents_by_status: dict[str, int] = Field(default_factory=dict)
    forms: int = 0
    forms_by_status: dict[str, int] = Field(default_factory=dict)
    paths: int = 0
    pages: int = 0
