"""Daily account metrics: reach, views, follower count, profile visits, website clicks and
`online_followers`, stored as one value per (account, day, metric).

Why one request per metric group: the Graph API fails a whole call for one unknown metric
("metric[0] must be one of ..."), and metric names change (`impressions` and `plays` are
gone; `website_clicks` became `profile_links_taps`). A refused metric is skipped and noted,
the others are still stored, and re-running a day overwrites it (idempotent).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

import structlog

from .insights import _redact

log = structlog.get_logger(__name__)

#: (stored name, Graph metric, metric_type). Time-series metrics give one value per day;
#: total_value ones are asked per day window. `follower_count` is *new* followers per day.
DAILY_METRICS: tuple[tuple[str, str, str | None], ...] = (
    ("reach", "reach", None),
    ("new_followers", "follower_count", None),
    ("views", "views", "total_value"),
    ("profile_visits", "profile_views", "total_value"),
    ("website_clicks", "profile_links_taps", "total_value"),
)
#: Meta's day periods end at 07:00 UTC; a day is complete an hour after that.
DAY_COMPLETE_AFTER = timedelta(hours=8)
MAX_BACKFILL_DAYS = 7
#: Stored per synced day (value = metrics saved, payload = what was missing and why).
SYNCED_MARKER = "_synced"

SaveFn = Callable[[str, str, str, float, dict[str, Any]], None]


class AccountInsightsClient(Protocol):
    def account_insights(
        self, ig_user_id: str, metrics: Sequence[str], period: str = "day",
        since: datetime | int | None = None, until: datetime | int | None = None,
        metric_type: str | None = None,
    ) -> list[dict[str, Any]]: ...

    def me(self, fields: Sequence[str] = ...) -> dict[str, Any]: ...


@dataclass
class AccountSyncResult:
    days: list[str] = field(default_factory=list)
    saved: int = 0
    missing: dict[str, str] = field(default_factory=dict)  # metric -> why


def due_days(now: datetime, last_synced: str | None) -> list[str]:
    """UTC days that are complete and not synced yet (at most a week back)."""
    now = now.astimezone(UTC)
    latest = (now - DAY_COMPLETE_AFTER).date() - timedelta(days=1)
    first = latest - timedelta(days=MAX_BACKFILL_DAYS - 1)
    if last_synced:
        first = max(first, date.fromisoformat(last_synced) + timedelta(days=1))
    out = []
    d = first
    while d <= latest:
        out.append(d.isoformat())
        d += timedelta(days=1)
    return out


def _window(day: str) -> tuple[datetime, datetime]:
    start = datetime.combine(date.fromisoformat(day), time(7, 0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def _value(entry: dict[str, Any]) -> float | None:
    total = entry.get("total_value")
    if isinstance(total, dict) and isinstance(total.get("value"), int | float):
        return float(total["value"])
    values = entry.get("values") or []
    raw = [v.get("value") for v in values if isinstance(v, dict)]
    nums = [float(n) for n in raw if isinstance(n, int | float) and not isinstance(n, bool)]
    return sum(nums) if nums else None


def sync_account_day(
    client: AccountInsightsClient, ig_user_id: str, account: str, day: str, save: SaveFn,
    with_count: bool = True,
) -> AccountSyncResult:
    """Fetch and store one complete day; never raises for an API refusal.

    `with_count` also stores the *current* follower count under this day (only right for
    the latest day: the API has no historical follower count).
    """
    result = AccountSyncResult(days=[day])
    since, until = _window(day)
    for stored, metric, metric_type in DAILY_METRICS:
        try:
            data = client.account_insights(
                ig_user_id, [metric], period="day", since=since, until=until,
                metric_type=metric_type,
            )
        except Exception as exc:  # classified client errors: note and go on
            result.missing[stored] = _redact(f"{type(exc).__name__}: {exc}")[:300]
            continue
        entry = next((e for e in data if e.get("name") == metric), None)
        value = _value(entry) if entry else None
        if value is None:
            # Accounts under 100 followers get no follower_count; new accounts get nothing.
            result.missing[stored] = "no data"
            continue
        save(account, day, stored, value, {"graph_metric": metric})
        result.saved += 1
    try:
        online = client.account_insights(
            ig_user_id, ["online_followers"], period="lifetime", since=since, until=until
        )
        hours: dict[str, float] = {}
        for entry in online:
            for v in entry.get("values") or []:
                if isinstance(v, dict) and isinstance(v.get("value"), dict):
                    for k, n in v["value"].items():
                        if isinstance(n, int | float):
                            hours[str(int(k))] = float(n)
        if hours:
            save(account, day, "online_followers", sum(hours.values()), {"hours_utc": hours})
            result.saved += 1
        else:
            result.missing["online_followers"] = "empty (small account or not provided)"
    except Exception as exc:
        result.missing["online_followers"] = _redact(f"{type(exc).__name__}: {exc}")[:300]
    if not with_count:
        return result
    try:
        count = client.me(fields=("followers_count",)).get("followers_count")
        if isinstance(count, int | float):
            save(account, day, "followers_count", float(count), {})
            result.saved += 1
        else:
            result.missing["followers_count"] = "not returned"
    except Exception as exc:
        result.missing["followers_count"] = _redact(f"{type(exc).__name__}: {exc}")[:300]
    if result.missing:
        log.info("account_sync.missing", account=account, day=day, missing=sorted(result.missing))
    return result


def sync_account(
    client: AccountInsightsClient, ig_user_id: str, account: str, now: datetime,
    last_synced: str | None, save: SaveFn,
) -> AccountSyncResult:
    """Sync every due day (oldest first): about 7 calls per account per day."""
    total = AccountSyncResult()
    days = due_days(now, last_synced)
    for day in days:
        r = sync_account_day(client, ig_user_id, account, day, save, with_count=day == days[-1])
        total.days.append(day)
        total.saved += r.saved
        total.missing.update(r.missing)
        # The marker makes the sync idempotent even for days with no data at all, and keeps
        # what was missing for the report's data-quality notes.
        save(account, day, SYNCED_MARKER, float(r.saved), {"missing": r.missing})
    return total
