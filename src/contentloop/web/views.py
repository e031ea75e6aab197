"""Pure helpers that shape store data for the templates (calendar weeks, post cards)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from contentloop.domain import Account, Post, PostState, Severity, Variant
from contentloop.store import Store

STATE_GROUP = {
    PostState.PLANNED: "pending", PostState.DRAFTED: "pending", PostState.IN_REVIEW: "review",
    PostState.APPROVED: "ok", PostState.RENDERED: "ok", PostState.SCHEDULED: "ok",
    PostState.PUBLISHING: "ok", PostState.RETRY_WAIT: "warn", PostState.PUBLISHED: "done",
    PostState.REJECTED: "bad", PostState.FAILED: "bad",
}


@dataclass
class Card:
    post: Post
    local_time: str
    headline: str
    group: str
    variant: Variant | None = None


@dataclass
class Day:
    day: date
    cards: list[Card] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.day.strftime("%a %d %b")


def week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def parse_week(raw: str | None, account: Account, now: datetime) -> date:
    """The Monday of `raw` (YYYY-MM-DD), or of today in the account's time zone."""
    if raw:
        try:
            return week_start(date.fromisoformat(raw[:10]))
        except ValueError:
            pass
    return week_start(now.astimezone(ZoneInfo(account.timezone)).date())


def headline(store: Store, post: Post) -> tuple[str, Variant | None]:
    variants = store.variants(post.id)
    chosen = next((v for v in variants if v.id == post.variant_id), None)
    best = chosen or (max(variants, key=lambda v: v.score) if variants else None)
    return (best.hook if best else "(not drafted yet)"), best


def card(store: Store, post: Post, tz: ZoneInfo) -> Card:
    text, variant = headline(store, post)
    return Card(post, post.scheduled_at.astimezone(tz).strftime("%H:%M"), text,
                STATE_GROUP[post.state], variant)


def calendar_week(store: Store, account: Account, monday: date) -> list[Day]:
    """Seven days of the account's posts, in its own time zone (DST-safe: day by day)."""
    tz = ZoneInfo(account.timezone)
    days = [Day(monday + timedelta(days=i)) for i in range(7)]
    start = datetime.combine(monday, time(0), tz)
    end = datetime.combine(monday + timedelta(days=7), time(0), tz)
    for post in store.posts(account.handle, start=start, end=end):
        local = post.scheduled_at.astimezone(tz).date()
        idx = (local - monday).days
        if 0 <= idx < 7:
            days[idx].cards.append(card(store, post, tz))
    return days


def worst(variant: Variant) -> str:
    if any(v.severity is Severity.BLOCK for v in variant.verdicts):
        return "block"
    if variant.verdicts:
        return "warn"
    return "pass"
