"""KPI-threshold rules from contentloop.toml reach the Learner and pause a level."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from contentloop.config import load_settings
from contentloop.domain import ConfigError, SimulatedClock
from contentloop.orchestrator.learning import Learner
from contentloop.store import Store

from .factories import WEEK, make_week

TOML = """
[[accounts]]
handle = "acme"
[[accounts.brand.pillars]]
name = "tips"
[[accounts.brand.pillars]]
name = "recipes"
[[accounts.brand.pillars]]
name = "behind"
[[accounts.kpi_rules]]
dimension = "pillar"
metric = "engagement_rate"
below = 0.01
weeks = 2
[[accounts]]
handle = "other"
"""


def test_rules_load_from_toml(tmp_path: Path) -> None:
    (tmp_path / "contentloop.toml").write_text(TOML)
    settings = load_settings(tmp_path / "contentloop.toml")
    [rule] = [r.to_rule() for r in settings.accounts[0].kpi_rules]
    assert (rule.dimension, rule.metric, rule.below, rule.weeks) == (
        "pillar", "engagement_rate", 0.01, 2)
    assert settings.accounts[1].kpi_rules == []
    bad = TOML.replace("below = 0.01\n", "")
    (tmp_path / "contentloop.toml").write_text(bad)
    with pytest.raises(ConfigError, match="kpi_rules"):
        load_settings(tmp_path / "contentloop.toml")


def test_learner_pauses_the_pillar_the_rule_names(tmp_path: Path) -> None:
    (tmp_path / "contentloop.toml").write_text(TOML)
    settings = load_settings(tmp_path / "contentloop.toml")
    acme, other = settings.domain_accounts()
    now = WEEK + timedelta(days=14)
    clock = SimulatedClock(now)
    store = Store(f"sqlite:///{tmp_path / 'r.db'}", clock)
    posts = make_week("acme", 1, WEEK, n=12) + make_week("acme", 2, WEEK + timedelta(days=7),
                                                         n=12)
    # 'behind' posts get almost no engagement: ER far below 1 % in both weeks.
    posts = [replace(p, metrics={**p.metrics, "likes": 1.0, "comments": 0.0, "saved": 0.0,
                                 "shares": 0.0}) if p.pillar == "behind" else p for p in posts]
    rules = {a.handle: [r.to_rule() for r in c.kpi_rules]
             for a, c in zip((acme, other), settings.accounts, strict=True)}
    learner = Learner(store=store, clock=clock, results_for=lambda a, _s: [
        replace(p, account=a.handle) for p in posts], rules=rules, seed=1)
    try:
        decided = learner.refit(acme)
        pauses = [d for d in decided if d.kind == "pause"]
        assert [d.choice for d in pauses] == ["pillar:behind"]
        pillar = next(d for d in decided if d.kind == "pillar")
        assert pillar.probabilities.get("behind", 0.0) == 0.0  # excluded while paused
        assert not [d for d in learner.refit(other) if d.kind == "pause"]  # no rules there
    finally:
        store.close()
