"""What the API and the review page do, once: read a user's documents, correct a field, approve, export."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from extractor.export.tables import build_tables, column_guide
from extractor.export.writers import ExportFormat, jsonl_line, write_csv, write_xlsx
from extractor.mapping import RulesMapper
from extractor.pipeline import Timer, process_form
from extractor.service.deps import FormLocks, error
from extractor.service.gold import expected_findings, zip_folder
from extractor.service.review import CorrectionError, apply_correction
from extractor.service.schemas import (
    ApprovalOut,
    CorrectionOut,
    CorrectionResult,
    DocumentOut,
    FormOut,
    SourceOut,
    form_out,
)
from extractor.service.settings import ServiceSettings
from extractor.service.sources import grid_rows, pages
from extractor.service.store import ServiceStore, SourceInfo, UserInfo
from extractor.storage.repository import FormQuery
from extractor.storage.views import StoredForm
from extractor.tables.rows import read_rows
from extractor.templates.model import TemplateDefinition
from extractor.templates.registry import with_candidate
from extractor.templates.store import fingerprint


def require_document(store: ServiceStore, user: UserInfo, document_id: int) -> None:
    """404 unless one of the user's uploads became this document (another user's looks like no document)."""
    if not store.owns_document(user.id, document_id):
        raise error(404, "NOT_FOUND", f"no document {document_id}")


def require_form(store: ServiceStore, user: UserInfo, form_id: int) -> StoredForm:
    """The stored form, when the user owns its document; 404 otherwise."""
    document_id = store.form_document(form_id)
    if document_id is None or not store.owns_document(user.id, document_id):
        raise error(404, "NOT_FOUND", f"no form {form_id}")
    stored = store.repo.get_form(form_id)
    if stored is None:
        raise error(404, "NOT_FOUND", f"no form {form_id}")
    return stored


def one_form(store: ServiceStore, stored: StoredForm) -> FormOut:
    """A stored form with its approval and corrections."""
    approval = store.approvals(form_id=stored.id).get(stored.id)
    return form_out(stored, approval, store.repo.list_corrections(form_id=stored.id))


def document_out(store: ServiceStore, user: UserInfo, document_id: int) -> DocumentOut:
    """A user's document with every form."""
    require_document(store, user, document_id)
    summary = next(iter(store.owned_documents(user.id, document_id)), None)
    info = store.repo.get_document(document_id)
    if summary is None or info is None:
        raise error(404, "NOT_FOUND", f"no document {document_id}")
    approvals = store.approvals(document_id=document_id)
    corrections = store.repo.list_corrections(document_id=document_id)
    forms = []
    for stored in store.repo.iter_forms(FormQuery(document_id=document_id)):
        forms.append(form_out(stored, approvals.get(stored.id), [c for c in corrections if c.form_id == stored.id]))
    forms.sort(key=lambda f: f.index)
    return DocumentOut(**summary.model_dump(), sha256=info.sha256, filenames=store.filenames(user.id, document_id),
                       forms=forms)


def source_out(store: ServiceStore, settings: ServiceSettings, user: UserInfo, document_id: int) -> SourceOut:
    """The pages (PDF, image) or the per-form text grids (export) of a user's document."""
    require_document(store, user, document_id)
    source = store.get_source(document_id)
    if source is None:
        raise error(404, "NO_SOURCE", f"document {document_id} has no stored source")
    if source.kind not in ("pdf", "image"):  # exports, and (issue 14) pages, Word, Excel, OFD: the read grid
        return SourceOut(kind=source.kind, pages=[], grids=[grid_rows(g) for g in source.grids])
    return SourceOut(kind=source.kind, pages=pages(source, settings))


def correct(store: ServiceStore, locks: FormLocks, user: UserInfo, form_id: int, path: str, value: Any,
            note: str | None) -> CorrectionResult:
    """Set one field, re-run the checker on the form's grid, record who/when/old/new; withdraws an approval."""
    require_form(store, user, form_id)
    with locks(form_id):
        stored = store.repo.get_form(form_id)  # again, under the lock: the latest version is the one edited
        if stored is None:
            raise error(404, "NOT_FOUND", f"no form {form_id}")
        source = store.get_source(stored.document_id)
        grid = None
        if source is not None and 0 < stored.form.index <= len(source.grids):
            grid = source.grids[stored.form.index - 1]
        try:
            form, old, new = apply_correction(stored.form, path, value, user.username, grid,
                                              store.corrected_paths(form_id))
        except CorrectionError as exc:
            raise error(422, exc.code, exc.message, **exc.details) from exc
        correction_id = store.repo.correct_form(form_id, form, field_path=path, old_value=old, new_value=new,
                                                author=user.username, note=note)
        store.unapprove(form_id)  # the approved record is no longer the record
    fresh = store.repo.get_form(form_id)
    assert fresh is not None
    correction = next(c for c in store.repo.list_corrections(form_id=form_id) if c.id == correction_id)
    return CorrectionResult(correction=CorrectionOut.of(correction), form=one_form(store, fresh))


def approve(store: ServiceStore, locks: FormLocks, user: UserInfo, form_id: int) -> ApprovalOut:
    """Approve a form as it stands; the record and its remaining findings are kept with the approval."""
    require_form(store, user, form_id)
    with locks(form_id):
        stored = store.repo.get_form(form_id)
        assert stored is not None
        record = stored.form.record
        approval = store.approve(form_id, user, record.model_dump(mode="json"),
                                 expected_findings(record, stored.form.provenance))
    return ApprovalOut.of(approval)


def export_file(store: ServiceStore, user: UserInfo, fmt: ExportFormat, document_ids: list[int] | None,
                status: str | None, approved_only: bool, folder: Path) -> tuple[Path, str]:
    """Write an export of the user's forms (optionally some documents, a status, approved only) into `folder`.

    Returns the file to send and its media type: an XLSX workbook, a JSON Lines file, or a zip of CSVs.
    """
    owned = store.owned_document_ids(user.id)
    if document_ids:
        missing = sorted(set(document_ids) - set(owned))
        if missing:
            raise error(404, "NOT_FOUND", f"no document {missing[0]}")
        owned = [d for d in owned if d in set(document_ids)]
    approvals = store.approvals(document_ids=owned) if approved_only else {}
    forms: list[StoredForm] = []
    documents = []
    for document_id in sorted(owned):
        info = store.repo.get_document(document_id)
        if info is None:
            continue
        names = store.filenames(user.id, document_id)
        # The user's own file names, never the paths other uploaders of the same bytes used.
        documents.append(info.model_copy(update={"paths": names}))
        for stored in store.repo.iter_forms(FormQuery(document_id=document_id)):
            if status and stored.form.status.value != status:
                continue
            if approved_only and stored.id not in approvals:
                continue
            forms.append(stored.model_copy(update={"paths": names}))
    if fmt is ExportFormat.JSONL:
        path = folder / "forms.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for stored in forms:
                fh.write(jsonl_line(stored) + "\n")
        return path, "application/x-ndjson"
    tables = build_tables(forms, [d for d in documents if any(f.document_id == d.id for f in forms)])
    if fmt is ExportFormat.XLSX:
        path = folder / "forms.xlsx"
        write_xlsx([*tables, column_guide(tables)], path)
        return path, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    csv_dir = folder / "csv"
    write_csv(tables, csv_dir)
    return zip_folder(csv_dir, folder / "forms-csv.zip"), "application/zip"


def temp_folder(settings: ServiceSettings) -> Path:
    """A fresh folder for an export (removed after the response is sent)."""
    base = settings.cache_dir() / "exports"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=base))


def reread_layout(store: ServiceStore, locks: FormLocks, definition: TemplateDefinition) -> int:
    """Read again, by rules with a newly approved definition, the stored forms of its layout still waiting for
    review; returns how many were read. Forms a reviewer corrected or approved are the reviewer's and stay; a
    form is read from the grid the service kept of it, so only uploads are covered (not back-filled files)."""
    print_ = definition.provenance.get("fingerprint")
    if not print_:
        return 0
    registry = with_candidate(definition)
    read = 0
    sources: dict[int, SourceInfo | None] = {}  # a document's grids, read once for all its forms
    for stored in list(store.repo.iter_forms(FormQuery(status="needs_review"))):
        if stored.document_id not in sources:
            sources[stored.document_id] = store.get_source(stored.document_id)
        source = sources[stored.document_id]
        if source is None or not 0 < stored.form.index <= len(source.grids):
            continue
        grid = source.grids[stored.form.index - 1]
        if fingerprint(grid) != print_:
            continue
        raw = read_rows(grid, registry)
        if raw.template is None or raw.template.id != definition.id:
            continue  # the layout's fingerprint, but not picked as the family: left for the reviewer
        with locks(stored.id):
            if store.approvals(form_id=stored.id) or store.corrected_paths(stored.id):
                continue  # checked under the form's lock: an edit arriving meanwhile is not overwritten
            form = process_form(stored.form.index, grid, RulesMapper(), Timer(), raw)
            form.provenance.llm = {"status": "read_by_induced_template", "template": definition.id,
                                   "trusted": "approved", "reread_after_approval": True}
            store.repo.replace_form(stored.id, form)
        read += 1
    return read
