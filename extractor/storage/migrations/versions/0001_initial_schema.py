"""Initial schema: runs, documents and their paths, forms, indicators, findings, corrections.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from extractor.storage.types import ExactDecimal

JSON_T = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("engine", sa.String(length=20), nullable=True),
        sa.Column("workers", sa.Integer(), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("inputs", JSON_T, nullable=False),
        sa.Column("settings", JSON_T, nullable=False),
        sa.Column("counts", JSON_T, nullable=False),
        sa.Column("failures", JSON_T, nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error", JSON_T, nullable=True),
        sa.Column("form_count", sa.Integer(), nullable=False),
        sa.Column("mapper", sa.String(length=40), nullable=True),
        sa.Column("timings", JSON_T, nullable=False),
        sa.Column("seconds", sa.Double(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_documents_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("sha256", name=op.f("uq_documents_sha256")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_error_code"), ["error_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_status"), ["status"], unique=False)

    op.create_table(
        "document_paths",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_paths_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_document_paths_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_paths")),
        sa.UniqueConstraint("document_id", "path", name=op.f("uq_document_paths_document_id_path")),
    )
    with op.batch_alter_table("document_paths", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_paths_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_paths_path"), ["path"], unique=False)

    op.create_table(
        "forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("form_index", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("has_errors", sa.Boolean(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("project_name", sa.Text(), nullable=True),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("implementing_unit", sa.Text(), nullable=True),
        sa.Column("total_weight", ExactDecimal(), nullable=True),
        sa.Column("total_score", ExactDecimal(), nullable=True),
        sa.Column("grade", sa.String(length=4), nullable=True),
        sa.Column("mapper", sa.String(length=40), nullable=True),
        sa.Column("prompt_hash", sa.String(length=64), nullable=True),
        sa.Column("record_version", sa.String(length=8), nullable=False),
        sa.Column("record", JSON_T, nullable=False),
        sa.Column("provenance", JSON_T, nullable=False),
        sa.Column("pages", JSON_T, nullable=False),
        sa.Column("lines", JSON_T, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_forms_document_id_documents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forms")),
        sa.UniqueConstraint("document_id", "form_index", name=op.f("uq_forms_document_id_form_index")),
    )
    with op.batch_alter_table("forms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_forms_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_forms_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_forms_project_name"), ["project_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_forms_status"), ["status"], unique=False)
        batch_op.create_index("ix_forms_year_status", ["year", "status"], unique=False)

    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("field_path", sa.Text(), nullable=False),
        sa.Column("old_value", JSON_T, nullable=True),
        sa.Column("new_value", JSON_T, nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_corrections_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["form_id"], ["forms.id"], name=op.f("fk_corrections_form_id_forms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_corrections_document_id"), ["document_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_corrections_form_id"), ["form_id"], unique=False)

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("fields", JSON_T, nullable=False),
        sa.Column("data", JSON_T, nullable=True),
        sa.ForeignKeyConstraint(
            ["form_id"], ["forms.id"], name=op.f("fk_findings_form_id_forms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_form_id"), ["form_id"], unique=False)

    op.create_table(
        "indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("level1", sa.String(length=20), nullable=True),
        sa.Column("level2", sa.String(length=20), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("actual", sa.Text(), nullable=True),
        sa.Column("weight", ExactDecimal(), nullable=True),
        sa.Column("score", ExactDecimal(), nullable=True),
        sa.Column("deviation", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["form_id"], ["forms.id"], name=op.f("fk_indicators_form_id_forms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicators")),
    )
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicators_form_id"), ["form_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_indicators_level2"), ["level2"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicators_level2"))
        batch_op.drop_index(batch_op.f("ix_indicators_form_id"))

    op.drop_table("indicators")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_form_id"))
        batch_op.drop_index(batch_op.f("ix_findings_code"))

    op.drop_table("findings")
    with op.batch_alter_table("corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_corrections_form_id"))
        batch_op.drop_index(batch_op.f("ix_corrections_document_id"))

    op.drop_table("corrections")
    with op.batch_alter_table("forms", schema=None) as batch_op:
        batch_op.drop_index("ix_forms_year_status")
        batch_op.drop_index(batch_op.f("ix_forms_status"))
        batch_op.drop_index(batch_op.f("ix_forms_project_name"))
        batch_op.drop_index(batch_op.f("ix_forms_document_id"))
        batch_op.drop_index(batch_op.f("ix_forms_department"))

    op.drop_table("forms")
    with op.batch_alter_table("document_paths", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_paths_path"))
        batch_op.drop_index(batch_op.f("ix_document_paths_document_id"))

    op.drop_table("document_paths")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_status"))
        batch_op.drop_index(batch_op.f("ix_documents_run_id"))
        batch_op.drop_index(batch_op.f("ix_documents_error_code"))

    op.drop_table("documents")
    op.drop_table("runs")
