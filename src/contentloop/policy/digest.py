"""The daily digest for `auto_digest` accounts: what was approved automatically with warnings,
and what still waits for a person, over one local day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from contentloop.domain import Account, Post, PostState
from contentloop.store import Store
from contentloop.store.web_repo import AuditEntry, WebRepo


@dataclass
class Digest:
    account: str
    day: date
    auto_approved: list[AuditEntry] = field(default_factory=list)
    with_warnings: list[AuditEntry] = field(default_factory=list)
    waiting: list[Post] = field(default_factory=list)
    human_decisions: list[AuditEntry] = field(default_factory=list)

    def text(self) -> str:
        """Plain-text digest, e.g. for an email or a chat message."""
        lines = [f"contentloop digest for {self.account}, {self.day.isoformat()}",
                 f"auto-approved: {len(self.auto_approved)} "
                 f"({len(self.with_warnings)} with warnings); waiting for review: "
                 f"{len(self.waiting)}; human decisions: {len(self.human_decisions)}"]
        for e in self.with_warnings:
            lines.append(f"- {e.post_id}: " + "; ".join(e.after.get("warnings", [])))
        for p in self.waiting:
            lines.append(f"- waiting: {p.id} at {p.scheduled_at.isoformat()}")
        return "\n".join(lines)


def build_digest(store: Store, account: Account, now: datetime,
                 day: str | date | None = None) -> Digest:
    """Digest of one local day (default: the day before `now` in the account's time zone)."""
    tz = ZoneInfo(account.timezone)
    if isinstance(day, str):
        try:
            day = date.fromisoformat(day[:10])
        except ValueError:
            day = None
    if day is None:
        day = now.astimezone(tz).date() - timedelta(days=1)
    start = datetime.combine(day, time(0), tz)
    end = start + timedelta(days=1)
    entries = [e for e in WebRepo(store).audit(account=account.handle, since=start, limit=5000)
               if e.at < end]
    auto = [e for e in entries if e.action == "auto_approve"]
    return Digest(
        account=account.handle,
        day=day,
        auto_approved=auto,
        with_warnings=[e for e in auto if e.after.get("warnings")],
        waiting=store.posts(account.handle, states=[PostState.IN_REVIEW]),
        human_decisions=[e for e in entries if not e.actor.startswith("policy:")],
    )


__all__ = ["Digest", "build_digest"]
