"""One insights sync pass outside the loop (`contentloop insights sync`): media snapshots
that are due and the account's complete days, for every account; idempotent.

The loop does the same on its own schedule; this is for a person who wants fresh numbers
now, or a cron job on a machine that does not run the loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain import Account, Format, MetricSnapshot, PostState
from ..store import Store
from ..store.analytics_repo import save_snapshots
from .account_sync import SYNCED_MARKER, sync_account
from .insights import due_snapshots, sync_media

PRODUCT_TYPE = {Format.IMAGE: "FEED", Format.CAROUSEL: "FEED", Format.REEL: "REELS",
                Format.STORY: "STORY"}


@dataclass
class SyncSummary:
    """What one pass did, per account; `skipped` maps media id -> reason (retry later)."""

    snapshots: int = 0
    account_days: int = 0
    account_values: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    missing: dict[str, dict[str, str]] = field(default_factory=dict)  # account -> metric -> why

    def as_dict(self) -> dict[str, Any]:
        return {"snapshots": self.snapshots, "account_days": self.account_days,
                "account_values": self.account_values, "skipped": dict(self.skipped),
                "missing": {a: dict(m) for a, m in self.missing.items()}}


def sync_all(
    store: Store, accounts: Sequence[Account], client_for: Callable[[str], Any], now: datetime,
) -> SyncSummary:
    """Fetch due media snapshots and unsynced account days. Never raises for API refusals:
    they end up in `skipped` / `missing` (and, for account days, in the store's marker)."""
    summary = SyncSummary()
    for acc in accounts:
        client = client_for(acc.handle)
        for post in store.posts(acc.handle, states=[PostState.PUBLISHED]):
            if not post.media_id or not post.published_at:
                continue
            fmt = post.format or Format.IMAGE
            taken = [s.age_hours for s in store.snapshots(post.id)]
            due = due_snapshots(post.published_at, now, taken, PRODUCT_TYPE[fmt])
            if not due:
                continue
            result = sync_media(client, post.media_id, PRODUCT_TYPE[fmt])
            if not result.ok:
                summary.skipped[post.media_id] = result.reason
                continue
            summary.snapshots += save_snapshots(store, [
                MetricSnapshot(post.id, post.media_id, now, float(age), dict(result))
                for age in due])
        done = store.account_metrics(acc.handle, SYNCED_MARKER)
        r = sync_account(client, store.ig_user_id(acc.handle), acc.handle, now,
                         done[-1][0] if done else None, store.save_account_metric)
        summary.account_days += len(r.days)
        summary.account_values += r.saved
        if r.missing:
            summary.missing[acc.handle] = dict(r.missing)
    return summary
