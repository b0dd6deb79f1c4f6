"""The audit log says how each change was asked for: a browser session or a token
(with its id), the command line; the client's address and user agent.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (
    ("via", 32),
    ("credential_id", 64),
    ("client", 64),
    ("user_agent", 255),
)


def upgrade() -> None:
    # Nullable: the entries written before say nothing of it.
    with op.batch_alter_table("audit_log") as table:
        for name, length in COLUMNS:
            table.add_column(sa.Column(name, sa.String(length=length), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as table:
        for name, _ in reversed(COLUMNS):
            table.drop_column(name)
