"""The grants' table is called ``grants``: simphony-remote's name, ``accounting``, said
nothing of what its rows are. Every row is kept, with its mapping id.

The table is made anew and filled, rather than renamed: its keys, constraints and
indexes then carry the names the models' naming convention gives them, on SQLite
(which cannot rename a constraint) as on PostgreSQL.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = "mapping_id, user_id, application_id, policy_id, created_at"


def create_grants_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("mapping_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{name}_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f(f"fk_{name}_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f(f"fk_{name}_policy_id_policies")
        ),
        sa.PrimaryKeyConstraint("mapping_id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("policy_id", name=op.f(f"uq_{name}_policy_id")),
    )


def move(source: str, target: str) -> None:
    create_grants_table(target)
    op.execute(sa.text(f"INSERT INTO {target} ({COLUMNS}) SELECT {COLUMNS} FROM {source}"))
    op.drop_table(source)  # its indexes go with it, so their names are free again
    op.create_index(op.f(f"ix_{target}_user_id"), target, ["user_id"])
    op.create_index(op.f(f"ix_{target}_application_id"), target, ["application_id"])


def upgrade() -> None:
    move("accounting", "grants")


def downgrade() -> None:
    move("grants", "accounting")
