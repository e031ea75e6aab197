"""The store: SQLAlchemy tables, repositories and Alembic migrations (SQLite or PostgreSQL)."""

from .db import current_revision, head_revision, make_engine, upgrade
from .repo import Store

__all__ = ["Store", "current_revision", "head_revision", "make_engine", "upgrade"]
