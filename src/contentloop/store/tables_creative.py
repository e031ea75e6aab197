"""Creative-stage tables: LLM token/cost accounting and caption edits made in review."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .tables import Base


class LlmUsageRow(Base):
    """One call (or one fallback) of a creative engine, so cost is known per account and post."""

    __tablename__ = "llm_usage"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    post_id: Mapped[str] = mapped_column(String(80), index=True)
    variant_id: Mapped[str] = mapped_column(String(100), default="")
    engine: Mapped[str] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(120), default="")
    outcome: Mapped[str] = mapped_column(String(20))  # ok | repaired | fallback
    reason: Mapped[str] = mapped_column(Text, default="")
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    at: Mapped[datetime]


class CaptionEditRow(Base):
    """What a person did with a variant in review: kept it, edited its caption, or rejected it."""

    __tablename__ = "caption_edits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    post_id: Mapped[str] = mapped_column(String(80), index=True)
    variant_id: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # keep | edit | reject
    hook_style: Mapped[str] = mapped_column(String(40), default="")
    format: Mapped[str] = mapped_column(String(20), default="")
    cta: Mapped[str] = mapped_column(Text, default="")
    before: Mapped[str] = mapped_column(Text, default="")
    after: Mapped[str] = mapped_column(Text, default="")
    kept_ratio: Mapped[float] = mapped_column(Float, default=1.0)  # 1 kept … 0 rewritten
    actor: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime]
