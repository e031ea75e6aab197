"""Merge the per-package migration branches into one head.

Each stage package added its tables as a branch off the initial schema; from here on
migrations are linear again.

Revision ID: 0004
Revises: 0002_analytics, 0002_creative, 0002_plans, 0002_scale, 0002_trends, 0002_web,
    0003_publish_options
Create Date: 2026-11-26 13:20:49.446866
"""
from __future__ import annotations

revision = '0004'
down_revision = (
    '0002_analytics', '0002_creative', '0002_plans', '0002_scale', '0002_trends', '0002_web',
    '0003_publish_options',
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
