"""Sharing a running app: the shares its owner made, and the single-use tickets that
take a viewer from their own service to the app's origin.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shares",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("url_id", sa.String(length=32), nullable=False),
        sa.Column("mapping_id", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("permission", sa.String(length=8), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("via", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('user', 'group', 'link')", name=op.f("ck_shares_kind")),
        sa.CheckConstraint("permission IN ('view', 'control')", name=op.f("ck_shares_permission")),
        sa.ForeignKeyConstraint(
            ["mapping_id"],
            ["grants.mapping_id"],
            name=op.f("fk_shares_mapping_id_grants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["via"], ["shares.id"], name=op.f("fk_shares_via_shares"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shares")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_shares_code_hash")),
    )
    for column in ("url_id", "mapping_id", "owner", "name", "via", "expires_at"):
        op.create_index(op.f(f"ix_shares_{column}"), "shares", [column])
    op.create_table(
        "share_tickets",
        sa.Column("ticket_hash", sa.String(length=64), nullable=False),
        sa.Column("share_id", sa.String(length=32), nullable=False),
        sa.Column("user_name", sa.String(length=255), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["share_id"],
            ["shares.id"],
            name=op.f("fk_share_tickets_share_id_shares"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_hash", name=op.f("pk_share_tickets")),
    )
    op.create_index(op.f("ix_share_tickets_share_id"), "share_tickets", ["share_id"])


def downgrade() -> None:
    op.drop_table("share_tickets")
    op.drop_table("shares")
