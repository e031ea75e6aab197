"""Tables of the trends stage: source health and the persisted Instagram hashtag budget."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .tables import Base


class TrendSourceHealthRow(Base):
    """Last outcome of each (account, source): what `contentloop trends sources` shows."""

    __tablename__ = "trend_source_health"
    __table_args__ = (UniqueConstraint("account", "source", name="uq_trend_source_health"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="")
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_signals: Mapped[int] = mapped_column(Integer, default=0)
    total_signals: Mapped[int] = mapped_column(Integer, default=0)


class HashtagQueryRow(Base):
    """A unique hashtag an Instagram user queried, counted from `first_at` for 7 days."""

    __tablename__ = "trend_hashtag_queries"
    __table_args__ = (UniqueConstraint("ig_user_id", "tag", name="uq_trend_hashtag_query"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ig_user_id: Mapped[str] = mapped_column(String(64), index=True)
    tag: Mapped[str] = mapped_column(String(120))
    first_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HashtagBudgetLockRow(Base):
    """One row per Instagram user, updated first in every budget transaction so that two
    processes deciding on the same budget are serialised (SQLite and PostgreSQL alike)."""

    __tablename__ = "trend_hashtag_locks"
    ig_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
