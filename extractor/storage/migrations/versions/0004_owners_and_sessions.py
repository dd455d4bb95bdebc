"""Documents per owner and server-side sessions.

An upload becomes a document of its uploader: the unique hash becomes one archive document per content
(owner NULL, back-fill) and one per (owner, content). Documents that uploads of several users were linked to
(the old behaviour) go to the first uploader; the other users' jobs are queued again, so each is read into
that user's own document. The sessions table holds review-page logins, so they can be revoked. Jobs keep
their page count (known at upload) for the CPU budget.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # On SQLite this copies the table (a unique constraint cannot be dropped in place); database.upgrade runs
    # migrations with foreign keys off, so dropping the old table cascades to nothing.
    with op.batch_alter_table("documents") as batch:
        batch.drop_constraint("uq_documents_sha256", type_="unique")
        batch.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f("fk_documents_owner_id_users"), "users", ["owner_id"], ["id"],
                                 ondelete="CASCADE")
        batch.create_index(batch.f("ix_documents_owner_id"), ["owner_id"], unique=False)
    # The first uploader owns a document uploads were linked to; later uploaders' jobs are read again.
    op.execute("""
        UPDATE documents SET owner_id = (
            SELECT j.user_id FROM jobs j WHERE j.document_id = documents.id ORDER BY j.id LIMIT 1)
        WHERE EXISTS (SELECT 1 FROM jobs j WHERE j.document_id = documents.id)""")
    op.execute("""
        UPDATE jobs SET status = 'queued', attempts = 0, document_id = NULL, lease_owner = NULL,
                        lease_expires_at = NULL, finished_at = NULL, error = NULL
        WHERE document_id IS NOT NULL
          AND user_id <> (SELECT d.owner_id FROM documents d WHERE d.id = jobs.document_id)""")
    op.create_index("uq_documents_archive_sha256", "documents", ["sha256"], unique=True,
                    sqlite_where=sa.text("owner_id IS NULL"), postgresql_where=sa.text("owner_id IS NULL"))
    op.create_index("uq_documents_owner_sha256", "documents", ["owner_id", "sha256"], unique=True,
                    sqlite_where=sa.text("owner_id IS NOT NULL"), postgresql_where=sa.text("owner_id IS NOT NULL"))

    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("pages", sa.Integer(), nullable=True))

    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_sessions_token_hash")),
    )
    op.create_index(op.f("ix_sessions_user_id"), "sessions", ["user_id"], unique=False)
    op.create_index(op.f("ix_sessions_expires_at"), "sessions", ["expires_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema (fails while two owners hold documents of the same content)."""
    op.drop_index(op.f("ix_sessions_expires_at"), table_name="sessions")
    op.drop_index(op.f("ix_sessions_user_id"), table_name="sessions")
    op.drop_table("sessions")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("pages")
    op.drop_index("uq_documents_owner_sha256", table_name="documents")
    op.drop_index("uq_documents_archive_sha256", table_name="documents")
    with op.batch_alter_table("documents") as batch:
        batch.drop_index(batch.f("ix_documents_owner_id"))
        batch.drop_constraint(batch.f("fk_documents_owner_id_users"), type_="foreignkey")
        batch.drop_column("owner_id")
        batch.create_unique_constraint("uq_documents_sha256", ["sha256"])
