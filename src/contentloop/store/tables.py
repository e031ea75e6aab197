"""SQLAlchemy 2 tables. Times are stored as UTC; JSON columns hold lists and maps."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {
        dict[str, Any]: JSON,
        list[Any]: JSON,
        datetime: DateTime(timezone=True),
    }


class AccountRow(Base):
    __tablename__ = "accounts"
    handle: Mapped[str] = mapped_column(String(64), primary_key=True)
    ig_user_id: Mapped[str] = mapped_column(String(64), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str] = mapped_column(Text, default="")
    followers: Mapped[int] = mapped_column(Integer, default=0)


class SignalRow(Base):
    __tablename__ = "signals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(200))
    term: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text, default="")
    observed_at: Mapped[datetime]
    volume: Mapped[float] = mapped_column(Float, default=1.0)
    engagement: Mapped[float] = mapped_column(Float, default=0.0)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OpportunityRow(Base):
    __tablename__ = "opportunities"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str] = mapped_column(String(300))
    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)
    pillar: Mapped[str] = mapped_column(String(100), default="")
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime]


class PostRow(Base):
    __tablename__ = "posts"
    __table_args__ = (
        UniqueConstraint("account", "scheduled_at", name="uq_post_slot"),
        Index("ix_posts_state_due", "state", "scheduled_at"),
    )
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    account: Mapped[str] = mapped_column(ForeignKey("accounts.handle"), index=True)
    local_date: Mapped[str] = mapped_column(String(10))
    scheduled_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(20), default="planned")
    format: Mapped[str | None] = mapped_column(String(20), nullable=True)
    variant_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    container_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    media_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class VariantRow(Base):
    __tablename__ = "variants"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), index=True)
    account: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(20))
    hook: Mapped[str] = mapped_column(Text)
    hook_style: Mapped[str] = mapped_column(String(40))
    caption: Mapped[str] = mapped_column(Text)
    hashtags: Mapped[list[Any]] = mapped_column(default=list)
    pillar: Mapped[str] = mapped_column(String(100), default="")
    trend: Mapped[str | None] = mapped_column(String(300), nullable=True)
    opportunity_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    beats: Mapped[list[Any]] = mapped_column(default=list)
    slides: Mapped[list[Any]] = mapped_column(default=list)
    visual_prompt: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[float] = mapped_column(Float, default=0.0)
    verdicts: Mapped[list[Any]] = mapped_column(default=list)
    chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    sponsored: Mapped[bool] = mapped_column(Boolean, default=False)
    generator: Mapped[str] = mapped_column(String(40), default="template")


class TransitionRow(Base):
    __tablename__ = "transitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")


class AssetRow(Base):
    __tablename__ = "assets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(Text)
    mime: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    role: Mapped[str] = mapped_column(String(20), default="main")
    position: Mapped[int] = mapped_column(Integer, default=0)


class PublishAttemptRow(Base):
    __tablename__ = "publish_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), index=True)
    at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20))
    error_class: Mapped[str] = mapped_column(String(30), default="")
    error_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error_subcode: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")


class MetricSnapshotRow(Base):
    __tablename__ = "metric_snapshots"
    __table_args__ = (UniqueConstraint("post_id", "age_hours", name="uq_snapshot_age"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    post_id: Mapped[str] = mapped_column(ForeignKey("posts.id"), index=True)
    media_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    age_hours: Mapped[float] = mapped_column(Float)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AccountMetricRow(Base):
    __tablename__ = "account_metrics"
    __table_args__ = (UniqueConstraint("account", "day", "metric", name="uq_account_metric"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    day: Mapped[str] = mapped_column(String(10))
    metric: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Float)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class DecisionRow(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    choice: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text)
    probabilities: Mapped[dict[str, Any]] = mapped_column(default=dict)
    made_at: Mapped[datetime]


class ReportRow(Base):
    __tablename__ = "reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    week_start: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SecretRow(Base):
    """Encrypted secrets (tokens): ciphertext only, never plain text."""

    __tablename__ = "secrets"
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime]
