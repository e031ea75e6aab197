"""The bandit learns planted effects, keeps exploring, follows drift, and is reproducible."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from contentloop.optimize import BanditConfig, Observation, ThompsonBandit

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FORMATS = ("image", "carousel", "reel")
PILLARS = ("tips", "stories", "news")
HOOKS = ("question", "number", "bold")
HOURS = (8, 12, 19)


def synthetic(
    n: int,
    seed: int,
    format_mult: dict[str, float],
    start: datetime = START,
    per_day: int = 3,
) -> list[Observation]:
    """Posts with random levels; value = base * format multiplier * lognormal noise."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        fmt = FORMATS[rng.integers(3)]
        value = 200.0 * format_mult[fmt] * math.exp(rng.normal(0, 0.5))
        out.append(
            Observation(
                format=fmt,
                pillar=PILLARS[rng.integers(3)],
                hook_style=HOOKS[rng.integers(3)],
                slot_hour=HOURS[rng.integers(3)],
                value=value,
                at=start + timedelta(hours=24 * (i // per_day) + 3 * (i % per_day)),
            )
        )
    return out


LEVELS = {"format": FORMATS, "pillar": PILLARS, "hook_style": HOOKS, "slot_hour": HOURS}


def test_learns_planted_reel_effect() -> None:
    obs = synthetic(60, seed=1, format_mult={"image": 1.0, "carousel": 1.0, "reel": 2.0})
    bandit = ThompsonBandit(LEVELS, seed=7)
    before = bandit.sample_preferences(np.random.default_rng(0))["format"]
    bandit.fit(obs)
    after = bandit.sample_preferences(np.random.default_rng(0))["format"]
    assert after["reel"] > before["reel"] + 0.3
    assert after["reel"] > max(after["image"], after["carousel"])
    assert after["reel"] > 0.7
    # Estimated effect close to the planted log(2) gap.
    eff = bandit.effects()["format"]
    gap = eff["reel"][0] - (eff["image"][0] + eff["carousel"][0]) / 2
    assert gap == pytest.approx(math.log(2), abs=0.3)


def test_no_effect_means_no_confident_winner() -> None:
    obs = synthetic(60, seed=2, format_mult={"image": 1.0, "carousel": 1.0, "reel": 1.0})
    bandit = ThompsonBandit(LEVELS, seed=7)
    bandit.fit(obs)
    probs = bandit.sample_preferences(np.random.default_rng(0))["format"]
    assert max(probs.values()) < 0.8


def test_exploration_floor_respected() -> None:
    obs = synthetic(150, seed=3, format_mult={"image": 0.2, "carousel": 0.3, "reel": 5.0})
    eps = 0.08
    bandit = ThompsonBandit(LEVELS, BanditConfig(epsilon=eps, max_explore=0.3), seed=3)
    bandit.fit(obs)
    prefs = bandit.sample_preferences(np.random.default_rng(1))
    for dim, probs in prefs.items():
        assert sum(probs.values()) == pytest.approx(1.0)
        assert min(probs.values()) >= eps - 1e-12, dim
    # Without the floor the loser would be starved entirely.
    raw = ThompsonBandit(LEVELS, BanditConfig(epsilon=0.0), seed=3)
    raw.fit(obs)
    assert raw.sample_preferences(np.random.default_rng(1))["format"]["image"] < eps


def test_floor_larger_than_uniform_collapses_to_uniform() -> None:
    bandit = ThompsonBandit(
        {"format": FORMATS}, BanditConfig(epsilon=0.5, max_explore=1.0), seed=1
    )
    probs = bandit.sample_preferences()["format"]
    assert all(p == pytest.approx(1 / 3) for p in probs.values())


def test_floor_total_is_capped_for_many_levels() -> None:
    # 24 posting hours at 5 % each would be pure exploration; the cap keeps 75 % for learning.
    hours = [str(h) for h in range(24)]
    obs = [
        Observation("reel", "tips", "question", h, 900.0 if h == 19 else 50.0,
                    START + timedelta(hours=i))
        for i, h in enumerate([19, 3, 8, 12, 19, 22] * 10)
    ]
    config = BanditConfig(epsilon=0.05, max_explore=0.25, hour_prior_sd=0.5)
    bandit = ThompsonBandit({"slot_hour": hours}, config, seed=1)
    bandit.fit(obs)
    probs = bandit.sample_preferences(np.random.default_rng(0))["slot_hour"]
    assert min(probs.values()) == pytest.approx(0.25 / 24)
    # Neighbours share the evidence, so the allocation concentrates around 19:00.
    top = max(probs, key=probs.__getitem__)
    assert abs(int(top) - 19) <= 2
    assert sum(probs[str(h)] for h in range(17, 22)) > 0.6


def test_choose_matches_preferences_and_spreads_hours() -> None:
    obs = synthetic(90, seed=8, format_mult={"image": 1.0, "carousel": 1.0, "reel": 2.5})
    bandit = ThompsonBandit(LEVELS, seed=5)
    bandit.fit(obs)
    rng = np.random.default_rng(4)
    picks = [p for _ in range(400) for p in bandit.choose(3, rng)]
    share = sum(p["format"] == "reel" for p in picks) / len(picks)
    expected = bandit.sample_preferences(np.random.default_rng(5), draws=4000)["format"]["reel"]
    assert share == pytest.approx(expected, abs=0.05)
    day = bandit.choose(3, np.random.default_rng(1))
    assert len({p["slot_hour"] for p in day}) == 3  # one post per hour in a day


def test_hour_prior_mean_and_shared_neighbours() -> None:
    hours = [str(h) for h in range(24)]
    prior = {h: (0.4 if h in ("18", "19", "20") else 0.0) for h in hours}
    bandit = ThompsonBandit({"slot_hour": hours}, seed=1, prior_mean={"slot_hour": prior})
    eff = bandit.effects()["slot_hour"]
    assert eff["19"][0] == pytest.approx(0.4) and eff["3"][0] == pytest.approx(0.0)
    # Good results at 12:00 raise 11:00 and 13:00 too, but not 00:00.
    obs = [
        Observation("reel", "tips", "q", h, 800.0 if h == 12 else 100.0, START)
        for h in [12, 12, 12, 12, 3, 3, 7, 22] * 3
    ]
    bandit.fit(obs, now=START)
    eff = bandit.effects()["slot_hour"]
    assert eff["11"][0] > eff["0"][0] + 0.2
    assert eff["13"][0] > eff["0"][0] + 0.2


def test_discounting_follows_drift() -> None:
    # Ten weeks where images win, then three weeks where reels win.
    old = synthetic(210, seed=4, format_mult={"image": 2.0, "carousel": 1.0, "reel": 1.0})
    drift_start = old[-1].at + timedelta(days=1)
    new = synthetic(
        63, seed=5, format_mult={"image": 1.0, "carousel": 1.0, "reel": 2.0}, start=drift_start
    )
    now = new[-1].at
    results = {}
    for gamma in (1.0, 0.6):
        bandit = ThompsonBandit(LEVELS, BanditConfig(gamma=gamma, detect_drift=False), seed=11)
        bandit.fit(old + new, now=now)
        results[gamma] = bandit.sample_preferences(np.random.default_rng(2))["format"]
    assert results[1.0]["image"] > results[1.0]["reel"]  # no discount: stuck in the past
    assert results[0.6]["reel"] > results[0.6]["image"]  # discount: follows the drift
    assert results[0.6]["reel"] > 0.6


def test_deterministic_with_seed() -> None:
    obs = synthetic(40, seed=6, format_mult={"image": 1.0, "carousel": 1.3, "reel": 1.6})
    now = obs[-1].at

    def run(seed: int) -> list[tuple[str, str, str, dict[str, float]]]:
        b = ThompsonBandit(LEVELS, seed=seed)
        b.fit(obs)
        return [(d.kind, d.choice, d.reason, d.probabilities) for d in b.decide("acme", now)]

    assert run(42) == run(42)
    a = ThompsonBandit(LEVELS, seed=1)
    a.fit(obs)
    p1 = a.sample_preferences(np.random.default_rng(9))
    p2 = a.sample_preferences(np.random.default_rng(9))
    assert p1 == p2


def test_decide_reports_choice_reason_and_probabilities() -> None:
    obs = synthetic(90, seed=8, format_mult={"image": 1.0, "carousel": 1.0, "reel": 2.5})
    bandit = ThompsonBandit(LEVELS, seed=5)
    bandit.fit(obs)
    now = obs[-1].at + timedelta(hours=1)
    decisions = {d.kind: d for d in bandit.decide("acme", now)}
    assert set(decisions) == {"format", "pillar", "hook_style", "slot_hour"}
    fmt = decisions["format"]
    assert fmt.choice == "reel"
    assert fmt.account == "acme" and fmt.made_at == now
    assert fmt.reason.startswith("reels beat ")
    uplift = int(fmt.reason.split("by +")[1].split("%")[0])
    assert 80 <= uplift <= 250  # planted 2.5x = +150%
    p = float(fmt.reason.split("p=")[1].rstrip(")"))
    assert p >= 0.9
    assert fmt.probabilities["reel"] == max(fmt.probabilities.values())
    assert decisions["slot_hour"].choice in {"8", "12", "19"}


def test_unseen_levels_are_explored_not_ignored() -> None:
    obs = synthetic(30, seed=9, format_mult={"image": 1.0, "carousel": 1.0, "reel": 1.0})
    obs = [o for o in obs if o.format != "carousel"]
    bandit = ThompsonBandit(LEVELS, seed=2)
    bandit.fit(obs)
    probs = bandit.sample_preferences(np.random.default_rng(3))["format"]
    # Wide prior on the never-tried level keeps a real chance of being picked.
    assert probs["carousel"] > 0.15
    sd = bandit.effects()["format"]
    assert sd["carousel"][1] > sd["image"][1]


def test_empty_bandit_decides_uniformly() -> None:
    bandit = ThompsonBandit({"format": FORMATS}, seed=1)
    (decision,) = bandit.decide("acme", START)
    assert decision.reason.startswith("no results yet")
    assert all(abs(p - 1 / 3) < 0.08 for p in decision.probabilities.values())


def test_rejects_bad_config() -> None:
    with pytest.raises(ValueError, match="gamma"):
        ThompsonBandit(config=BanditConfig(gamma=0.0))
    with pytest.raises(ValueError, match="dimension"):
        ThompsonBandit({"colour": ["red"]})


def test_excluded_levels_get_nothing() -> None:
    obs = synthetic(60, seed=1, format_mult={"image": 1.0, "carousel": 1.0, "reel": 2.0})
    bandit = ThompsonBandit(LEVELS, seed=7)
    bandit.fit(obs)
    decisions = {d.kind: d for d in bandit.decide("acme", START, exclude={"format": {"reel"}})}
    fmt = decisions["format"]
    assert fmt.probabilities["reel"] == 0.0
    assert fmt.choice != "reel" and "reel" not in fmt.reason
    assert sum(fmt.probabilities.values()) == pytest.approx(1.0)
    assert min(p for lv, p in fmt.probabilities.items() if lv != "reel") >= 0.05


def test_one_viral_post_does_not_crown_a_level() -> None:
    # Equal formats; one image goes viral (15x). Gaussian noise chases it, Student-t does not.
    obs = synthetic(45, seed=12, format_mult={"image": 1.0, "carousel": 1.0, "reel": 1.0})
    i = next(k for k, o in enumerate(obs) if o.format == "image")
    viral = obs[i]
    obs[i] = Observation(viral.format, viral.pillar, viral.hook_style, viral.slot_hour,
                         viral.value * 15.0, viral.at)
    gaps = {}
    for df in (0.0, 4.0):
        bandit = ThompsonBandit(LEVELS, BanditConfig(robust_df=df, detect_drift=False), seed=1)
        bandit.fit(obs)
        eff = bandit.effects()["format"]
        gaps[df] = eff["image"][0] - (eff["carousel"][0] + eff["reel"][0]) / 2
    assert gaps[4.0] < gaps[0.0] - 0.05
    assert abs(gaps[4.0]) < 0.25


def drifting(seed: int, weeks_before: int, days_after: int) -> list[Observation]:
    old = synthetic(21 * weeks_before, seed=seed,
                    format_mult={"image": 2.5, "carousel": 1.0, "reel": 1.0})
    start = old[-1].at + timedelta(hours=21)
    new = synthetic(3 * days_after, seed=seed + 1,
                    format_mult={"image": 1.0, "carousel": 1.0, "reel": 2.5}, start=start)
    return old + new


def test_drift_detector_finds_the_change_and_recovers() -> None:
    # A hard case: random allocation, image and reel swap places (no shift in the mean),
    # two weeks after the change. No discounting, so only the detector can forget.
    found = 0
    for seed in range(21, 33):
        obs = drifting(seed=seed, weeks_before=6, days_after=14)
        change = obs[21 * 6].at
        now = obs[-1].at + timedelta(hours=1)
        plain = ThompsonBandit(LEVELS, BanditConfig(gamma=1.0, detect_drift=False), seed=3)
        plain.fit(obs, now=now)
        assert plain.drift_at is None
        stuck = plain.sample_preferences(np.random.default_rng(0))["format"]
        assert stuck["image"] > stuck["reel"]
        bandit = ThompsonBandit(LEVELS, BanditConfig(gamma=1.0), seed=3)
        bandit.fit(obs, now=now)
        if bandit.drift_at is None:
            continue
        # Boundaries two weeks back are tested every third day; earlier only forgets more.
        assert -timedelta(days=7) <= bandit.drift_at - change <= timedelta(days=3)
        probs = bandit.sample_preferences(np.random.default_rng(0))["format"]
        assert probs["reel"] > probs["image"]
        found += 1
    assert found >= 7  # 8 of 12 at the time of writing


def test_drift_detector_is_quiet_when_nothing_changes() -> None:
    for seed in range(40, 52):
        obs = synthetic(21 * 8, seed=seed,
                        format_mult={"image": 2.0, "carousel": 1.0, "reel": 1.3})
        bandit = ThompsonBandit(LEVELS, seed=seed)
        bandit.fit(obs)
        assert bandit.drift_at is None, seed


def test_narrow_draws_exploit_more_but_report_the_full_posterior() -> None:
    obs = synthetic(45, seed=14, format_mult={"image": 1.0, "carousel": 1.2, "reel": 1.6})
    now = obs[-1].at + timedelta(hours=1)
    out = {}
    for scale in (1.0, 0.5):
        bandit = ThompsonBandit(LEVELS, BanditConfig(draw_scale=scale), seed=4)
        bandit.fit(obs)
        probs = bandit.sample_preferences(np.random.default_rng(0), draws=4000)["format"]
        fmt = next(d for d in bandit.decide("acme", now, rng=np.random.default_rng(1))
                   if d.kind == "format")
        out[scale] = (probs, fmt.reason)
    leader = max(out[1.0][0], key=out[1.0][0].__getitem__)
    assert out[0.5][0][leader] > out[1.0][0][leader] + 0.05
    # The reason's p=... is P(leader beats runner-up) under the real posterior: same for both.
    p1 = float(out[1.0][1].split("p=")[1][:4])
    p05 = float(out[0.5][1].split("p=")[1][:4])
    assert p1 == pytest.approx(p05, abs=0.03)


def test_decision_reason_mentions_a_detected_drift() -> None:
    for seed in range(22, 33):
        obs = drifting(seed=seed, weeks_before=6, days_after=14)
        bandit = ThompsonBandit(LEVELS, BanditConfig(gamma=1.0), seed=3)
        bandit.fit(obs)
        if bandit.drift_at is not None:
            break
    assert bandit.drift_at is not None
    reasons = [d.reason for d in bandit.decide("acme", obs[-1].at)]
    assert all(f"{bandit.drift_at:%Y-%m-%d}" in r for r in reasons if "only option" not in r)
