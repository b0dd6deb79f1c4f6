"""Users, applications, policies and grants, as simphony-remote kept them.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("image", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("image", name=op.f("uq_applications_image")),
    )
    op.create_table(
        "policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allow_home", sa.Boolean(), nullable=False),
        sa.Column("allow_view", sa.Boolean(), nullable=False),
        sa.Column("allow_startup_data", sa.Boolean(), nullable=False),
        sa.Column("volume_source", sa.String(length=4096), nullable=True),
        sa.Column("volume_target", sa.String(length=4096), nullable=True),
        sa.Column("volume_mode", sa.String(length=2), nullable=True),
        sa.Column("app_license", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "volume_mode IS NULL OR volume_mode IN ('ro', 'rw')",
            name=op.f("ck_policies_volume_mode"),
        ),
        sa.CheckConstraint(
            "(volume_source IS NULL) = (volume_target IS NULL)"
            " AND (volume_source IS NULL) = (volume_mode IS NULL)",
            name=op.f("ck_policies_volume_complete"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policies")),
    )
    op.create_table(
        "accounting",
        sa.Column("mapping_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_accounting_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_accounting_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["policies.id"], name=op.f("fk_accounting_policy_id_policies")
        ),
        sa.PrimaryKeyConstraint("mapping_id", name=op.f("pk_accounting")),
        sa.UniqueConstraint("policy_id", name=op.f("uq_accounting_policy_id")),
    )
    op.create_index(op.f("ix_accounting_user_id"), "accounting", ["user_id"])
    op.create_index(op.f("ix_accounting_application_id"), "accounting", ["application_id"])


def downgrade() -> None:
    op.drop_table("accounting")
    op.drop_table("policies")
    op.drop_table("applications")
    op.drop_table("users")
