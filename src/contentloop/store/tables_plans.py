"""Weekly plans: next week's allocation per dimension, proposed by the optimizer and
approved or edited by a person as a whole (one row per account and ISO week)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .tables import Base


class PlanRow(Base):
    """`allocation` is what the loop follows; `proposal` is what the optimizer last proposed
    (kept after an edit so the two can be compared)."""

    __tablename__ = "plans"
    __table_args__ = (UniqueConstraint("account", "week", name="uq_plan_account_week"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    week: Mapped[str] = mapped_column(String(8))  # ISO week of the account's local time
    week_start: Mapped[str] = mapped_column(String(10))  # its local Monday
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    allocation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    proposal: Mapped[dict[str, Any]] = mapped_column(default=dict)
    proposed_at: Mapped[datetime]
    decisions_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime]
