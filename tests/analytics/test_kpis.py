"""KPI formulas on hand-built posts: expected values computed from the documented formulas."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

import pytest

from contentloop.analytics import (
    AccountWeek,
    PostResult,
    ValueWeights,
    business_value,
    effect_table,
    engagement_rate,
    follows_per_1k_reach,
    reach_rate,
    saves_per_reach,
    sends_per_reach,
    watch_through,
    week_over_week,
    weekly_kpis,
)
from contentloop.domain import Format

T0 = datetime(2026, 2, 2, 9, tzinfo=UTC)


def post(i: int = 0, published: bool = True, planned: bool = True, **metrics: float) -> PostResult:
    return PostResult(
        post_id=f"p{i}",
        media_id=f"m{i}",
        account="acme",
        format=Format.CAROUSEL,
        pillar="tips",
        hook_style="question",
        hour_local=9,
        published_at=T0 + timedelta(hours=i) if published else None,
        metrics=metrics,
        caption="Line one\nline two",
        planned=planned,
        followers=2000,
    )


def test_per_post_formulas() -> None:
    likes, comments, saved, shares, follows, reach = 37, 4, 11, 6, 3, 1250
    p = post(
        likes=likes, comments=comments, saved=saved, shares=shares, follows=follows, reach=reach
    )
    assert engagement_rate(p) == pytest.approx((likes + comments + saved + shares) / reach)
    assert saves_per_reach(p) == pytest.approx(saved / reach)
    assert sends_per_reach(p) == pytest.approx(shares / reach)
    assert follows_per_1k_reach(p) == pytest.approx(1000 * follows / reach)
    assert reach_rate(p) == pytest.approx(reach / 2000)
    assert business_value(p) == pytest.approx(likes + 3 * saved + 5 * shares + 20 * follows)
    w = ValueWeights(likes=0.5, saves=1, shares=2, follows=10, revenue=1)
    assert business_value(p, w) == pytest.approx(0.5 * likes + saved + 2 * shares + 10 * follows)
    assert post(1, likes=10, revenue=42.5).metrics["revenue"] == 42.5
    assert business_value(post(1, likes=10, revenue=42.5)) == pytest.approx(10 + 42.5)
    assert p.hook == "Line one"


def test_missing_inputs_are_none_not_zero() -> None:
    no_reach = post(likes=5)
    assert engagement_rate(no_reach) is None
    assert saves_per_reach(post(reach=0, saved=1)) is None
    reel = post(reach=100, likes=3)  # reels have no `follows` metric
    assert follows_per_1k_reach(reel) is None
    assert watch_through(reel) is None


def test_watch_through() -> None:
    avg_ms, dur = 6300.0, 14.0
    reel = PostResult(
        post_id="r",
        media_id="r",
        account="acme",
        format=Format.REEL,
        pillar="tips",
        hook_style="bold",
        hour_local=19,
        published_at=T0,
        metrics={"reach": 100, "ig_reels_avg_watch_time": avg_ms},
        duration_s=dur,
    )
    assert watch_through(reel) == pytest.approx(avg_ms / (dur * 1000))


def test_weekly_kpis() -> None:
    posts = [
        post(0, likes=10, saved=2, shares=1, comments=1, reach=200, follows=1),
        post(1, likes=30, saved=5, shares=3, comments=2, reach=500, follows=4),
        post(2, likes=50, saved=1, shares=0, comments=0, reach=1000, follows=0),
        post(3, published=False),  # planned, missed
        post(4, planned=False, likes=5, reach=100),  # ad-hoc, published
    ]
    week = AccountWeek("acme", T0, posts, followers_start=2000, followers_end=2046)
    k = weekly_kpis(week)
    published = [p for p in posts if p.published_at]
    assert k["posts"] == 4
    assert k["total_reach"] == 200 + 500 + 1000 + 100
    assert k["median_engagement_rate"] == pytest.approx(
        statistics.median([engagement_rate(p) for p in published])
    )
    assert k["net_follower_growth"] == 46
    assert k["net_follower_growth_pct"] == pytest.approx(46 / 2000)
    assert k["posting_consistency"] == pytest.approx(3 / 4)
    assert k["business_value"] == pytest.approx(sum(business_value(p) for p in published))
    assert k["follows_from_posts"] == 5


def test_weekly_kpis_without_follower_counts() -> None:
    k = weekly_kpis(AccountWeek("acme", T0, [post(0, reach=10, likes=1)]))
    assert k["net_follower_growth"] is None and k["net_follower_growth_pct"] is None


def test_week_over_week() -> None:
    cur = {"total_reach": 1500.0, "median_engagement_rate": 0.05, "posts": 3.0, "x": None}
    prev = {"total_reach": 1000.0, "median_engagement_rate": 0.04, "posts": 0.0, "x": 2.0}
    wow = week_over_week(cur, prev)
    assert wow["total_reach"]["delta"] == 500
    assert wow["total_reach"]["delta_pct"] == pytest.approx(500 / 1000)
    assert wow["median_engagement_rate"]["delta_pct"] == pytest.approx(0.01 / 0.04)
    assert wow["posts"]["delta_pct"] is None  # from zero: undefined, not infinite
    assert wow["x"]["delta"] is None


def test_effect_table_ranks_levels_by_median_value() -> None:
    def fmt_post(i: int, fmt: Format, likes: float) -> PostResult:
        return PostResult(
            post_id=f"p{i}",
            media_id=f"m{i}",
            account="a",
            format=fmt,
            pillar="tips",
            hook_style="q",
            hour_local=9,
            published_at=T0,
            metrics={"reach": 100, "likes": likes},
        )

    posts = [
        fmt_post(0, Format.REEL, 40),
        fmt_post(1, Format.REEL, 60),
        fmt_post(2, Format.IMAGE, 10),
        fmt_post(3, Format.IMAGE, 30),
    ]
    rows = effect_table(posts, "format")
    assert [r["level"] for r in rows] == ["reel", "image"]
    overall = statistics.median([40, 60, 10, 30])
    assert rows[0]["median_value"] == 50 and rows[0]["lift"] == pytest.approx(50 / overall - 1)
    assert rows[1]["posts"] == 2
    with pytest.raises(ValueError, match="dimension"):
        effect_table(posts, "colour")


def test_posts_without_insights_are_unknown_not_zero() -> None:
    measured = [post(0, likes=10, reach=100), post(1, likes=30, reach=100)]
    silent = post(2)  # published, but "not enough viewers": no metrics at all
    week = AccountWeek("acme", T0, [*measured, silent])
    k = weekly_kpis(week)
    assert k["posts"] == 3
    assert k["median_value"] == statistics.median([business_value(p) for p in measured])
    (row,) = effect_table(week.posts, "format")
    assert row["posts"] == 2
