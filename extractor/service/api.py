"""The versioned JSON API (/api/v1): uploads, jobs, documents, page images, corrections, approvals, exports."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import text
from starlette.background import BackgroundTask

from extractor.export.writers import ExportFormat
from extractor.service import actions
from extractor.service.deps import AppSettings, CurrentUser, Store, error
from extractor.service.gold import export_gold, zip_folder
from extractor.service.schemas import (
    ApprovalOut,
    CorrectionOut,
    CorrectionResult,
    DocumentOut,
    DocumentSummaryOut,
    FieldCorrectionIn,
    FormOut,
    JobOut,
    SourceOut,
    UploadOut,
)
from extractor.service.settings import ServiceSettings
from extractor.service.sources import PageNotFound, render_page
from extractor.service.store import JobInfo, ServiceStore
from extractor.service.uploads import StagedUpload, UploadRejected, discard, keep, kept_relative, receive
from extractor.storage.database import sqlite_files_writable

router = APIRouter(prefix="/api/v1")
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such resource, or it belongs to another user"}}
AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "no valid API token or session"}}


@router.get("/health", tags=["service"], summary="Liveness and database reachability (no token needed)")
def health(store: Store) -> dict[str, str]:
    """`ok` when the database answers and its files can still be written."""
    try:
        with store.repo.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise error(503, "DATABASE_UNREACHABLE", "the database does not answer") from exc
    if not sqlite_files_writable(store.repo.engine):
        # A -shm that can no longer be written brings SQLite down by SIGBUS on the next write: say so first.
        raise error(503, "STORAGE_READ_ONLY", "the database files are read-only")
    return {"status": "ok", "database": "ok"}


@router.get("/me", tags=["service"], responses=AUTH, summary="Who the token or session belongs to")
def me(user: CurrentUser) -> dict[str, str | int]:
    """The caller's user name and id."""
    return {"id": user.id, "username": user.username}


@router.post("/uploads", status_code=202, tags=["uploads"], response_model=UploadOut,
             responses={**AUTH, 413: {"description": "a file, its pages or pixels over the limits"},
                        415: {"description": "not a PDF, an image or a text export (judged by content)"},
                        422: {"description": "empty, corrupt or password-protected"}},
             summary="Upload one or more documents; each becomes a queued job")
def upload(user: CurrentUser, store: Store, settings: AppSettings,
           files: Annotated[list[UploadFile], File(description="PDFs, scans (PNG/JPEG/TIFF) or text exports")],
           response: Response) -> UploadOut:
    """Store the files and write one job per file before answering 202; workers process them from the database.

    Either every file is accepted or none is: a request with one bad file is refused whole, naming the file.
    """
    if len(files) > settings.max_upload_files:
        raise error(413, "TOO_MANY_FILES", f"at most {settings.max_upload_files} files per request",
                    limit=settings.max_upload_files)
    staged: list[StagedUpload] = []
    try:
        for part in files:
            staged.append(receive(part.file, part.filename, settings))
    except BaseException as exc:  # refused, disk full, client gone: nothing of the request stays
        for done in staged:
            discard(done)
        if isinstance(exc, UploadRejected):
            raise error(exc.status_code, exc.code, exc.message, **exc.details) from exc
        raise
    jobs = _keep_and_enqueue(store, settings, user.id, staged)
    if len(jobs) == 1:
        response.headers["Location"] = f"/api/v1/jobs/{jobs[0].id}"
    return UploadOut(jobs=[JobOut.of(j) for j in jobs])


def _keep_and_enqueue(store: ServiceStore, settings: ServiceSettings, user_id: int,
                      staged: list[StagedUpload]) -> list[JobInfo]:
    """Keep the staged files and write their jobs in one transaction; on any failure (a full disk, a read-only
    database) the files this request added are removed again, so no kept upload is left without a job."""
    added: list[Path] = []
    try:
        files = []
        for item in staged:
            target = settings.data_dir / kept_relative(item)
            existed = target.exists()
            stored_path = keep(item, settings)
            if not existed:
                added.append(target)
            files.append({"filename": item.filename, "stored_path": stored_path, "sha256": item.sha256,
                          "size": item.size, "kind": item.kind.value, "pages": item.pages})
        return store.enqueue_many(user_id, files, settings.job_max_attempts)
    except BaseException:
        for item in staged:
            discard(item)
        for target in added:
            if not store.is_referenced(target.relative_to(settings.data_dir).as_posix()):
                target.unlink(missing_ok=True)
        raise


@router.get("/jobs", tags=["uploads"], response_model=list[JobOut], responses=AUTH, summary="Your jobs, newest first")
def list_jobs(user: CurrentUser, store: Store,
              status: Annotated[str | None, Query(pattern="^(queued|running|done|failed)$")] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[JobOut]:
    """Your upload jobs (optionally in one state)."""
    return [JobOut.of(j) for j in store.list_jobs(user.id, status=status, limit=limit)]


@router.get("/jobs/{job_id}", tags=["uploads"], response_model=JobOut, responses={**AUTH, **NOT_FOUND},
            summary="One job's status")
def get_job(job_id: int, user: CurrentUser, store: Store) -> JobOut:
    """A job: queued, running (with its attempt), done (with its document) or failed (with the reason)."""
    job = store.get_job(job_id, user_id=user.id)
    if job is None:
        raise error(404, "NOT_FOUND", f"no job {job_id}")
    return JobOut.of(job)


@router.get("/documents", tags=["documents"], response_model=list[DocumentSummaryOut], responses=AUTH,
            summary="Your documents with their status")
def list_documents(user: CurrentUser, store: Store) -> list[DocumentSummaryOut]:
    """Every document your uploads became, newest first, with form and review counts."""
    return [DocumentSummaryOut.of(d) for d in store.owned_documents(user.id)]


@router.get("/documents/{document_id}", tags=["documents"], response_model=DocumentOut,
            responses={**AUTH, **NOT_FOUND}, summary="A document with its forms, records, findings and provenance")
def get_document(document_id: int, user: CurrentUser, store: Store) -> DocumentOut:
    """The document and each form: record, findings (explained in Chinese), provenance, highlights, review."""
    return actions.document_out(store, user, document_id)


@router.get("/documents/{document_id}/source", tags=["documents"], response_model=SourceOut,
            responses={**AUTH, **NOT_FOUND}, summary="The page list (PDF, scan) or text grids (export)")
def get_source(document_id: int, user: CurrentUser, store: Store, settings: AppSettings) -> SourceOut:
    """Pages with their sizes in provenance units (PDF points, image pixels), or each form's text grid."""
    return actions.source_out(store, settings, user, document_id)


@router.get("/documents/{document_id}/pages/{number}", tags=["documents"], responses={
    **AUTH, **NOT_FOUND, 200: {"content": {"image/png": {}}, "description": "the page as PNG"}},
    response_class=Response, summary="A page image (PDFs and scans)")
def get_page(document_id: int, number: int, user: CurrentUser, store: Store, settings: AppSettings) -> Response:
    """Page `number` (1-based) rendered as PNG; text exports have no pages (see /source)."""
    actions.require_document(store, user, document_id)
    source = store.get_source(document_id)
    if source is None:
        raise error(404, "NOT_FOUND", f"document {document_id} has no stored source")
    try:
        png = render_page(source, number, settings)
    except PageNotFound as exc:
        raise error(404, "NOT_FOUND", f"document {document_id} has no page {number}") from exc
    return Response(png, media_type="image/png")  # no-store (SecurityHeadersMiddleware): a page is personal data


@router.get("/forms/{form_id}", tags=["review"], response_model=FormOut, responses={**AUTH, **NOT_FOUND},
            summary="One form")
def get_form(form_id: int, user: CurrentUser, store: Store) -> FormOut:
    """A form with its record, findings, provenance, highlights, corrections and approval."""
    return actions.one_form(store, actions.require_form(store, user, form_id))


@router.patch("/forms/{form_id}/fields/{path:path}", tags=["review"], response_model=CorrectionResult,
              responses={**AUTH, **NOT_FOUND, 422: {"description": "unknown field or a value of the wrong type"}},
              summary="Correct one field and re-run the checker")
def correct_field(form_id: int, path: str, body: FieldCorrectionIn, request: Request, user: CurrentUser,
                  store: Store) -> CorrectionResult:
    """Set a field (`indicators[3].score`, `funds.total.executed`, `grade`, …) to the reviewer's value.

    The value is kept as a human correction (provenance method `human`, grounding `corrected`), the checker
    runs again on the form's grid, and the correction is recorded with who, when, the old and the new value.
    An approval of the form is withdrawn (the approved record is no longer the record).
    """
    return actions.correct(store, request.app.state.locks, user, form_id, path, body.value, body.note)


@router.get("/forms/{form_id}/corrections", tags=["review"], response_model=list[CorrectionOut],
            responses={**AUTH, **NOT_FOUND}, summary="A form's corrections, oldest first")
def list_corrections(form_id: int, user: CurrentUser, store: Store) -> list[CorrectionOut]:
    """Who changed which field, when, from what to what."""
    actions.require_form(store, user, form_id)
    return [CorrectionOut.of(c) for c in store.repo.list_corrections(form_id=form_id)]


@router.post("/forms/{form_id}/approval", tags=["review"], response_model=ApprovalOut,
             responses={**AUTH, **NOT_FOUND}, summary="Approve a form as it stands")
def approve(form_id: int, request: Request, user: CurrentUser, store: Store) -> ApprovalOut:
    """Approve the form; its record (and the findings left on it) become exportable as gold."""
    return actions.approve(store, request.app.state.locks, user, form_id)


@router.delete("/forms/{form_id}/approval", tags=["review"], status_code=204, response_class=Response,
               responses={**AUTH, **NOT_FOUND}, summary="Withdraw an approval")
def unapprove(form_id: int, user: CurrentUser, store: Store) -> Response:
    """Withdraw the form's approval (404 when it was not approved)."""
    actions.require_form(store, user, form_id)
    if not store.unapprove(form_id):
        raise error(404, "NOT_FOUND", f"form {form_id} is not approved")
    return Response(status_code=204)


def _cleanup(folder: Path) -> BackgroundTask:
    return BackgroundTask(shutil.rmtree, folder, ignore_errors=True)


@router.get("/exports/{fmt}", tags=["exports"], response_class=FileResponse, responses={
    **AUTH, **NOT_FOUND, 200: {"description": "an XLSX workbook, a zip of CSV tables, or JSON Lines"}},
    summary="Export your forms (XLSX, CSV, JSONL)")
def export(fmt: ExportFormat, user: CurrentUser, store: Store, settings: AppSettings,
           document_id: Annotated[list[int] | None, Query(description="only these documents")] = None,
           status: Annotated[str | None, Query(pattern="^(ok|needs_review)$")] = None,
           approved: Annotated[bool, Query(description="only approved forms")] = False) -> FileResponse:
    """The storage export's tables (forms, indicators, findings, documents; Chinese headers) of a selection."""
    folder = actions.temp_folder(settings)
    try:
        path, media = actions.export_file(store, user, fmt, document_id, status, approved, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(path, media_type=media, filename=path.name, background=_cleanup(folder))


@router.get("/gold", tags=["exports"], response_class=FileResponse, responses={
    **AUTH, 200: {"description": "a zip: manifest.json, the documents, gold/*.json"}},
    summary="Your approved forms as an evaluation dataset (zip)")
def gold(user: CurrentUser, store: Store, settings: AppSettings) -> FileResponse:
    """The approved records in the evaluation harness's dataset format (perf-form-dataset/1), zipped."""
    folder = actions.temp_folder(settings)
    try:
        export_gold(store, settings, folder / "dataset", user_id=user.id, name=f"reviewed-{user.username}")
        path = zip_folder(folder / "dataset", folder / "gold-dataset.zip")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(path, media_type="application/zip", filename=path.name, background=_cleanup(folder))
