"""Publishing tables: how late each post went out (or why it was skipped)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


class PublishOptionsRow(Base):
    """What a post carries to Instagram besides its caption and media (all optional).

    The domain Post/Variant have no place for these, so they live beside the post.
    """

    __tablename__ = "publish_options"
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), primary_key=True)
    alt_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    slide_alt_texts: Mapped[list[Any]] = mapped_column(default=list)
    user_tags: Mapped[list[Any]] = mapped_column(default=list)  # [{username, x, y}]
    location_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    collaborators: Mapped[list[Any]] = mapped_column(default=list)
    first_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
