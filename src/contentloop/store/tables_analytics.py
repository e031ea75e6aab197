"""Analytics tables: short links (one per post variant), their clicks, imported revenue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .tables import Base


class LinkRow(Base):
    """A short link `/r/CODE` that redirects to a UTM-tagged target and counts clicks."""

    __tablename__ = "links"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    post_id: Mapped[str] = mapped_column(String(80), default="", index=True)
    variant_id: Mapped[str] = mapped_column(String(100), default="")
    label: Mapped[str] = mapped_column(String(200), default="")
    target: Mapped[str] = mapped_column(Text)
    active: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]


class ClickRow(Base):
    """One click on a short link. No IP or user agent is kept: we count, we do not track."""

    __tablename__ = "link_clicks"
    __table_args__ = (Index("ix_link_clicks_code_at", "code", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    referrer_host: Mapped[str] = mapped_column(String(200), default="")


class RevenueRow(Base):
    """Affiliate or sponsored revenue, imported from CSV; `ref` makes re-imports idempotent."""

    __tablename__ = "revenue"
    __table_args__ = (UniqueConstraint("account", "ref", name="uq_revenue_ref"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    ref: Mapped[str] = mapped_column(String(200))
    day: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(40), default="affiliate")
    amount: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    post_id: Mapped[str] = mapped_column(String(80), default="")
    link_code: Mapped[str] = mapped_column(String(32), default="")
    note: Mapped[str] = mapped_column(Text, default="")
