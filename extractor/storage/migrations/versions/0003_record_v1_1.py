"""Record v1.1: the form family, project code, money unit and reviewed score on forms; nature, unit and
scoring method on indicators.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from extractor.storage.types import ExactDecimal

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema (additive: v1 rows stay valid, their new columns null)."""
    with op.batch_alter_table("forms") as batch:
        batch.add_column(sa.Column("project_code", sa.Text(), nullable=True))
        batch.add_column(sa.Column("money_unit", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("template", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("reviewed_score", ExactDecimal(), nullable=True))
        batch.create_index(batch.f("ix_forms_project_code"), ["project_code"], unique=False)
        batch.create_index(batch.f("ix_forms_template"), ["template"], unique=False)
    with op.batch_alter_table("indicators") as batch:
        batch.add_column(sa.Column("nature", sa.Text(), nullable=True))
        batch.add_column(sa.Column("unit", sa.Text(), nullable=True))
        batch.add_column(sa.Column("method", sa.Text(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("indicators") as batch:
        batch.drop_column("method")
        batch.drop_column("unit")
        batch.drop_column("nature")
    with op.batch_alter_table("forms") as batch:
        batch.drop_index(batch.f("ix_forms_template"))
        batch.drop_index(batch.f("ix_forms_project_code"))
        batch.drop_column("reviewed_score")
        batch.drop_column("template")
        batch.drop_column("money_unit")
        batch.drop_column("project_code")
