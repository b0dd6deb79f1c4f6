"""Time limits: what the culler remembers of each run, and each grant's idle timeout
and lifetime (none yet: the site's defaults hold).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for column in ("idle_timeout", "max_lifetime"):
        op.add_column("policies", sa.Column(column, sa.Integer(), nullable=True))
    op.create_table(
        "app_runs",
        sa.Column("url_id", sa.String(length=32), nullable=False),
        sa.Column("user_name", sa.String(length=255), nullable=False),
        sa.Column("last_active_at", sa.DateTime(), nullable=False),
        sa.Column("extended_seconds", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("url_id", name=op.f("pk_app_runs")),
    )
    op.create_index(op.f("ix_app_runs_user_name"), "app_runs", ["user_name"])


def downgrade() -> None:
    op.drop_table("app_runs")
    # Not a batch: SQLite (3.35 and later) drops a column in place, where a batch
    # would make the policies' table anew under the grants' foreign key.
    for column in ("max_lifetime", "idle_timeout"):
        op.execute(f"ALTER TABLE policies DROP COLUMN {column}")
