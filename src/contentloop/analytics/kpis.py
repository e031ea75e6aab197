"""Pure KPI formulas: per post and per account-week. No I/O, no clock.

Rates are per *reach*, not per follower, so that accounts of different sizes and posts
that travel outside the follower base compare fairly (see docs/KPIS.md).
A KPI whose inputs are missing is ``None`` rather than 0: missing is not "bad".
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contentloop.domain import Format

#: Graph API media metric names used below (current names; no impressions/plays).
M_REACH = "reach"
M_LIKES = "likes"
M_COMMENTS = "comments"
M_SAVED = "saved"
M_SHARES = "shares"
M_FOLLOWS = "follows"
M_VIEWS = "views"
M_AVG_WATCH_MS = "ig_reels_avg_watch_time"
M_REVENUE = "revenue"  # not a Graph metric: attributed affiliate/sponsor revenue, if known


@dataclass(frozen=True, slots=True)
class ValueWeights:
    """Weights of the business value of one post; kept in config, logged with every report."""

    likes: float = 1.0
    comments: float = 0.0
    saves: float = 3.0
    shares: float = 5.0
    follows: float = 20.0
    revenue: float = 1.0


DEFAULT_WEIGHTS = ValueWeights()


@dataclass(frozen=True, slots=True)
class PostResult:
    """What one published (or planned-but-missed) post did; the input of every KPI.

    `metrics` holds Graph API media-insight names (`reach`, `likes`, `saved`, `shares`, ...).
    `published_at` is None when a planned post never went out (it counts against consistency).
    `followers` is the follower count when the post went out, needed for the reach rate.
    """

    post_id: str
    media_id: str
    account: str
    format: Format | str
    pillar: str
    hook_style: str
    hour_local: int
    published_at: datetime | None
    metrics: Mapping[str, float]
    caption: str = ""
    planned: bool = True
    duration_s: float = 0.0
    followers: int | None = None
    trend: str = ""
    opportunity_id: str = ""
    trend_age_h: float | None = None  # hours between the trend first surfacing and the post
    weekday_local: int | None = None  # 0 = Monday, in the account's time zone
    generation_cost: float | None = None  # LLM cost of the post's variants (template: 0)

    @property
    def format_name(self) -> str:
        return self.format.value if isinstance(self.format, Format) else str(self.format)

    @property
    def hook(self) -> str:
        """The caption's first line: the hook people saw before "more"."""
        first = self.caption.strip().splitlines()[0] if self.caption.strip() else ""
        return first if len(first) <= 120 else first[:117] + "..."


def _m(metrics: Mapping[str, float], name: str) -> float:
    value = metrics.get(name)
    return float(value) if value is not None else 0.0


def _reach(post: PostResult) -> float | None:
    reach = post.metrics.get(M_REACH)
    return float(reach) if reach is not None and reach > 0 else None


def engagement_rate(post: PostResult) -> float | None:
    """ERR = (likes + comments + saved + shares) / reach."""
    reach = _reach(post)
    if reach is None:
        return None
    m = post.metrics
    return (_m(m, M_LIKES) + _m(m, M_COMMENTS) + _m(m, M_SAVED) + _m(m, M_SHARES)) / reach


def saves_per_reach(post: PostResult) -> float | None:
    reach = _reach(post)
    return None if reach is None else _m(post.metrics, M_SAVED) / reach


def sends_per_reach(post: PostResult) -> float | None:
    """Shares are "sends" in Mosseri's vocabulary: the signal for non-follower reach."""
    reach = _reach(post)
    return None if reach is None else _m(post.metrics, M_SHARES) / reach


def follows_per_1k_reach(post: PostResult) -> float | None:
    """None when `follows` is absent: the API rejects it for reels, so it is unknown, not 0."""
    reach = _reach(post)
    if reach is None or M_FOLLOWS not in post.metrics:
        return None
    return 1000.0 * _m(post.metrics, M_FOLLOWS) / reach


def watch_through(post: PostResult) -> float | None:
    """Reels: average watch time (ms) / video length. Can exceed 1 when people replay."""
    if post.duration_s <= 0 or M_AVG_WATCH_MS not in post.metrics:
        return None
    return _m(post.metrics, M_AVG_WATCH_MS) / (post.duration_s * 1000.0)


def reach_rate(post: PostResult) -> float | None:
    """reach / followers at posting time; >1 means the post travelled beyond followers."""
    reach = _reach(post)
    if reach is None or not post.followers:
        return None
    return reach / post.followers


def business_value(post: PostResult, weights: ValueWeights = DEFAULT_WEIGHTS) -> float:
    """One number per post that the optimizer maximises (weights are a business choice)."""
    m = post.metrics
    return (
        weights.likes * _m(m, M_LIKES)
        + weights.comments * _m(m, M_COMMENTS)
        + weights.saves * _m(m, M_SAVED)
        + weights.shares * _m(m, M_SHARES)
        + weights.follows * _m(m, M_FOLLOWS)
        + weights.revenue * _m(m, M_REVENUE)
    )


def post_kpis(post: PostResult, weights: ValueWeights = DEFAULT_WEIGHTS) -> dict[str, float | None]:
    """All per-post KPIs by name (None = inputs missing)."""
    return {
        "reach": _reach(post),
        "engagement_rate": engagement_rate(post),
        "saves_per_reach": saves_per_reach(post),
        "sends_per_reach": sends_per_reach(post),
        "follows_per_1k_reach": follows_per_1k_reach(post),
        "watch_through": watch_through(post),
        "reach_rate": reach_rate(post),
        "value": business_value(post, weights),
    }


@dataclass(frozen=True, slots=True)
class AccountWeek:
    """One account's week: its posts (published and missed), follower counts, last week.

    `previous` is the same account's prior week, for week-over-week deltas.
    """

    account: str
    week_start: datetime
    posts: Sequence[PostResult]
    followers_start: int | None = None
    followers_end: int | None = None
    previous: AccountWeek | None = None
    notes: Sequence[str] = field(default_factory=tuple)
    #: Followers online per local hour (mean over the week), and per weekday x hour (7x24).
    online_local: Mapping[int, float] = field(default_factory=dict)
    online_grid: Sequence[Sequence[float | None]] | None = None
    #: The week's trend opportunities (contentloop.domain.Opportunity), best first.
    opportunities: Sequence[Any] = field(default_factory=tuple)
    #: Posts planned for next week (posts_per_day x 7); None = as many as this week.
    plan_posts: int | None = None

    @property
    def published(self) -> list[PostResult]:
        return [p for p in self.posts if p.published_at is not None]

    @property
    def measured(self) -> list[PostResult]:
        """Published posts that have insights (empty metrics = not yet / not enough viewers)."""
        return [p for p in self.published if p.metrics]


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def weekly_kpis(
    week: AccountWeek, weights: ValueWeights = DEFAULT_WEIGHTS
) -> dict[str, float | None]:
    """Per account-week KPIs. Medians, not means: engagement is heavy-tailed."""
    published = week.published
    planned = [p for p in week.posts if p.planned]
    planned_published = [p for p in planned if p.published_at is not None]
    reaches = [_reach(p) or 0.0 for p in published]
    growth: float | None = None
    growth_pct: float | None = None
    if week.followers_start is not None and week.followers_end is not None:
        growth = float(week.followers_end - week.followers_start)
        growth_pct = growth / week.followers_start if week.followers_start > 0 else None
    return {
        "posts": float(len(published)),
        "total_reach": float(sum(reaches)),
        "median_engagement_rate": _median([engagement_rate(p) for p in published]),
        "median_saves_per_reach": _median([saves_per_reach(p) for p in published]),
        "median_sends_per_reach": _median([sends_per_reach(p) for p in published]),
        "median_watch_through": _median([watch_through(p) for p in published]),
        "follows_from_posts": float(sum(_m(p.metrics, M_FOLLOWS) for p in published)),
        "net_follower_growth": growth,
        "net_follower_growth_pct": growth_pct,
        "posting_consistency": (len(planned_published) / len(planned)) if planned else None,
        "median_reach_rate": _median([reach_rate(p) for p in published]),
        "generation_cost_per_post": _mean(
            [p.generation_cost for p in published if p.generation_cost is not None]
        ),
        "business_value": float(sum(business_value(p, weights) for p in published)),
        "median_value": _median([business_value(p, weights) for p in week.measured]),
    }


def week_over_week(
    current: Mapping[str, float | None], previous: Mapping[str, float | None]
) -> dict[str, dict[str, float | None]]:
    """Per KPI: previous value, absolute delta, relative delta (None when undefined)."""
    out: dict[str, dict[str, float | None]] = {}
    for name, cur in current.items():
        prev = previous.get(name)
        delta = cur - prev if cur is not None and prev is not None else None
        pct = delta / abs(prev) if delta is not None and prev else None
        out[name] = {"previous": prev, "delta": delta, "delta_pct": pct}
    return out


def effect_table(
    posts: Sequence[PostResult], dimension: str, weights: ValueWeights = DEFAULT_WEIGHTS
) -> list[dict[str, float | str | int | None]]:
    """Median value/ER/reach per level of one dimension, with lift vs the account median.

    Only posts with insights count: a post without data is unknown, not worth 0.

    Raw medians, not model estimates: levels are confounded (reels may also have run at
    better hours). The optimizer's additive model is what separates them.
    """
    published = [p for p in posts if p.published_at is not None and p.metrics]
    overall = _median([business_value(p, weights) for p in published])
    groups: dict[str, list[PostResult]] = {}
    for p in published:
        groups.setdefault(_level(p, dimension), []).append(p)
    rows: list[dict[str, float | str | int | None]] = []
    for level, items in groups.items():
        med_value = _median([business_value(p, weights) for p in items])
        lift = (med_value / overall - 1.0) if med_value is not None and overall else None
        rows.append(
            {
                "level": level,
                "posts": len(items),
                "median_value": med_value,
                "median_engagement_rate": _median([engagement_rate(p) for p in items]),
                "median_reach": _median([_reach(p) for p in items]),
                "lift": lift,
            }
        )
    rows.sort(key=lambda r: float(r["median_value"] or 0.0), reverse=True)
    return rows


DIMENSIONS = ("format", "pillar", "hook_style", "hour_local")


def _level(post: PostResult, dimension: str) -> str:
    if dimension == "format":
        return post.format_name
    if dimension == "pillar":
        return post.pillar or "(none)"
    if dimension == "hook_style":
        return post.hook_style or "(none)"
    if dimension == "hour_local":
        return f"{post.hour_local:02d}:00"
    raise ValueError(f"unknown dimension {dimension!r}; expected one of {DIMENSIONS}")
