"""Publishing tables: how late each post went out (or why it was skipped)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .tables import Base


class PublishLatenessRow(Base):
    """One row per post that left the queue: published (with its lateness) or skipped."""

    __tablename__ = "publish_lateness"
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    scheduled_at: Mapped[datetime]
    done_at: Mapped[datetime]
    lateness_s: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(20))  # published | skipped
    reason: Mapped[str] = mapped_column(Text, default="")
