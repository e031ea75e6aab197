"""publishing: per-post lateness and skips

Revision ID: 0002_publish
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_publish"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "publish_lateness",
        sa.Column("post_id", sa.String(length=80), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("scheduled_at", _TS, nullable=False),
        sa.Column("done_at", _TS, nullable=False),
        sa.Column("lateness_s", sa.Float(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"]),
        sa.PrimaryKeyConstraint("post_id"),
    )
    op.create_index("ix_publish_lateness_account", "publish_lateness", ["account"])


def downgrade() -> None:
    op.drop_index("ix_publish_lateness_account", table_name="publish_lateness")
    op.drop_table("publish_lateness")
