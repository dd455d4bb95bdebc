"""The service's data: users and tokens, durable jobs under leases, ownership, stored sources and approvals.

Documents, forms and corrections stay with the storage Repository (`store.repo`); this module adds what only
the service needs, on the same engine and in the same transactions style (one public method, one transaction).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlalchemy import and_, delete, exists, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from extractor.errors import ExtractorError
from extractor.layout import Grid
from extractor.service.security import (
    hash_password,
    new_token,
    token_display_prefix,
    token_hash,
    verify_password,
)
from extractor.storage.errors import StorageError
from extractor.storage.models import Correction, Document, Form, utcnow
from extractor.storage.repository import Repository
from extractor.storage.service_tables import (
    ApiToken,
    Approval,
    DocumentSource,
    Job,
    LoginSession,
    TemplateRecord,
    User,
)

# A token's or session's last use is written at most this often: a busy client must not turn every read into
# a write.
_TOKEN_TOUCH = timedelta(minutes=1)


class UserExistsError(ExtractorError):
    """A user of that name already exists."""

    code = "USER_EXISTS"


class UnknownUserError(ExtractorError):
    """No user of that name."""

    code = "UNKNOWN_USER"


# Ids are INTEGER columns: PostgreSQL's hold 2^31 - 1 at most, SQLite cannot even bind 2^63. An id past that
# names nothing; asking the database would be a 500 (SQLite) or a 503 (PostgreSQL) instead of a 404.
MAX_ID = 2**31 - 1


def valid_id(value: int) -> bool:
    """True when `value` can be the id of a row."""
    return 0 < value <= MAX_ID


def _claim_key(user_id: int, sha256: str) -> int:
    """A signed 64-bit advisory-lock key for one owner's bytes."""
    digest = hashlib.sha256(f"{user_id}:{sha256}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def aware(value: datetime | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite hands them back naive)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class UserInfo(BaseModel):
    """A user, without the password hash."""

    id: int
    username: str
    has_password: bool
    disabled: bool
    created_at: datetime


class TokenInfo(BaseModel):
    """An API token's metadata (never the token)."""

    id: int
    user_id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class JobInfo(BaseModel):
    """An upload job as its owner sees it."""

    id: int
    user_id: int
    filename: str
    stored_path: str
    sha256: str
    size: int
    kind: str
    pages: int | None = None
    status: str
    attempts: int
    max_attempts: int
    error: dict[str, Any] | None
    document_id: int | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float | None
    lease_owner: str | None = None


class ApprovalInfo(BaseModel):
    """Who approved a form, when, and the record as approved."""

    form_id: int
    document_id: int
    approved_by: str
    approved_at: datetime
    record: dict[str, Any]
    findings: list[str]


class TemplateInfo(BaseModel):
    """An approved template definition as the database keeps it."""

    family: str
    name: str
    status: str
    fingerprint: str | None
    definition: str  # the TOML file
    approved_by: str | None
    approved_at: datetime | None


class SourceInfo(BaseModel):
    """A document's stored bytes (path relative to the data directory) and its grids, one per form."""

    document_id: int
    stored_path: str
    kind: str
    grids: list[Grid]


class OwnedDocument(BaseModel):
    """A document in its owner's list: the storage outcome plus the uploads that brought it."""

    id: int
    filename: str
    kind: str | None
    status: str
    error_code: str | None
    error: dict[str, Any] | None
    pages: int | None
    form_count: int
    needs_review: int
    approved: int
    job_ids: list[int]
    uploaded_at: datetime
    processed_at: datetime


def _user(u: User) -> UserInfo:
    return UserInfo(id=u.id, username=u.username, has_password=u.password_hash is not None, disabled=u.disabled,
                    created_at=aware(u.created_at))  # type: ignore[arg-type]


def _job(j: Job) -> JobInfo:
    return JobInfo(id=j.id, user_id=j.user_id, filename=j.filename, stored_path=j.stored_path, sha256=j.sha256,
                   size=j.size, kind=j.kind, pages=j.pages, status=j.status, attempts=j.attempts, max_attempts=j.max_attempts,
                   error=j.error, document_id=j.document_id, created_at=aware(j.created_at),  # type: ignore[arg-type]
                   started_at=aware(j.started_at), finished_at=aware(j.finished_at), seconds=j.seconds,
                   lease_owner=j.lease_owner)


def _approval(a: Approval) -> ApprovalInfo:
    return ApprovalInfo(form_id=a.form_id, document_id=a.document_id, approved_by=a.approved_by,
                        approved_at=aware(a.approved_at), record=a.record, findings=a.findings or [])  # type: ignore[arg-type]


class ServiceStore:
    """Users, tokens, jobs, ownership, sources and approvals, on the storage Repository's engine."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo

    # --- users and tokens ----------------------------------------------------------------------------------

    def create_user(self, username: str, password: str | None = None) -> UserInfo:
        """A new user; without a password it can only use API tokens."""
        try:
            with self.repo.transaction() as s:
                user = User(username=username, password_hash=hash_password(password) if password else None)
                s.add(user)
                s.flush()
                return _user(user)
        except IntegrityError as exc:
            raise UserExistsError(f"user {username!r} already exists", username=username) from exc

    def set_password(self, username: str, password: str) -> None:
        """Replace a user's password; every login session of the user ends (whoever knew the old one is out)."""
        with self.repo.transaction() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise UnknownUserError(f"no user {username!r}", username=username)
            user.password_hash = hash_password(password)
            s.execute(delete(LoginSession).where(LoginSession.user_id == user.id))

    def set_disabled(self, username: str, disabled: bool) -> int:
        """Disable (or enable) a user; disabling ends their sessions at once. Returns how many sessions ended.

        A disabled user's API tokens are refused too (user_for_token checks the flag on every request).
        """
        with self.repo.transaction() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise UnknownUserError(f"no user {username!r}", username=username)
            user.disabled = disabled
            if not disabled:
                return 0
            result = s.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # --- login sessions (server-side: the cookie carries only a random id) ---------------------------------

    def create_session(self, user_id: int, max_age_s: float, client: str | None = None) -> str:
        """Start a login session; returns the random id for the cookie (only its SHA-256 is stored)."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        with self.repo.transaction() as s:
            s.execute(delete(LoginSession).where(LoginSession.expires_at < now))  # sweep old ones as we go
            s.add(LoginSession(user_id=user_id, token_hash=token_hash(token), created_at=now, last_seen_at=now,
                               expires_at=now + timedelta(seconds=max_age_s), client=(client or "")[:100] or None))
        return token

    def session_user(self, token: str) -> UserInfo | None:
        """The enabled user of a live session, else None (ended, expired, or the user disabled)."""
        now = utcnow()
        with self.repo.transaction() as s:
            row = s.execute(select(LoginSession, User).join(User, User.id == LoginSession.user_id)
                            .where(LoginSession.token_hash == token_hash(token))).first()
            if row is None or row.User.disabled or aware(row.LoginSession.expires_at) <= now:  # type: ignore[operator]
                return None
            last, session_id, user = aware(row.LoginSession.last_seen_at), row.LoginSession.id, _user(row.User)
        if now - last > _TOKEN_TOUCH:  # type: ignore[operator]
            self._touch(update(LoginSession).where(LoginSession.id == session_id).values(last_seen_at=now))
        return user

    def end_session(self, token: str) -> bool:
        """End one session (logout); False when it was not live."""
        with self.repo.transaction() as s:
            result = s.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def session_count(self, user_id: int) -> int:
        """How many sessions of a user are stored (live or not yet swept)."""
        with self.repo.transaction() as s:
            return s.scalar(select(func.count(LoginSession.id)).where(LoginSession.user_id == user_id)) or 0

    def get_user(self, user_id: int | None = None, username: str | None = None) -> UserInfo | None:
        """A user by id or by name."""
        with self.repo.transaction() as s:
            stmt = select(User).where(User.id == user_id) if user_id is not None else \
                select(User).where(User.username == username)
            user = s.scalar(stmt)
            return _user(user) if user else None

    def authenticate(self, username: str, password: str) -> UserInfo | None:
        """The user when the password is right and the account enabled, else None (same cost either way)."""
        with self.repo.transaction() as s:
            user = s.scalar(select(User).where(User.username == username))
            stored = user.password_hash if user is not None else None
        if not verify_password(stored, password) or user is None or user.disabled:
            return None
        return _user(user)

    def create_token(self, name: str, username: str | None = None) -> tuple[str, TokenInfo]:
        """A new API token for `username` (default: a token-only user called `name`, made if missing)."""
        owner = username or name
        token = new_token()
        with self.repo.transaction() as s:
            user = s.scalar(select(User).where(User.username == owner))
            if user is None:
                if username is not None:
                    raise UnknownUserError(f"no user {username!r}: create it first (extractor user create)",
                                           username=username)
                user = User(username=owner, password_hash=None)
                s.add(user)
                s.flush()
            row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(token), prefix=token_display_prefix(token))
            s.add(row)
            s.flush()
            return token, self._token_info(row, user.username)

    @staticmethod
    def _token_info(row: ApiToken, username: str) -> TokenInfo:
        return TokenInfo(id=row.id, user_id=row.user_id, username=username, name=row.name, prefix=row.prefix,
                         created_at=aware(row.created_at), last_used_at=aware(row.last_used_at),  # type: ignore[arg-type]
                         revoked_at=aware(row.revoked_at))

    def user_for_token(self, token: str) -> UserInfo | None:
        """The enabled user a live token belongs to, else None; notes when the token was last used."""
        digest = token_hash(token)
        now = utcnow()
        with self.repo.transaction() as s:
            row = s.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id)
                            .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))).first()
            if row is None or row.User.disabled:
                return None
            last, token_id, user = aware(row.ApiToken.last_used_at), row.ApiToken.id, _user(row.User)
        if last is None or now - last > _TOKEN_TOUCH:
            self._touch(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        return user

    def _touch(self, statement: Any) -> None:
        """Note a last use; a database that cannot write now (full disk) must not refuse the caller for it."""
        try:
            with self.repo.transaction() as s:
                s.execute(statement)
        except StorageError:
            pass

    def list_tokens(self, username: str | None = None) -> list[TokenInfo]:
        """Tokens (of one user, or all), oldest first."""
        with self.repo.transaction() as s:
            stmt = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
            if username is not None:
                stmt = stmt.where(User.username == username)
            return [self._token_info(t, name) for t, name in s.execute(stmt)]

    def revoke_token(self, token_id: int) -> bool:
        """Revoke a token by id; False when there is no live token with that id."""
        with self.repo.transaction() as s:
            row = s.get(ApiToken, token_id)
            if row is None or row.revoked_at is not None:
                return False
            row.revoked_at = utcnow()
            return True

    # --- jobs -------------------------------------------------------------------------------------------------

    def enqueue(self, *, user_id: int, filename: str, stored_path: str, sha256: str, size: int, kind: str,
                max_attempts: int, pages: int | None = None) -> JobInfo:
        """Write a queued job (committed before the caller answers 202)."""
        return self.enqueue_many(user_id, [dict(filename=filename, stored_path=stored_path, sha256=sha256,
                                                size=size, kind=kind, pages=pages)], max_attempts)[0]

    def enqueue_many(self, user_id: int, files: list[dict[str, Any]], max_attempts: int) -> list[JobInfo]:
        """Write one queued job per file in one transaction: every job of a request, or none."""
        now = utcnow()
        with self.repo.transaction() as s:
            jobs = [Job(user_id=user_id, status="queued", attempts=0, max_attempts=max_attempts, available_at=now,
                        **f) for f in files]
            s.add_all(jobs)
            s.flush()
            return [_job(j) for j in jobs]

    def is_referenced(self, stored_path: str) -> bool:
        """True when a job refers to this kept file (True as well when the database cannot say: keep it)."""
        try:
            with self.repo.transaction() as s:
                return s.scalar(select(func.count(Job.id)).where(Job.stored_path == stored_path)) != 0
        except StorageError:
            return True

    def get_job(self, job_id: int, user_id: int | None = None) -> JobInfo | None:
        """A job (only if `user_id` owns it, when given)."""
        if not valid_id(job_id):
            return None
        with self.repo.transaction() as s:
            job = s.get(Job, job_id)
            if job is None or (user_id is not None and job.user_id != user_id):
                return None
            return _job(job)

    def list_jobs(self, user_id: int | None = None, status: str | None = None, limit: int | None = 200) -> list[JobInfo]:
        """Jobs, newest first (of one user, when given)."""
        with self.repo.transaction() as s:
            stmt = select(Job).order_by(Job.id.desc()).limit(limit)
            if user_id is not None:
                stmt = stmt.where(Job.user_id == user_id)
            if status is not None:
                stmt = stmt.where(Job.status == status)
            return [_job(j) for j in s.scalars(stmt)]

    def job_counts(self) -> dict[str, int]:
        """How many jobs are in each state."""
        with self.repo.transaction() as s:
            return dict(s.execute(select(Job.status, func.count()).group_by(Job.status)).all())

    @staticmethod
    def _claimable(now: datetime) -> Any:
        runnable = or_(and_(Job.status == "queued", Job.available_at <= now),
                       and_(Job.status == "running", Job.lease_expires_at < now, Job.attempts < Job.max_attempts))
        # One reading per (owner, bytes) at a time: a double click or a client's retry waits for the first
        # reading and then links to its document instead of reading the same bytes again beside it.
        other = aliased(Job)
        sibling = exists().where(other.user_id == Job.user_id, other.sha256 == Job.sha256, other.id != Job.id,
                                 other.status == "running", other.lease_expires_at >= now)
        return and_(runnable, ~sibling)

    @staticmethod
    def _running_of_owner() -> Any:
        other = aliased(Job)
        return (select(func.count(other.id)).where(other.user_id == Job.user_id, other.status == "running")
                .scalar_subquery())

    def _fail_abandoned(self, now: datetime) -> None:
        """Jobs whose worker vanished on every allowed attempt: a poison document ends failed, with its reason."""
        with self.repo.transaction() as s:
            for job in s.scalars(select(Job).where(Job.status == "running", Job.lease_expires_at < now,
                                                   Job.attempts >= Job.max_attempts)):
                last = job.error or {}
                job.error = {"code": "JOB_ABANDONED",
                             "message": f"processing stopped {job.attempts} time(s) without finishing "
                                        f"(worker crashed, was killed or timed out); given up",
                             "attempts": job.attempts, "last": last or None}
                job.status, job.finished_at = "failed", now
                job.lease_owner, job.lease_expires_at = None, None

    def claim(self, owner: str, lease_s: float, max_per_user: int = 0) -> JobInfo | None:
        """Take the oldest runnable job under a lease (a queued one, or a running one whose lease ran out).

        `max_per_user` > 0 caps how many jobs of one user run at once.
        """
        now = utcnow()
        self._fail_abandoned(now)
        condition = self._claimable(now)
        if max_per_user > 0:
            condition = and_(condition, self._running_of_owner() < max_per_user)
        with self.repo.transaction() as s:
            # Fair between owners: the owner with the fewest jobs running goes first, then the oldest job, so
            # one user's hundred uploads do not keep another user's one waiting behind them.
            candidates = list(s.execute(select(Job.id, Job.user_id, Job.sha256).where(condition)
                                        .order_by(self._running_of_owner(), Job.id).limit(8)))
        for job_id, user_id, sha256 in candidates:
            with self.repo.transaction() as s:
                if s.bind is not None and s.bind.dialect.name == "postgresql":
                    # PostgreSQL checks the sibling condition on a snapshot: two claims of two jobs of the same
                    # bytes could both pass it. This lock (held to commit) makes the second wait and see the first.
                    s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _claim_key(user_id, sha256)})
                # The same condition again in the UPDATE: of two workers racing for a row, exactly one wins.
                result = s.execute(update(Job).where(Job.id == job_id, condition).values(
                    status="running", attempts=Job.attempts + 1, lease_owner=owner,
                    lease_expires_at=now + timedelta(seconds=lease_s), started_at=now))
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    return _job(s.get_one(Job, job_id))
        return None

    def renew(self, job_id: int, owner: str, lease_s: float) -> bool:
        """Extend a running job's lease; False when the lease was lost to another worker."""
        with self.repo.transaction() as s:
            result = s.execute(update(Job).where(Job.id == job_id, Job.lease_owner == owner, Job.status == "running")
                               .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s)))
            return result.rowcount == 1  # type: ignore[attr-defined]

    def note_error(self, job_id: int, owner: str, error: dict[str, Any], expire: bool = False,
                   final: bool = False) -> None:
        """Keep the reason an attempt is failing (a timeout) on the job; `expire` frees it for a retry now,
        `final` ends it failed (a budget the document itself exceeds: another attempt would do the same)."""
        values: dict[str, Any] = {"error": to_jsonable_python(error)}
        if expire:
            values["lease_expires_at"] = utcnow() - timedelta(seconds=1)
        if final:
            values.update(status="failed", finished_at=utcnow(), lease_owner=None, lease_expires_at=None)
        with self.repo.transaction() as s:
            s.execute(update(Job).where(Job.id == job_id, Job.lease_owner == owner, Job.status == "running")
                      .values(**values))

    def finish(self, job_id: int, owner: str, *, status: str, document_id: int | None,
               error: dict[str, Any] | None, seconds: float | None) -> bool:
        """Close a job we still hold (done or failed); False when its lease had passed to another worker."""
        with self.repo.transaction() as s:
            result = s.execute(update(Job).where(Job.id == job_id, Job.lease_owner == owner, Job.status == "running")
                               .values(status=status, document_id=document_id, error=to_jsonable_python(error),
                                       seconds=seconds, finished_at=utcnow(), lease_owner=None,
                                       lease_expires_at=None))
            return result.rowcount == 1  # type: ignore[attr-defined]

    def retry_later(self, job_id: int, owner: str, error: dict[str, Any], delay_s: float) -> str:
        """Give back a job whose attempt failed for a passing reason (database busy); failed once out of tries."""
        now = utcnow()
        with self.repo.transaction() as s:
            job = s.get(Job, job_id)
            if job is None or job.lease_owner != owner or job.status != "running":
                return "lost"
            job.error = to_jsonable_python(error)
            job.lease_owner, job.lease_expires_at = None, None
            if job.attempts >= job.max_attempts:
                job.status, job.finished_at = "failed", now
            else:
                job.status, job.available_at = "queued", now + timedelta(seconds=delay_s)
            return job.status

    def release(self, job_id: int, owner: str) -> bool:
        """Hand a job back untouched (the worker is shutting down): it does not count as an attempt."""
        with self.repo.transaction() as s:
            result = s.execute(update(Job).where(Job.id == job_id, Job.lease_owner == owner, Job.status == "running")
                               .values(status="queued", attempts=Job.attempts - 1, lease_owner=None,
                                       lease_expires_at=None, available_at=utcnow()))
            return result.rowcount == 1  # type: ignore[attr-defined]

    # --- ownership --------------------------------------------------------------------------------------------

    def owns_document(self, user_id: int, document_id: int) -> bool:
        """True when the document is the user's (one of their uploads became it)."""
        if not valid_id(document_id):
            return False
        with self.repo.transaction() as s:
            return s.scalar(select(func.count(Document.id)).where(Document.id == document_id,
                                                                  Document.owner_id == user_id)) != 0

    def form_document(self, form_id: int) -> int | None:
        """The document a form belongs to."""
        if not valid_id(form_id):
            return None
        with self.repo.transaction() as s:
            return s.scalar(select(Form.document_id).where(Form.id == form_id))

    def owned_document_ids(self, user_id: int) -> list[int]:
        """The documents a user's uploads became, newest upload first."""
        with self.repo.transaction() as s:
            rows = s.execute(select(Job.document_id, func.max(Job.id).label("last"))
                             .join(Document, Document.id == Job.document_id)
                             .where(Job.user_id == user_id, Document.owner_id == user_id)
                             .group_by(Job.document_id).order_by(func.max(Job.id).desc()))
            return [r.document_id for r in rows]

    def owned_documents(self, user_id: int, document_id: int | None = None) -> list[OwnedDocument]:
        """The user's documents (or the one asked for) with outcome and review counts, newest upload first."""
        with self.repo.transaction() as s:
            stmt = select(Job).where(Job.user_id == user_id, Job.document_id.is_not(None)).order_by(Job.id.desc())
            if document_id is not None:
                stmt = stmt.where(Job.document_id == document_id)
            jobs = list(s.scalars(stmt))
            by_doc: dict[int, list[Job]] = {}
            for job in jobs:
                by_doc.setdefault(job.document_id, []).append(job)  # type: ignore[arg-type]
            if not by_doc:
                return []
            docs = {d.id: d for d in s.scalars(select(Document).where(Document.id.in_(by_doc),
                                                                       Document.owner_id == user_id))}
            review = dict(s.execute(select(Form.document_id, func.count()).where(
                Form.document_id.in_(by_doc), Form.status == "needs_review").group_by(Form.document_id)).all())
            approved = dict(s.execute(select(Approval.document_id, func.count()).where(
                Approval.document_id.in_(by_doc)).group_by(Approval.document_id)).all())
            out = []
            for doc_id, doc_jobs in by_doc.items():
                doc = docs.get(doc_id)
                if doc is None:
                    continue
                out.append(OwnedDocument(
                    id=doc.id, filename=doc_jobs[0].filename, kind=doc.kind, status=doc.status,
                    error_code=doc.error_code, error=doc.error, pages=doc.pages, form_count=doc.form_count,
                    needs_review=review.get(doc.id, 0), approved=approved.get(doc.id, 0),
                    job_ids=[j.id for j in doc_jobs], uploaded_at=aware(doc_jobs[0].created_at),  # type: ignore[arg-type]
                    processed_at=aware(doc.processed_at)))  # type: ignore[arg-type]
            return out

    def filenames(self, user_id: int, document_id: int) -> list[str]:
        """The names under which a user uploaded a document (never another user's names)."""
        with self.repo.transaction() as s:
            return list(dict.fromkeys(s.scalars(select(Job.filename).where(
                Job.user_id == user_id, Job.document_id == document_id).order_by(Job.id))))

    # --- sources ----------------------------------------------------------------------------------------------

    def save_source(self, document_id: int, stored_path: str, kind: str, grids: list[Grid]) -> None:
        """Keep where a document's bytes are and the grids it was read into (replacing older ones)."""
        payload = [g.model_dump(mode="json") for g in grids]
        with self.repo.transaction() as s:
            row = s.get(DocumentSource, document_id)
            if row is None:
                s.add(DocumentSource(document_id=document_id, stored_path=stored_path, kind=kind, grids=payload))
            else:
                row.stored_path, row.kind, row.grids = stored_path, kind, payload

    def has_source(self, document_id: int) -> bool:
        """True when the document's bytes and grids are kept."""
        with self.repo.transaction() as s:
            return s.get(DocumentSource, document_id) is not None

    def get_source(self, document_id: int) -> SourceInfo | None:
        """A document's stored source and grids."""
        with self.repo.transaction() as s:
            row = s.get(DocumentSource, document_id)
            if row is None:
                return None
            return SourceInfo(document_id=row.document_id, stored_path=row.stored_path, kind=row.kind,
                              grids=[Grid.model_validate(g) for g in row.grids or []])

    # --- approvals --------------------------------------------------------------------------------------------

    def approve(self, form_id: int, user: UserInfo, record: dict[str, Any], findings: list[str]) -> ApprovalInfo:
        """Approve a form as it stands (replacing an earlier approval)."""
        with self.repo.transaction() as s:
            form = s.get(Form, form_id)
            if form is None:
                raise KeyError(form_id)
            row = s.scalar(select(Approval).where(Approval.form_id == form_id))
            if row is None:
                row = Approval(form_id=form_id, document_id=form.document_id)
                s.add(row)
            row.user_id, row.approved_by, row.approved_at = user.id, user.username, utcnow()
            row.record, row.findings = record, findings
            s.flush()
            return _approval(row)

    def unapprove(self, form_id: int) -> bool:
        """Withdraw a form's approval (its record changed); False when it was not approved."""
        with self.repo.transaction() as s:
            row = s.scalar(select(Approval).where(Approval.form_id == form_id))
            if row is None:
                return False
            s.delete(row)
            return True

    def approvals(self, document_id: int | None = None, document_ids: list[int] | None = None,
                  form_id: int | None = None) -> dict[int, ApprovalInfo]:
        """Approvals by form id (of a document, of several, of one form, or all)."""
        with self.repo.transaction() as s:
            stmt = select(Approval).order_by(Approval.form_id)
            if document_id is not None:
                stmt = stmt.where(Approval.document_id == document_id)
            if document_ids is not None:
                stmt = stmt.where(Approval.document_id.in_(document_ids))
            if form_id is not None:
                stmt = stmt.where(Approval.form_id == form_id)
            return {a.form_id: _approval(a) for a in s.scalars(stmt)}

    def corrected_paths(self, form_id: int) -> set[str]:
        """The field paths a reviewer has changed on a form."""
        with self.repo.transaction() as s:
            return set(s.scalars(select(Correction.field_path).where(Correction.form_id == form_id)))

    # --- template definitions (template induction) --------------------------------------------------------

    def record_template(self, *, family: str, name: str, definition: str, provenance: dict[str, Any],
                        approved_by: str, user_id: int | None = None) -> TemplateInfo:
        """Keep an approved definition (its TOML file whole) with who approved it (a review-page user, or a name
        given on the command line) and when, replacing an earlier approval of the same family."""
        with self.repo.transaction() as s:
            row = s.scalar(select(TemplateRecord).where(TemplateRecord.family == family))
            if row is None:
                row = TemplateRecord(family=family)
                s.add(row)
            row.name, row.status, row.definition = name, "approved", definition
            row.fingerprint = str(provenance.get("fingerprint") or "") or None
            row.provenance = to_jsonable_python(provenance)
            row.user_id, row.approved_by, row.approved_at = user_id, approved_by, utcnow()
            s.flush()
            return _template(row)

    def approved_templates(self) -> list[TemplateInfo]:
        """Every approved definition, by family."""
        with self.repo.transaction() as s:
            return [_template(r) for r in s.scalars(select(TemplateRecord).order_by(TemplateRecord.family))]


def _template(row: TemplateRecord) -> TemplateInfo:
    return TemplateInfo(family=row.family, name=row.name, status=row.status, fingerprint=row.fingerprint,
                        definition=row.definition, approved_by=row.approved_by, approved_at=aware(row.approved_at))
