"""Plan a rolling calendar of post slots in each account's own time zone (DST included)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..domain import Account, Post, PostingWindow


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def local_to_utc(day: date, minute_of_day: int, tz: ZoneInfo) -> datetime:
    """A local wall time to UTC; a time skipped by a DST jump moves forward past the gap."""
    naive = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60))
    local = naive.replace(tzinfo=tz)
    as_utc = local.astimezone(UTC)
    if as_utc.astimezone(tz).replace(tzinfo=None) != naive:  # nonexistent local time
        as_utc = (naive + timedelta(hours=1)).replace(tzinfo=tz).astimezone(UTC)
    return as_utc


def slot_minute(
    account: Account,
    day: date,
    index: int,
    hour_weights: Mapping[int, float] | None = None,
) -> int:
    """The local minute of day for the `index`-th post of `day`.

    With optimizer hour weights, the best-weighted hour inside a posting window wins;
    otherwise the window's midpoint, spread by a stable per-day offset so posts do not all
    land on the same minute.
    """
    windows = account.posting_windows or (PostingWindow("09:00", "10:00"),)
    window = windows[(index + day.toordinal()) % len(windows)] if account.posts_per_day == 1 else (
        windows[index % len(windows)]
    )
    start, end = _minutes(window.start), _minutes(window.end)
    if end <= start:
        end = start + 60
    if hour_weights:
        hours = [h for h in range(start // 60, (end - 1) // 60 + 1)]
        all_hours = sorted(hour_weights, key=lambda h: (-hour_weights[h], h))
        inside = [h for h in all_hours if h in hours]
        best = inside[0] if inside else all_hours[0]
        return best * 60 + 5 * (index % 6)
    digest = hashlib.sha256(f"{account.handle}:{day.isoformat()}:{index}".encode()).digest()
    span = max(1, end - start)
    return start + (digest[0] * 256 + digest[1]) % span // 5 * 5


def plan_calendar(
    account: Account,
    start: date,
    days: int,
    *,
    hour_weights: Mapping[int, float] | None = None,
) -> list[Post]:
    """`posts_per_day` planned posts for each local date in [start, start + days)."""
    tz = ZoneInfo(account.timezone)
    posts: list[Post] = []
    for d in range(days):
        day = start + timedelta(days=d)
        minutes: list[int] = []
        for i in range(account.posts_per_day):
            m = slot_minute(account, day, i, hour_weights)
            while m in minutes:
                m = (m + 20) % (24 * 60)
            minutes.append(m)
        for i, m in enumerate(sorted(minutes)):
            when = local_to_utc(day, m, tz)
            posts.append(
                Post(
                    id=f"{account.handle}-{day.isoformat()}-{i}",
                    account=account.handle,
                    local_date=day.isoformat(),
                    scheduled_at=when,
                )
            )
    return posts


def local_today(account: Account, now: datetime) -> date:
    return now.astimezone(ZoneInfo(account.timezone)).date()
