"""Record when users, applications and grants were created.

Rows that exist already get the time of the upgrade.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("users", "applications", "accounting")


def upgrade() -> None:
    for table in TABLES:
        # SQLite cannot add a column whose default is not a constant: add it empty,
        # fill it, then let batch mode rebuild the table with the default.
        op.add_column(table, sa.Column("created_at", sa.DateTime(), nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET created_at = CURRENT_TIMESTAMP"))
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "created_at",
                existing_type=sa.DateTime(),
                nullable=False,
                server_default=sa.func.now(),
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("created_at")
