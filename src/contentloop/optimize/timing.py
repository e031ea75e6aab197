"""Posting-time model: when are *this* account's posts worth most, by local hour.

Studies disagree on the best time (Sprout: weekday mid-morning; Later: 4 AM), so the prior
comes from the account's own `online_followers` curve and the account's own results move
it. `online_followers` is often empty (small accounts, the IG-Login API), so the fallback
prior is the account's configured posting windows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypedDict, Unpack
from zoneinfo import ZoneInfo

from contentloop.domain import PostingWindow

HOURS = tuple(range(24))


@dataclass(frozen=True, slots=True)
class HourScore:
    """Posterior estimate for one local hour; `score` is on the log(1 + value) scale."""

    hour: int
    score: float
    prior: float
    posts: float
    source: str  # online_followers | posting_windows


def to_local_hours(hourly_utc: Mapping[int, float], tz: str, at: datetime) -> dict[int, float]:
    """Shift a UTC hour→count profile to local hours, using the offset in force at `at`."""
    offset = at.astimezone(UTC).astimezone(ZoneInfo(tz)).utcoffset() or timedelta(0)
    shift = round(offset.total_seconds() / 3600)  # half-hour zones round to the nearest hour
    return {(int(h) + shift) % 24: float(v) for h, v in hourly_utc.items()}


def _window_hours(windows: Sequence[PostingWindow]) -> set[int]:
    hours: set[int] = set()
    for w in windows:
        sh, sm = (int(x) for x in w.start.split(":"))
        eh, em = (int(x) for x in w.end.split(":"))
        start, end = sh * 60 + sm, eh * 60 + em
        if end <= start:  # window across midnight
            end += 24 * 60
        for minute in range(start, end, 60):
            hours.add((minute // 60) % 24)
    return hours


def hour_prior(
    online_followers: Mapping[int, float], windows: Sequence[PostingWindow]
) -> tuple[dict[int, float], str]:
    """Prior log-advantage per hour and where it came from.

    From `online_followers`: log(count / mean count), so the busiest hours start ahead.
    Fallback: hours inside a posting window start at 0, the rest at -0.5 (about -40%).
    """
    counts = {h: float(online_followers.get(h, 0.0)) for h in HOURS}
    total = sum(counts.values())
    if total > 0:
        mean = total / 24.0
        floor = mean * 0.05  # an hour with no one online is unlikely, not impossible
        return {h: math.log(max(c, floor) / mean) for h, c in counts.items()}, "online_followers"
    inside = _window_hours(windows)
    if not inside:
        return {h: 0.0 for h in HOURS}, "posting_windows"
    return {h: (0.0 if h in inside else -0.5) for h in HOURS}, "posting_windows"


def _circular(h1: int, h2: int) -> int:
    d = abs(h1 - h2) % 24
    return min(d, 24 - d)


def score_hours(
    online_followers: Mapping[int, float],
    results: Sequence[tuple[int, float]],
    windows: Sequence[PostingWindow] = (),
    prior_strength: float = 3.0,
    prior_scale: float = 0.5,
    smooth_hours: float = 1.0,
) -> list[HourScore]:
    """Combine the prior with own results: (local hour, business value) per post.

    Own results enter as residuals from the account's mean log value, so an hour is judged
    against the account's typical post. Evidence is shared with neighbouring hours by a
    Gaussian kernel (`smooth_hours` wide): 19:00 and 20:00 audiences are much the same.
    `prior_scale` damps the prior (2x more followers online is not 2x more value);
    `prior_strength` is how many posts the prior is worth.
    """
    prior, source = hour_prior(online_followers, windows)
    logs = [(int(h) % 24, math.log1p(max(v, 0.0))) for h, v in results]
    overall = sum(lv for _, lv in logs) / len(logs) if logs else 0.0
    sums = {h: 0.0 for h in HOURS}
    counts = {h: 0.0 for h in HOURS}
    for obs_h, lv in logs:
        for h in HOURS:
            d = _circular(h, obs_h)
            k = math.exp(-(d**2) / (2 * smooth_hours**2)) if smooth_hours > 0 else float(d == 0)
            sums[h] += k * (lv - overall)
            counts[h] += k
    scores = [
        HourScore(
            hour=h,
            score=(prior_strength * prior_scale * prior[h] + sums[h])
            / (prior_strength + counts[h]),
            prior=prior[h],
            posts=sum(1.0 for oh, _ in logs if oh == h),
            source=source,
        )
        for h in HOURS
    ]
    scores.sort(key=lambda s: (-s.score, s.hour))
    return scores


class HourModel(TypedDict, total=False):
    """The tuning knobs of `score_hours` (see there), for functions that pass them on."""

    prior_strength: float
    prior_scale: float
    smooth_hours: float


def rank_local_hours(
    online_followers: Mapping[int, float],
    results: Sequence[tuple[int, float]],
    windows: Sequence[PostingWindow] = (),
    **model: Unpack[HourModel],
) -> list[int]:
    """Local hours, best first (all 24; callers take the top k they need)."""
    return [s.hour for s in score_hours(online_followers, results, windows, **model)]
