"""Creative-stage repository: LLM usage/cost per account and post, and review edits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from .repo import Store
from .tables_creative import CaptionEditRow, LlmUsageRow

REVIEW_KINDS = ("keep", "edit", "reject")


@dataclass(frozen=True, slots=True)
class UsageTotals:
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    fallbacks: int


@dataclass(frozen=True, slots=True)
class ReviewEvent:
    """One review action on a variant, as the learner sees it."""

    variant_id: str
    kind: str
    hook_style: str
    format: str
    cta: str
    kept_ratio: float
    before: str
    after: str
    at: datetime


def record_usage(
    store: Store,
    *,
    account: str,
    post_id: str,
    engine: str,
    outcome: str,
    variant_id: str = "",
    model: str = "",
    reason: str = "",
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    cost_usd: float = 0.0,
    latency_ms: float = 0.0,
) -> None:
    with store.session() as s:
        s.add(LlmUsageRow(
            account=account, post_id=post_id, variant_id=variant_id, engine=engine,
            model=model[:120], outcome=outcome, reason=reason[:4000],
            prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
            cost_usd=cost_usd, latency_ms=latency_ms, at=store.clock.now(),
        ))


def usage_totals(
    store: Store, *, account: str | None = None, post_id: str | None = None
) -> UsageTotals:
    q = select(
        func.count(LlmUsageRow.id),
        func.coalesce(func.sum(LlmUsageRow.prompt_tokens), 0),
        func.coalesce(func.sum(LlmUsageRow.completion_tokens), 0),
        func.coalesce(func.sum(LlmUsageRow.cost_usd), 0.0),
    )
    fb = select(func.count(LlmUsageRow.id)).where(LlmUsageRow.outcome == "fallback")
    if account is not None:
        q, fb = q.where(LlmUsageRow.account == account), fb.where(LlmUsageRow.account == account)
    if post_id is not None:
        q, fb = q.where(LlmUsageRow.post_id == post_id), fb.where(LlmUsageRow.post_id == post_id)
    with store.session() as s:
        calls, p_tok, c_tok, cost = s.execute(q).one()
        fallbacks = s.execute(fb).scalar_one()
    return UsageTotals(int(calls), int(p_tok), int(c_tok), round(float(cost), 6), int(fallbacks))


def usage_rows(store: Store, post_id: str) -> list[dict[str, object]]:
    """Every usage row of a post, oldest first (for `variants show`)."""
    with store.session() as s:
        rows = s.scalars(
            select(LlmUsageRow).where(LlmUsageRow.post_id == post_id).order_by(LlmUsageRow.id)
        ).all()
        return [
            {"variant_id": r.variant_id, "engine": r.engine, "model": r.model,
             "outcome": r.outcome, "reason": r.reason, "prompt_tokens": r.prompt_tokens,
             "completion_tokens": r.completion_tokens, "cost_usd": r.cost_usd,
             "latency_ms": r.latency_ms}
            for r in rows
        ]


def record_review(
    store: Store,
    *,
    account: str,
    post_id: str,
    variant_id: str,
    kind: str,
    hook_style: str = "",
    format: str = "",
    cta: str = "",
    before: str = "",
    after: str = "",
    kept_ratio: float = 1.0,
    actor: str = "",
) -> None:
    if kind not in REVIEW_KINDS:
        raise ValueError(f"review kind must be one of {REVIEW_KINDS}, got {kind!r}")
    with store.session() as s:
        s.add(CaptionEditRow(
            account=account, post_id=post_id, variant_id=variant_id, kind=kind,
            hook_style=hook_style, format=format, cta=cta, before=before, after=after,
            kept_ratio=max(0.0, min(1.0, kept_ratio)), actor=actor[:100], at=store.clock.now(),
        ))


def review_events(store: Store, account: str, since: datetime | None = None) -> list[ReviewEvent]:
    q = select(CaptionEditRow).where(CaptionEditRow.account == account)
    if since is not None:
        q = q.where(CaptionEditRow.at >= since)
    with store.session() as s:
        rows = s.scalars(q.order_by(CaptionEditRow.id)).all()
        return [
            ReviewEvent(r.variant_id, r.kind, r.hook_style, r.format, r.cta, r.kept_ratio,
                        r.before, r.after, r.at)
            for r in rows
        ]


__all__ = [
    "REVIEW_KINDS", "ReviewEvent", "UsageTotals", "record_review", "record_usage",
    "review_events", "usage_rows", "usage_totals",
]
