"""Retry timing (pure): exponential backoff with full jitter."""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def backoff_delay(
    attempt: int,
    *,
    base: timedelta = timedelta(seconds=30),
    cap: timedelta = timedelta(hours=1),
    rng: random.Random | None = None,
) -> timedelta:
    """uniform(0, min(cap, base * 2**attempt)); attempt 0 is the first retry."""
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    r = rng or random.Random()
    ceiling = min(cap.total_seconds(), base.total_seconds() * 2 ** min(attempt, 62))
    return timedelta(seconds=r.uniform(0.0, ceiling))


def next_retry_at(
    attempt: int,
    now: datetime,
    base: timedelta = timedelta(seconds=30),
    cap: timedelta = timedelta(hours=1),
    rng: random.Random | None = None,
) -> datetime:
    """When to try again after `attempt` earlier failures (full jitter spreads the herd)."""
    return now + backoff_delay(attempt, base=base, cap=cap, rng=rng)
