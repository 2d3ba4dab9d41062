"""report assessment and companion: the officer's own overall judgement (综合评价), and the
teammate who made the visit with them (双人检查)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Reports drafted before it existed have none: they are asked for one at their next submission.
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assessment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("companion_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_reports_companion_id_officers"), "officers", ["companion_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_reports_companion_id_officers"), type_="foreignkey")
        batch_op.drop_column("companion_id")
        batch_op.drop_column("assessment")
