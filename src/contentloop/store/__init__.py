"""The store: SQLAlchemy tables, repositories and Alembic migrations (SQLite or PostgreSQL)."""

from .db import (
    current_revision,
    current_revisions,
    head_revision,
    head_revisions,
    make_engine,
    upgrade,
)
from .repo import Store

__all__ = [
    "Store", "current_revision", "current_revisions", "head_revision", "head_revisions",
    "make_engine", "upgrade",
]
