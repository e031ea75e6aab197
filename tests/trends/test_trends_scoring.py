"""Scoring: bursts beat steady popularity, fit orders, freshness decays, duplicates merge."""

from __future__ import annotations

import math
import re
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from trends_helpers import NOW

from contentloop.domain.models import Account, BrandProfile, Pillar, TrendSignal
from contentloop.trends.cluster import cluster_signals
from contentloop.trends.scoring import (
    ScoringConfig,
    freshness,
    robust_z,
    score_opportunities,
    term_counts,
    velocity,
)

FILLER = ["today", "guide", "tips", "morning", "story", "update", "video", "question", "notes"]


def sig(title: str, source: str = "feed-a", hours_ago: float = 1.0, **kw: object) -> TrendSignal:
    from contentloop.trends.text import primary_term

    return TrendSignal(
        source=source,
        term=str(kw.pop("term", primary_term(title))),
        title=title,
        observed_at=NOW,
        url=str(kw.pop("url", f"https://example.org/{abs(hash((title, source))) % 10**8}")),
        published_at=NOW - timedelta(hours=hours_ago),
        **kw,  # type: ignore[arg-type]
    )


def burst(phrase: str, n: int, sources: int = 1, hours_ago: float = 1.0) -> list[TrendSignal]:
    return [
        sig(f"{phrase} {FILLER[i % len(FILLER)]} {i}", f"feed-{i % sources}", hours_ago)
        for i in range(n)
    ]


def account(*pillars: Pillar, niche: str = "coffee", banned: tuple[str, ...] = ()) -> Account:
    return Account(
        handle="beans",
        niche=niche,
        brand=BrandProfile(
            pillars=pillars or (Pillar("recipes", 1.0, ("recipe", "brew")),), banned_topics=banned
        ),
    )


# -- statistics -------------------------------------------------------------------------------


def test_robust_z_ignores_steady_popularity_and_flags_bursts() -> None:
    assert robust_z(10, [10, 9, 11, 10, 10, 9, 11]) == pytest.approx(0.0)
    assert robust_z(6, [1, 0, 1, 1, 0, 1, 1]) == pytest.approx(5.0)
    # an outlier in the history does not hide a burst (median/MAD, not mean/sd)
    assert robust_z(30, [5, 6, 5, 4, 5, 500]) > 10


def test_robust_z_floor_keeps_flat_and_empty_histories_finite() -> None:
    assert robust_z(3, []) == pytest.approx(3.0)
    assert robust_z(104, [100] * 7) == pytest.approx(4 / math.sqrt(100))


def test_velocity_is_log_ratio_to_previous_period() -> None:
    assert velocity(9, [1, 1, 4]) == pytest.approx(math.log(10 / 5))
    assert velocity(0, [3]) < 0
    assert velocity(4, []) == pytest.approx(math.log(5))


def test_freshness_halves_each_half_life() -> None:
    assert freshness(0, 12) == 1.0
    assert freshness(12, 12) == pytest.approx(0.5)
    assert freshness(36, 12) == pytest.approx(0.125)
    assert freshness(-5, 12) == 1.0
    with pytest.raises(ValueError):
        freshness(1, 0)


@given(st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0.1, 1e3))
def test_freshness_is_monotone(a: float, b: float, half_life: float) -> None:
    lo, hi = sorted((a, b))
    assert 0.0 <= freshness(hi, half_life) <= freshness(lo, half_life) <= 1.0


# -- ranking ----------------------------------------------------------------------------------


def test_bursting_term_outranks_steady_popular_term() -> None:
    acct = account(Pillar("drinks", 1.0, ("espresso", "cold brew", "coffee drinks")))
    signals = burst("espresso tips", 10) + burst("cold brew", 6)
    history = {"espresso tips": [10, 9, 11, 10, 10, 9, 11], "cold brew": [1, 0, 1, 1, 0, 1, 1]}
    opps = score_opportunities(acct, signals, history, NOW)
    topics = [o.topic for o in opps]
    assert topics.index("cold brew") < topics.index("espresso tips")
    top = opps[0]
    assert re.match(
        r"^‘cold brew’ is up \d+\.\dσ on 1 source in \d+ h and fits pillar ‘drinks’ \(0\.\d\d\)$",
        top.explanation,
    )
    steady = opps[topics.index("espresso tips")]
    assert "steady" in steady.explanation
    # without history the more voluminous term looks like the bigger burst: history decides
    no_history = {o.topic: o.evidence[0]["z"] for o in score_opportunities(acct, signals, {}, NOW)}
    assert no_history["espresso tips"] > no_history["cold brew"]


def test_minimum_volume_gate_stops_single_mentions_from_trending() -> None:
    signals = [sig("Cold brew tonic", hours_ago=1)]
    (opp,) = score_opportunities(account(), signals, {"cold brew": [0, 0, 0, 0]}, NOW)
    score_ev = opp.evidence[0]
    assert score_ev["gated"] is True and score_ev["z"] == 0.0
    assert "below the minimum of 2" in opp.explanation
    relaxed = score_opportunities(
        account(), signals, {"cold brew": [0, 0, 0, 0]}, NOW, config=ScoringConfig(min_volume=1)
    )
    assert relaxed[0].evidence[0]["z"] > 0 and relaxed[0].score > opp.score


def test_relevance_orders_equal_bursts_and_picks_the_pillar() -> None:
    acct = account(
        Pillar("recipes", 1.0, ("recipe", "brew", "drink")),
        Pillar("gear", 1.0, ("grinder", "espresso machine", "kettle")),
        niche="coffee",
    )
    signals = (
        burst("burr grinder", 4) + burst("celebrity wedding", 4) + burst("cold brew recipe", 4)
    )
    opps = score_opportunities(acct, signals, {}, NOW)
    by_topic = {o.topic: o for o in opps}
    assert by_topic["burr grinder"].pillar == "gear"
    assert by_topic["cold brew"].pillar == "recipes"
    assert by_topic["celebrity wedding"].pillar == ""
    assert "matches no pillar" in by_topic["celebrity wedding"].explanation
    assert opps[-1].topic == "celebrity wedding"
    rel = {t: o.evidence[0]["relevance"] for t, o in by_topic.items()}
    assert rel["celebrity wedding"] == 0.0 < min(rel["burr grinder"], rel["cold brew"])


def test_freshness_decays_older_trends() -> None:
    cfg = ScoringConfig(half_life_hours=6, window_hours=48)
    fresh = score_opportunities(account(), burst("cold brew", 4, hours_ago=1), {}, NOW, config=cfg)
    stale = score_opportunities(account(), burst("cold brew", 4, hours_ago=13), {}, NOW, config=cfg)
    assert fresh[0].freshness == pytest.approx(0.5 ** (1 / 6), rel=1e-4)
    assert stale[0].freshness == pytest.approx(0.5 ** (13 / 6), rel=1e-4)
    assert stale[0].score == pytest.approx(fresh[0].score * 0.25, rel=1e-3)


def test_near_duplicates_across_sources_become_one_opportunity() -> None:
    signals = [
        sig("Cold brew sales keep climbing in winter", "daily-grind"),
        sig("Cold brew sales climbing this winter, cafes say", "bean-news"),
        sig("Winter cold brew sales keep climbing", "roast-report"),
        sig("Latte art: pouring your first heart", "daily-grind"),
        TrendSignal(
            source="instagram_hashtags",
            term="coldbrew",
            title="#coldbrew",
            observed_at=NOW,
            volume=12,
            engagement=900,
            tags=("coldbrew", "coffee"),
        ),
    ]
    clusters = cluster_signals(signals)
    assert sorted(len(c) for c in clusters) == [1, 4]
    opps = score_opportunities(account(), signals, {}, NOW)
    assert len(opps) == 2
    top = opps[0]
    assert top.topic == "cold brew"
    assert "on 4 sources" in top.explanation
    sig_ev = [e for e in top.evidence if e["kind"] == "signal"]
    assert {e["source"] for e in sig_ev} == {
        "daily-grind",
        "bean-news",
        "roast-report",
        "instagram_hashtags",
    }
    assert sig_ev[0]["engagement"] == 900  # most engaging evidence first
    assert all({"source", "title", "url", "volume", "engagement"} <= e.keys() for e in sig_ev)
    assert "coldbrew" in top.tags and "coffee" in top.tags


def test_clustering_threshold_controls_merging() -> None:
    a = sig("Oat milk shortage hits cafes", term="shortage hits")
    b = sig("Cafes hit by oat shortage", term="cafes hit")
    assert len(cluster_signals([a, b], threshold=0.3)) == 1
    assert len(cluster_signals([a, b], threshold=0.9)) == 2


def test_own_results_lift_reorders_equal_candidates() -> None:
    acct = account(Pillar("drinks", 1.0, ("matcha", "chai")))
    signals = burst("matcha latte", 4) + burst("chai latte", 4)
    base = score_opportunities(acct, signals, {}, NOW)
    base_order = [o.topic for o in base]
    loser = base_order[-1]
    lifted = score_opportunities(acct, signals, {}, NOW, own_results={loser: 0.5})
    assert lifted[0].topic == loser
    assert "+50% vs average" in lifted[0].explanation
    sunk = score_opportunities(acct, signals, {}, NOW, own_results={base_order[0]: -0.6})
    assert sunk[-1].topic == base_order[0]


def test_banned_topics_are_dropped() -> None:
    signals = burst("energy drink", 4) + burst("cold brew", 4)
    opps = score_opportunities(account(banned=("energy drink",)), signals, {}, NOW)
    assert [o.topic for o in opps] == ["cold brew"]


def test_top_k_ids_and_determinism() -> None:
    signals = burst("cold brew", 3) + burst("matcha latte", 3) + burst("burr grinder", 3)
    once = score_opportunities(account(), signals, {}, NOW, top_k=2)
    twice = score_opportunities(account(), list(reversed(signals)), {}, NOW, top_k=2)
    assert len(once) == 2
    assert [(o.id, o.topic, o.score) for o in once] == [(o.id, o.topic, o.score) for o in twice]
    assert len({o.id for o in once}) == 2
    next_day = score_opportunities(account(), signals, {}, NOW + timedelta(days=1), top_k=2)
    assert {o.id for o in next_day}.isdisjoint({o.id for o in once})
    assert score_opportunities(account(), signals, {}, NOW, top_k=0) == []
    assert score_opportunities(account(), [], {}, NOW) == []


def test_history_built_from_term_counts_lets_only_the_new_burst_trend() -> None:
    """Seven days of the same daily chatter, then a burst: only the burst is 'up'."""
    history: dict[str, list[float]] = {}
    for day in range(7, 0, -1):
        now = NOW - timedelta(days=day)
        daily = [
            TrendSignal("feed", "espresso", f"Espresso notes {w}", now, published_at=now)
            for w in FILLER[:5]
        ]
        for term, count in term_counts(daily, now).items():
            history.setdefault(term, []).append(count)
    today = [
        TrendSignal("feed", "espresso", f"Espresso notes {w}", NOW, published_at=NOW)
        for w in FILLER[:5]
    ] + burst("cold brew", 5, sources=2)
    opps = score_opportunities(account(), today, history, NOW)
    assert opps[0].topic == "cold brew"
    steady = next(o for o in opps if o.topic == "espresso notes")
    assert steady.evidence[0]["z"] == pytest.approx(0.0)
