"""KPI status, 'why' notes, the trend radar and the plan diff (pure functions)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from contentloop.analytics import DEFAULT_WEIGHTS, weekly_kpis
from contentloop.analytics.explain import (
    BENCHMARKS,
    explain_post,
    kpi_status,
    plan_diff,
    trend_radar,
)
from contentloop.analytics.service import followers_daily, online_grid
from contentloop.domain import Decision, Opportunity

from .factories import WEEK, make_account_week, make_week


def test_status_uses_benchmarks_and_last_week() -> None:
    lo, hi, _ = BENCHMARKS["median_engagement_rate"]
    kpis = {"median_engagement_rate": hi * 2, "total_reach": 100.0, "posts": 3.0,
            "posting_consistency": 0.5, "generation_cost_per_post": 0.02, "x": None}
    wow = {"median_engagement_rate": {"delta_pct": -0.5}, "total_reach": {"delta_pct": -0.1},
           "posts": {"delta_pct": 0.2}, "generation_cost_per_post": {"delta_pct": 0.5}}
    st = kpi_status(kpis, wow)
    assert st["median_engagement_rate"]["status"] == "watch"  # above benchmark, fell 50 %
    assert "above the benchmark" in st["median_engagement_rate"]["why"]
    assert st["total_reach"]["status"] == "watch"  # -10 %, no benchmark
    assert st["posts"]["status"] == "good"
    assert st["posting_consistency"]["status"] == "bad"  # below 80 % of plan
    assert st["generation_cost_per_post"]["status"] == "bad"  # cost up 50 % is bad news
    assert st["x"]["status"] == "none"
    assert kpi_status({"median_engagement_rate": lo / 2}, {})["median_engagement_rate"][
        "status"] == "bad"


def test_why_names_what_set_top_and_bottom_posts_apart() -> None:
    posts = make_week("acme", 3, n=12, reel_boost=3.0)
    # A trend post published 2 h after the trend surfaced; others ran on stale trends.
    posts = [replace(p, trend="cold brew" if i % 2 else "", trend_age_h=2.0 if i == 1 else 90.0)
             for i, p in enumerate(posts)]
    online = {h: 100.0 for h in range(24)} | {19: 300.0, 8: 30.0}
    ranked = sorted(posts, key=lambda p: p.metrics["reach"])
    top, bottom = ranked[-1], ranked[0]
    why_top = explain_post(top, posts, DEFAULT_WEIGHTS, online, good=True)
    why_bottom = explain_post(bottom, posts, DEFAULT_WEIGHTS, online, good=False)
    assert 1 <= len(why_top) <= 3 and 1 <= len(why_bottom) <= 3
    assert any("median" in w for w in why_top)
    assert any("below" in w or "vs median" in w or "-" in w for w in why_bottom)
    fresh = explain_post(posts[1], posts, DEFAULT_WEIGHTS, None, good=True, limit=10)
    assert any("trend 'cold brew' 2 h after it surfaced" in w for w in fresh)
    at_peak = replace(top, hour_local=19)
    assert any("19:00" in w and "2.8x" in w for w in explain_post(
        at_peak, posts, DEFAULT_WEIGHTS, online, good=True, limit=10))
    assert explain_post(replace(top, metrics={}), posts, DEFAULT_WEIGHTS, good=True) == [
        "no insights yet"]


def test_trend_radar_dedupes_and_marks_use() -> None:
    posts = make_week("acme", 1, n=3)
    posts = [replace(posts[0], trend="Cold-Brew"), replace(posts[1], opportunity_id="o3"),
             posts[2]]
    opps = [Opportunity("o1", "acme", "cold brew", 2.0, "up 5σ"),
            Opportunity("o2", "acme", "coldbrew", 3.0, "up 9σ"),
            Opportunity("o3", "acme", "latte art", 1.0, "fits pillar"),
            Opportunity("o4", "acme", "v60", 0.5, "new")]
    radar = trend_radar(opps, posts)
    assert [r["topic"] for r in radar] == ["coldbrew", "latte art", "v60"]
    assert [r["used"] for r in radar] == [True, True, False]
    assert radar[0]["used_by"] == [posts[0].media_id]
    assert radar[0]["explanation"] == "up 9σ"


def test_plan_diff_against_this_week_with_a_pause() -> None:
    week = make_account_week("acme", 1)
    now = WEEK + timedelta(days=7)
    decisions = [
        Decision("acme", "format", "reel", "reels lead", {"reel": 0.7, "carousel": 0.2,
                                                          "image": 0.1}, now),
        Decision("acme", "pillar", "tips", "tips lead", {"tips": 0.5, "recipes": 0.3,
                                                         "behind": 0.2}, now),
        Decision("acme", "pause", "pillar:behind", "median ER < 0.01 for 2 weeks", {}, now),
    ]
    plan = plan_diff(week.posts, decisions, posts_next_week=14)
    fmt = {r["level"]: r for r in plan["dimensions"]["format"]}
    published = week.published
    assert sum(r["this_week_posts"] for r in fmt.values()) == len(published)
    assert fmt["reel"]["next_week_share"] == 0.7 and fmt["reel"]["next_week_posts"] == 9.8
    assert abs(fmt["reel"]["change"] - (0.7 - fmt["reel"]["this_week_share"])) < 1e-3
    pillar = {r["level"]: r for r in plan["dimensions"]["pillar"]}
    assert pillar["behind"]["paused"] and pillar["behind"]["next_week_share"] == 0.0
    assert abs(sum(r["next_week_share"] for r in pillar.values()) - 1.0) < 1e-3
    assert any(c.startswith("Pause pillar 'behind'") for c in plan["changes"])
    assert plan["dimensions"]["slot_hour"] and plan["dimensions"]["slot_hour"][0][
        "next_week_share"] is None  # no hour decision yet: next week unknown, not 0
    empty = plan_diff([], [])
    assert not empty["has_decisions"] and empty["posts_next_week"] == 0


def test_followers_gained_lost_and_online_grid() -> None:
    days = ["2026-02-02", "2026-02-03", "2026-02-04"]
    rows = followers_daily(days, {"2026-02-02": 10, "2026-02-03": 8, "2026-02-04": 5},
                           {"2026-02-01": 1000, "2026-02-02": 1007, "2026-02-03": 1015})
    assert rows[0] == {"day": "2026-02-02", "gained": 10, "lost": 3, "net": 7, "count": 1007}
    assert rows[1]["lost"] == 0 and rows[2]["net"] is None and rows[2]["lost"] is None
    from zoneinfo import ZoneInfo

    series = [("2026-02-02", 0.0, {"hours_utc": {str(h): 10 * h for h in range(24)}})]
    grid, by_hour = online_grid(series, ZoneInfo("Europe/Berlin"), WEEK)
    assert grid is not None and grid[0][1] == 0 and grid[0][13] == 120  # UTC+1
    assert grid[1][0] == 230  # 23:00 UTC Monday is Tuesday 00:00 in Berlin
    assert by_hour[13] == 120
    assert online_grid([], ZoneInfo("UTC"), WEEK) == (None, {})


def test_generation_cost_and_reach_rate_kpis() -> None:
    week = make_account_week("acme", 1)
    costs = [replace(p, generation_cost=0.01 * i) for i, p in enumerate(week.posts)]
    k = weekly_kpis(replace(week, posts=costs))
    published = [p for p in costs if p.published_at is not None]
    assert abs(k["generation_cost_per_post"] - sum(p.generation_cost for p in published)
               / len(published)) < 1e-12
    assert k["median_reach_rate"] is not None and 0 < k["median_reach_rate"] < 1
    assert weekly_kpis(week)["generation_cost_per_post"] is None  # unknown, not 0
