"""KPI-threshold rules fire only when every window breaks the threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contentloop.optimize import Observation, ThresholdRule, evaluate_rules

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def obs(pillar: str, days_ago: float, er: float, value: float = 100.0) -> Observation:
    return Observation(
        format="image",
        pillar=pillar,
        hook_style="question",
        slot_hour=9,
        value=value,
        at=NOW - timedelta(days=days_ago),
        metrics={"engagement_rate": er},
    )


RULE = ThresholdRule("pillar", "engagement_rate", below=0.02, weeks=2)


def test_pauses_pillar_below_threshold_two_weeks() -> None:
    data = [
        obs("news", 2, 0.010),
        obs("news", 4, 0.015),  # this week
        obs("news", 9, 0.012),
        obs("news", 11, 0.018),  # last week
        obs("tips", 2, 0.050),
        obs("tips", 9, 0.040),
        obs("tips", 3, 0.06),
        obs("tips", 10, 0.05),
    ]
    decisions = evaluate_rules("acme", [RULE], data, NOW)
    assert [(d.kind, d.choice) for d in decisions] == [("pause", "pillar:news")]
    assert "engagement_rate" in decisions[0].reason and decisions[0].made_at == NOW


def test_one_bad_week_is_not_enough() -> None:
    data = [
        obs("news", 2, 0.010),
        obs("news", 4, 0.015),
        obs("news", 9, 0.030),
        obs("news", 11, 0.028),
    ]
    assert evaluate_rules("acme", [RULE], data, NOW) == []


def test_too_few_posts_do_not_fire() -> None:
    data = [obs("news", 2, 0.010), obs("news", 9, 0.012), obs("news", 11, 0.012)]
    assert evaluate_rules("acme", [RULE], data, NOW) == []


def test_above_rule_on_value() -> None:
    rule = ThresholdRule("pillar", "value", above=500.0, weeks=1, min_posts=1, action="boost")
    data = [obs("tips", 1, 0.05, value=800.0), obs("news", 1, 0.05, value=100.0)]
    (d,) = evaluate_rules("acme", [rule], data, NOW)
    assert d.kind == "boost" and d.choice == "pillar:tips"


def test_rule_validation() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        ThresholdRule("pillar", "engagement_rate")
    with pytest.raises(ValueError, match="dimension"):
        ThresholdRule("colour", "engagement_rate", below=1)


def test_paused_levels_feed_the_bandit() -> None:
    from contentloop.optimize import ThompsonBandit, paused_levels

    data = [obs("news", d, 0.01) for d in (2, 4, 9, 11)] + [obs("tips", 2, 0.05)]
    pauses = evaluate_rules("acme", [RULE], data, NOW)
    assert paused_levels(pauses) == {"pillar": {"news"}}
    bandit = ThompsonBandit(seed=1)
    bandit.fit(data)
    (pillar,) = [
        d for d in bandit.decide("acme", NOW, exclude=paused_levels(pauses)) if d.kind == "pillar"
    ]
    assert pillar.choice == "tips" and pillar.probabilities["news"] == 0.0
