"""trends: source health, persisted Instagram hashtag budget

Revision ID: 0002_trends
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_trends"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "trend_source_health",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("last_attempt_at", _TS, nullable=True),
        sa.Column("last_success_at", _TS, nullable=True),
        sa.Column("last_error_at", _TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("last_signals", sa.Integer(), nullable=False),
        sa.Column("total_signals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account", "source", name="uq_trend_source_health"),
    )
    op.create_index("ix_trend_source_health_account", "trend_source_health", ["account"])
    op.create_table(
        "trend_hashtag_queries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ig_user_id", sa.String(length=64), nullable=False),
        sa.Column("tag", sa.String(length=120), nullable=False),
        sa.Column("first_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ig_user_id", "tag", name="uq_trend_hashtag_query"),
    )
    op.create_index("ix_trend_hashtag_queries_ig_user_id", "trend_hashtag_queries", ["ig_user_id"])
    op.create_table(
        "trend_hashtag_locks",
        sa.Column("ig_user_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("ig_user_id"),
    )


def downgrade() -> None:
    op.drop_table("trend_hashtag_locks")
    op.drop_index("ix_trend_hashtag_queries_ig_user_id", table_name="trend_hashtag_queries")
    op.drop_table("trend_hashtag_queries")
    op.drop_index("ix_trend_source_health_account", table_name="trend_source_health")
    op.drop_table("trend_source_health")
