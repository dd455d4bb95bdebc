"""Approved template definitions (template induction) kept in the database.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "template_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family", sa.String(length=40), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=True),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("provenance", sa.JSON(none_as_null=True).with_variant(
            postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_template_definitions_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_definitions")),
        sa.UniqueConstraint("family", name=op.f("uq_template_definitions_family")),
    )
    op.create_index(op.f("ix_template_definitions_fingerprint"), "template_definitions", ["fingerprint"],
                    unique=False)
    op.create_index(op.f("ix_template_definitions_user_id"), "template_definitions", ["user_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_template_definitions_user_id"), table_name="template_definitions")
    op.drop_index(op.f("ix_template_definitions_fingerprint"), table_name="template_definitions")
    op.drop_table("template_definitions")
