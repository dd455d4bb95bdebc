"""The queries the CLI and the web service need; each public method is one transaction.

Documents are content-addressed: one row per sha256, however many paths it was seen under. A file that
could not be read at all has no hash and is recorded as a failed document keyed by its path, replaced by
the real document once the file becomes readable. Results come back as pydantic views (storage.views).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlalchemy import Engine, Select, delete, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from extractor.records.models import RECORD_VERSION, DocumentResult, Finding, FormResult, Provenance, Record
from extractor.settings import Settings
from extractor.storage.database import open_engine
from extractor.storage.errors import StorageError
from extractor.storage.models import (
    Correction,
    Document,
    DocumentPath,
    FindingRow,
    Form,
    IndicatorRow,
    Run,
    utcnow,
)
from extractor.storage.service_tables import Approval
from extractor.storage.views import (
    CorrectionInfo,
    DocumentInfo,
    FormSummary,
    PathSeen,
    RunInfo,
    StoredForm,
    Totals,
)


class FormQuery(BaseModel):
    """Filters for listing and exporting forms (all optional, combined with AND)."""

    year: int | None = None
    status: str | None = None
    department: str | None = None
    project: str | None = None  # a substring of the project name
    grade: str | None = None
    document_id: int | None = None
    limit: int | None = None
    offset: int = 0


@dataclass(frozen=True)
class KnownPath:
    """What the database knows of a path: the document last read there and the file's size and mtime then."""

    sha256: str | None
    size: int | None
    mtime_ns: int | None
    status: str
    error_code: str | None


@dataclass(frozen=True)
class KnownDocument:
    """Outcome of a stored document, enough to decide whether a run may skip it."""

    id: int
    status: str
    error_code: str | None


def _indicator_rows(record: Record) -> list[dict[str, Any]]:
    return [{"position": i, "level1": ind.level1, "level2": ind.level2, "name": ind.name, "target": ind.target,
             "actual": ind.actual, "weight": ind.weight, "score": ind.score, "deviation": ind.deviation,
             "nature": ind.nature, "unit": ind.unit, "method": ind.method}
            for i, ind in enumerate(record.indicators)]


def _finding_rows(form: FormResult) -> list[dict[str, Any]]:
    return [{"position": i, "code": f.code.value, "severity": f.severity.value, "message": f.message,
             "fields": list(f.fields), "data": to_jsonable_python(f.data) if f.data else None}
            for i, f in enumerate(form.findings)]


def _prompt_hash(llm: dict[str, Any]) -> str | None:
    # The LLM mapper records {"prompt": {"name", "version", "hash"}}; a flat "prompt_hash" is taken too.
    prompt = llm.get("prompt")
    value = prompt.get("hash") if isinstance(prompt, dict) else llm.get("prompt_hash")
    return str(value) if value else None


def _form_columns(form: FormResult, mapper: str | None) -> dict[str, Any]:
    """A form's column values (the record as JSON plus what people query by)."""
    record = form.record
    llm = form.provenance.llm or {}
    return {
        "form_index": form.index,
        "status": form.status.value,
        "has_errors": form.has_errors,
        "year": record.year,
        "project_name": record.project_name,
        "project_code": record.project_code,
        "department": record.department,
        "implementing_unit": record.implementing_unit,
        "money_unit": record.money_unit,
        "template": form.template,
        "total_weight": record.total_weight,
        "total_score": record.total_score,
        "reviewed_score": record.reviewed_score,
        "grade": record.grade,
        "mapper": form.provenance.mapper or mapper,
        "prompt_hash": _prompt_hash(llm),
        "record_version": RECORD_VERSION,
        "record": record.model_dump(mode="json"),
        "provenance": form.provenance.model_dump(mode="json"),
        "pages": list(form.pages),
        "lines": list(form.lines) if form.lines else None,
    }


def _insert_children(s: Session, form_ids: list[int], forms: list[FormResult]) -> None:
    # Core executemany: an ORM object per indicator costs more than the rest of storing a form.
    indicators = [{"form_id": fid, **row} for fid, form in zip(form_ids, forms, strict=True)
                  for row in _indicator_rows(form.record)]
    findings = [{"form_id": fid, **row} for fid, form in zip(form_ids, forms, strict=True)
                for row in _finding_rows(form)]
    if indicators:
        s.execute(insert(IndicatorRow), indicators)
    if findings:
        s.execute(insert(FindingRow), findings)


def _form_result(row: Form) -> FormResult:
    return FormResult(
        index=row.form_index,
        pages=row.pages or [],
        lines=tuple(row.lines) if row.lines else None,
        status=row.status,
        template=row.template,
        record=Record.model_validate(row.record),
        findings=[Finding(code=f.code, severity=f.severity, message=f.message, fields=f.fields or [], data=f.data)
                  for f in row.findings],
        provenance=Provenance.model_validate(row.provenance),
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (killed, not yet reaped by its parent) still answers signal 0 but is gone.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _document_info(doc: Document) -> DocumentInfo:
    return DocumentInfo(id=doc.id, sha256=doc.sha256, owner_id=doc.owner_id, size=doc.size, kind=doc.kind, pages=doc.pages,
                        status=doc.status, error_code=doc.error_code, error=doc.error, form_count=doc.form_count,
                        mapper=doc.mapper, seconds=doc.seconds, run_id=doc.run_id, processed_at=doc.processed_at,
                        paths=[p.path for p in doc.paths])


def _run_info(run: Run) -> RunInfo:
    return RunInfo(id=run.id, started_at=run.started_at, finished_at=run.finished_at, status=run.status,
                   engine=run.engine, workers=run.workers, host=run.host, inputs=run.inputs or [],
                   settings=run.settings or {}, counts=run.counts or {}, failures=run.failures or [],
                   message=run.message)


def _of_owner(owner_id: int | None) -> Any:
    """The documents of one owner (a service user), or the archive's (no owner) when None."""
    return Document.owner_id.is_(None) if owner_id is None else Document.owner_id == owner_id


def _filtered(stmt: Select[Any], query: FormQuery) -> Select[Any]:
    if query.year is not None:
        stmt = stmt.where(Form.year == query.year)
    if query.status:
        stmt = stmt.where(Form.status == query.status)
    if query.department:
        stmt = stmt.where(Form.department == query.department)
    if query.project:
        stmt = stmt.where(Form.project_name.contains(query.project, autoescape=True))
    if query.grade:
        stmt = stmt.where(Form.grade == query.grade)
    if query.document_id is not None:
        stmt = stmt.where(Form.document_id == query.document_id)
    return stmt


class Repository:
    """Everything the application reads from or writes to the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None, settings: Settings | None = None) -> Repository:
        """Open (and migrate on first use) the database at url, EXTRACTOR_DATABASE_URL or the SQLite default."""
        return cls(open_engine(url, settings))

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction; driver failures (full disk, lost server) become StorageError."""
        try:
            with self._sessions() as session, session.begin():
                yield session
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise StorageError.from_exception(exc, "database write failed") from exc

    # --- runs -------------------------------------------------------------------------------------------

    def start_run(self, *, engine: str, workers: int, inputs: list[str], settings: dict[str, Any]) -> int:
        """Record the start of a run; returns its id."""
        with self.transaction() as s:
            run = Run(engine=engine, workers=workers, inputs=inputs, settings=to_jsonable_python(settings),
                      host=socket.gethostname(), status="running", counts={}, failures=[])
            s.add(run)
            s.flush()
            return run.id

    def finish_run(self, run_id: int, *, status: str, counts: dict[str, Any], failures: list[dict[str, Any]],
                   message: str | None = None) -> None:
        """Record how a run ended (finished, interrupted, aborted) with its counts and failures."""
        with self.transaction() as s:
            run = s.get(Run, run_id)
            if run is None:
                return
            run.status, run.counts, run.failures, run.message = status, counts, failures, message
            run.finished_at = utcnow()

    def close_stale_runs(self) -> int:
        """Mark runs of this host whose process is gone (killed, crashed) as `crashed`; returns how many."""
        host = socket.gethostname()
        closed = 0
        with self.transaction() as s:
            for run in s.scalars(select(Run).where(Run.status == "running", Run.host == host)):
                pid = (run.settings or {}).get("pid")
                if isinstance(pid, int) and not _alive(pid):
                    run.status, run.message = "crashed", "the process ended without closing the run (killed?)"
                    closed += 1
        return closed

    def get_run(self, run_id: int) -> RunInfo | None:
        """One run."""
        with self.transaction() as s:
            run = s.get(Run, run_id)
            return _run_info(run) if run else None

    def list_runs(self, limit: int = 20) -> list[RunInfo]:
        """The latest runs, newest first."""
        with self.transaction() as s:
            return [_run_info(r) for r in s.scalars(select(Run).order_by(Run.id.desc()).limit(limit))]

    # --- back-fill bookkeeping --------------------------------------------------------------------------

    def known_paths(self) -> dict[str, KnownPath]:
        """Every recorded path with its document's hash and outcome (one query, for a run to skip quickly)."""
        with self.transaction() as s:
            rows = s.execute(select(DocumentPath.path, Document.sha256, DocumentPath.size, DocumentPath.mtime_ns,
                                    Document.status, Document.error_code)
                             .join(Document, Document.id == DocumentPath.document_id)
                             .where(_of_owner(None))
                             .order_by(DocumentPath.last_seen_at, DocumentPath.id))
            return {r.path: KnownPath(r.sha256, r.size, r.mtime_ns, r.status, r.error_code) for r in rows}

    def known_documents(self) -> dict[str, KnownDocument]:
        """Every stored archive document (no owner) by hash with its outcome."""
        with self.transaction() as s:
            rows = s.execute(select(Document.sha256, Document.id, Document.status, Document.error_code)
                             .where(Document.sha256.is_not(None), _of_owner(None)))
            return {r.sha256: KnownDocument(r.id, r.status, r.error_code) for r in rows}

    def awaiting_definitions(self) -> set[str]:
        """Hashes of archive documents holding a form that waited for an induced definition's approval (they
        are read again once it is approved: `backfill --reread-awaiting`)."""
        with self.transaction() as s:
            rows = s.execute(select(Document.sha256, Form.provenance).join(Form, Form.document_id == Document.id)
                             .where(Form.status == "needs_review", Document.owner_id.is_(None)))
            return {sha256 for sha256, provenance in rows
                    if ((provenance or {}).get("llm") or {}).get("status") == "candidate_awaits_approval"}

    def document_state(self, sha256: str, owner_id: int | None = None) -> KnownDocument | None:
        """The outcome of the document with this hash (of this owner; the archive's when None), if stored."""
        with self.transaction() as s:
            doc = s.scalar(select(Document).where(Document.sha256 == sha256, _of_owner(owner_id)))
            return KnownDocument(doc.id, doc.status, doc.error_code) if doc else None

    @staticmethod
    def _drop_pathonly_failures(s: Session, paths: list[str], keep: int | None = None) -> None:
        # A path recorded as unreadable (no hash) is superseded once its content has been read.
        if not paths:
            return
        ids = s.scalars(select(Document.id).join(DocumentPath, DocumentPath.document_id == Document.id)
                        .where(DocumentPath.path.in_(paths), Document.sha256.is_(None))).all()
        ids = [i for i in ids if i != keep]
        if ids:
            s.execute(delete(Document).where(Document.id.in_(ids)))

    @staticmethod
    def _touch_paths(s: Session, doc: Document, seen: list[PathSeen], run_id: int | None) -> int:
        existing = {p.path: p for p in s.scalars(select(DocumentPath).where(DocumentPath.document_id == doc.id))}
        added = 0
        now = utcnow()
        for item in seen:
            row = existing.get(item.path)
            if row is None:
                s.add(DocumentPath(document_id=doc.id, path=item.path, size=item.size, mtime_ns=item.mtime_ns,
                                   run_id=run_id, first_seen_at=now, last_seen_at=now))
                added += 1
            else:
                row.size, row.mtime_ns, row.last_seen_at = item.size, item.mtime_ns, now
        return added

    def add_paths(self, sha256: str, seen: list[PathSeen], run_id: int | None = None,
                  owner_id: int | None = None) -> int:
        """Record more paths for a stored document (a duplicate under another name); returns how many were new."""
        with self.transaction() as s:
            doc = s.scalar(select(Document).where(Document.sha256 == sha256, _of_owner(owner_id)))
            if doc is None:
                raise KeyError(sha256)
            self._drop_pathonly_failures(s, [p.path for p in seen])
            return self._touch_paths(s, doc, seen, run_id)

    def save_result(self, result: DocumentResult, *, sha256: str, size: int | None, paths: list[PathSeen],
                    run_id: int | None = None, seconds: float | None = None, mapper: str | None = None,
                    owner_id: int | None = None) -> int:
        """Store one document's outcome, its forms, indicators and findings, in one transaction; returns its id.

        The document is the archive's (owner None) or a service user's. One already stored under this hash is
        read again in place, never duplicated: a form a reviewer corrected or approved is kept as it stands,
        the others are updated where they are (their ids stay), forms no longer found are dropped.
        """
        for attempt in (1, 2):
            try:
                with self.transaction() as s:
                    return self._save(s, result, sha256=sha256, size=size, paths=paths, run_id=run_id,
                                      seconds=seconds, mapper=mapper, owner_id=owner_id)
            except IntegrityError as exc:
                # Another process stored the same document between our check and our insert: update theirs.
                if attempt == 2:
                    raise StorageError.from_exception(exc, "could not store the document", sha256=sha256) from exc
        raise AssertionError("unreachable")

    def _save(self, s: Session, result: DocumentResult, *, sha256: str, size: int | None, paths: list[PathSeen],
              run_id: int | None, seconds: float | None, mapper: str | None, owner_id: int | None) -> int:
        doc = s.scalar(select(Document).where(Document.sha256 == sha256, _of_owner(owner_id))
                       .with_for_update())
        new_forms = list(result.forms)
        if doc is None:
            doc = Document(sha256=sha256, owner_id=owner_id, created_at=utcnow())
            s.add(doc)
        elif result.status.value == "failed" and doc.status != "failed":
            # The same bytes were read before: a failure now (a timeout under load, a missing engine) says
            # nothing new about them, so the stored reading and its review stay.
            self._touch_paths(s, doc, paths, run_id)
            return doc.id
        else:
            new_forms = self._merge_forms(s, doc.id, new_forms)
        error = to_jsonable_python(result.error) if result.error else None
        doc.size = size
        doc.kind = result.kind
        doc.pages = result.pages
        doc.status = result.status.value
        doc.error_code = (error or {}).get("code")
        doc.error = error
        doc.mapper = mapper
        doc.timings = dict(result.timings)
        doc.seconds = seconds
        doc.run_id = run_id
        doc.processed_at = utcnow()
        s.flush()
        self._drop_pathonly_failures(s, [p.path for p in paths], keep=doc.id)
        self._touch_paths(s, doc, paths, run_id)
        if new_forms:
            now = utcnow()
            rows = [{**_form_columns(form, mapper), "document_id": doc.id, "created_at": now, "updated_at": now}
                    for form in new_forms]
            ids = s.scalars(insert(Form).returning(Form.id, sort_by_parameter_order=True), rows).all()
            _insert_children(s, list(ids), new_forms)
        doc.form_count = s.scalar(select(func.count(Form.id)).where(Form.document_id == doc.id)) or 0
        return doc.id

    def _merge_forms(self, s: Session, document_id: int, forms: list[FormResult]) -> list[FormResult]:
        """Merge a new reading into the stored forms of a document; returns the forms still to insert.

        A reviewed form (corrected or approved) is the reviewer's: it is kept as it stands. Other forms are
        updated in place by their index, so a form id an open review page holds stays valid.
        """
        stored = {row.form_index: row.id for row in s.execute(
            select(Form.form_index, Form.id).where(Form.document_id == document_id))}
        reviewed = set(s.scalars(select(Correction.form_id).where(Correction.document_id == document_id)))
        reviewed |= set(s.scalars(select(Approval.form_id).where(Approval.document_id == document_id)))
        fresh = {form.index: form for form in forms}
        for index, form_id in stored.items():
            if form_id in reviewed:
                continue
            if index in fresh:
                self._replace_form(s, form_id, fresh[index])
            else:
                s.execute(delete(Form).where(Form.id == form_id))
        return [form for form in forms if form.index not in stored]

    def save_unreadable(self, path: PathSeen, error: dict[str, Any], run_id: int | None = None) -> bool:
        """Record a file that could not be read at all; False when the path is known with readable content."""
        with self.transaction() as s:
            rows = s.execute(select(DocumentPath, Document).join(Document, Document.id == DocumentPath.document_id)
                             .where(DocumentPath.path == path.path)).all()
            if any(doc.sha256 is not None for _, doc in rows):
                return False  # read before: its content is stored; today's failure is reported, not stored
            error = to_jsonable_python(error)
            if rows:
                row, doc = rows[0]
                row.last_seen_at = utcnow()
            else:
                doc = Document(sha256=None, created_at=utcnow())
                s.add(doc)
                doc.paths = [DocumentPath(path=path.path, size=path.size, mtime_ns=path.mtime_ns, run_id=run_id)]
            doc.status, doc.error_code, doc.error = "failed", error.get("code"), error
            doc.form_count, doc.run_id, doc.processed_at, doc.timings = 0, run_id, utcnow(), {}
            return True

    # --- documents ----------------------------------------------------------------------------------------

    def get_document(self, document_id: int | None = None, sha256: str | None = None,
                     owner_id: int | None = None) -> DocumentInfo | None:
        """A document by id, or by hash (the archive's, or this owner's)."""
        with self.transaction() as s:
            stmt = select(Document).options(selectinload(Document.paths))
            stmt = stmt.where(Document.id == document_id) if document_id is not None else \
                stmt.where(Document.sha256 == sha256, _of_owner(owner_id))
            doc = s.scalar(stmt)
            return _document_info(doc) if doc else None

    def list_documents(self, status: str | None = None, error_code: str | None = None, run_id: int | None = None,
                       limit: int | None = 100, offset: int = 0) -> list[DocumentInfo]:
        """Documents, oldest first, optionally by status, error code or the run that processed them."""
        with self.transaction() as s:
            stmt = select(Document).options(selectinload(Document.paths)).order_by(Document.id)
            if status:
                stmt = stmt.where(Document.status == status)
            if error_code:
                stmt = stmt.where(Document.error_code == error_code)
            if run_id is not None:
                stmt = stmt.where(Document.run_id == run_id)
            return [_document_info(d) for d in s.scalars(stmt.offset(offset).limit(limit))]

    # --- forms --------------------------------------------------------------------------------------------

    def list_forms(self, query: FormQuery | None = None) -> list[FormSummary]:
        """Form summaries matching the query, by document then form index."""
        query = query or FormQuery()
        with self.transaction() as s:
            stmt = _filtered(select(Form), query).order_by(Form.document_id, Form.form_index)
            stmt = stmt.offset(query.offset).limit(query.limit)
            return [FormSummary.model_validate(f, from_attributes=True) for f in s.scalars(stmt)]

    def count_forms(self, query: FormQuery | None = None) -> int:
        """How many forms match the query (ignores limit/offset)."""
        with self.transaction() as s:
            return s.scalar(_filtered(select(func.count(Form.id)), query or FormQuery())) or 0

    def get_form(self, form_id: int) -> StoredForm | None:
        """One form with its full FormResult (record, findings, provenance) and its document's paths."""
        with self.transaction() as s:
            row = s.scalar(select(Form).where(Form.id == form_id).options(
                selectinload(Form.findings), selectinload(Form.document).selectinload(Document.paths)))
            return self._stored(row) if row else None

    @staticmethod
    def _stored(row: Form) -> StoredForm:
        return StoredForm(id=row.id, document_id=row.document_id, sha256=row.document.sha256,
                          paths=[p.path for p in row.document.paths], mapper=row.mapper,
                          prompt_hash=row.prompt_hash, updated_at=row.updated_at, form=_form_result(row))

    def iter_forms(self, query: FormQuery | None = None, batch: int = 200) -> Iterator[StoredForm]:
        """Stored forms matching the query, read in batches (exports of a whole archive stay in bounded memory)."""
        query = query or FormQuery()
        last_id = 0
        remaining = query.limit
        skip = query.offset
        while remaining is None or remaining > 0:
            with self.transaction() as s:
                stmt = (_filtered(select(Form), query).where(Form.id > last_id).order_by(Form.id).limit(batch)
                        .options(selectinload(Form.findings),
                                 selectinload(Form.document).selectinload(Document.paths)))
                rows = list(s.scalars(stmt))
                stored = [self._stored(r) for r in rows]
            if not rows:
                return
            last_id = rows[-1].id
            for item in stored:
                if skip:
                    skip -= 1
                    continue
                yield item
                if remaining is not None:
                    remaining -= 1
                    if remaining == 0:
                        return

    def replace_form(self, form_id: int, form: FormResult) -> None:
        """Overwrite a stored form with a re-checked FormResult (after review), re-deriving its columns and rows."""
        with self.transaction() as s:
            self._replace_form(s, form_id, form)

    @staticmethod
    def _replace_form(s: Session, form_id: int, form: FormResult) -> None:
        row = s.get(Form, form_id, with_for_update=True)
        if row is None:
            raise KeyError(form_id)
        s.execute(delete(IndicatorRow).where(IndicatorRow.form_id == form_id))
        s.execute(delete(FindingRow).where(FindingRow.form_id == form_id))
        for column, value in _form_columns(form, row.mapper).items():
            if column != "form_index":
                setattr(row, column, value)
        _insert_children(s, [form_id], [form])
        row.updated_at = utcnow()

    def correct_form(self, form_id: int, form: FormResult, *, field_path: str, old_value: Any, new_value: Any,
                     author: str, note: str | None = None) -> int:
        """A reviewer's correction and the re-checked form, in one transaction; returns the correction's id."""
        with self.transaction() as s:
            self._replace_form(s, form_id, form)
            document_id = s.scalar(select(Form.document_id).where(Form.id == form_id))
            row = Correction(form_id=form_id, document_id=document_id, field_path=field_path,
                             old_value=to_jsonable_python(old_value), new_value=to_jsonable_python(new_value),
                             author=author, note=note)
            s.add(row)
            s.flush()
            return row.id

    # --- corrections --------------------------------------------------------------------------------------

    def add_correction(self, form_id: int, field_path: str, old_value: Any, new_value: Any, author: str,
                       note: str | None = None) -> int:
        """Record a reviewer's change to one field (values as JSON: Decimals become strings)."""
        with self.transaction() as s:
            form = s.get(Form, form_id)
            if form is None:
                raise KeyError(form_id)
            row = Correction(form_id=form_id, document_id=form.document_id, field_path=field_path,
                             old_value=to_jsonable_python(old_value), new_value=to_jsonable_python(new_value),
                             author=author, note=note)
            s.add(row)
            s.flush()
            return row.id

    def list_corrections(self, form_id: int | None = None, document_id: int | None = None) -> list[CorrectionInfo]:
        """Corrections, oldest first, for a form or a document (or all)."""
        with self.transaction() as s:
            stmt = select(Correction).order_by(Correction.id)
            if form_id is not None:
                stmt = stmt.where(Correction.form_id == form_id)
            if document_id is not None:
                stmt = stmt.where(Correction.document_id == document_id)
            return [CorrectionInfo.model_validate(c, from_attributes=True) for c in s.scalars(stmt)]

    # --- totals -------------------------------------------------------------------------------------------

    def totals(self) -> Totals:
        """Counts of documents, forms, paths and pages."""
        with self.transaction() as s:
            docs = {k: v for k, v in s.execute(select(Document.status, func.count()).group_by(Document.status))}
            forms = {k: v for k, v in s.execute(select(Form.status, func.count()).group_by(Form.status))}
            return Totals(documents=sum(docs.values()), documents_by_status=docs, forms=sum(forms.values()),
                          forms_by_status=forms, paths=s.scalar(select(func.count(DocumentPath.id))) or 0,
                          pages=s.scalar(select(func.coalesce(func.sum(Document.pages), 0))) or 0)
