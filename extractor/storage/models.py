"""The database tables (SQLAlchemy 2): documents and their paths, forms, indicators, findings, corrections, runs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from extractor.storage.types import ExactDecimal

# Named constraints keep migrations identical on SQLite and PostgreSQL (and batch mode able to find them).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def utcnow() -> datetime:
    """Now, in UTC (timestamps are stored in UTC on both backends)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class Run(Base):
    """One back-fill (or upload batch): when, with which settings, what came of it."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | finished | interrupted | aborted
    engine: Mapped[str | None] = mapped_column(String(20))
    workers: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    inputs: Mapped[list[str]] = mapped_column(Json, default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    failures: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    message: Mapped[str | None] = mapped_column(Text)


class Document(Base):
    """One distinct input (by content) of one owner: seen under one or more paths, read into zero or more forms.

    Archive documents (back-fill) have no owner; an upload to the service belongs to its uploader, so the same
    bytes uploaded by two users are two documents and neither sees the other's review.
    """

    __tablename__ = "documents"
    __table_args__ = (
        # One archive document per content, and one per (owner, content): partial indexes, since NULLs are
        # distinct in a plain unique constraint on both backends.
        Index("uq_documents_archive_sha256", "sha256", unique=True, sqlite_where=text("owner_id IS NULL"),
              postgresql_where=text("owner_id IS NULL")),
        Index("uq_documents_owner_sha256", "owner_id", "sha256", unique=True,
              sqlite_where=text("owner_id IS NOT NULL"), postgresql_where=text("owner_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # NULL only for a file that could not be read at all (its content, hence its hash, is unknown).
    sha256: Mapped[str | None] = mapped_column(String(64))
    # The service user who uploaded it; NULL for archive documents (back-fill).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    kind: Mapped[str | None] = mapped_column(String(20))
    pages: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)  # ok | partial | failed
    error_code: Mapped[str | None] = mapped_column(String(64), index=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(Json)
    form_count: Mapped[int] = mapped_column(Integer, default=0)
    mapper: Mapped[str | None] = mapped_column(String(40))
    timings: Mapped[dict[str, float]] = mapped_column(Json, default=dict)
    seconds: Mapped[float | None] = mapped_column()  # wall time in the worker (not money: a float is fine)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    paths: Mapped[list[DocumentPath]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                                     passive_deletes=True, order_by="DocumentPath.id")
    forms: Mapped[list[Form]] = relationship(back_populates="document", cascade="all, delete-orphan",
                                             passive_deletes=True, order_by="Form.form_index")


class DocumentPath(Base):
    """A path under which a document was seen; size and mtime let a resumed run skip it without re-reading."""

    __tablename__ = "document_paths"
    __table_args__ = (UniqueConstraint("document_id", "path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(Text, index=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    mtime_ns: Mapped[int | None] = mapped_column(BigInteger)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    document: Mapped[Document] = relationship(back_populates="paths")


class Form(Base):
    """One form of a document: the record JSON plus the columns people query by."""

    __tablename__ = "forms"
    __table_args__ = (UniqueConstraint("document_id", "form_index"),
                      Index("ix_forms_year_status", "year", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    form_index: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)  # ok | needs_review
    has_errors: Mapped[bool] = mapped_column(Boolean)
    year: Mapped[int | None] = mapped_column(Integer)
    project_name: Mapped[str | None] = mapped_column(Text, index=True)
    project_code: Mapped[str | None] = mapped_column(Text, index=True)
    department: Mapped[str | None] = mapped_column(Text, index=True)
    implementing_unit: Mapped[str | None] = mapped_column(Text)
    money_unit: Mapped[str | None] = mapped_column(String(8))
    template: Mapped[str | None] = mapped_column(String(40), index=True)
    total_weight: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    total_score: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    reviewed_score: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    grade: Mapped[str | None] = mapped_column(String(4))
    mapper: Mapped[str | None] = mapped_column(String(40))
    prompt_hash: Mapped[str | None] = mapped_column(String(64))
    record_version: Mapped[str] = mapped_column(String(8))
    record: Mapped[dict[str, Any]] = mapped_column(Json)
    provenance: Mapped[dict[str, Any]] = mapped_column(Json)
    pages: Mapped[list[int]] = mapped_column(Json, default=list)
    lines: Mapped[list[int] | None] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    document: Mapped[Document] = relationship(back_populates="forms")
    indicators: Mapped[list[IndicatorRow]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                          order_by="IndicatorRow.position")
    findings: Mapped[list[FindingRow]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                      order_by="FindingRow.position")


class IndicatorRow(Base):
    """One 三级指标 of a form, in printed order."""

    __tablename__ = "indicators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    level1: Mapped[str | None] = mapped_column(String(20))
    level2: Mapped[str | None] = mapped_column(String(20), index=True)
    name: Mapped[str | None] = mapped_column(Text)
    target: Mapped[str | None] = mapped_column(Text)
    actual: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    score: Mapped[Decimal | None] = mapped_column(ExactDecimal)
    deviation: Mapped[str | None] = mapped_column(Text)
    nature: Mapped[str | None] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)
    method: Mapped[str | None] = mapped_column(Text)


class FindingRow(Base):
    """One checker finding of a form."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    fields: Mapped[list[str]] = mapped_column(Json, default=list)
    data: Mapped[dict[str, Any] | None] = mapped_column(Json)


class Correction(Base):
    """A reviewer's change to one field of a form (kept even after the form is re-checked)."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    field_path: Mapped[str] = mapped_column(Text)
    old_value: Mapped[Any] = mapped_column(Json, nullable=True)
    new_value: Mapped[Any] = mapped_column(Json, nullable=True)
    author: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
